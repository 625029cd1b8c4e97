//===- simplify.cpp - The simplify pass and its rule engine ---------------===//
//
// The pass rewrites the graph in place: it offers every live node, in
// topological order and on its operands' replacements, to a Simplifier, and
// copies the graph out (emitInOrder) only if some node changed. The
// Simplifier tries constant folding first, then the rules of the node's op
// family (passes/simplify/*.cpp); whatever a rule builds goes through the
// same rules, and every node's result is memoized. Leaves, random draws,
// scans, results and grads are kept as they are (re-made on new operands),
// and so is the `wrt` operand of a grad.
//
//===----------------------------------------------------------------------===//
#include "passes/simplify.h"

#include "ir/error.h"
#include "passes/rewrite.h"
#include "passes/simplify/simplifier.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace netjit {
namespace simplify {
namespace {

/// Rules build replacements through make(), which offers them to the rules
/// again; every rule makes the graph smaller or more canonical, so chains
/// are short. The cap only guards against a rule cycle introduced by
/// mistake (the fixed-point tests would then show it).
constexpr int kMaxDepth = 64;

/// The bytes of one element of dtype T holding V.
std::vector<uint8_t> elementBytes(double V, DType T) {
  std::vector<uint8_t> B(dtypeSize(T));
  auto Put = [&B](auto X) { std::memcpy(B.data(), &X, sizeof(X)); };
  switch (T) {
  case DType::F32:
    Put(static_cast<float>(V));
    break;
  case DType::F64:
    Put(V);
    break;
  case DType::I32:
    Put(static_cast<int32_t>(V));
    break;
  case DType::I64:
    Put(static_cast<int64_t>(V));
    break;
  case DType::Bool:
    B[0] = V != 0;
    break;
  }
  return B;
}

} // namespace

NodeId Simplifier::make(OpCode Op, std::vector<NodeId> Ins, const Attrs &A) {
  return simplify(G.make(Op, Ins, A));
}

NodeId Simplifier::simplify(NodeId X) {
  if (Memo.size() <= X.Index)
    Memo.resize(G.size());
  if (Memo[X.Index].valid())
    return Memo[X.Index];
  NodeId R = X;
  if (Depth < kMaxDepth) {
    ++Depth;
    std::optional<NodeId> New = rules(X);
    --Depth;
    if (New)
      R = *New;
  }
  if (Memo.size() < G.size())
    Memo.resize(G.size());
  Memo[X.Index] = R;
  Memo[R.Index] = R;
  return R;
}

void Simplifier::freeze(NodeId X) {
  if (Memo.size() < G.size())
    Memo.resize(G.size());
  Memo[X.Index] = X;
}

const Node *Simplifier::constantSource(NodeId X) const {
  const Node *N = &node(X);
  if (N->Op == OpCode::Broadcast)
    N = &node(N->Inputs[0]);
  return N->Op == OpCode::Constant ? N : nullptr;
}

bool Simplifier::isSplat(NodeId X, double V) const {
  const Node *C = constantSource(X);
  if (!C)
    return false;
  std::vector<uint8_t> Want = elementBytes(V, C->Type.Dtype);
  const std::vector<uint8_t> &Data = C->Attributes.getBytes("value").Data;
  for (size_t I = 0; I < Data.size(); I += Want.size())
    if (std::memcmp(Data.data() + I, Want.data(), Want.size()) != 0)
      return false;
  return true; // an empty constant is every value; harmless either way
}

NodeId Simplifier::fill(double V, const TensorType &T) {
  return broadcast(G.scalar(V, T.Dtype), T.Dims);
}

NodeId Simplifier::reshape(NodeId X, const Shape &To) {
  if (type(X).Dims == To)
    return X;
  return make(OpCode::Reshape, {X}, Attrs{{"shape", To}});
}

NodeId Simplifier::broadcast(NodeId X, const Shape &To) {
  if (type(X).Dims == To)
    return X;
  return make(OpCode::Broadcast, {X}, Attrs{{"shape", To}});
}

std::optional<NodeId> Simplifier::rules(NodeId X) {
  const Node &N = node(X);
  OpCode Op = N.Op;
  if (hasTrait(Op, kLeaf) || hasTrait(Op, kRandom) || N.Body ||
      Op == OpCode::Result || Op == OpCode::Grad)
    return std::nullopt;
  if (auto R = foldRules(*this, X))
    return R;
  if (hasTrait(Op, kReduction))
    return reduceRules(*this, X);
  switch (Op) {
  case OpCode::Select:
    return selectRules(*this, X);
  case OpCode::Cast:
  case OpCode::StopGradient:
    return miscRules(*this, X);
  case OpCode::Transpose:
  case OpCode::Reshape:
  case OpCode::Broadcast:
  case OpCode::Slice:
  case OpCode::Concat:
    return layoutRules(*this, X);
  default:
    break;
  }
  if (hasTrait(Op, kElementwise) && N.Inputs.size() == 2)
    return arithmeticRules(*this, X);
  if (hasTrait(Op, kElementwise) && N.Inputs.size() == 1)
    return unaryRules(*this, X);
  return std::nullopt;
}

/// The simplified graph as a fresh graph of the needed nodes only, in which
/// each replacement sits where the node it replaces was (G holds the
/// replacements at the end of its arena), as a rebuild() would order it.
/// A replacement mostly reaches unchanged originals (emitted already) and
/// nodes the rules appended; but interning may also have handed a rule an
/// original node not visited yet (or a dead one), which is emitted as it is:
/// correct, and simplified by the next run of a fixed point.
static Graph emitInOrder(const Graph &G, const std::vector<NodeId> &Live,
                         const std::vector<NodeId> &Map) {
  Graph New(G.name());
  Builder B(New);
  std::vector<NodeId> To(G.size());
  std::vector<NodeId> Stack, Ins;
  auto Emit = [&](NodeId Root) {
    Stack.push_back(Root);
    while (!Stack.empty()) {
      NodeId X = Stack.back();
      if (To[X.Index].valid()) {
        Stack.pop_back();
        continue;
      }
      const Node &N = G.node(X);
      bool Ready = true;
      for (NodeId In : N.Inputs)
        if (!To[In.Index].valid()) {
          Stack.push_back(In);
          Ready = false;
        }
      if (!Ready)
        continue;
      Ins.clear();
      for (NodeId In : N.Inputs)
        Ins.push_back(To[In.Index]);
      To[X.Index] = remake(B, N, Ins);
      Stack.pop_back();
    }
  };
  // What the new outputs reach (operands precede users: one backward sweep).
  std::vector<char> Needed(G.size(), 0);
  for (const Output &O : G.outputs())
    Needed[Map[O.Value.Index].Index] = 1;
  for (const Update &U : G.updates())
    Needed[Map[U.Value.Index].Index] = 1;
  for (size_t I = G.size(); I-- > 0;)
    if (Needed[I])
      for (NodeId In : G.node(NodeId{static_cast<uint32_t>(I)}).Inputs)
        Needed[In.Index] = 1;
  for (NodeId A : G.arguments())
    Emit(A);
  for (NodeId Id : Live)
    if (Needed[Map[Id.Index].Index])
      Emit(Map[Id.Index]);
  for (const Output &O : G.outputs())
    New.addOutput(O.Name, To[Map[O.Value.Index].Index]);
  for (const Update &U : G.updates())
    New.addUpdate(To[U.Target.Index], To[Map[U.Value.Index].Index]);
  return New;
}

} // namespace simplify

bool SimplifyPass::run(Graph &G, PassContext &Ctx) {
  // The wrt operand of a grad names what to differentiate with respect to:
  // rewriting it (x * 1 => x) would change which gradient is asked for.
  std::vector<NodeId> Live = G.liveNodes();
  std::unordered_set<const Node *> Keep;
  for (NodeId Id : Live)
    if (G.node(Id).Op == OpCode::Grad)
      Keep.insert(&G.node(G.node(Id).Inputs[1]));
  // Rewrite in place: an unchanged node re-made on unchanged operands is
  // found by interning, so a graph with nothing to simplify costs no copy.
  size_t SizeBefore = G.size();
  Builder B(G);
  simplify::Simplifier S(B, Ctx);
  std::vector<NodeId> Map(G.size());
  std::vector<NodeId> Ins;
  bool Changed = false;
  for (NodeId Id : Live) {
    const Node &N = G.node(Id); // a deque element: stable while G grows
    Ins.clear();
    for (NodeId In : N.Inputs)
      Ins.push_back(Map[In.Index]);
    NodeId R = Id;
    bool Opaque = hasTrait(N.Op, kLeaf) || hasTrait(N.Op, kRandom) || N.Body ||
                  N.Op == OpCode::Grad || N.Op == OpCode::Result ||
                  Keep.count(&N);
    if (!Opaque && std::equal(Ins.begin(), Ins.end(), N.Inputs.begin()))
      R = S.simplify(Id);
    else if (!Opaque)
      R = S.make(N.Op, Ins, N.Attributes);
    else if (!std::equal(Ins.begin(), Ins.end(), N.Inputs.begin()))
      R = remake(B, N, Ins);
    if (Opaque)
      S.freeze(R);
    NJ_CHECK(G.type(R) == N.Type, "simplify changed the type of '"
                                      << opName(N.Op) << "' from "
                                      << N.Type.str() << " to "
                                      << G.type(R).str());
    Map[Id.Index] = R;
    Changed |= R != Id;
  }
  if (!Changed) {
    if (G.size() != SizeBefore)
      G = G.compact(); // drop what declined rules built
    return false;
  }
  G = simplify::emitInOrder(G, Live, Map);
  return true;
}

} // namespace netjit
