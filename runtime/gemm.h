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
// Products run on the calling thread: small per-call work stays there, and
// the sizes of netjit's models keep one core's GEMM (~130 GFLOP/s) busy.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>

namespace netjit {

/// Flags of a GEMM call: operand A (B) is stored transposed, i.e. as the
/// row-major [K, M] ([N, K]) matrix whose transpose is the operand.
enum GemmFlags : int32_t { kGemmTransA = 1, kGemmTransB = 2 };

/// Persistent packing space for Eigen's GEMM. Not thread-safe: one per
/// calling thread.
class GemmContext {
public:
  GemmContext() = default;
  ~GemmContext();
  GemmContext(const GemmContext &) = delete;
  GemmContext &operator=(const GemmContext &) = delete;

  /// Memory of at least Bytes bytes, 64-byte aligned, kept until a larger
  /// request; Slot 0 packs the left operand, slot 1 the right one.
  void *scratch(int Slot, size_t Bytes);
  /// Bytes held (for tests and reports).
  size_t capacity() const { return Capacity[0] + Capacity[1]; }

private:
  void *Block[2] = {nullptr, nullptr};
  size_t Capacity[2] = {0, 0};
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
