//===- lower.h - High-level ops to primitives, for codegen ----------------===//
//
// The lower pass runs after autodiff and simplify, when the high-level ops
// have done their job (stable forward values and hand-written adjoints), and
// spells them out in primitives that the fuse pass can put into loop nests:
// max, sum, exp, log, gather, one_hot, select. Every rule is stable (the
// maximum is subtracted before exponentiating) and gives the interpreter's
// value of the high-level op up to rounding, NaN and infinities included.
// It is not in the default pipeline; codegen runs
// "<default>,lower,fix(simplify,cse),fuse" (docs/passes.md).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/pass.h"

namespace netjit {

/// Rewrites (m = max(x, axes) with keepdims, broadcasts implicit):
///   softmax(x, a)      => e / sum(e, a),  e = exp(x - m)
///   log_softmax(x, a)  => s - log(sum(exp(s), a)),  s = x - m
///   logsumexp(x, axes) => select(|m| < inf, m + log(sum(exp(x - m))), m)
///                         (a row of -inf gives -inf, +inf gives +inf, not NaN)
///   softmax_xent(z, t) => logsumexp(z, -1) - gather(z, t[..., None], -1)
///   mean(x, axes)      => sum(x, axes) * (1 / count)   (1 / dim_value when
///                         count is symbolic)
///   scatter_add(i, u) {axis=last} with i: [..., 1]
///                      => select(one_hot(i[..., 0], size), broadcast(u), 0)
/// Counts "lower.<op>". The softmax family shares m and exp(x - m) after
/// cse, so a cross-entropy and its gradient exponentiate once. Labels out of
/// range stay runtime errors (gather and one_hot check them).
class LowerPass : public Pass {
public:
  std::string_view name() const override { return "lower"; }
  bool run(Graph &G, PassContext &Ctx) override;
};

} // namespace netjit
