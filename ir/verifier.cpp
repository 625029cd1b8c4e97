//===- verifier.cpp - Whole-graph invariants -------------------------------===//
//
// Graph::make already checks each node as it is created; the verifier checks
// the graph as a whole after a pass has rewired it: operand order, the types
// of every live node re-inferred from its operands, the interface (unique
// argument and output names, updates of params), and scan bodies recursively.
//
//===----------------------------------------------------------------------===//
#include "ir/verifier.h"
#include "ir/error.h"
#include "ir/printer.h"

#include <set>

namespace netjit {
namespace {

[[noreturn]] void fail(const Graph &G, NodeId Id, const std::string &Msg) {
  throw TypeError("graph @" + G.name() + ": node '" + printNode(G, Id) + "': " + Msg);
}

void verifyNode(const Graph &G, NodeId Id) {
  const Node &N = G.node(Id);
  std::vector<TensorType> Operands;
  for (size_t I = 0; I < N.Inputs.size(); ++I) {
    NodeId In = N.Inputs[I];
    if (!(In < Id))
      fail(G, Id, "operand #" + std::to_string(I) + " is not defined before its use");
    if (G.node(In).isMultiResult() && N.Op != OpCode::Result)
      fail(G, Id, "operand #" + std::to_string(I) + " is a multi-result node");
    Operands.push_back(G.type(In));
  }
  std::optional<TensorType> Decl;
  if (hasTrait(N.Op, kLeaf) || hasTrait(N.Op, kRandom))
    Decl = N.Type;
  std::vector<TensorType> Results;
  TensorType T;
  try {
    if (N.Op == OpCode::Result)
      T = resultType(N.Inputs.empty() ? nullptr : &G.node(N.Inputs[0]), N.Inputs.size(),
                     N.Attributes, std::nullopt);
    else
      T = inferType(N.Op, Operands, N.Attributes, N.Body.get(), Decl, &Results);
  } catch (const TypeError &E) {
    fail(G, Id, E.what());
  }
  if (!(T == N.Type) || (N.isMultiResult() && Results != N.Results))
    fail(G, Id, "stored type " + N.Type.str() + " differs from the inferred " + T.str());
  if (N.Body)
    verify(*N.Body);
}

} // namespace

void verify(const Graph &G) {
  for (NodeId Id : G.liveNodes())
    verifyNode(G, Id);
  std::set<std::string> Names;
  for (NodeId A : G.arguments()) {
    const Node &N = G.node(A);
    if (N.Op != OpCode::Input && N.Op != OpCode::Param)
      fail(G, A, "an argument must be an input or a param");
    if (!Names.insert(N.Attributes.getString("name")).second)
      fail(G, A, "duplicate argument name");
  }
  std::set<std::string> OutNames;
  for (const Output &O : G.outputs()) {
    if (!O.Name.empty() && !OutNames.insert(O.Name).second)
      throw TypeError("graph @" + G.name() + ": duplicate output name '" + O.Name + "'");
    if (G.node(O.Value).isMultiResult())
      fail(G, O.Value, "output '" + O.Name + "' is a multi-result node");
  }
  std::set<uint32_t> Targets;
  for (const Update &U : G.updates()) {
    const Node &T = G.node(U.Target);
    if (T.Op != OpCode::Param)
      fail(G, U.Target, "an update must target a param");
    if (!(G.type(U.Value) == T.Type))
      fail(G, U.Value, "updates param '" + T.Attributes.getString("name") + "' of type " +
                           T.Type.str() + " with " + G.type(U.Value).str());
    if (!Targets.insert(U.Target.Index).second)
      fail(G, U.Target, "param updated twice");
  }
}

} // namespace netjit
