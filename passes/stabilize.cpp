//===- stabilize.cpp - Lift naive formulas into numerically stable ops ----===//
//
// The rules match on the rewritten operands (rebuild() visits nodes in
// topological order), grouped by the op at the root of the pattern: log,
// sub, div, gather, sum and neg. A node that a rule builds is offered to the
// rules again (Stabilizer::make), so log(gather(softmax(z), i)) reaches the
// fused cross-entropy in one run and the pass is idempotent.
//
//===----------------------------------------------------------------------===//
#include "passes/stabilize.h"

#include "ir/builder.h"
#include "passes/rewrite.h"

#include <cstring>
#include <unordered_set>

namespace netjit {
namespace {

class Stabilizer {
public:
  Stabilizer(Builder &B, PassContext &Ctx) : B(B), G(B.graph()), Ctx(Ctx) {}

  /// The replacement for Op(Ins) {A} if a rule matches.
  std::optional<NodeId> tryRules(OpCode Op, std::span<const NodeId> Ins,
                                 const Attrs &A);

private:
  /// Op(Ins) {A}, after the rules had a chance to replace it.
  NodeId make(OpCode Op, std::vector<NodeId> Ins, const Attrs &A = {});
  NodeId fire(std::string_view Rule, NodeId Result) {
    Ctx.count("stabilize." + std::string(Rule));
    return Result;
  }

  const Node &node(NodeId X) const { return G.node(X); }
  bool is(NodeId X, OpCode Op) const { return node(X).Op == Op; }
  NodeId in(NodeId X, size_t I = 0) const { return node(X).Inputs[I]; }
  bool isOne(NodeId X) const;
  /// -X, without a double negation when X is itself a negation.
  NodeId negate(NodeId X) {
    return is(X, OpCode::Neg) ? in(X) : B.unary(OpCode::Neg, X);
  }
  /// For X = 1 + Y or Y + 1, the Y.
  std::optional<NodeId> onePlus(NodeId X) const;
  std::optional<int64_t> rowSumAxis(NodeId Den, NodeId Num) const;
  /// -softmax_xent(Z, Labels) shaped like the reduction Shape/keepdims.
  NodeId negXent(NodeId Z, NodeId Labels, bool KeepLast);

  std::optional<NodeId> logRules(NodeId X);
  std::optional<NodeId> subRules(NodeId X, NodeId Y);
  std::optional<NodeId> divRules(NodeId X, NodeId Y);
  std::optional<NodeId> gatherRule(NodeId X, NodeId Idx, const Attrs &A);
  std::optional<NodeId> oneHotXentRule(NodeId X, const Attrs &A);

  Builder &B;
  Graph &G;
  PassContext &Ctx;
  /// The negations the cross-entropy rules introduced (neg of them cancels).
  std::unordered_set<uint32_t> XentNegs;
};

//===----------------------------------------------------------------------===//
// Matching helpers
//===----------------------------------------------------------------------===//

/// Whether X is a float constant whose every element is 1, possibly through
/// broadcasts and reshapes.
bool Stabilizer::isOne(NodeId X) const {
  while (is(X, OpCode::Broadcast) || is(X, OpCode::Reshape))
    X = in(X);
  const Node &N = node(X);
  if (N.Op != OpCode::Constant || !isFloat(N.Type.Dtype))
    return false;
  const Bytes &V = N.Attributes.getBytes("value");
  size_t Size = dtypeSize(N.Type.Dtype);
  for (size_t I = 0; I + Size <= V.Data.size(); I += Size) {
    double D;
    if (N.Type.Dtype == DType::F32) {
      float F;
      std::memcpy(&F, V.Data.data() + I, sizeof F);
      D = F;
    } else {
      std::memcpy(&D, V.Data.data() + I, sizeof D);
    }
    if (D != 1.0)
      return false;
  }
  return !V.Data.empty();
}

std::optional<NodeId> Stabilizer::onePlus(NodeId X) const {
  if (!is(X, OpCode::Add))
    return std::nullopt;
  if (isOne(in(X, 0)))
    return in(X, 1);
  if (isOne(in(X, 1)))
    return in(X, 0);
  return std::nullopt;
}

/// For Den = sum(Num, axes=[a]) broadcast back to Num's shape (keepdims, or
/// through a reshape to the keepdims shape, or with a=0 by numpy's leading
/// broadcast), the axis a.
std::optional<int64_t> Stabilizer::rowSumAxis(NodeId Den, NodeId Num) const {
  NodeId Cur = Den;
  bool Broadcast = is(Cur, OpCode::Broadcast);
  if (Broadcast)
    Cur = in(Cur);
  bool Reshaped = is(Cur, OpCode::Reshape);
  Shape Got = G.type(Cur).Dims;
  if (Reshaped)
    Cur = in(Cur);
  if (!is(Cur, OpCode::Sum) || in(Cur) != Num)
    return std::nullopt;
  std::vector<int64_t> Axes = node(Cur).Attributes.getInts("axes");
  if (Axes.size() != 1)
    return std::nullopt;
  Shape Keep = G.type(Num).Dims;
  Keep[Axes[0]] = 1;
  if (Got == Keep)
    return Axes[0];
  // sum over axis 0 without keepdims: [d1, ...] broadcasts back correctly.
  if (Broadcast && !Reshaped && Axes[0] == 0)
    return Axes[0];
  return std::nullopt;
}

NodeId Stabilizer::make(OpCode Op, std::vector<NodeId> Ins, const Attrs &A) {
  if (std::optional<NodeId> R = tryRules(Op, Ins, A))
    return *R;
  return G.make(Op, Ins, A);
}

NodeId Stabilizer::negXent(NodeId Z, NodeId Labels, bool KeepLast) {
  Shape Rows = G.type(Labels).Dims;
  NodeId Xent = G.make(OpCode::SoftmaxXent, std::vector<NodeId>{Z, Labels});
  if (KeepLast) {
    Rows.push_back(1);
    Xent = B.reshape(Xent, Rows);
  }
  NodeId Neg = B.unary(OpCode::Neg, Xent);
  XentNegs.insert(Neg.Index);
  return Neg;
}

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

std::optional<NodeId> Stabilizer::logRules(NodeId X) {
  const Node &N = node(X);
  switch (N.Op) {
  case OpCode::Softmax: // log(softmax(x)) => log_softmax(x)
    return fire("log_softmax",
                make(OpCode::LogSoftmax, {N.Inputs[0]}, N.Attributes));
  case OpCode::Sum: // log(sum(exp(x))) => logsumexp(x)
    if (!is(N.Inputs[0], OpCode::Exp))
      return std::nullopt;
    return fire("logsumexp",
                make(OpCode::LogSumExp, {in(N.Inputs[0])}, N.Attributes));
  case OpCode::Sigmoid: // log(sigmoid(x)) => -softplus(-x)
    return fire(
        "log_sigmoid",
        B.unary(OpCode::Neg, B.unary(OpCode::Softplus, negate(N.Inputs[0]))));
  case OpCode::Gather: {
    // log(gather(softmax(z), i)) => gather(log_softmax(z), i)
    if (!is(N.Inputs[0], OpCode::Softmax))
      return std::nullopt;
    const Node &S = node(N.Inputs[0]);
    NodeId LogP = make(OpCode::LogSoftmax, {S.Inputs[0]}, S.Attributes);
    return fire("log_gather_softmax",
                make(OpCode::Gather, {LogP, N.Inputs[1]}, N.Attributes));
  }
  case OpCode::Add: {
    std::optional<NodeId> Y = onePlus(X);
    if (!Y)
      return std::nullopt;
    // log(1 + exp(x)) => softplus(x)
    if (is(*Y, OpCode::Exp))
      return fire("softplus", B.unary(OpCode::Softplus, in(*Y)));
    // log(1 + x) => log1p(x)
    return fire("log1p", B.unary(OpCode::Log1p, *Y));
  }
  default:
    return std::nullopt;
  }
}

std::optional<NodeId> Stabilizer::subRules(NodeId X, NodeId Y) {
  // 1 - sigmoid(x) => sigmoid(-x)
  if (isOne(X) && is(Y, OpCode::Sigmoid))
    return fire("one_minus_sigmoid", B.unary(OpCode::Sigmoid, negate(in(Y))));
  // exp(x) - 1 => expm1(x)
  if (is(X, OpCode::Exp) && isOne(Y))
    return fire("expm1", B.unary(OpCode::Expm1, in(X)));
  return std::nullopt;
}

std::optional<NodeId> Stabilizer::divRules(NodeId X, NodeId Y) {
  // exp(x) / broadcast(sum(exp(x), axes=[a])) => softmax(x) {axis=a}
  if (!is(X, OpCode::Exp))
    return std::nullopt;
  std::optional<int64_t> Axis = rowSumAxis(Y, X);
  if (!Axis)
    return std::nullopt;
  return fire("softmax",
              make(OpCode::Softmax, {in(X)}, Attrs{{"axis", *Axis}}));
}

/// gather(log_softmax(z), idx) {axis=last} with idx: int[..., 1]
///   => -reshape(softmax_xent(z, reshape(idx, [...])), [..., 1])
std::optional<NodeId> Stabilizer::gatherRule(NodeId X, NodeId Idx,
                                             const Attrs &A) {
  if (!is(X, OpCode::LogSoftmax))
    return std::nullopt;
  const Shape &Dims = G.type(X).Dims;
  int64_t Last = static_cast<int64_t>(Dims.size()) - 1;
  if (A.getInt("axis") != Last || node(X).Attributes.getInt("axis") != Last ||
      G.type(Idx).Dims[Last] != Dim(1))
    return std::nullopt;
  Shape Rows(Dims.begin(), Dims.end() - 1);
  NodeId Labels = is(Idx, OpCode::Reshape) && G.type(in(Idx)).Dims == Rows
                      ? in(Idx)
                      : B.reshape(Idx, Rows);
  return fire("softmax_xent", negXent(in(X), Labels, /*KeepLast=*/true));
}

/// sum(one_hot(t) * log_softmax(z), axes ∋ last) => -softmax_xent(z, t),
/// summed over the other axes.
std::optional<NodeId> Stabilizer::oneHotXentRule(NodeId X, const Attrs &A) {
  if (!is(X, OpCode::Mul))
    return std::nullopt;
  NodeId Hot = in(X, 0), LogP = in(X, 1);
  if (!is(Hot, OpCode::OneHot))
    std::swap(Hot, LogP);
  if (!is(Hot, OpCode::OneHot) || !is(LogP, OpCode::LogSoftmax))
    return std::nullopt;
  int64_t Last = static_cast<int64_t>(G.type(X).rank()) - 1;
  std::vector<int64_t> Axes = A.getInts("axes");
  bool KeepDims = A.getBool("keepdims");
  if (node(LogP).Attributes.getInt("axis") != Last || Axes.empty() ||
      Axes.back() != Last)
    return std::nullopt;
  NodeId Neg = negXent(in(LogP), in(Hot), KeepDims);
  Axes.pop_back();
  if (!Axes.empty()) {
    NodeId Sum = G.make(OpCode::Sum, std::vector<NodeId>{in(Neg)},
                        Attrs{{"axes", Axes}, {"keepdims", KeepDims}});
    Neg = B.unary(OpCode::Neg, Sum);
    XentNegs.insert(Neg.Index);
  }
  return fire("softmax_xent_one_hot", Neg);
}

std::optional<NodeId>
Stabilizer::tryRules(OpCode Op, std::span<const NodeId> Ins, const Attrs &A) {
  switch (Op) {
  case OpCode::Log:
    return logRules(Ins[0]);
  case OpCode::Sub:
    return subRules(Ins[0], Ins[1]);
  case OpCode::Div:
    return divRules(Ins[0], Ins[1]);
  case OpCode::Gather:
    return gatherRule(Ins[0], Ins[1], A);
  case OpCode::Sum:
    return oneHotXentRule(Ins[0], A);
  case OpCode::Neg: // -(-xent) => xent, cancelling a negation made above
    if (XentNegs.count(Ins[0].Index))
      return fire("xent_neg", in(Ins[0]));
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

} // namespace

bool StabilizePass::run(Graph &G, PassContext &Ctx) {
  // rebuild() hands every call the same builder of the new graph.
  std::optional<Stabilizer> S;
  return rebuild(G,
                 [&](Builder &B, const Node &Old,
                     std::span<const NodeId> Ins) -> std::optional<NodeId> {
                   if (hasTrait(Old.Op, kLeaf) || Old.isMultiResult())
                     return std::nullopt;
                   if (!S)
                     S.emplace(B, Ctx);
                   return S->tryRules(Old.Op, Ins, Old.Attributes);
                 });
}

} // namespace netjit
