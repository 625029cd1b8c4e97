//===- fold_rules.cpp - Constant folding inside the simplifier ------------===//
//
// An op whose operands are all constants becomes the constant it computes
// (passes/fold.h, bit-exact with the interpreter). A broadcast of a constant
// is the canonical form of a splat and is not folded on its own: folding it
// would only make the IR bigger. Two cases look through such broadcasts:
//
//   op(broadcast(c1), broadcast(c2))  =>  broadcast(op(c1, c2))
//       for elementwise ops whose broadcast operands have sources of one
//       shape, so even a symbolic shape f32[B,10] folds;
//   op(..., broadcast(c), ...)        =>  constant
//       when the result and every operand have a static shape, by
//       materialising the broadcast for the evaluation only.
//
//===----------------------------------------------------------------------===//
#include "passes/fold.h"
#include "passes/simplify/simplifier.h"

#include <deque>

namespace netjit::simplify {
namespace {

bool hasStaticShape(const TensorType &T) {
  for (const Dim &D : T.Dims)
    if (!D.isConstant())
      return false;
  return true;
}

/// op(broadcast(c1), ...) => broadcast(op(c1, ...)) when every operand is a
/// broadcast of a constant of one shape.
std::optional<NodeId> foldSplats(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  std::vector<NodeId> Sources;
  for (NodeId In : N.Inputs) {
    if (!S.is(In, OpCode::Broadcast))
      return std::nullopt;
    NodeId Src = S.in(In);
    if (!Sources.empty() && S.type(Src).Dims != S.type(Sources[0]).Dims)
      return std::nullopt;
    Sources.push_back(Src);
  }
  NodeId Small = S.make(N.Op, Sources, N.Attributes);
  if (!S.is(Small, OpCode::Constant))
    return std::nullopt; // not foldable (an integer division by zero)
  return S.fire("fold", S.broadcast(Small, N.Type.Dims));
}

} // namespace

std::optional<NodeId> foldRules(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  if (!isFoldable(N.Op) || N.Op == OpCode::Broadcast || N.Inputs.empty())
    return std::nullopt;
  for (NodeId In : N.Inputs)
    if (!S.isConstantLike(In))
      return std::nullopt;
  if (hasTrait(N.Op, kElementwise))
    if (auto R = foldSplats(S, X))
      return R;
  // Materialise broadcast operands (static and small) for the evaluation.
  std::deque<Bytes> Owned;
  std::vector<ConstantRef> Refs;
  for (NodeId In : N.Inputs) {
    const Node &Operand = S.node(In);
    if (Operand.Op == OpCode::Constant) {
      Refs.push_back({&Operand.Type, &Operand.Attributes.getBytes("value")});
      continue;
    }
    const Node &Src = S.node(Operand.Inputs[0]);
    if (!hasStaticShape(Operand.Type))
      return std::nullopt;
    ConstantRef SrcRef{&Src.Type, &Src.Attributes.getBytes("value")};
    std::optional<Bytes> V = foldConstant(OpCode::Broadcast, Operand.Attributes,
                                          Operand.Type, {&SrcRef, 1});
    if (!V)
      return std::nullopt;
    Owned.push_back(std::move(*V));
    Refs.push_back({&Operand.Type, &Owned.back()});
  }
  std::optional<Bytes> V = foldConstant(N.Op, N.Attributes, N.Type, Refs);
  if (!V)
    return std::nullopt;
  return S.fire("fold", S.G.constant(N.Type, std::move(*V)));
}

} // namespace netjit::simplify
