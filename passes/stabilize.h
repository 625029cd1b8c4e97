//===- stabilize.h - Lift naive formulas into numerically stable ops ------===//
//
// The stabilize pass runs before autodiff and rewrites the textbook spelling
// of a loss into the high-level ops that carry hand-written, stable forward
// code and adjoints (DESIGN.md decision 4), so the gradient graph is built
// from the stable forward graph. Every rule is listed, with an example, in
// docs/passes.md; each hit is counted as "stabilize.<rule>".
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/pass.h"

namespace netjit {

/// Rewrites, on float tensors:
///   log(softmax(x))                 => log_softmax(x)
///   log(sum(exp(x)))                => logsumexp(x)        (same axes)
///   log(1 + exp(x))                 => softplus(x)
///   log(sigmoid(x))                 => -softplus(-x)
///   1 - sigmoid(x)                  => sigmoid(-x)
///   exp(x) / sum(exp(x)) broadcast  => softmax(x)          (one axis)
///   log(1 + x)                      => log1p(x)
///   exp(x) - 1                      => expm1(x)
///   log(gather(softmax(z), i))      => gather(log_softmax(z), i)
///   gather(log_softmax(z), i)       => -softmax_xent(z, labels)  (last axis)
///   sum(one_hot(t) * log_softmax(z)) => -softmax_xent(z, t)      (last axis)
/// and cancels the negation of the last two under a neg.
///
/// Assumes a verified graph; `grad` nodes may be present (they are rebuilt
/// on the rewritten cost). Guarantees: the same interface and types; for
/// finite inputs the values agree with the naive form up to rounding wherever
/// that form is finite, and are finite (the correct limit) where it overflowed
/// to inf or NaN. NaN inputs still give NaN. The one_hot cross-entropy rule
/// is exact whenever log_softmax(z) is finite, which it is for finite z. A
/// single run reaches a fixed point: nodes a rule creates go through the
/// rules too.
class StabilizePass : public Pass {
public:
  std::string_view name() const override { return "stabilize"; }
  bool run(Graph &G, PassContext &Ctx) override;
};

} // namespace netjit
