//===- graph.cpp - The interned node arena ---------------------------------===//
#include "ir/graph.h"
#include "ir/error.h"
#include "ir/printer.h"

#include <bit>
#include <cstring>
#include <functional>

namespace netjit {
namespace {

size_t mix(size_t H, size_t X) { return (H ^ X) * 0x100000001b3ull + 0x9e3779b9; }

size_t hashType(const TensorType &T) {
  return mix(static_cast<size_t>(T.Dtype), hashShape(T.Dims));
}

size_t hashNode(const Node &N) {
  size_t H = mix(static_cast<size_t>(N.Op), hashType(N.Type));
  for (NodeId I : N.Inputs)
    H = mix(H, I.Index);
  H = mix(H, N.Attributes.hash());
  if (N.Body)
    H = mix(H, N.Body->structuralHash());
  return H;
}

bool sameNode(const Node &A, const Node &B, const std::vector<uint32_t> *MapA,
              const std::vector<uint32_t> *MapB) {
  if (A.Op != B.Op || !(A.Type == B.Type) || A.Inputs.size() != B.Inputs.size() ||
      !(A.Attributes == B.Attributes) || !(A.Results == B.Results))
    return false;
  for (size_t I = 0; I < A.Inputs.size(); ++I) {
    uint32_t X = A.Inputs[I].Index, Y = B.Inputs[I].Index;
    if (MapA) {
      X = (*MapA)[X];
      Y = (*MapB)[Y];
    }
    if (X != Y)
      return false;
  }
  if (!A.Body != !B.Body)
    return false;
  return !A.Body || A.Body == B.Body || structurallyEqual(*A.Body, *B.Body);
}

/// Position of each live node in live order (UINT32_MAX for dead nodes).
std::vector<uint32_t> liveIndex(const Graph &G, const std::vector<NodeId> &Live) {
  std::vector<uint32_t> Map(G.size(), UINT32_MAX);
  for (size_t I = 0; I < Live.size(); ++I)
    Map[Live[I].Index] = static_cast<uint32_t>(I);
  return Map;
}

} // namespace

bool structurallyEqual(const Graph &A, const Graph &B) {
  std::vector<NodeId> LA = A.liveNodes(), LB = B.liveNodes();
  if (LA.size() != LB.size() || A.arguments().size() != B.arguments().size() ||
      A.outputs().size() != B.outputs().size() || A.updates().size() != B.updates().size())
    return false;
  std::vector<uint32_t> MA = liveIndex(A, LA), MB = liveIndex(B, LB);
  for (size_t I = 0; I < LA.size(); ++I)
    if (!sameNode(A.node(LA[I]), B.node(LB[I]), &MA, &MB))
      return false;
  for (size_t I = 0; I < A.arguments().size(); ++I)
    if (MA[A.arguments()[I].Index] != MB[B.arguments()[I].Index])
      return false;
  for (size_t I = 0; I < A.outputs().size(); ++I)
    if (A.outputs()[I].Name != B.outputs()[I].Name ||
        MA[A.outputs()[I].Value.Index] != MB[B.outputs()[I].Value.Index])
      return false;
  for (size_t I = 0; I < A.updates().size(); ++I)
    if (MA[A.updates()[I].Target.Index] != MB[B.updates()[I].Target.Index] ||
        MA[A.updates()[I].Value.Index] != MB[B.updates()[I].Value.Index])
      return false;
  return true;
}

namespace {

const char *argKind(OpCode Op) { return Op == OpCode::Input ? "input" : "param"; }

} // namespace

std::string TensorType::str() const {
  return std::string(dtypeName(Dtype)) + shapeStr(Dims);
}

Graph::Graph(std::string Name) : Name(std::move(Name)) {}

NodeId Graph::make(OpCode Op, std::span<const NodeId> Inputs, Attrs A,
                   std::optional<TensorType> Declared, std::shared_ptr<const Graph> Body) {
  Node N{Op, {}, {}, {Inputs.begin(), Inputs.end()}, std::move(A), std::move(Body), 0};
  std::vector<TensorType> OperandTypes;
  for (size_t I = 0; I < N.Inputs.size(); ++I) {
    NodeId In = N.Inputs[I];
    if (In.Index >= Nodes.size())
      throw TypeError("'" + std::string(opName(Op)) + "': operand #" + std::to_string(I) +
                      " is not a node of graph @" + Name);
    const Node &Operand = Nodes[In.Index];
    if (Operand.isMultiResult() && Op != OpCode::Result)
      throw TypeError("'" + std::string(opName(Op)) + "': operand #" + std::to_string(I) +
                      " is the multi-result '" + std::string(opName(Operand.Op)) +
                      "'; pick one of its results with 'result'");
    OperandTypes.push_back(Operand.Type);
  }
  if (Op == OpCode::Result)
    N.Type = resultType(N.Inputs.empty() ? nullptr : &Nodes[N.Inputs[0].Index], N.Inputs.size(),
                        N.Attributes, Declared);
  else
    N.Type = inferType(Op, OperandTypes, N.Attributes, N.Body.get(), Declared, &N.Results);
  if (!hasTrait(Op, kMultiResult))
    N.Results.clear();
  N.Hash = hashNode(N);

  auto [Lo, Hi] = Interned.equal_range(N.Hash);
  for (auto It = Lo; It != Hi; ++It)
    if (sameNode(Nodes[It->second], N, nullptr, nullptr))
      return NodeId{It->second};

  if (Op == OpCode::Input || Op == OpCode::Param) {
    const std::string &ArgName = N.Attributes.getString("name");
    NodeId Prev = findArgument(ArgName);
    if (Prev.valid())
      throw TypeError("argument '" + ArgName + "' redeclared as " + argKind(Op) + " " +
                      N.Type.str() + " (it is " + argKind(node(Prev).Op) + " " +
                      type(Prev).str() + ")");
  }
  NJ_CHECK(Nodes.size() < UINT32_MAX - 1, "graph @" << Name << " is too large");
  NodeId Id{static_cast<uint32_t>(Nodes.size())};
  Nodes.push_back(std::move(N));
  Interned.emplace(Nodes.back().Hash, Id.Index);
  if (Op == OpCode::Input || Op == OpCode::Param) {
    Arguments.push_back(Id);
    ArgumentsByName.emplace(Nodes.back().Attributes.getString("name"), Id);
  }
  return Id;
}

TensorType resultType(const Node *Tuple, size_t NumOperands, const Attrs &A,
                      const std::optional<TensorType> &Declared) {
  auto Fail = [](const std::string &Msg) -> TensorType { throw TypeError("'result': " + Msg); };
  if (NumOperands != 1)
    return Fail("takes 1 operands, got " + std::to_string(NumOperands));
  if (!Tuple->isMultiResult())
    return Fail("operand #0 is '" + std::string(opName(Tuple->Op)) +
                "', not a multi-result op");
  if (!A.has("index"))
    return Fail("missing attribute 'index'");
  int64_t Index = A.getInt("index");
  if (Index < 0 || Index >= static_cast<int64_t>(Tuple->Results.size()))
    return Fail("index " + std::to_string(Index) + " is out of range for the " +
                std::to_string(Tuple->Results.size()) + " results of '" +
                std::string(opName(Tuple->Op)) + "'");
  const TensorType &T = Tuple->Results[Index];
  if (Declared && !(*Declared == T))
    return Fail("declared type " + Declared->str() + " does not match the inferred type " +
                T.str());
  return T;
}

NodeId Graph::input(std::string_view ArgName, TensorType T) {
  return make(OpCode::Input, {}, Attrs{{"name", std::string(ArgName)}}, std::move(T));
}

NodeId Graph::param(std::string_view ArgName, TensorType T) {
  return make(OpCode::Param, {}, Attrs{{"name", std::string(ArgName)}}, std::move(T));
}

NodeId Graph::constant(TensorType T, Bytes Value) {
  return make(OpCode::Constant, {}, Attrs{{"value", std::move(Value)}}, std::move(T));
}

NodeId Graph::scalar(double Value, DType T) {
  Bytes B;
  B.Data.resize(dtypeSize(T));
  auto Put = [&B](auto V) { std::memcpy(B.Data.data(), &V, sizeof(V)); };
  switch (T) {
  case DType::F32: Put(static_cast<float>(Value)); break;
  case DType::F64: Put(Value); break;
  case DType::I32: Put(static_cast<int32_t>(Value)); break;
  case DType::I64: Put(static_cast<int64_t>(Value)); break;
  case DType::Bool: B.Data[0] = Value != 0; break;
  }
  return constant(TensorType{T, {}}, std::move(B));
}

NodeId Graph::findArgument(std::string_view ArgName) const {
  auto It = ArgumentsByName.find(std::string(ArgName));
  return It == ArgumentsByName.end() ? NodeId{} : It->second;
}

void Graph::addOutput(std::string_view OutName, NodeId Value) {
  NJ_CHECK(Value.Index < Nodes.size(), "output of another graph");
  if (!OutName.empty() && OutputsByName.count(std::string(OutName)))
    throw TypeError("graph @" + Name + " already has an output named '" +
                    std::string(OutName) + "'");
  if (Nodes[Value.Index].isMultiResult())
    throw TypeError("output '" + std::string(OutName) + "' is a multi-result '" +
                    std::string(opName(Nodes[Value.Index].Op)) + "'; pick a result");
  if (!OutName.empty())
    OutputsByName.emplace(std::string(OutName), Outputs.size());
  Outputs.push_back({std::string(OutName), Value});
}

void Graph::setOutputValue(size_t I, NodeId Value) {
  NJ_CHECK(I < Outputs.size() && Value.Index < Nodes.size(), "bad output " << I);
  NJ_CHECK(Nodes[Value.Index].Type == Nodes[Outputs[I].Value.Index].Type,
           "output '" << Outputs[I].Name << "' changes type");
  Outputs[I].Value = Value;
}

void Graph::addUpdate(NodeId Target, NodeId Value) {
  NJ_CHECK(Target.Index < Nodes.size() && Value.Index < Nodes.size(), "update of another graph");
  const Node &T = Nodes[Target.Index];
  if (T.Op != OpCode::Param)
    throw TypeError("an update must target a param, not '" + std::string(opName(T.Op)) + "'");
  const std::string &P = T.Attributes.getString("name");
  if (!(Nodes[Value.Index].Type == T.Type) || Nodes[Value.Index].isMultiResult())
    throw TypeError("update of param '" + P + "' (" + T.Type.str() + ") has type " +
                    Nodes[Value.Index].Type.str());
  if (!UpdatedTargets.insert(Target.Index).second)
    throw TypeError("param '" + P + "' is updated twice");
  Updates.push_back({Target, Value});
}

void Graph::setUpdateValue(size_t I, NodeId Value) {
  NJ_CHECK(I < Updates.size() && Value.Index < Nodes.size(), "bad update " << I);
  NJ_CHECK(Nodes[Value.Index].Type == Nodes[Updates[I].Target.Index].Type,
           "update " << I << " changes type");
  Updates[I].Value = Value;
}

std::vector<NodeId> Graph::liveNodes() const {
  std::vector<char> Live(Nodes.size(), 0);
  for (NodeId A : Arguments)
    Live[A.Index] = 1;
  for (const Output &O : Outputs)
    Live[O.Value.Index] = 1;
  for (const Update &U : Updates)
    Live[U.Value.Index] = 1;
  // Operands precede users, so one backward sweep marks everything.
  for (size_t I = Nodes.size(); I-- > 0;)
    if (Live[I])
      for (NodeId In : Nodes[I].Inputs)
        Live[In.Index] = 1;
  std::vector<NodeId> Out;
  for (size_t I = 0; I < Nodes.size(); ++I)
    if (Live[I])
      Out.push_back(NodeId{static_cast<uint32_t>(I)});
  return Out;
}

Graph Graph::compact() const {
  Graph G(Name);
  std::vector<NodeId> Map(Nodes.size());
  for (NodeId Id : liveNodes()) {
    const Node &N = Nodes[Id.Index];
    std::vector<NodeId> Ins;
    for (NodeId In : N.Inputs)
      Ins.push_back(Map[In.Index]);
    std::optional<TensorType> Decl;
    if (hasTrait(N.Op, kLeaf) || hasTrait(N.Op, kRandom))
      Decl = N.Type;
    Map[Id.Index] = G.make(N.Op, Ins, N.Attributes, Decl, N.Body);
  }
  for (const Output &O : Outputs)
    G.addOutput(O.Name, Map[O.Value.Index]);
  for (const Update &U : Updates)
    G.addUpdate(Map[U.Target.Index], Map[U.Value.Index]);
  return G;
}

uint64_t Graph::structuralHash() const {
  std::vector<NodeId> Live = liveNodes();
  std::vector<uint32_t> Map = liveIndex(*this, Live);
  size_t H = mix(Live.size(), Arguments.size());
  for (NodeId Id : Live) {
    const Node &N = Nodes[Id.Index];
    H = mix(H, mix(static_cast<size_t>(N.Op), hashType(N.Type)));
    for (NodeId In : N.Inputs)
      H = mix(H, Map[In.Index]);
    H = mix(H, N.Attributes.hash());
    if (N.Body)
      H = mix(H, N.Body->structuralHash());
  }
  for (NodeId A : Arguments)
    H = mix(H, Map[A.Index]);
  for (const Output &O : Outputs)
    H = mix(mix(H, std::hash<std::string>()(O.Name)), Map[O.Value.Index]);
  for (const Update &U : Updates)
    H = mix(mix(H, Map[U.Target.Index]), Map[U.Value.Index]);
  return H;
}

std::string Graph::str() const { return printGraph(*this); }

} // namespace netjit
