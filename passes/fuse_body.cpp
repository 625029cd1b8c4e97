//===- fuse_body.cpp - Top-level kinds, group bodies, reduction forms -----===//
//
// The pieces of the fuse pass that look at one node or one group at a time:
// what fusion does with each top-level node (its Kind), how a group of
// top-level nodes becomes a body graph (members re-made, the index maps and
// scalar values they read copied, everything else an argument), and the
// reshaping of reductions into the [R, K] forms a kernel can hold.
//
//===----------------------------------------------------------------------===//
#include "passes/fuse_impl.h"

#include "ir/builder.h"
#include "ir/error.h"
#include "passes/rewrite.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace netjit::fusion {
namespace {

bool allOnes(const Shape &S) {
  return std::all_of(S.begin(), S.end(),
                     [](const Dim &D) { return D == Dim(1); });
}

bool isReduction(OpCode Op) {
  return Op == OpCode::Sum || Op == OpCode::Max || Op == OpCode::Min;
}

/// Scalar arithmetic is copied into every kernel that reads it only while it
/// is small; a longer chain is computed once, by a kernel of its own.
constexpr int kMaxCopiedScalarOps = 16;

/// Kinds[V] from its operands' kinds; SCost[V] is the number of scalar ops
/// a copy of V would take (counted as a tree, an upper bound).
Kind kindOf(const Graph &G, NodeId V, const std::vector<Kind> &Kinds,
            std::vector<int> &SCost) {
  const Node &N = G.node(V);
  switch (N.Op) {
  case OpCode::Input:
  case OpCode::Param:
    return Kind::Leaf;
  case OpCode::Constant:
    return allOnes(N.Type.Dims) ? Kind::SClone : Kind::Leaf;
  case OpCode::DimValue:
    return Kind::SClone;
  default:
    break;
  }
  bool View = N.Op == OpCode::Broadcast || N.Op == OpCode::Reshape;
  bool Elementwise = hasTrait(N.Op, kElementwise);
  // Scalar arithmetic on copied scalars is itself copied.
  if ((View || Elementwise || isReduction(N.Op)) && allOnes(N.Type.Dims) &&
      std::all_of(N.Inputs.begin(), N.Inputs.end(),
                  [&](NodeId In) { return Kinds[In.Index] == Kind::SClone; })) {
    int Cost = 1;
    for (NodeId In : N.Inputs)
      Cost += SCost[In.Index];
    SCost[V.Index] = std::min(Cost, kMaxCopiedScalarOps + 1);
    if (Cost <= kMaxCopiedScalarOps)
      return Kind::SClone;
  }
  if (View)
    return Kind::View;
  if (Elementwise || isReduction(N.Op) || N.Op == OpCode::OneHot)
    return Kind::Compute;
  // gather(x, idx) along the last axis with one index per row.
  if (N.Op == OpCode::Gather) {
    const Shape &Idx = G.type(N.Inputs[1]).Dims;
    if (N.Attributes.getInt("axis") + 1 == static_cast<int64_t>(Idx.size()) &&
        Idx.back() == Dim(1))
      return Kind::Compute;
  }
  return Kind::Boundary;
}

/// Makes one body: members in arena order, their operands resolved.
class BodyMaker {
public:
  BodyMaker(const FusionGraph &F, const std::vector<char> &InGroup)
      : F(F), InGroup(InGroup), Body(std::make_shared<Graph>("kernel")) {}

  BuiltBody make(const std::vector<NodeId> &Members,
                 const std::function<bool(NodeId)> &IsOutput) {
    for (NodeId M : Members) {
      for (NodeId In : F.G.node(M).Inputs)
        resolve(In);
      Map[M.Index] = copy(M);
    }
    BuiltBody Out{Body, std::move(Externals), {}};
    for (NodeId M : Members)
      if (IsOutput(M)) {
        Body->addOutput("", Map[M.Index]);
        Out.Outputs.push_back(M);
      }
    return Out;
  }

private:
  /// Maps Root into the body: copies the views and S values it is made of
  /// (operands first, in operand order, without recursion: a chain of
  /// scalar arithmetic can be long), and makes everything else an argument.
  void resolve(NodeId Root) {
    std::vector<std::pair<NodeId, bool>> Stack{{Root, false}};
    while (!Stack.empty()) {
      auto [V, Expanded] = Stack.back();
      if (Map.count(V.Index)) {
        Stack.pop_back();
        continue;
      }
      NJ_CHECK(!InGroup[V.Index],
               "fuse: member %" << V.Index << " read before it is built");
      if (F.kind(V) != Kind::SClone && !F.absorbable(V)) {
        Map[V.Index] =
            Body->input("in" + std::to_string(Externals.size()), F.G.type(V));
        Externals.push_back(V);
        Stack.pop_back();
      } else if (!Expanded) {
        Stack.back().second = true;
        const std::vector<NodeId> &Ins = F.G.node(V).Inputs;
        for (size_t I = Ins.size(); I-- > 0;)
          Stack.push_back({Ins[I], false});
      } else {
        Map[V.Index] = copy(V);
        Stack.pop_back();
      }
    }
  }

  /// Re-makes V in the body on its (already mapped) operands.
  NodeId copy(NodeId V) {
    const Node &N = F.G.node(V);
    std::vector<NodeId> Ins;
    for (NodeId In : N.Inputs)
      Ins.push_back(Map.at(In.Index));
    std::optional<TensorType> Decl;
    if (hasTrait(N.Op, kLeaf))
      Decl = N.Type;
    return Body->make(N.Op, Ins, N.Attributes, Decl);
  }

  const FusionGraph &F;
  const std::vector<char> &InGroup;
  std::shared_ptr<Graph> Body;
  std::unordered_map<uint32_t, NodeId> Map;
  std::vector<NodeId> Externals;
};

bool isCanonical(const std::vector<int64_t> &Axes, size_t Rank) {
  std::vector<int64_t> Leading(Rank ? Rank - 1 : 0);
  std::iota(Leading.begin(), Leading.end(), 0);
  return Axes.empty() || Axes.size() == Rank || Axes == Leading ||
         (Axes.size() == 1 && Axes[0] + 1 == static_cast<int64_t>(Rank));
}

/// sum(x, axes) over a non-canonical axis set, as a reduction of a 2-D
/// reshape of x: [reduced, kept] for a prefix of the axes, [kept, reduced]
/// otherwise (after a transpose putting the reduced axes last).
NodeId reduceAs2D(Builder &B, const Node &Old, NodeId X,
                  const std::vector<int64_t> &Axes) {
  const Shape &S = B.type(X).Dims;
  size_t N = S.size(), NumReduced = Axes.size();
  std::vector<int64_t> Prefix(NumReduced), Suffix(NumReduced);
  std::iota(Prefix.begin(), Prefix.end(), 0);
  std::iota(Suffix.begin(), Suffix.end(), static_cast<int64_t>(N - NumReduced));
  bool IsPrefix = Axes == Prefix;
  if (!IsPrefix && Axes != Suffix) {
    std::vector<int64_t> Perm;
    for (size_t A = 0; A < N; ++A)
      if (std::find(Axes.begin(), Axes.end(), static_cast<int64_t>(A)) ==
          Axes.end())
        Perm.push_back(static_cast<int64_t>(A));
    Perm.insert(Perm.end(), Axes.begin(), Axes.end());
    X = B.transpose(X, Perm);
  }
  Dim Reduced = 1, Kept = 1;
  for (size_t A = 0; A < N; ++A) {
    if (std::find(Axes.begin(), Axes.end(), static_cast<int64_t>(A)) !=
        Axes.end())
      Reduced = Reduced * S[A];
    else
      Kept = Kept * S[A];
  }
  Shape Flat = IsPrefix ? Shape{Reduced, Kept} : Shape{Kept, Reduced};
  NodeId R = B.make(Old.Op, {B.reshape(X, Flat)},
                    Attrs{{"axes", std::vector<int64_t>{IsPrefix ? 0 : 1}},
                          {"keepdims", false}});
  return B.reshape(R, Old.Type.Dims);
}

} // namespace

FusionGraph analyzeTopLevel(const Graph &G) {
  size_t N = G.size();
  FusionGraph F{G,
                G.liveNodes(),
                std::vector<Kind>(N, Kind::Boundary),
                std::vector<std::vector<NodeId>>(N),
                std::vector<char>(N, 0),
                std::vector<char>(N, 0)};
  std::vector<int> SCost(N, 0);
  for (NodeId V : F.Live) {
    F.Kinds[V.Index] = kindOf(G, V, F.Kinds, SCost);
    for (NodeId In : G.node(V).Inputs)
      F.Users[In.Index].push_back(V);
  }
  for (const Output &O : G.outputs())
    F.GraphUse[O.Value.Index] = 1;
  for (const Update &U : G.updates())
    F.GraphUse[U.Value.Index] = 1;
  return F;
}

BuiltBody buildBody(const FusionGraph &F, const std::vector<NodeId> &Members,
                    const std::vector<char> &InGroup,
                    const std::function<bool(NodeId)> &IsOutput) {
  return BodyMaker(F, InGroup).make(Members, IsOutput);
}

bool canonicalizeReductions(Graph &G, PassContext &Ctx) {
  return rebuild(G,
                 [&Ctx](Builder &B, const Node &Old,
                        std::span<const NodeId> In) -> std::optional<NodeId> {
                   if (!isReduction(Old.Op))
                     return std::nullopt;
                   std::vector<int64_t> Axes = Old.Attributes.getInts("axes");
                   if (isCanonical(Axes, B.type(In[0]).rank()))
                     return std::nullopt;
                   Ctx.count("fuse.reshape-reduction");
                   return reduceAs2D(B, Old, In[0], Axes);
                 });
}

} // namespace netjit::fusion
