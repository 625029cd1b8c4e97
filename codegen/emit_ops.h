//===- emit_ops.h - Scalar LLVM IR for netjit's elementwise ops
//-------------===//
//
// The instruction sequences every emitter shares: one elementwise op on
// register values (the interpreter's semantics exactly: NaN-propagating
// maximum and clip, saturating float-to-int casts, wrapping integer
// arithmetic, checked integer division), transcendental functions (behind
// one switch: netjit's vector math where it exists, LLVM intrinsics or libm
// otherwise), and the accumulate step of sum / max / min reductions.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/ir_text.h"
#include "ir/graph.h"

#include <span>
#include <string>

namespace netjit::codegen {

/// The result of one elementwise op; DivByZero is an i1 that is true when an
/// integer division's divisor was 0 (empty for every other op).
struct OpValue {
  std::string Value;
  std::string DivByZero;
};

/// Emits node N (an elementwise op, a constant or a cast) on operand values
/// Ops of types OpTypes. Constants become literals; no instruction is
/// written for stop_gradient.
OpValue emitElementwise(FunctionWriter &F, const Node &N,
                        std::span<const std::string> Ops,
                        std::span<const DType> OpTypes);

/// Converts V from one dtype to another like the interpreter's cast.
std::string emitCast(FunctionWriter &F, const std::string &V, DType From,
                     DType To);

/// exp(X) for an X known to be <= 0 or NaN (vecmathExpNonPositive).
std::string emitExpNonPositive(FunctionWriter &F, DType T,
                               const std::string &X);

/// exp, log, log1p, expm1, tanh, sigmoid, softplus, pow, sqrt, rsqrt on T.
std::string emitMath(FunctionWriter &F, OpCode Op, DType T,
                     std::span<const std::string> Ops);

/// How a sum / max / min accumulates: float sums in double (as the
/// interpreter), with `reassoc contract nsz` unless Strict; max and min with
/// llvm.maximum / llvm.minimum (NaN-propagating, vectorizable) or smax/smin.
struct Reducer {
  OpCode Op;
  DType T;
  bool Strict = false;
  /// False for the f32 partial sums of one block of a k-loop.
  bool Wide = true;
  /// Float max/min as `nnan nsz` maxnum/minnum (a plain vmaxps): only for
  /// accumulators whose caller tracks NaN terms separately (the result is
  /// poison once a NaN was combined).
  bool NaNFree = false;

  Reducer(OpCode Op, DType T, bool Strict, bool Wide = true)
      : Op(Op), T(T), Strict(Strict), Wide(Wide) {}
  /// The accumulator's dtype.
  DType accType() const;
  std::string accTypeName() const { return std::string(regType(accType())); }
  /// The accumulator's start value (0, -inf / lowest, +inf / highest).
  std::string identity() const;
  /// A term of dtype T converted to the accumulator type.
  std::string toAcc(FunctionWriter &F, const std::string &V) const;
  /// The final accumulator converted back to T.
  std::string fromAcc(FunctionWriter &F, const std::string &V) const;
  /// Emits `Name = combine(A, B)` (Name empty: a fresh name); returns it.
  std::string combine(FunctionWriter &F, const std::string &A,
                      const std::string &B, const std::string &Name = "") const;
};

} // namespace netjit::codegen
