//===- autodiff.h - Reverse-mode automatic differentiation ----------------===//
//
// The autodiff pass expands every `grad(cost, wrt)` request into ordinary
// nodes of the same graph, by reverse accumulation with the per-op rules of
// passes/adjoints.h.
//
// What it does: it rebuilds the graph in topological order (passes/rewrite.h),
// so an outer grad sees every inner grad already expanded and gradients of
// gradients work. For each distinct cost it runs one reverse sweep over the
// nodes that lie between the requested wrt nodes and the cost, seeding the
// cost's adjoint with 1 and accumulating adjoints with add-or-set; each grad
// node becomes the adjoint of its wrt (zeros when the cost does not depend
// on it). Gradients do not flow through integer or bool values,
// stop_gradient, or the non-differentiable ops (see adjoints.h).
//
// Scans: grad requests inside a scan body are expanded first (the pass runs
// on the body, recursively). A scan on a gradient path is rebuilt with a body
// that also returns its incoming carries, so the forward pass stacks them
// ([T, carry...]) for the reverse scan that back-propagates through time
// (passes/adjoints_scan.cpp).
//
// What it assumes: the graph verifies; the costs are float scalars (the
// type rule of `grad` enforces it, as it rejects an integer wrt).
//
// What it guarantees: no `grad` node is left in the live graph; the pass is
// linear in the size of the graph for a fixed number of distinct costs; a
// graph without grad requests is left untouched (reported unchanged).
// Throws Error when a gradient must cross an op without gradient support
// (a fused kernel).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "passes/pass.h"

#include <span>
#include <vector>

namespace netjit {

class AutodiffPass : public Pass {
public:
  std::string_view name() const override { return "autodiff"; }
  bool run(Graph &G, PassContext &Ctx) override;
};

/// One reverse sweep, built eagerly in B's graph: the adjoints of the Wrt
/// nodes (one entry per Wrt, each of its wrt's type, zeros where Cost does
/// not depend on it) for the adjoint Seed of Cost (Cost's type; an invalid
/// Seed means 1, which needs a scalar Cost). The nodes between Wrt and Cost
/// must not contain unexpanded grad requests.
std::vector<NodeId> reverseAccumulate(Builder &B, NodeId Cost,
                                      std::span<const NodeId> Wrt,
                                      NodeId Seed = {});

/// The vector-Jacobian product of several values at once, built eagerly in
/// B's graph: the adjoints of the Wrt nodes (as reverseAccumulate) when
/// Seeds[I] is the adjoint of Outputs[I] (of its type). An output listed
/// twice gets the sum of its seeds; an output no Wrt reaches is ignored.
/// The result is linear in the seeds.
std::vector<NodeId> vectorJacobianProduct(Builder &B,
                                          std::span<const NodeId> Outputs,
                                          std::span<const NodeId> Seeds,
                                          std::span<const NodeId> Wrt);

} // namespace netjit
