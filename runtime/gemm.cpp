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
// Large float products are split by rows of C between the calling thread and
// a process-wide worker (see gemm.h). Both halves use the full product's kc
// and mc (Eigen's blocks along K and N), and the split row is a multiple of 8
// (Eigen's register block along M is 4): every element of C then sees the
// same kernel path and summation order as in the single-threaded product.
//
//===----------------------------------------------------------------------===//
#include "runtime/gemm.h"

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <type_traits>

namespace netjit {

GemmContext::~GemmContext() {
  for (void *P : Block)
    std::free(P);
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
/// from a GemmContext (slots 0 and 1, or 2 and 3 for the worker's half).
/// Sizes follow gemm_blocking_space for a row-major result (Eigen computes
/// the transposed, column-major product, whose "rows" are N and "columns" M).
template <class T> class ContextBlocking : public ei::level3_blocking<T, T> {
public:
  ContextBlocking(GemmContext &Ctx, int FirstSlot, Index M, Index N, Index K) {
    this->m_mc = N;
    this->m_nc = M;
    this->m_kc = K;
    ei::computeProductBlockingSizes<T, T, 1>(this->m_kc, this->m_mc, this->m_nc,
                                             Index(1));
    Index SizeA = std::max(this->m_mc * this->m_kc, N * std::min(K, kMaxKc));
    Index SizeB =
        std::max(this->m_kc * this->m_nc, std::min(K * M, kMaxRhsBlock));
    this->m_blockA = static_cast<T *>(
        Ctx.scratch(FirstSlot, sizeof(T) * static_cast<size_t>(SizeA)));
    this->m_blockB = static_cast<T *>(
        Ctx.scratch(FirstSlot + 1, sizeof(T) * static_cast<size_t>(SizeB)));
  }
  /// Keeps the blocking for a band of Rows rows of C: kc and mc are the
  /// whole product's, which fixes each element's summation order.
  void restrictRows(Index Rows) { this->m_nc = std::min(this->m_nc, Rows); }
};

/// One GEMM call's operands.
template <class T> struct GemmArgs {
  Index M, N, K;
  const T *A;
  Index Lda;
  const T *B;
  Index Ldb;
  T *C;
  Index Ldc;
  T Alpha;
  bool Accumulate;
  Index Batch, StrideA, StrideB, StrideC;
};

template <class T, int Order>
using MatrixMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>,
               Eigen::Unaligned, Eigen::OuterStride<>>;

/// Sets Rows rows of N elements, Ldc apart, to zero: one memset when they
/// are contiguous. (Eigen's setZero on a strided map compiles to a `rep
/// stos` per row, whose start-up cost made small products up to twice as
/// slow.)
template <class T> void zeroRows(T *C, Index Rows, Index N, Index Ldc) {
  if (Ldc == N) {
    std::memset(C, 0, sizeof(T) * static_cast<size_t>(Rows * N));
    return;
  }
  for (Index R = 0; R < Rows; ++R)
    std::memset(C + R * Ldc, 0, sizeof(T) * static_cast<size_t>(N));
}

/// Rows [Row0, Row1) of every product of the batch, with A and B in the
/// given storage orders (RowMajor for a plain operand, ColMajor for a
/// transposed one).
template <class T, int AOrder, int BOrder>
void productRows(const GemmArgs<T> &G, ei::level3_blocking<T, T> *Blocking,
                 Index Row0, Index Row1) {
  Index Rows = Row1 - Row0;
  const T *A0 = G.A + (AOrder == Eigen::RowMajor ? Row0 * G.Lda : Row0);
  for (Index Bt = 0; Bt < G.Batch; ++Bt) {
    const T *A = A0 + Bt * G.StrideA, *B = G.B + Bt * G.StrideB;
    T *C = G.C + Bt * G.StrideC + Row0 * G.Ldc;
    Eigen::Map<
        Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
        Eigen::Unaligned, Eigen::OuterStride<>>
        Out(C, Rows, G.N, Eigen::OuterStride<>(G.Ldc));
    if (!G.Accumulate)
      zeroRows(C, Rows, G.N, G.Ldc);
    if (G.K == 0)
      continue;
    if (!Blocking) {
      MatrixMap<T, AOrder> LhsMap(A, Rows, G.K, Eigen::OuterStride<>(G.Lda));
      MatrixMap<T, BOrder> RhsMap(B, G.K, G.N, Eigen::OuterStride<>(G.Ldb));
      if (G.Alpha == T(1))
        Out.noalias() += LhsMap.lazyProduct(RhsMap);
      else
        Out.noalias() += G.Alpha * LhsMap.lazyProduct(RhsMap);
      continue;
    }
    ei::general_matrix_matrix_product<Index, T, AOrder, false, T, BOrder, false,
                                      Eigen::RowMajor, 1>::run(Rows, G.N, G.K,
                                                               A, G.Lda, B,
                                                               G.Ldb, C, 1,
                                                               G.Ldc, G.Alpha,
                                                               *Blocking);
  }
}

/// The process's GEMM worker: one thread, started at the first split
/// product, that computes one job at a time. A caller owns it between a
/// successful tryAcquire and release, so callers never queue behind each
/// other; posting and waiting allocate nothing.
class GemmWorker {
public:
  /// The worker, or null if its thread could not be started or this is a
  /// fork()ed child (which has no worker thread: its products run alone).
  /// Never destroyed, like the JIT: compiled functions may run while other
  /// statics are torn down, and a forked child must not join a thread it
  /// does not have.
  static GemmWorker *get() {
    static GemmWorker *W = new GemmWorker();
    return W->Thread.joinable() && W->Creator == ::getpid() ? W : nullptr;
  }
  bool tryAcquire() { return Owner.try_lock(); }
  void release() { Owner.unlock(); }

  void post(void (*Fn)(void *), void *Arg) {
    {
      std::lock_guard<std::mutex> L(Lock);
      Job = Fn;
      JobArg = Arg;
      ++Posted;
    }
    Wake.notify_one();
  }
  void wait() {
    std::unique_lock<std::mutex> L(Lock);
    Finished.wait(L, [&] { return Done == Posted; });
  }

private:
  GemmWorker() {
    try {
      Thread = std::thread([this] { loop(); });
    } catch (const std::system_error &) {
      // No thread: every product runs on its caller.
    }
  }
  void loop() {
    std::unique_lock<std::mutex> L(Lock);
    for (;;) {
      Wake.wait(L, [&] { return Done != Posted; });
      L.unlock();
      Job(JobArg);
      L.lock();
      ++Done;
      Finished.notify_one();
    }
  }

  std::mutex Owner, Lock;
  std::condition_variable Wake, Finished;
  void (*Job)(void *) = nullptr;
  void *JobArg = nullptr;
  uint64_t Posted = 0, Done = 0;
  pid_t Creator = ::getpid();
  std::thread Thread;
};

int threadsFromEnvironment() {
  unsigned Cores = std::thread::hardware_concurrency();
  int Threads = Cores >= 2 ? 2 : 1;
  if (const char *Env = std::getenv("NETJIT_GEMM_THREADS")) {
    char *End = nullptr;
    long V = std::strtol(Env, &End, 10);
    if (End != Env && *End == '\0' && V >= 1)
      Threads = V >= 2 ? 2 : 1;
  }
  return Threads;
}

std::atomic<int> &threadSetting() {
  static std::atomic<int> Threads{threadsFromEnvironment()};
  return Threads;
}

std::atomic<uint64_t> SplitProducts{0};

/// The worker's half of a split product.
template <class T, int AOrder, int BOrder> struct HalfJob {
  const GemmArgs<T> *Args;
  ei::level3_blocking<T, T> *Blocking;
  Index Row0, Row1;
  static void run(void *P) {
    auto *J = static_cast<HalfJob *>(P);
    productRows<T, AOrder, BOrder>(*J->Args, J->Blocking, J->Row0, J->Row1);
  }
};

/// The whole call: the lazy product for tiny sizes, else the blocked GEMM,
/// split in two when it is large enough and the worker is free.
template <class T, int AOrder, int BOrder>
void product(GemmContext &Ctx, const GemmArgs<T> &G) {
  if (G.M == 0 || G.N == 0 || G.Batch <= 0)
    return;
  if (G.M + G.N + G.K < 20 || G.K == 0) {
    productRows<T, AOrder, BOrder>(G, nullptr, 0, G.M);
    return;
  }
  double Flops =
      2.0 * double(G.M) * double(G.N) * double(G.K) * double(G.Batch);
  // Halves rounded to a multiple of 8 rows, both non-empty.
  Index Split = (G.M / 2 + 4) / 8 * 8;
  GemmWorker *W = nullptr;
  if (Flops >= kGemmParallelFlops && Split > 0 && Split < G.M &&
      threadSetting().load(std::memory_order_relaxed) > 1)
    W = GemmWorker::get();
  // Both halves' buffers come from the caller's thread, so nothing the
  // worker runs allocates (or throws).
  ContextBlocking<T> Blocking(Ctx, 0, G.M, G.N, G.K);
  if (!W || !W->tryAcquire()) {
    productRows<T, AOrder, BOrder>(G, &Blocking, 0, G.M);
    return;
  }
  struct Release {
    GemmWorker *W;
    ~Release() { W->release(); }
  } Owned{W};
  ContextBlocking<T> Other(Ctx, 2, G.M, G.N, G.K);
  Blocking.restrictRows(Split);
  Other.restrictRows(G.M - Split);
  HalfJob<T, AOrder, BOrder> Job{&G, &Other, Split, G.M};
  W->post(&HalfJob<T, AOrder, BOrder>::run, &Job);
  productRows<T, AOrder, BOrder>(G, &Blocking, 0, Split);
  W->wait();
  SplitProducts.fetch_add(1, std::memory_order_relaxed);
}

template <class T>
void floatGemm(void *CtxPtr, int32_t Flags, int64_t M, int64_t N, int64_t K,
               const T *A, int64_t Lda, const T *B, int64_t Ldb, T *C,
               int64_t Ldc, T Alpha, int32_t Accumulate, int64_t Batch,
               int64_t StrideA, int64_t StrideB, int64_t StrideC) {
  GemmContext &Ctx = *static_cast<GemmContext *>(CtxPtr);
  bool Acc = Accumulate != 0;
  GemmArgs<T> G{M,   N,     K,   A,     Lda,     B,       Ldb,    C,
                Ldc, Alpha, Acc, Batch, StrideA, StrideB, StrideC};
  constexpr int Row = Eigen::RowMajor, Col = Eigen::ColMajor;
  if (Flags == kGemmTransA)
    product<T, Col, Row>(Ctx, G);
  else if (Flags == kGemmTransB)
    product<T, Row, Col>(Ctx, G);
  else if (Flags == (kGemmTransA | kGemmTransB))
    product<T, Col, Col>(Ctx, G);
  else
    product<T, Row, Row>(Ctx, G);
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

int gemmThreads() { return threadSetting().load(std::memory_order_relaxed); }

void setGemmThreads(int Threads) {
  threadSetting().store(Threads >= 2 ? 2 : 1, std::memory_order_relaxed);
}

uint64_t gemmSplitProducts() {
  return SplitProducts.load(std::memory_order_relaxed);
}

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
