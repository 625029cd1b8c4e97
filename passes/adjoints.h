//===- adjoints.h - One adjoint (vector-Jacobian) rule per op -------------===//
//
// The reverse-mode rule of every op in ir/ops.def: given a node y = op(x...)
// and the adjoint g = dCost/dy, build dCost/dx_i for each operand as ordinary
// graph nodes. The rules emit differentiable ops only (so gradients of
// gradients work), are linear in g (so the double-reverse JVP of
// passes/derivatives.h is exact), undo broadcasting with reductions, and
// never multiply by a constant one. The rules live in adjoints.cpp, one
// switch over the op table without a default case: an op added to ops.def
// without an adjoint rule fails to build. A multi-result node (a scan) takes
// one adjoint per result instead (multiResultAdjoints); the scan's rule, a
// reverse scan over the adjoint of its body, is in adjoints_scan.cpp.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "ir/graph.h"

#include <memory>
#include <span>
#include <vector>

namespace netjit {

/// The adjoints of Y's operands, given G, the adjoint of Y (Y's type).
/// Entry I is an invalid NodeId when operand I has no gradient: when
/// Needs[I] is false (the caller does not want it), when the operand is an
/// integer or bool (labels, indices, keys, conditions), or when the op is
/// not differentiable there (sign, comparisons, argmax, one_hot, random
/// ops, stop_gradient). A valid entry has exactly operand I's type.
/// Throws Error for a multi-result op (scan, kernel: see
/// multiResultAdjoints) and for `result` (the sweep hands its adjoint to
/// its tuple).
std::vector<NodeId> operandAdjoints(Builder &B, NodeId Y, NodeId G,
                                    const std::vector<bool> &Needs);

/// The adjoints of the operands of a multi-result node Y, given the adjoint
/// of each of its results (one entry per result; an invalid entry is a
/// result the cost does not depend on). Entries as operandAdjoints. A scan
/// gets a reverse scan (back-propagation through time; honouring its
/// `bptt_limit`); a fused kernel throws Error (autodiff runs before fuse).
std::vector<NodeId> multiResultAdjoints(Builder &B, NodeId Y,
                                        std::span<const NodeId> ResultAdjoints,
                                        const std::vector<bool> &Needs);

/// Whether a scan body with NumCarry carries returns its incoming carries
/// as its last NumCarry per-step outputs (so the scan stacks them).
bool stacksIncomingCarries(const Graph &Body, size_t NumCarry);

/// A copy of a scan body that also returns its NumCarry incoming carries
/// as extra per-step outputs, after its own.
std::shared_ptr<const Graph> withStackedCarries(const Graph &Body,
                                                size_t NumCarry);

/// Whether X is known to be all ones: a constant one, or a broadcast or
/// reshape of one. Rules use it to skip multiplications by a seed of ones.
bool isOne(const Graph &G, NodeId X);

} // namespace netjit
