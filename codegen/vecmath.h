//===- vecmath.h - Vectorizable exp, log, tanh, ... as LLVM IR text -------===//
//
// netjit's own transcendental functions, written as LLVM IR text that a
// kernel module appends to itself. Each function is straight-line code:
// integer bit tricks, polynomials and selects, no branches, no calls and no
// loops, so after inlining LLVM's loop vectorizer turns a loop calling it into
// full-width SIMD for the host (16 floats per zmm register with AVX-512),
// which glibc's scalar libm and LLVM 19's libmvec mapping (exp/log only, at
// most 8 lanes) do not give. f32 functions compute in f32 and f64 in f64.
//
// The functions are `internal` and `alwaysinline`, use no attribute groups,
// no metadata and no intrinsics (so no `declare` can clash with the kernel
// module's), and are dropped by O3 when unused. Their accuracy is stated by
// vecmathMaxUlps and checked over the whole input range by
// tests/codegen/vecmath_test.cpp; docs/codegen.md ("Vector math") describes
// the algorithms.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dtype.h"
#include "ir/ops.h"

#include <string>

namespace netjit {

/// The LLVM IR text of netjit's math functions for one element type (F32 or
/// F64), to be appended to a module. For T = F32 it defines
/// `float @netjit.exp.f32(float)` and likewise `@netjit.log.f32`,
/// `@netjit.log1p.f32`, `@netjit.expm1.f32`, `@netjit.tanh.f32`,
/// `@netjit.sigmoid.f32`, `@netjit.softplus.f32` and `@netjit.expneg.f32`
/// (vecmathExpNonPositive); for F64 the `.f64`
/// variants on `double`. Special values follow C99 Annex F (exp(-inf) = 0,
/// log(0) = -inf, log(-1) = NaN, tanh(-0) = -0, NaN in gives NaN out, ...),
/// and subnormal inputs and results are handled, not flushed.
std::string vecmathIR(DType T);

/// The name of the function computing Op on T ("netjit.exp.f32", without the
/// `@`), or an empty string when Op needs no helper (add, sqrt, ...) or T is
/// not a float type.
std::string vecmathFunction(OpCode Op, DType T);

/// The name of exp for arguments known not to be positive
/// ("netjit.expneg.f32"): for x <= 0 and NaN its result is netjit.exp's,
/// bit for bit, in fewer instructions; for x > 0 it is unspecified. Kernels
/// call it for softmax's exp(x - max(x)); sigmoid and softplus use it for
/// their exp(-|x|).
std::string vecmathExpNonPositive(DType T);

/// The stated maximum error of vecmathFunction(Op, T) over its whole domain,
/// in units in the last place of the exact result: |y - f(x)| / ulp(f(x)),
/// where ulp(v) is the spacing of T's numbers at |v| (subnormal spacing below
/// the smallest normal). A correctly rounded function scores at most 0.5.
/// Zero when Op has no helper.
double vecmathMaxUlps(OpCode Op, DType T);

} // namespace netjit
