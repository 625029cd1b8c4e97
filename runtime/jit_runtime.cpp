//===- jit_runtime.cpp - Runtime functions compiled code calls ------------===//
//
// The Philox fills behind `random_uniform` and `random_normal` (bit-identical
// to the interpreter's draws: the same functions of runtime/philox.h, a
// uniform block computed once for its four words) and the function table
// handed to compiled code in every CallState.
//
//===----------------------------------------------------------------------===//
#include "runtime/jit_runtime.h"

#include "runtime/gemm.h"
#include "runtime/philox.h"

namespace netjit {
namespace {

template <class T> void fillUniform(T *Out, int64_t N, int64_t Key) {
  PhiloxKey K = philoxKey(Key);
  for (int64_t Block = 0; Block * 4 < N; ++Block) {
    uint64_t B = static_cast<uint64_t>(Block);
    PhiloxCounter Words = philox4x32(
        {static_cast<uint32_t>(B), static_cast<uint32_t>(B >> 32), 0, 0}, K);
    for (int64_t W = 0; W < 4 && Block * 4 + W < N; ++W)
      Out[Block * 4 + W] = static_cast<T>(uniformFromBits(Words[W]));
  }
}

template <class T> void fillNormal(T *Out, int64_t N, int64_t Key) {
  for (int64_t I = 0; I < N; ++I)
    Out[I] = static_cast<T>(philoxNormal(Key, static_cast<uint64_t>(I)));
}

} // namespace

const RuntimeFunctions &runtimeFunctions() {
  static const RuntimeFunctions Table = {
      reinterpret_cast<void *>(&netjit_gemm_f32),
      reinterpret_cast<void *>(&netjit_gemm_f64),
      reinterpret_cast<void *>(&netjit_gemm_i32),
      reinterpret_cast<void *>(&netjit_gemm_i64),
      reinterpret_cast<void *>(&netjit_random_uniform_f32),
      reinterpret_cast<void *>(&netjit_random_uniform_f64),
      reinterpret_cast<void *>(&netjit_random_normal_f32),
      reinterpret_cast<void *>(&netjit_random_normal_f64),
  };
  return Table;
}

} // namespace netjit

extern "C" {

void netjit_random_uniform_f32(float *Out, int64_t N, int64_t Key) {
  netjit::fillUniform(Out, N, Key);
}
void netjit_random_uniform_f64(double *Out, int64_t N, int64_t Key) {
  netjit::fillUniform(Out, N, Key);
}
void netjit_random_normal_f32(float *Out, int64_t N, int64_t Key) {
  netjit::fillNormal(Out, N, Key);
}
void netjit_random_normal_f64(double *Out, int64_t N, int64_t Key) {
  netjit::fillNormal(Out, N, Key);
}

} // extern "C"
