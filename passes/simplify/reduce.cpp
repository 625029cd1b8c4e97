//===- reduce.cpp - Reduction identities ----------------------------------===//
//
// Rules rooted at sum, mean, max and min. A reduction's accumulation order
// is unspecified (ops.def), and so is the sign of a zero sum (the
// interpreter starts from +0.0, numpy from the first element), so a sum of n
// equal terms may become n * x, the correctly rounded value. Identities that
// hold only for a non-empty reduction run by default when the reduced extent
// is a constant >= 1, and under FastMath when it is symbolic (it may be 0:
// sum of nothing is 0 where inf * 0 is NaN, max of nothing is -inf).
//
//===----------------------------------------------------------------------===//
#include "passes/simplify/simplifier.h"

#include <algorithm>

namespace netjit::simplify {
namespace {

/// The product of the dims of Shape on Axes.
Dim extent(const Shape &Dims, const std::vector<int64_t> &Axes) {
  Dim N = 1;
  for (int64_t Ax : Axes)
    N = N * Dims[Ax];
  return N;
}

/// The shape of the reduction's result when its operand is Rank-aligned Src
/// (leading 1s for the dims a broadcast prepended).
Shape reducedShape(const Shape &Aligned, const std::vector<int64_t> &Axes,
                   bool KeepDims) {
  Shape Out;
  for (size_t D = 0; D < Aligned.size(); ++D) {
    bool Reduced =
        std::count(Axes.begin(), Axes.end(), static_cast<int64_t>(D)) > 0;
    if (!Reduced)
      Out.push_back(Aligned[D]);
    else if (KeepDims)
      Out.push_back(1);
  }
  return Out;
}

/// sum(broadcast(z)) => broadcast(z * n), mean/max/min(broadcast(z)) =>
/// broadcast(z), when every reduced axis is one the broadcast created (a
/// new leading axis or a size-1 axis of z).
std::optional<NodeId> reduceBroadcast(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  NodeId Y = N.Inputs[0];
  if (!S.is(Y, OpCode::Broadcast) || N.Op == OpCode::LogSumExp)
    return std::nullopt;
  NodeId Z = S.in(Y);
  const Shape &To = S.type(Y).Dims, &From = S.type(Z).Dims;
  size_t Off = To.size() - From.size();
  std::vector<int64_t> Axes = N.Attributes.getInts("axes");
  for (int64_t Ax : Axes)
    if (static_cast<size_t>(Ax) >= Off && From[Ax - Off] != Dim(1))
      return std::nullopt; // a real axis of z is reduced
  Dim Count = extent(To, Axes);
  if (!(Count.isConstant() && Count.constant() >= 1) && !S.fast())
    return std::nullopt;
  NodeId V = Z;
  if (N.Op == OpCode::Sum && Count != Dim(1)) {
    DType T = S.type(Z).Dtype;
    NodeId C = S.B.dimValue(Count, T);
    V = S.make(OpCode::Mul, {Z, S.broadcast(C, From)});
  }
  Shape Aligned(Off, Dim(1));
  Aligned.insert(Aligned.end(), From.begin(), From.end());
  Shape Reduced = reducedShape(Aligned, Axes, N.Attributes.getBool("keepdims"));
  return S.fire("reduce-broadcast",
                S.broadcast(S.reshape(V, Reduced), N.Type.Dims));
}

/// sum(one_hot(t) * y, last axis) => gather(y, t) [fast]: the sum also
/// adds 0 * y[j] for every other class j, which is NaN when y[j] is inf or
/// NaN, while the gather reads y[t] alone. (An out-of-range label is an
/// error either way.)
std::optional<NodeId> oneHotGather(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  NodeId M = N.Inputs[0];
  size_t Rank = S.type(M).rank();
  std::vector<int64_t> Axes = N.Attributes.getInts("axes");
  if (!S.fast() || N.Op != OpCode::Sum || !S.is(M, OpCode::Mul) || Rank == 0 ||
      Axes != std::vector<int64_t>{static_cast<int64_t>(Rank - 1)})
    return std::nullopt;
  for (int I : {0, 1}) {
    NodeId H = S.in(M, I), Y = S.in(M, 1 - I);
    if (!S.is(H, OpCode::OneHot))
      continue;
    NodeId Labels = S.in(H);
    Shape IdxShape = S.type(Labels).Dims;
    IdxShape.push_back(1);
    NodeId G = S.make(OpCode::Gather, {Y, S.reshape(Labels, IdxShape)},
                      Attrs{{"axis", static_cast<int64_t>(Rank - 1)}});
    return S.fire("one-hot-gather", S.reshape(G, N.Type.Dims));
  }
  return std::nullopt;
}

} // namespace

std::optional<NodeId> reduceRules(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  if (N.Op == OpCode::LogSumExp)
    return std::nullopt;
  // sum/mean/max/min over axes of extent 1 => reshape(x)
  std::vector<int64_t> Axes = N.Attributes.getInts("axes");
  if (extent(S.type(N.Inputs[0]).Dims, Axes) == Dim(1))
    return S.fire("reduce-trivial", S.reshape(N.Inputs[0], N.Type.Dims));
  if (auto R = reduceBroadcast(S, X))
    return R;
  return oneHotGather(S, X);
}

} // namespace netjit::simplify
