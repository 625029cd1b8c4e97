//===- fold.h - Constant folding: evaluating ops on constants -------------===//
//
// The simplify pass replaces an op whose operands are all constants by the
// constant it computes. The values must be exactly those the program would
// compute at run time, so this is a second, small evaluator that mirrors
// runtime/interpreter*.cpp bit for bit: elementwise ops compute in the
// node's dtype (f32 math in float, with the same libm calls), integers wrap,
// float reductions accumulate in double in C order and round once, max/min
// propagate NaN like numpy. (passes/ may not use runtime/, hence the copy;
// tests/passes/fold_test.cpp checks every foldable op against the
// interpreter on random constants.) Whatever would be a runtime error
// (integer division by zero, argmax over an empty axis) is not folded, so the
// error still happens when the program runs.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <optional>
#include <span>

namespace netjit {

/// The largest result, in elements, that folding materialises: a fold that
/// would create a bigger constant is skipped.
inline constexpr int64_t kMaxFoldElements = 4096;

/// A constant operand: its type (static shape) and element bytes.
struct ConstantRef {
  const TensorType *Type;
  const Bytes *Value;
};

/// Whether foldConstant handles Op: elementwise ops (except stop_gradient,
/// which the simplifier removes by rule), reductions, argmax, transpose,
/// reshape, broadcast, slice, pad and concat.
bool isFoldable(OpCode Op);

/// The element bytes of Op {A} applied to Operands, with result type Result,
/// or nullopt when Op is not foldable, Result has a symbolic shape or more
/// than kMaxFoldElements elements, or evaluating would be a runtime error.
std::optional<Bytes> foldConstant(OpCode Op, const Attrs &A,
                                  const TensorType &Result,
                                  std::span<const ConstantRef> Operands);

} // namespace netjit
