//===- adjoints.h - One adjoint (vector-Jacobian) rule per op -------------===//
//
// The reverse-mode rule of every op in ir/ops.def: given a node y = op(x...)
// and the adjoint g = dCost/dy, build dCost/dx_i for each operand as ordinary
// graph nodes. The rules emit differentiable ops only (so gradients of
// gradients work), are linear in g (so the double-reverse JVP of
// passes/derivatives.h is exact), undo broadcasting with reductions, and
// never multiply by a constant one. The rules live in adjoints.cpp, one
// switch over the op table without a default case: an op added to ops.def
// without an adjoint rule fails to build.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "ir/graph.h"

#include <vector>

namespace netjit {

/// The adjoints of Y's operands, given G, the adjoint of Y (Y's type).
/// Entry I is an invalid NodeId when operand I has no gradient: when
/// Needs[I] is false (the caller does not want it), when the operand is an
/// integer or bool (labels, indices, keys, conditions), or when the op is
/// not differentiable there (sign, comparisons, argmax, one_hot, random
/// ops, stop_gradient). A valid entry has exactly operand I's type.
/// Throws Error for ops whose gradient is not supported (scan).
std::vector<NodeId> operandAdjoints(Builder &B, NodeId Y, NodeId G,
                                    const std::vector<bool> &Needs);

/// Whether X is known to be all ones: a constant one, or a broadcast or
/// reshape of one. Rules use it to skip multiplications by a seed of ones.
bool isOne(const Graph &G, NodeId X);

} // namespace netjit
