//===- misc.cpp - select, cast and stop_gradient identities ---------------===//
//
// All exact. stop_gradient only matters to autodiff: on a constant it has
// nothing to stop, and twice is once.
//
//===----------------------------------------------------------------------===//
#include "passes/simplify/simplifier.h"

namespace netjit::simplify {

std::optional<NodeId> selectRules(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  NodeId C = N.Inputs[0], A = N.Inputs[1], B = N.Inputs[2];
  // select(c, x, x) => x
  if (A == B)
    return S.fire("select-same", A);
  // select(true, a, b) => a; select(false, a, b) => b
  if (S.isSplat(C, 1.0))
    return S.fire("select-const", A);
  if (S.isSplat(C, 0.0))
    return S.fire("select-const", B);
  // select(not(c), a, b) => select(c, b, a)
  if (S.is(C, OpCode::Not))
    return S.fire("select-not", S.make(OpCode::Select, {S.in(C), B, A}));
  return std::nullopt;
}

std::optional<NodeId> miscRules(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  NodeId A = N.Inputs[0];
  if (N.Op == OpCode::Cast) {
    // cast(x) to the dtype of x => x
    if (S.type(A).Dtype == N.Type.Dtype)
      return S.fire("cast-same", A);
    return std::nullopt;
  }
  // stop_gradient(constant) => constant
  if (S.isConstantLike(A))
    return S.fire("stop-gradient-const", A);
  // stop_gradient(stop_gradient(x)) => stop_gradient(x)
  if (S.is(A, OpCode::StopGradient))
    return S.fire("stop-gradient-twice", A);
  return std::nullopt;
}

} // namespace netjit::simplify
