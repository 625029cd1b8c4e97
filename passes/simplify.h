//===- simplify.h - Constant folding and algebraic simplification ---------===//
//
// The simplify pass rewrites a graph with rules that read like the algebra
// (`x * 1 => x`), plus constant folding (passes/fold.h). Rules are exact by
// default: the rewritten graph computes the same bits, NaN, infinities and
// signed zeros included, as the reference interpreter. Rules that are exact
// only in real arithmetic run only under PassOptions::FastMath. Three
// documented refinements of "the same bits" (docs/passes.md):
//  - libm calls (pow) are specified to within their ulp error, so replacing
//    pow(x, 2) by the correctly rounded square(x) is exact;
//  - a reduction's accumulation order and the sign of a zero sum are
//    unspecified (ops.def), so sum of a broadcast may become a product;
//  - like dead-code elimination, a rewrite may drop a computation whose
//    value is not needed (x in integer x * 0), and with it a runtime error
//    that computation would have raised.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/pass.h"

namespace netjit {

/// Rules (counted as "simplify.<rule>"; [fast] = only with FastMath):
///   fold: an op on constants => the constant (<= kMaxFoldElements), and an
///     elementwise op on broadcast scalars => broadcast of the folded scalar
///   x + (-0.0), x - 0.0, x * 1, x / 1 => x; integer x + 0, x - 0 => x
///   x + 0.0, x - (-0.0) => x [fast]; x * 0, x - x => 0 (exact on integers)
///   x * -1, x / -1, (-0.0) - x => neg(x); neg(neg(x)) => x
///   x - neg(y) => x + y; x + neg(y), neg(y) + x => x - y; neg(x) * neg(y) => x
///   * y pow(x, 1) => x; pow(x, 2) => square(x); pow(x, 0) => 1; pow(x, -1) =>
///   1 / x pow(x, 0.5) => sqrt(x) [fast]; exp(log(x)), log(exp(x)) => x [fast]
///   (x * c1) * c2 => x * (c1 * c2) [fast]
///   abs(neg(x)), abs(abs(x)) => abs(x); square(neg(x)) => square(x)
///   relu(relu(x)) => relu(x); not(not(x)) => x; max/min/and/or(x, x) => x
///   select(c, x, x) => x; select(true, a, b) => a; select(not(c), a, b) =>
///   select(c, b, a) cast to the same dtype => x; stop_gradient(constant) =>
///   constant; stop_gradient(stop_gradient(x)) => stop_gradient(x)
///   transpose(transpose(x)) => transpose(x) (composed perm; identity => x)
///   reshape(reshape(x)) => reshape(x); reshape / broadcast to the same shape
///   => x broadcast(broadcast(x)) => broadcast(x); layout op of a broadcast
///   scalar =>
///     broadcast scalar; slice of the whole extent => x; concat(x) => x
///   sum/mean/max/min(broadcast(x)) over broadcast axes => x * n / x / x / x
///     (n a constant >= 1; a symbolic n [fast])
///   sum(one_hot(t) * y, last axis) => gather(y, t) [fast]
///
/// Assumes a verified graph. Guarantees the same interface and types. The
/// operand of a `grad` as `wrt` is kept as it is (its identity is what the
/// gradient is taken with respect to). Scan bodies are not rewritten. Nodes
/// a rule creates go through the rules too, so one run reaches most fixed
/// points; run it in `fix(simplify,cse)` for the rest.
class SimplifyPass : public Pass {
public:
  std::string_view name() const override { return "simplify"; }
  bool run(Graph &G, PassContext &Ctx) override;
};

} // namespace netjit
