//===- gemm.cpp - Matrix products called by JIT code
//-----------------------===//
//
// Float products go straight to Eigen's general_matrix_matrix_product (the
// gebp kernel behind every large Eigen product), instantiated for the four
// storage-order combinations the transpose flags select, with a
// level3_blocking whose packing buffers live in the GemmContext: Eigen then
// never allocates (it would otherwise malloc the packed panels per call).
// Tiny products (M + N + K < 20, Eigen's own threshold) use Eigen's lazy
// coefficient-based product instead, which packs nothing. Integer products
// are plain loops with wrapping arithmetic.
//
//===----------------------------------------------------------------------===//
#include "runtime/gemm.h"

#include <Eigen/Core>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

namespace netjit {

GemmContext::~GemmContext() {
  std::free(Block[0]);
  std::free(Block[1]);
}

void *GemmContext::scratch(int Slot, size_t Bytes) {
  if (Bytes <= Capacity[Slot])
    return Block[Slot];
  size_t Rounded = (Bytes + 63) / 64 * 64;
  void *P = std::aligned_alloc(64, Rounded);
  if (!P)
    throw std::bad_alloc();
  std::free(Block[Slot]);
  Block[Slot] = P;
  Capacity[Slot] = Rounded;
  return P;
}

namespace {

using Eigen::Index;
namespace ei = Eigen::internal;

/// Upper bounds of Eigen 3.4's packing blocks that grow with every
/// dimension (its own block sizes do not: a smaller product may want a
/// larger block), so that a product no larger in M, N and K than one seen
/// before finds its buffers big enough. Eigen keeps kc <= max_kc (a few
/// hundred, from the L1 size) and kc * nc <= 1.5 MB / (2 sizeof(T)).
constexpr Index kMaxKc = 1024, kMaxRhsBlock = Index(1) << 18;

/// Eigen's blocking sizes for one product, with the packing buffers taken
/// from a GemmContext. Sizes follow gemm_blocking_space for a row-major
/// result (Eigen computes the transposed, column-major product, whose
/// "rows" are N and "columns" M).
template <class T> class ContextBlocking : public ei::level3_blocking<T, T> {
public:
  ContextBlocking(GemmContext &Ctx, Index M, Index N, Index K) {
    this->m_mc = N;
    this->m_nc = M;
    this->m_kc = K;
    ei::computeProductBlockingSizes<T, T, 1>(this->m_kc, this->m_mc, this->m_nc,
                                             Index(1));
    Index SizeA = std::max(this->m_mc * this->m_kc, N * std::min(K, kMaxKc));
    Index SizeB =
        std::max(this->m_kc * this->m_nc, std::min(K * M, kMaxRhsBlock));
    this->m_blockA = static_cast<T *>(
        Ctx.scratch(0, sizeof(T) * static_cast<size_t>(SizeA)));
    this->m_blockB = static_cast<T *>(
        Ctx.scratch(1, sizeof(T) * static_cast<size_t>(SizeB)));
  }
};

template <class T, int Order>
using MatrixMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>,
               Eigen::Unaligned, Eigen::OuterStride<>>;

/// One product with A and B in the given storage orders (RowMajor for a
/// plain operand, ColMajor for a transposed one).
template <class T, int AOrder, int BOrder>
void product(GemmContext &Ctx, Index M, Index N, Index K, const T *A, Index Lda,
             const T *B, Index Ldb, T *C, Index Ldc, T Alpha, bool Accumulate) {
  if (M == 0 || N == 0)
    return;
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
             Eigen::Unaligned, Eigen::OuterStride<>>
      Out(C, M, N, Eigen::OuterStride<>(Ldc));
  if (!Accumulate)
    Out.setZero();
  if (K == 0)
    return;
  if (M + N + K < 20) {
    MatrixMap<T, AOrder> LhsMap(A, M, K, Eigen::OuterStride<>(Lda));
    MatrixMap<T, BOrder> RhsMap(B, K, N, Eigen::OuterStride<>(Ldb));
    if (Alpha == T(1))
      Out.noalias() += LhsMap.lazyProduct(RhsMap);
    else
      Out.noalias() += Alpha * LhsMap.lazyProduct(RhsMap);
    return;
  }
  ContextBlocking<T> Blocking(Ctx, M, N, K);
  ei::general_matrix_matrix_product<Index, T, AOrder, false, T, BOrder, false,
                                    Eigen::RowMajor, 1>::run(M, N, K, A, Lda, B,
                                                             Ldb, C, 1, Ldc,
                                                             Alpha, Blocking);
}

template <class T>
void floatGemm(void *CtxPtr, int32_t Flags, int64_t M, int64_t N, int64_t K,
               const T *A, int64_t Lda, const T *B, int64_t Ldb, T *C,
               int64_t Ldc, T Alpha, int32_t Accumulate, int64_t Batch,
               int64_t StrideA, int64_t StrideB, int64_t StrideC) {
  GemmContext &Ctx = *static_cast<GemmContext *>(CtxPtr);
  constexpr int Row = Eigen::RowMajor, Col = Eigen::ColMajor;
  auto *Fn = &product<T, Row, Row>;
  if (Flags == kGemmTransA)
    Fn = &product<T, Col, Row>;
  else if (Flags == kGemmTransB)
    Fn = &product<T, Row, Col>;
  else if (Flags == (kGemmTransA | kGemmTransB))
    Fn = &product<T, Col, Col>;
  for (int64_t Bt = 0; Bt < Batch; ++Bt)
    Fn(Ctx, M, N, K, A + Bt * StrideA, Lda, B + Bt * StrideB, Ldb,
       C + Bt * StrideC, Ldc, Alpha, Accumulate != 0);
}

/// Integer products, wrapping modulo 2^n (unsigned arithmetic).
template <class T>
void intGemm(int32_t Flags, int64_t M, int64_t N, int64_t K, const T *A,
             int64_t Lda, const T *B, int64_t Ldb, T *C, int64_t Ldc, T Alpha,
             int32_t Accumulate, int64_t Batch, int64_t StrideA,
             int64_t StrideB, int64_t StrideC) {
  using U = std::make_unsigned_t<T>;
  bool TA = Flags & kGemmTransA, TB = Flags & kGemmTransB;
  for (int64_t Bt = 0; Bt < Batch; ++Bt) {
    const T *PA = A + Bt * StrideA, *PB = B + Bt * StrideB;
    T *PC = C + Bt * StrideC;
    for (int64_t I = 0; I < M; ++I)
      for (int64_t J = 0; J < N; ++J) {
        U Acc = 0;
        for (int64_t L = 0; L < K; ++L) {
          U X = static_cast<U>(TA ? PA[L * Lda + I] : PA[I * Lda + L]);
          U Y = static_cast<U>(TB ? PB[J * Ldb + L] : PB[L * Ldb + J]);
          Acc += X * Y;
        }
        Acc *= static_cast<U>(Alpha);
        T &Out = PC[I * Ldc + J];
        Out = static_cast<T>(Accumulate ? static_cast<U>(Out) + Acc : Acc);
      }
  }
}

} // namespace
} // namespace netjit

using netjit::floatGemm;
using netjit::intGemm;

extern "C" {

void netjit_gemm_f32(void *Ctx, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const float *A, int64_t Lda, const float *B, int64_t Ldb,
                     float *C, int64_t Ldc, float Alpha, int32_t Accumulate,
                     int64_t Batch, int64_t StrideA, int64_t StrideB,
                     int64_t StrideC) {
  floatGemm(Ctx, Flags, M, N, K, A, Lda, B, Ldb, C, Ldc, Alpha, Accumulate,
            Batch, StrideA, StrideB, StrideC);
}

void netjit_gemm_f64(void *Ctx, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const double *A, int64_t Lda, const double *B, int64_t Ldb,
                     double *C, int64_t Ldc, double Alpha, int32_t Accumulate,
                     int64_t Batch, int64_t StrideA, int64_t StrideB,
                     int64_t StrideC) {
  floatGemm(Ctx, Flags, M, N, K, A, Lda, B, Ldb, C, Ldc, Alpha, Accumulate,
            Batch, StrideA, StrideB, StrideC);
}

void netjit_gemm_i32(void *, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const int32_t *A, int64_t Lda, const int32_t *B,
                     int64_t Ldb, int32_t *C, int64_t Ldc, int32_t Alpha,
                     int32_t Accumulate, int64_t Batch, int64_t StrideA,
                     int64_t StrideB, int64_t StrideC) {
  intGemm(Flags, M, N, K, A, Lda, B, Ldb, C, Ldc, Alpha, Accumulate, Batch,
          StrideA, StrideB, StrideC);
}

void netjit_gemm_i64(void *, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const int64_t *A, int64_t Lda, const int64_t *B,
                     int64_t Ldb, int64_t *C, int64_t Ldc, int64_t Alpha,
                     int32_t Accumulate, int64_t Batch, int64_t StrideA,
                     int64_t StrideB, int64_t StrideC) {
  intGemm(Flags, M, N, K, A, Lda, B, Ldb, C, Ldc, Alpha, Accumulate, Batch,
          StrideA, StrideB, StrideC);
}

} // extern "C"
