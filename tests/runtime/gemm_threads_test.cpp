//===- gemm_threads_test.cpp - GEMM products split across two threads -----===//
//
// Products above kGemmParallelFlops are split by rows of C between the
// caller and the GEMM worker; the split must give exactly the bits of the
// single-threaded product (same blocking, same kernel path per element), for
// every transpose flag, scales, accumulation, leading dimensions wider than
// the rows, batches (whose sum crosses the threshold) and f64, and it must
// stay correct when several threads compete for the one worker.
//
//===----------------------------------------------------------------------===//
#include "runtime/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace netjit {
namespace {

/// Sets the GEMM thread count for one test and restores it afterwards.
class ThreadCount {
public:
  explicit ThreadCount(int Threads) : Saved(gemmThreads()) {
    setGemmThreads(Threads);
  }
  ~ThreadCount() { setGemmThreads(Saved); }

private:
  int Saved;
};

struct Shape {
  int64_t M, N, K, Batch;
  int32_t Flags;
  double Alpha;
  bool Accumulate;
};

double flops(const Shape &S) { return 2.0 * S.M * S.N * S.K * S.Batch; }

/// Random operands of a shape, with leading dimensions wider than the rows.
template <class T> struct Operands {
  int64_t Lda, Ldb, Ldc, SA, SB, SC;
  std::vector<T> A, B, C;

  explicit Operands(const Shape &S) {
    bool TA = S.Flags & kGemmTransA, TB = S.Flags & kGemmTransB;
    Lda = (TA ? S.M : S.K) + 5;
    Ldb = (TB ? S.K : S.N) + 2;
    Ldc = S.N + 3;
    SA = (TA ? S.K : S.M) * Lda;
    SB = (TB ? S.N : S.K) * Ldb;
    SC = S.M * Ldc;
    std::mt19937 Rng(static_cast<unsigned>(S.M * 31 + S.N * 7 + S.K));
    std::uniform_real_distribution<T> U(-1, 1);
    A.resize(SA * S.Batch);
    B.resize(SB * S.Batch);
    C.resize(SC * S.Batch);
    for (auto *V : {&A, &B, &C})
      for (T &X : *V)
        X = U(Rng);
  }

  /// C after one netjit_gemm call (on the current thread count).
  std::vector<T> product(GemmContext &Ctx, const Shape &S) const {
    std::vector<T> Out = C;
    if constexpr (sizeof(T) == 4)
      netjit_gemm_f32(&Ctx, S.Flags, S.M, S.N, S.K, A.data(), Lda, B.data(),
                      Ldb, Out.data(), Ldc, T(S.Alpha), S.Accumulate, S.Batch,
                      SA, SB, SC);
    else
      netjit_gemm_f64(&Ctx, S.Flags, S.M, S.N, S.K, A.data(), Lda, B.data(),
                      Ldb, Out.data(), Ldc, T(S.Alpha), S.Accumulate, S.Batch,
                      SA, SB, SC);
    return Out;
  }

  /// Element (I, J) of product b, in double.
  double want(const Shape &S, int64_t Bt, int64_t I, int64_t J) const {
    bool TA = S.Flags & kGemmTransA, TB = S.Flags & kGemmTransB;
    double Sum = 0;
    for (int64_t L = 0; L < S.K; ++L)
      Sum += double(TA ? A[Bt * SA + L * Lda + I] : A[Bt * SA + I * Lda + L]) *
             double(TB ? B[Bt * SB + J * Ldb + L] : B[Bt * SB + L * Ldb + J]);
    Sum *= S.Alpha;
    return S.Accumulate ? Sum + C[Bt * SC + I * Ldc + J] : Sum;
  }
};

/// C after a call on Threads threads; Split tells whether the worker helped.
template <class T>
std::vector<T> run(GemmContext &Ctx, const Operands<T> &Ops, const Shape &S,
                   int Threads, bool &Split) {
  ThreadCount Count(Threads);
  uint64_t Before = gemmSplitProducts();
  std::vector<T> Out = Ops.product(Ctx, S);
  Split = gemmSplitProducts() > Before;
  return Out;
}

template <class T> void expectSameBits(const Shape &S) {
  SCOPED_TRACE(testing::Message()
               << "M=" << S.M << " N=" << S.N << " K=" << S.K << " batch="
               << S.Batch << " flags=" << S.Flags << " f" << 8 * sizeof(T));
  Operands<T> Ops(S);
  GemmContext One, Two;
  bool SplitOne = false, SplitTwo = false;
  std::vector<T> Want = run(One, Ops, S, 1, SplitOne);
  std::vector<T> Got = run(Two, Ops, S, 2, SplitTwo);
  EXPECT_FALSE(SplitOne);
  // Only this test's thread calls the GEMM, so the worker is free.
  EXPECT_EQ(SplitTwo, flops(S) >= kGemmParallelFlops);
  ASSERT_EQ(Got.size(), Want.size());
  size_t Differ = 0;
  for (size_t I = 0; I < Got.size(); ++I)
    Differ += std::memcmp(&Got[I], &Want[I], sizeof(T)) != 0;
  EXPECT_EQ(Differ, 0u);
  // And right, not just consistent: the first row (the caller's half) and
  // the last (the worker's) of the last product, against double sums.
  double Eps = sizeof(T) == 4 ? 6e-8 : 1.2e-16;
  double Tol = (S.K + 2) * Eps * (std::fabs(S.Alpha) * S.K + 1);
  int64_t Bt = S.Batch - 1;
  for (int64_t I : {int64_t(0), S.M - 1})
    for (int64_t J = 0; J < S.N; ++J)
      EXPECT_NEAR(Got[Bt * Ops.SC + I * Ops.Ldc + J], Ops.want(S, Bt, I, J),
                  Tol)
          << "at " << I << "," << J;
}

TEST(GemmThreads, SplitProductsMatchTheSingleThreadedBits) {
  ASSERT_LT(flops({64, 64, 64, 1, 0, 1, false}), kGemmParallelFlops);
  for (int32_t Flags : {0, 1, 2, 3}) {
    // Above the threshold: odd M leaves Eigen's partial register block at
    // the worker's end, K > kc blocks the depth.
    expectSameBits<float>({131, 70, 1000, 1, Flags, 1.0, false});
    expectSameBits<float>({96, 130, 700, 1, Flags, -0.5, true});
    // Batches: each product is small, their sum crosses the threshold.
    expectSameBits<float>({37, 64, 200, 20, Flags, 2.0, false});
    // Below the threshold: on the calling thread either way.
    expectSameBits<float>({64, 64, 64, 1, Flags, 1.0, true});
    expectSameBits<float>({3, 4, 5, 2, Flags, 1.0, false});
  }
  expectSameBits<double>({100, 90, 1000, 1, 0, 1.0, false});
  expectSameBits<double>({100, 90, 1000, 1, 3, 0.5, true});
  // Too few rows to split: the caller keeps it.
  Shape Thin{7, 2048, 2048, 1, 0, 1.0, false};
  GemmContext Ctx;
  bool Split = true;
  run(Ctx, Operands<float>(Thin), Thin, 2, Split);
  EXPECT_FALSE(Split);
}

TEST(GemmThreads, ThreadCountIsClamped) {
  ThreadCount Restore(1);
  setGemmThreads(0);
  EXPECT_EQ(gemmThreads(), 1);
  setGemmThreads(8);
  EXPECT_EQ(gemmThreads(), 2);
}

TEST(GemmThreads, WorkerPackingSpaceIsKept) {
  GemmContext Ctx;
  Shape S{128, 128, 1024, 1, 0, 1.0, false};
  Operands<float> Ops(S);
  bool Split = false;
  run(Ctx, Ops, S, 2, Split);
  ASSERT_TRUE(Split);
  size_t Held = Ctx.capacity();
  run(Ctx, Ops, S, 2, Split);
  run(Ctx, Ops, S, 1, Split); // the single-threaded path fits as well
  EXPECT_EQ(Ctx.capacity(), Held);
}

TEST(GemmThreads, ConcurrentCallersShareOneWorker) {
  // Four threads, each with its own context, call large products at once:
  // whoever holds the worker splits, the others run alone; all results are
  // the single-threaded bits.
  Shape S{160, 96, 600, 1, kGemmTransB, 1.0, false};
  Operands<float> Ops(S);
  GemmContext Ref;
  bool Split = false;
  std::vector<float> Want = run(Ref, Ops, S, 1, Split);
  ThreadCount Count(2);
  std::vector<int> Wrong(4, 0);
  std::vector<std::thread> Callers;
  for (int T = 0; T < 4; ++T)
    Callers.emplace_back([&, T] {
      GemmContext Ctx;
      for (int I = 0; I < 10; ++I)
        Wrong[T] += Ops.product(Ctx, S) != Want;
    });
  for (std::thread &T : Callers)
    T.join();
  for (int T = 0; T < 4; ++T)
    EXPECT_EQ(Wrong[T], 0) << "thread " << T;
}

TEST(GemmThreads, ForkedChildrenRunLargeProductsAlone) {
  // The worker thread does not exist in a fork()ed child: a child's large
  // product must run on its own thread (not wait for the parent's worker)
  // and give the same bits, and the child must exit cleanly.
  Shape S{131, 70, 1000, 1, 0, 1.0, false};
  Operands<float> Ops(S);
  GemmContext Parent;
  bool Split = false;
  std::vector<float> Want = run(Parent, Ops, S, 2, Split);
  ASSERT_TRUE(Split); // the parent's worker has started
  pid_t Child = ::fork();
  ASSERT_GE(Child, 0);
  if (Child == 0) {
    alarm(20); // a hang fails the test instead of blocking it
    GemmContext Ctx;
    bool ChildSplit = true;
    std::vector<float> Got = run(Ctx, Ops, S, 2, ChildSplit);
    std::exit(Got == Want && !ChildSplit ? 0 : 1);
  }
  int Status = 0;
  ASSERT_EQ(::waitpid(Child, &Status, 0), Child);
  ASSERT_TRUE(WIFEXITED(Status)) << "the child was killed (hung or crashed)";
  EXPECT_EQ(WEXITSTATUS(Status), 0);
}

} // namespace
} // namespace netjit
