//===- gemm.h - Matrix products called by JIT code
//-------------------------===//
//
// The GEMM entry points compiled code calls for every `matmul`: Eigen's
// blocked GEMM (gebp) on row-major operands, with the transposes of either
// operand folded into flags, a batch of equally strided products, a scale
// and an accumulate flag. Eigen allocates its packing buffers on every large
// product unless it is handed persistent ones; a GemmContext holds them,
// grown to the largest product seen, so that a caller's steady state
// allocates nothing. One context per calling thread (a compiled function's
// CallContext owns one).
//
// Threads: a product of at least kGemmParallelFlops (2 M N K, summed over
// the batch) is split by rows of C into two halves, one computed on the
// calling thread and one on netjit's GEMM worker, a single thread created
// once per process and woken through a condition variable. Each half packs
// into its own slots of the GemmContext and uses the blocking of the whole
// product, split at a multiple of Eigen's register block, so the result is
// bit-identical to the single-threaded one. Callers share the worker one at a
// time: a caller that finds it busy computes its product alone, so concurrent
// compiled functions never wait for each other. NETJIT_GEMM_THREADS sets the
// thread count (1 disables the worker; the default is 2, or 1 on a one-core
// machine; larger values mean 2, values that are not positive integers are
// ignored). Smaller products stay on the calling thread, where the handoff
// (~50 us on a loaded 2-core host) would cost more than the second core saves.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>

namespace netjit {

/// Flags of a GEMM call: operand A (B) is stored transposed, i.e. as the
/// row-major [K, M] ([N, K]) matrix whose transpose is the operand.
enum GemmFlags : int32_t { kGemmTransA = 1, kGemmTransB = 2 };

/// Products of at least this many flops (2 M N K times the batch), 2^24 or
/// about 16.8 MFLOP, use two threads when the worker is free. Measured on a
/// 2-core AVX-512 host (~80 GFLOP/s per core), two threads take 0.52x the
/// time at 1024^3 and [256,784]x[784,256], 0.57-0.8x at [64,784]x[784,256]
/// (25.7 MFLOP) and 0.65x at 16.8 MFLOP, but only 0.8-1.1x at 8-13 MFLOP
/// ([32,784]x[784,256]) and lose below 4 MFLOP: the handoff costs ~50 us.
inline constexpr double kGemmParallelFlops = 16777216.0;

/// The threads float products may use (1 or 2); NETJIT_GEMM_THREADS, read at
/// the first call, unless setGemmThreads overrode it.
int gemmThreads();
/// Overrides the thread count (clamped to [1, 2]); for tests and benchmarks.
void setGemmThreads(int Threads);
/// Products split across two threads so far in this process (for tests).
uint64_t gemmSplitProducts();

/// Persistent packing space for Eigen's GEMM. Not thread-safe: one per
/// calling thread.
class GemmContext {
public:
  GemmContext() = default;
  ~GemmContext();
  GemmContext(const GemmContext &) = delete;
  GemmContext &operator=(const GemmContext &) = delete;

  /// Memory of at least Bytes bytes, 64-byte aligned, kept until a larger
  /// request; Slot 0 packs the left operand, slot 1 the right one; slots 2
  /// and 3 are the same for the half of a split product the worker computes.
  void *scratch(int Slot, size_t Bytes);
  /// Bytes held (for tests and reports).
  size_t capacity() const {
    return Capacity[0] + Capacity[1] + Capacity[2] + Capacity[3];
  }

private:
  static constexpr int kSlots = 4;
  void *Block[kSlots] = {nullptr, nullptr, nullptr, nullptr};
  size_t Capacity[kSlots] = {0, 0, 0, 0};
};

} // namespace netjit

extern "C" {
/// C[b] = Alpha * op(A[b]) * op(B[b]) (+ C[b] when Accumulate != 0) for b in
/// [0, Batch): op(A) is [M, K], op(B) is [K, N], C is row-major [M, N] with
/// leading dimension Ldc; A is row-major with leading dimension Lda ([M, K],
/// or [K, M] with kGemmTransA), likewise B. Operand b starts StrideX elements
/// after operand b - 1. Ctx is a netjit::GemmContext.
void netjit_gemm_f32(void *Ctx, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const float *A, int64_t Lda, const float *B, int64_t Ldb,
                     float *C, int64_t Ldc, float Alpha, int32_t Accumulate,
                     int64_t Batch, int64_t StrideA, int64_t StrideB,
                     int64_t StrideC);
void netjit_gemm_f64(void *Ctx, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const double *A, int64_t Lda, const double *B, int64_t Ldb,
                     double *C, int64_t Ldc, double Alpha, int32_t Accumulate,
                     int64_t Batch, int64_t StrideA, int64_t StrideB,
                     int64_t StrideC);
/// Integer products wrap modulo 2^n like the interpreter's (plain loops).
void netjit_gemm_i32(void *Ctx, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const int32_t *A, int64_t Lda, const int32_t *B,
                     int64_t Ldb, int32_t *C, int64_t Ldc, int32_t Alpha,
                     int32_t Accumulate, int64_t Batch, int64_t StrideA,
                     int64_t StrideB, int64_t StrideC);
void netjit_gemm_i64(void *Ctx, int32_t Flags, int64_t M, int64_t N, int64_t K,
                     const int64_t *A, int64_t Lda, const int64_t *B,
                     int64_t Ldb, int64_t *C, int64_t Ldc, int64_t Alpha,
                     int32_t Accumulate, int64_t Batch, int64_t StrideA,
                     int64_t StrideB, int64_t StrideC);
}
