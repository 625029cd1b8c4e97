//===- rewrite.cpp - Rebuilding a graph node by node -----------------------===//
#include "passes/rewrite.h"
#include "ir/error.h"

namespace netjit {

NodeId remake(Builder &B, const Node &Old, std::span<const NodeId> NewInputs) {
  std::optional<TensorType> Decl;
  if (hasTrait(Old.Op, kLeaf) || hasTrait(Old.Op, kRandom))
    Decl = Old.Type;
  return B.graph().make(Old.Op, NewInputs, Old.Attributes, Decl, Old.Body);
}

bool rebuild(Graph &G, const RewriteRule &Rule) {
  Graph New(G.name());
  Builder B(New);
  std::vector<NodeId> Map(G.size());
  // Arguments first, in declaration order, so the interface is unchanged.
  for (NodeId A : G.arguments())
    Map[A.Index] = remake(B, G.node(A), {});
  std::vector<NodeId> Ins;
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    if (N.Op == OpCode::Input || N.Op == OpCode::Param)
      continue;
    Ins.clear();
    for (NodeId In : N.Inputs)
      Ins.push_back(Map[In.Index]);
    std::optional<NodeId> R = Rule ? Rule(B, N, Ins) : std::nullopt;
    if (R) {
      NJ_CHECK(New.type(*R) == N.Type || N.isMultiResult(),
               "rewrite of '" << opName(N.Op) << "' changed its type from " << N.Type.str()
                              << " to " << New.type(*R).str());
      Map[Id.Index] = *R;
    } else {
      Map[Id.Index] = remake(B, N, Ins);
    }
  }
  for (const Output &O : G.outputs())
    New.addOutput(O.Name, Map[O.Value.Index]);
  for (const Update &U : G.updates())
    New.addUpdate(Map[U.Target.Index], Map[U.Value.Index]);
  Graph Compacted = New.compact();
  bool Changed = !structurallyEqual(Compacted, G);
  G = std::move(Compacted);
  return Changed;
}

} // namespace netjit
