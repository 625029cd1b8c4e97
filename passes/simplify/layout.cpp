//===- layout.cpp - Layout identities -------------------------------------===//
//
// Rules rooted at ops that only move elements: transpose, reshape,
// broadcast, slice and concat. All are exact: they drop or merge data
// movement without touching a value.
//
//===----------------------------------------------------------------------===//
#include "passes/simplify/simplifier.h"

namespace netjit::simplify {
namespace {

bool isIdentity(const std::vector<int64_t> &Perm) {
  for (size_t I = 0; I < Perm.size(); ++I)
    if (Perm[I] != static_cast<int64_t>(I))
      return false;
  return true;
}

std::optional<NodeId> transposeRules(Simplifier &S, NodeId X, NodeId A) {
  std::vector<int64_t> Perm = S.node(X).Attributes.getInts("perm");
  // transpose(x, identity) => x
  if (isIdentity(Perm))
    return S.fire("transpose-identity", A);
  // transpose(transpose(x, p), q) => transpose(x, p[q[i]]); x if identity
  if (S.is(A, OpCode::Transpose)) {
    std::vector<int64_t> Inner = S.node(A).Attributes.getInts("perm"), Composed;
    for (int64_t Q : Perm)
      Composed.push_back(Inner[Q]);
    NodeId Src = S.in(A);
    if (isIdentity(Composed))
      return S.fire("transpose-transpose", Src);
    return S.fire("transpose-transpose",
                  S.make(OpCode::Transpose, {Src}, Attrs{{"perm", Composed}}));
  }
  return std::nullopt;
}

/// slice(x) with starts 0, steps 1 and stops at the dims of x.
bool isWholeSlice(Simplifier &S, NodeId X, NodeId A) {
  const Attrs &At = S.node(X).Attributes;
  std::vector<Dim> Starts = At.getDims("starts"), Stops = At.getDims("stops");
  std::vector<int64_t> Steps = At.getInts("steps");
  const Shape &Dims = S.type(A).Dims;
  for (size_t D = 0; D < Dims.size(); ++D)
    if (Starts[D] != Dim(0) || Steps[D] != 1 || Stops[D] != Dims[D])
      return false;
  return true;
}

} // namespace

std::optional<NodeId> layoutRules(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  NodeId A = N.Inputs[0];
  const Shape &To = N.Type.Dims;
  // reshape/transpose/slice(broadcast(s)) => broadcast(s) for a scalar s
  if ((N.Op == OpCode::Reshape || N.Op == OpCode::Transpose ||
       N.Op == OpCode::Slice) &&
      S.is(A, OpCode::Broadcast) && S.type(S.in(A)).rank() == 0)
    return S.fire("layout-splat", S.broadcast(S.in(A), To));
  switch (N.Op) {
  case OpCode::Transpose:
    return transposeRules(S, X, A);
  case OpCode::Reshape:
    // reshape(x) to the shape of x => x
    if (S.type(A).Dims == To)
      return S.fire("reshape-same", A);
    // reshape(reshape(x)) => reshape(x)
    if (S.is(A, OpCode::Reshape))
      return S.fire("reshape-reshape", S.reshape(S.in(A), To));
    return std::nullopt;
  case OpCode::Broadcast:
    // broadcast(x) to the shape of x => x
    if (S.type(A).Dims == To)
      return S.fire("broadcast-same", A);
    // broadcast(broadcast(x)) => broadcast(x)
    if (S.is(A, OpCode::Broadcast))
      return S.fire("broadcast-broadcast", S.broadcast(S.in(A), To));
    return std::nullopt;
  case OpCode::Slice:
    // slice(x) of the whole extent => x
    if (isWholeSlice(S, X, A))
      return S.fire("slice-whole", A);
    return std::nullopt;
  case OpCode::Concat:
    // concat(x) => x
    if (N.Inputs.size() == 1)
      return S.fire("concat-one", A);
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

} // namespace netjit::simplify
