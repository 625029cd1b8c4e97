//===- gemm_test.cpp - The GEMM entry points compiled code calls ----------===//
//
// netjit_gemm_* against a plain triple loop in double, on sub-matrices with
// leading dimensions larger than their widths, every transpose flag, a scale,
// accumulation into the result, batches, and both Eigen paths (the lazy
// product below M + N + K = 20 and the blocked GEMM above). The packing
// space is kept by the GemmContext and grows only for larger products.
//
//===----------------------------------------------------------------------===//
#include "runtime/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace netjit {
namespace {

struct Case {
  int64_t M, N, K;
  int32_t Flags;
  float Alpha;
  bool Accumulate;
  int64_t Batch;
};

/// Element (I, J) of op(X) for a row-major X with leading dimension Ld.
double at(const std::vector<float> &X, int64_t Off, int64_t Ld, bool Trans,
          int64_t I, int64_t J) {
  return Trans ? X[Off + J * Ld + I] : X[Off + I * Ld + J];
}

/// Runs C with leading dimensions Pad wider than the stored widths (0:
/// contiguous rows, which C's zeroing takes in one piece).
void check(GemmContext &Ctx, const Case &C, int64_t Pad = 3) {
  SCOPED_TRACE(testing::Message()
               << "M=" << C.M << " N=" << C.N << " K=" << C.K
               << " flags=" << C.Flags << " batch=" << C.Batch
               << " pad=" << Pad);
  bool TA = C.Flags & kGemmTransA, TB = C.Flags & kGemmTransB;
  int64_t Lda = (TA ? C.M : C.K) + Pad, Ldb = (TB ? C.K : C.N) + Pad,
          Ldc = C.N + Pad;
  int64_t SA = (TA ? C.K : C.M) * Lda, SB = (TB ? C.N : C.K) * Ldb,
          SC = C.M * Ldc;
  std::mt19937 Rng(static_cast<unsigned>(C.M * 131 + C.N * 7 + C.K));
  std::uniform_real_distribution<float> U(-1, 1);
  std::vector<float> A(SA * C.Batch), B(SB * C.Batch), Out(SC * C.Batch);
  for (float &X : A)
    X = U(Rng);
  for (float &X : B)
    X = U(Rng);
  for (float &X : Out)
    X = U(Rng);
  std::vector<float> Before = Out;
  netjit_gemm_f32(&Ctx, C.Flags, C.M, C.N, C.K, A.data(), Lda, B.data(), Ldb,
                  Out.data(), Ldc, C.Alpha, C.Accumulate, C.Batch, SA, SB, SC);
  for (int64_t Bt = 0; Bt < C.Batch; ++Bt)
    for (int64_t I = 0; I < C.M; ++I)
      for (int64_t J = 0; J < Ldc; ++J) {
        float Got = Out[Bt * SC + I * Ldc + J];
        if (J >= C.N) { // padding between rows is never written
          EXPECT_EQ(Got, Before[Bt * SC + I * Ldc + J]);
          continue;
        }
        double Want = 0, Mag = 0;
        for (int64_t L = 0; L < C.K; ++L) {
          double P =
              at(A, Bt * SA, Lda, TA, I, L) * at(B, Bt * SB, Ldb, TB, L, J);
          Want += P;
          Mag += std::fabs(P);
        }
        Want *= C.Alpha;
        if (C.Accumulate)
          Want += Before[Bt * SC + I * Ldc + J];
        // The f32 dot-product bound: (K + 2) eps Σ|a b|, scaled.
        double Tol = (C.K + 2) * 6e-8 * (std::fabs(C.Alpha) * Mag + 1);
        EXPECT_NEAR(Got, Want, Tol) << "at " << Bt << "," << I << "," << J;
      }
}

TEST(Gemm, EveryFlagBothPathsWithStridesScaleAndAccumulation) {
  GemmContext Ctx;
  for (int32_t Flags : {0, 1, 2, 3}) {
    check(Ctx, {3, 4, 5, Flags, 1.0f, false, 1});     // lazy product
    check(Ctx, {37, 29, 51, Flags, 1.0f, false, 2});  // blocked GEMM
    check(Ctx, {64, 70, 300, Flags, -0.5f, true, 1}); // scaled, accumulated
    check(Ctx, {2, 3, 4, Flags, 2.0f, true, 3});
    check(Ctx, {3, 4, 5, Flags, 1.0f, false, 2}, 0);
    check(Ctx, {64, 20, 10, Flags, 1.0f, false, 3}, 0);
  }
  // Empty products: K = 0 gives zeros (or leaves C when accumulating).
  check(Ctx, {4, 5, 0, 0, 1.0f, false, 1});
  check(Ctx, {4, 5, 0, 0, 1.0f, true, 1});
  check(Ctx, {0, 5, 7, 0, 1.0f, false, 1});
}

TEST(Gemm, PackingSpaceIsKeptAndGrowsOnlyForLargerProducts) {
  // Eigen's own block sizes are not monotone (150x200x180 packs a smaller
  // right block than 90x100x80); the context's requests are, so no product
  // within the first one's dimensions needs more space.
  GemmContext Ctx;
  check(Ctx, {300, 300, 900, 0, 1.0f, false, 1});
  size_t Held = Ctx.capacity();
  EXPECT_GT(Held, 0u);
  for (int64_t M : {1, 7, 48, 100, 150, 300})
    for (int64_t N : {1, 9, 64, 100, 200, 300})
      for (int64_t K : {1, 30, 80, 180, 400, 900}) {
        std::vector<float> A(M * K, 1.0f), B(K * N, 1.0f), C(M * N);
        netjit_gemm_f32(&Ctx, 0, M, N, K, A.data(), K, B.data(), N, C.data(), N,
                        1.0f, 0, 1, 0, 0, 0);
        EXPECT_EQ(Ctx.capacity(), Held) << M << "x" << N << "x" << K;
        EXPECT_EQ(C[0], static_cast<float>(K));
      }
}

TEST(Gemm, IntegerProductsWrap) {
  // 2^30 * 4 wraps to 0 in i32; 3 * -5 = -15.
  int32_t A[2] = {1 << 30, 3}, B[2] = {4, -5}, C[1] = {0};
  netjit_gemm_i32(nullptr, 0, 1, 1, 2, A, 2, B, 1, C, 1, 1, 0, 1, 0, 0, 0);
  EXPECT_EQ(C[0], -15);
  int64_t A64[2] = {2, 3}, B64[2] = {5, 7}, C64[1] = {100};
  netjit_gemm_i64(nullptr, kGemmTransB, 1, 1, 2, A64, 2, B64, 2, C64, 1, 2, 1,
                  1, 0, 0, 0);
  EXPECT_EQ(C64[0], 100 + 2 * (2 * 5 + 3 * 7));
}

} // namespace
} // namespace netjit
