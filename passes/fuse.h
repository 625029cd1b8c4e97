//===- fuse.h - Grouping a lowered graph into kernels
//----------------------===//
//
// The fuse pass turns chains of elementwise ops and the reductions they feed
// into `kernel` nodes, each one loop nest over an [R, K] domain (the model,
// the op rules and the schedule of a kernel body are in passes/kernel_info.h).
// It runs last, after `lower`: codegen's pipeline is
// "<default>,lower,fix(simplify,cse),fuse" (docs/passes.md).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/pass.h"

#include <cstddef>

namespace netjit {

/// A kernel may repeat at most this many transcendental evaluations per
/// element across its loops (KernelInfo::RecomputeCost; softmax's gradient,
/// which evaluates exp(z - m) in two loops, costs 1).
inline constexpr int kFuseRecomputeBudget = 2;
/// A kernel has at most this many k-loops per row.
inline constexpr int kFuseMaxLoops = 4;
/// A kernel holds at most this many nodes of the graph (which keeps fusion
/// linear in the graph's size and each kernel's code small).
inline constexpr size_t kFuseMaxKernelNodes = 256;

/// Groups nodes into kernels:
///  - reductions are first put in [R, K] form: sum/max/min over a prefix or
///    suffix of the axes reduce a (free) reshape to 2-D; other axis sets
///    transpose the reduced axes last first;
///  - in topological order, each fusable node (elementwise, sum/max/min,
///    gather along the last axis with one index per row, one_hot) joins the
///    kernel(s) of its producers when the merged body still fits the model
///    (kernel_info.h), creates no cycle between kernels, and passes the cost
///    veto (recompute budget, loop count, kernel size); otherwise it
///    starts a kernel;
///  - broadcast and reshape are index maps: copied into every kernel that
///    reads them, never materialized (a broadcast still needed outside is a
///    kernel of its own; reshape outside kernels is a free view); scalar
///    constants, dim_value and up to 16 scalar ops on them are copied too
///    (a longer scalar chain is computed once, by a kernel of its own);
///  - matmul, transpose, slice, pad, concat, argmax, gather and scatter_add
///    in other forms, random ops, scan, and high-level ops left unlowered
///    stay outside, as kernel boundaries.
/// A value used outside its kernel becomes a kernel result (`result` nodes).
/// Deterministic: the same graph always gives the same kernels. Counts
/// "fuse.kernels", "fuse.merged", "fuse.veto-recompute", "fuse.veto-loops",
/// "fuse.veto-size", "fuse.reshape-reduction".
class FusePass : public Pass {
public:
  std::string_view name() const override { return "fuse"; }
  bool run(Graph &G, PassContext &Ctx) override;
};

} // namespace netjit
