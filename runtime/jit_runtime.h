//===- jit_runtime.h - The state and functions JIT code shares with C++
//----===//
//
// Compiled code reaches the runtime through one CallState per call: it
// writes an error status there (which check failed, the bad index and its
// bound) and calls the runtime through the function table it points to, so
// the JIT needs no symbol from the host process and compiled code is free of
// absolute addresses. Emitted IR accesses both structs by the byte offsets
// below (codegen/emit_*.cpp), so their layout is an ABI: change it only
// together with the emitter.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>

namespace netjit {

/// Status codes compiled code returns (0 is success).
enum StatusCode : int32_t {
  kStatusOk = 0,
  /// An index (a gather/one_hot/scatter_add label) outside [0, Bound).
  kStatusIndexOutOfRange = 1,
  /// An integer division by zero.
  kStatusDivisionByZero = 2,
};

/// The runtime functions compiled code calls, by pointer.
struct RuntimeFunctions {
  void *GemmF32, *GemmF64, *GemmI32, *GemmI64; // runtime/gemm.h signatures
  /// void (T *Out, int64_t N, int64_t Key): Philox draws, element i of the
  /// stream in Out[i] (runtime/philox.h).
  void *UniformF32, *UniformF64, *NormalF32, *NormalF64;
};

/// The functions of this process.
const RuntimeFunctions &runtimeFunctions();

/// Per-call state of compiled code; the caller zeroes the status fields.
struct CallState {
  int32_t Code = kStatusOk;
  /// The failing check: an index into the compiled function's site table.
  int32_t Site = 0;
  /// The offending value and the bound it broke ([0, Bound)).
  int64_t Value = 0, Bound = 0;
  /// The GemmContext of the calling thread.
  void *Gemm = nullptr;
  const RuntimeFunctions *Functions = nullptr;
};

/// Byte offsets the emitter uses.
inline constexpr size_t kStateCode = offsetof(CallState, Code);
inline constexpr size_t kStateSite = offsetof(CallState, Site);
inline constexpr size_t kStateValue = offsetof(CallState, Value);
inline constexpr size_t kStateBound = offsetof(CallState, Bound);
inline constexpr size_t kStateGemm = offsetof(CallState, Gemm);
inline constexpr size_t kStateFunctions = offsetof(CallState, Functions);

} // namespace netjit

extern "C" {
/// Fill Out[0, N) with elements [0, N) of a Philox stream under Key.
void netjit_random_uniform_f32(float *Out, int64_t N, int64_t Key);
void netjit_random_uniform_f64(double *Out, int64_t N, int64_t Key);
void netjit_random_normal_f32(float *Out, int64_t N, int64_t Key);
void netjit_random_normal_f64(double *Out, int64_t N, int64_t Key);
}
