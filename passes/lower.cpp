//===- lower.cpp - High-level ops to primitives, for codegen ---------===//
//
// One rebuild() with a rule per high-level op. Reductions are made with
// explicit attributes (an empty axis list means "no axis", as in the IR, not
// "every axis" as in the Builder), and with keepdims so that max, exp(x - m)
// and the sum are the same nodes for softmax, log_softmax and logsumexp over
// the same axes: cse then merges them.
//
//===----------------------------------------------------------------------===//
#include "passes/lower.h"

#include "ir/error.h"
#include "passes/rewrite.h"

#include <cmath>
#include <limits>

namespace netjit {
namespace {

class Lowering {
public:
  explicit Lowering(Builder &B) : B(B) {}

  std::optional<NodeId> lower(const Node &Old, std::span<const NodeId> In);

private:
  NodeId reduce(OpCode Op, NodeId X, std::vector<int64_t> Axes, bool KeepDims) {
    return B.make(Op, {X},
                  Attrs{{"axes", std::move(Axes)}, {"keepdims", KeepDims}});
  }
  /// X broadcast to the shape of Like.
  NodeId like(NodeId X, NodeId Like) {
    return B.broadcastTo(X, B.type(Like).Dims);
  }
  NodeId op(OpCode Op, NodeId X, NodeId Y) {
    return B.make(Op, {X, like(Y, X)});
  }
  NodeId unary(OpCode Op, NodeId X) { return B.make(Op, {X}); }

  /// x - max(x, axes) (keepdims), and the max.
  std::pair<NodeId, NodeId> shifted(NodeId X,
                                    const std::vector<int64_t> &Axes) {
    NodeId M = reduce(OpCode::Max, X, Axes, true);
    return {op(OpCode::Sub, X, M), M};
  }
  NodeId softmax(NodeId X, int64_t Axis);
  NodeId logSoftmax(NodeId X, int64_t Axis);
  NodeId logSumExp(NodeId X, const std::vector<int64_t> &Axes, bool KeepDims);
  NodeId softmaxXent(NodeId Z, NodeId Labels);
  NodeId mean(NodeId X, const std::vector<int64_t> &Axes, bool KeepDims);
  std::optional<NodeId> scatterAdd(const Node &Old, NodeId Idx, NodeId Upd);

  Builder &B;
};

// softmax(x) => e / sum(e), e = exp(x - max(x))
NodeId Lowering::softmax(NodeId X, int64_t Axis) {
  NodeId E = unary(OpCode::Exp, shifted(X, {Axis}).first);
  return op(OpCode::Div, E, reduce(OpCode::Sum, E, {Axis}, true));
}

// log_softmax(x) => s - log(sum(exp(s))), s = x - max(x)
NodeId Lowering::logSoftmax(NodeId X, int64_t Axis) {
  NodeId S = shifted(X, {Axis}).first;
  NodeId L = unary(OpCode::Log,
                   reduce(OpCode::Sum, unary(OpCode::Exp, S), {Axis}, true));
  return op(OpCode::Sub, S, L);
}

// logsumexp(x) => select(|m| < inf, m + log(sum(exp(x - m))), m), m = max(x).
// A row whose max is infinite (or NaN) is its max, as in the interpreter;
// x - m alone would give inf - inf = NaN there.
NodeId Lowering::logSumExp(NodeId X, const std::vector<int64_t> &Axes,
                           bool KeepDims) {
  auto [S, M] = shifted(X, Axes);
  NodeId Sum = reduce(OpCode::Sum, unary(OpCode::Exp, S), Axes, true);
  NodeId Lse = B.make(OpCode::Add, {M, unary(OpCode::Log, Sum)});
  NodeId Inf = B.fill(std::numeric_limits<double>::infinity(), M);
  NodeId Finite = B.make(OpCode::Lt, {unary(OpCode::Abs, M), Inf});
  NodeId R = B.make(OpCode::Select, {Finite, Lse, M});
  if (KeepDims)
    return R;
  Shape Out;
  const Shape &In = B.type(X).Dims;
  for (size_t A = 0; A < In.size(); ++A)
    if (std::find(Axes.begin(), Axes.end(), static_cast<int64_t>(A)) ==
        Axes.end())
      Out.push_back(In[A]);
  return B.reshape(R, Out);
}

// softmax_xent(z, t) => logsumexp(z, -1) - gather(z, t[..., None], -1)
NodeId Lowering::softmaxXent(NodeId Z, NodeId Labels) {
  int64_t Last = static_cast<int64_t>(B.type(Z).rank()) - 1;
  Shape Rows = B.type(Labels).Dims, Column = Rows;
  Column.push_back(1);
  NodeId Picked = B.gather(Z, B.reshape(Labels, Column), Last);
  NodeId Xent = B.make(OpCode::Sub, {logSumExp(Z, {Last}, true), Picked});
  return B.reshape(Xent, Rows);
}

// mean(x, axes) => sum(x, axes) * (1 / count)
NodeId Lowering::mean(NodeId X, const std::vector<int64_t> &Axes,
                      bool KeepDims) {
  const TensorType &T = B.type(X);
  Dim Count = 1;
  for (int64_t A : Axes)
    Count = Count * T.Dims[A];
  NodeId Inv;
  if (Count.isConstant())
    Inv = B.scalar(1.0 / static_cast<double>(Count.constant()), T.Dtype);
  else
    Inv = B.make(OpCode::Div,
                 {B.scalar(1.0, T.Dtype), B.dimValue(Count, T.Dtype)});
  return op(OpCode::Mul, reduce(OpCode::Sum, X, Axes, KeepDims), Inv);
}

// scatter_add(i, u) {axis=last, size=K} with i: [..., 1]
//   => select(one_hot(i[..., 0], K), broadcast(u), 0)
std::optional<NodeId> Lowering::scatterAdd(const Node &Old, NodeId Idx,
                                           NodeId Upd) {
  const Shape &S = B.type(Idx).Dims;
  int64_t Axis = Old.Attributes.getInt("axis");
  if (Axis + 1 != static_cast<int64_t>(S.size()) || S.back() != Dim(1))
    return std::nullopt;
  Shape Rows(S.begin(), S.end() - 1);
  NodeId Hot = B.oneHot(B.reshape(Idx, Rows), Old.Attributes.getDim("size"),
                        DType::Bool);
  return B.make(OpCode::Select, {Hot, B.broadcastTo(Upd, Old.Type.Dims),
                                 B.fill(0.0, Old.Type)});
}

std::optional<NodeId> Lowering::lower(const Node &Old,
                                      std::span<const NodeId> In) {
  const Attrs &A = Old.Attributes;
  switch (Old.Op) {
  case OpCode::Softmax:
    return softmax(In[0], A.getInt("axis"));
  case OpCode::LogSoftmax:
    return logSoftmax(In[0], A.getInt("axis"));
  case OpCode::LogSumExp:
    return logSumExp(In[0], A.getInts("axes"), A.getBool("keepdims"));
  case OpCode::SoftmaxXent:
    return softmaxXent(In[0], In[1]);
  case OpCode::Mean:
    return mean(In[0], A.getInts("axes"), A.getBool("keepdims"));
  case OpCode::ScatterAdd:
    return scatterAdd(Old, In[0], In[1]);
  default:
    return std::nullopt;
  }
}

} // namespace

bool LowerPass::run(Graph &G, PassContext &Ctx) {
  return rebuild(G,
                 [&Ctx](Builder &B, const Node &Old,
                        std::span<const NodeId> In) -> std::optional<NodeId> {
                   std::optional<NodeId> R = Lowering(B).lower(Old, In);
                   if (R)
                     Ctx.count("lower." + std::string(opName(Old.Op)));
                   return R;
                 });
}

} // namespace netjit
