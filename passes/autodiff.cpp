//===- autodiff.cpp - Reverse-mode automatic differentiation --------------===//
//
// A reverse sweep is micrograd's algorithm on the arena: the nodes between
// the lowest wrt and the cost are already in topological order, so one
// forward scan marks the nodes a wrt reaches, and one backward scan visits
// them in reverse, asking each node's adjoint rule (passes/adjoints.cpp) for
// its operands' contributions and adding them up. Both scans are linear in
// the nodes between wrt and cost.
//
// The pass groups the grad requests by cost before rebuilding the graph, so
// the first request of a cost sweeps once for every wrt of that cost.
//
// Multi-result nodes (scans) are differentiated as a whole: the sweep
// gathers the adjoints of their `result` users, which come later in the
// arena, and hands the scan all of them at once (multiResultAdjoints). So
// that the reverse scan finds the carries each step started from, the pass
// rebuilds every scan on a gradient path with a body that also returns its
// incoming carries (withStackedCarries); the extra stacked outputs come
// after the scan's own, whose results keep their indices.
//
//===----------------------------------------------------------------------===//
#include "passes/autodiff.h"

#include "ir/error.h"
#include "passes/adjoints.h"
#include "passes/rewrite.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace netjit {
namespace {

/// Marks the nodes in [Lo, Hi] whose value depends differentiably on a Wrt
/// node: the Wrt nodes themselves, then every float value (or multi-result
/// node) with a marked operand, except stop_gradient. Integer and bool
/// values carry no gradient, so they stop the marking.
std::vector<char> reachFrom(const Graph &G, uint32_t Lo, uint32_t Hi,
                            std::span<const NodeId> Wrt) {
  std::vector<char> Reach(Hi - Lo + 1, 0);
  for (NodeId W : Wrt)
    if (W.Index >= Lo && W.Index <= Hi)
      Reach[W.Index - Lo] = 1;
  for (uint32_t I = Lo; I <= Hi; ++I) {
    const Node &N = G.node(NodeId{I});
    if (Reach[I - Lo] || N.Op == OpCode::StopGradient)
      continue;
    if (!N.isMultiResult() && !isFloat(N.Type.Dtype))
      continue;
    for (NodeId In : N.Inputs)
      if (In.Index >= Lo && Reach[In.Index - Lo]) {
        Reach[I - Lo] = 1;
        break;
      }
  }
  return Reach;
}

/// Whether any operand of N is marked; sets Needs to the marked operands.
bool markedOperands(const Node &N, uint32_t Lo, const std::vector<char> &Reach,
                    std::vector<bool> &Needs) {
  bool Any = false;
  Needs.assign(N.Inputs.size(), false);
  for (size_t K = 0; K < N.Inputs.size(); ++K) {
    uint32_t In = N.Inputs[K].Index;
    Needs[K] = In >= Lo && Reach[In - Lo];
    Any = Any || Needs[K];
  }
  return Any;
}

/// The reverse scan: the adjoint of every marked node in [Lo, Hi] that an
/// output (each in [Lo, Hi], with its seed) depends on; invalid elsewhere.
std::vector<NodeId> sweep(Builder &B, uint32_t Lo, uint32_t Hi,
                          std::span<const NodeId> Outputs,
                          std::span<const NodeId> Seeds,
                          const std::vector<char> &Reach) {
  Graph &G = B.graph();
  auto AddTo = [&B](NodeId &Acc, NodeId Part) {
    Acc = Acc.valid() ? B.binary(OpCode::Add, Acc, Part) : Part;
  };
  std::vector<NodeId> Adj(Hi - Lo + 1);
  for (size_t I = 0; I < Outputs.size(); ++I)
    if (Outputs[I].Index >= Lo && Outputs[I].Index <= Hi &&
        Reach[Outputs[I].Index - Lo])
      AddTo(Adj[Outputs[I].Index - Lo], Seeds[I]);
  // The adjoints of each multi-result node's results, one slot per result,
  // gathered from its `result` users before the node itself is reached.
  std::unordered_map<uint32_t, std::vector<NodeId>> ResultAdj;
  std::vector<bool> Needs;
  for (uint32_t I = Hi + 1; I-- > Lo;) {
    NodeId Id{I};
    const Node &N = G.node(Id);
    std::vector<NodeId> Parts;
    if (N.isMultiResult()) {
      auto It = ResultAdj.find(I);
      if (It == ResultAdj.end() || !markedOperands(N, Lo, Reach, Needs))
        continue;
      Parts = multiResultAdjoints(B, Id, It->second, Needs);
    } else {
      NodeId Grad = Adj[I - Lo];
      if (!Grad.valid())
        continue;
      if (N.Op == OpCode::Result) {
        NodeId Tuple = N.Inputs[0];
        if (Tuple.Index < Lo || !Reach[Tuple.Index - Lo])
          continue;
        std::vector<NodeId> &Slots = ResultAdj[Tuple.Index];
        Slots.resize(G.node(Tuple).Results.size());
        AddTo(Slots[N.Attributes.getInt("index")], Grad);
        continue;
      }
      if (!markedOperands(N, Lo, Reach, Needs))
        continue;
      Parts = operandAdjoints(B, Id, Grad, Needs);
    }
    for (size_t K = 0; K < Parts.size(); ++K) {
      if (!Parts[K].valid())
        continue;
      NodeId In = N.Inputs[K];
      NJ_CHECK(G.type(Parts[K]) == G.type(In),
               "the adjoint rule of '" << opName(N.Op) << "' gave operand #"
                                       << K << " a " << G.type(Parts[K]).str()
                                       << " adjoint for a " << G.type(In).str()
                                       << " operand");
      AddTo(Adj[In.Index - Lo], Parts[K]);
    }
  }
  return Adj;
}

/// Whether G or a scan body inside it holds a grad request.
bool hasGradRequests(const Graph &G) {
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    if (N.Op == OpCode::Grad ||
        (N.Op == OpCode::Scan && N.Body && hasGradRequests(*N.Body)))
      return true;
  }
  return false;
}

/// The rebuild of a scan: its body with grad requests expanded (by the
/// pass, recursively) and, when Keep, with its incoming carries stacked;
/// nullopt when neither changes it.
std::optional<NodeId> expandScan(Builder &B, const Node &Old,
                                 std::span<const NodeId> Ins, bool Keep,
                                 PassContext &Ctx) {
  std::shared_ptr<const Graph> Body = Old.Body;
  if (hasGradRequests(*Body)) {
    Ctx.count("autodiff.scan-body");
    Graph Copy = Body->compact();
    AutodiffPass().run(Copy, Ctx);
    Body = std::make_shared<const Graph>(std::move(Copy));
  }
  size_t NumCarry = static_cast<size_t>(Old.Attributes.getInt("num_carry"));
  if (Keep && !stacksIncomingCarries(*Body, NumCarry)) {
    Ctx.count("autodiff.scan-stacked");
    Body = withStackedCarries(*Body, NumCarry);
  }
  if (Body == Old.Body)
    return std::nullopt;
  return B.graph().make(OpCode::Scan, Ins, Old.Attributes, std::nullopt, Body);
}

} // namespace

std::vector<NodeId> vectorJacobianProduct(Builder &B,
                                          std::span<const NodeId> Outputs,
                                          std::span<const NodeId> Seeds,
                                          std::span<const NodeId> Wrt) {
  Graph &G = B.graph();
  NJ_CHECK(Outputs.size() == Seeds.size(), "one seed per output");
  uint32_t Hi = 0;
  for (size_t I = 0; I < Outputs.size(); ++I) {
    NJ_CHECK(G.type(Seeds[I]) == G.type(Outputs[I]),
             "the seed " << G.type(Seeds[I]).str() << " of output #" << I
                         << " must have its type " << G.type(Outputs[I]).str());
    Hi = std::max(Hi, Outputs[I].Index);
  }
  uint32_t Lo = Hi + 1;
  for (NodeId W : Wrt)
    if (W.Index <= Hi)
      Lo = std::min(Lo, W.Index);
  std::vector<NodeId> Adj;
  if (!Outputs.empty() && Lo <= Hi)
    Adj = sweep(B, Lo, Hi, Outputs, Seeds, reachFrom(G, Lo, Hi, Wrt));
  std::vector<NodeId> Result;
  for (NodeId W : Wrt) {
    bool Inside = !Adj.empty() && W.Index >= Lo && W.Index <= Hi;
    NodeId A = Inside ? Adj[W.Index - Lo] : NodeId();
    Result.push_back(A.valid() ? A : B.fill(0.0, G.type(W)));
  }
  return Result;
}

std::vector<NodeId> reverseAccumulate(Builder &B, NodeId Cost,
                                      std::span<const NodeId> Wrt,
                                      NodeId Seed) {
  Graph &G = B.graph();
  if (!Seed.valid()) {
    NJ_CHECK(G.type(Cost).rank() == 0 && isFloat(G.type(Cost).Dtype),
             "a reverse sweep seeded with 1 needs a float scalar cost, not "
                 << G.type(Cost).str());
    Seed = G.scalar(1.0, G.type(Cost).Dtype);
  }
  NJ_CHECK(G.type(Seed) == G.type(Cost), "the seed must have the cost's type");
  NodeId Outputs[] = {Cost}, Seeds[] = {Seed};
  return vectorJacobianProduct(B, Outputs, Seeds, Wrt);
}

bool AutodiffPass::run(Graph &G, PassContext &Ctx) {
  // The wrt nodes requested of each cost (old ids), so that the first
  // request of a cost sweeps for all of them at once.
  std::unordered_map<uint32_t, std::vector<NodeId>> WrtsOf;
  for (NodeId Id : G.liveNodes())
    if (const Node &N = G.node(Id); N.Op == OpCode::Grad)
      WrtsOf[N.Inputs[0].Index].push_back(N.Inputs[1]);
  if (WrtsOf.empty() && !hasGradRequests(G))
    return false;
  // The old nodes each cost depends on, so that a wrt the cost cannot
  // depend on gets zeros without a sweep of its own (which would make many
  // such requests quadratic).
  std::unordered_map<uint32_t, std::vector<char>> DependsOn;
  for (const auto &[CostIndex, Wrts] : WrtsOf) {
    std::vector<char> &Dep = DependsOn[CostIndex];
    Dep.assign(CostIndex + 1, 0);
    Dep[CostIndex] = 1;
    for (uint32_t I = CostIndex + 1; I-- > 0;)
      if (Dep[I])
        for (NodeId In : G.node(NodeId{I}).Inputs)
          Dep[In.Index] = 1;
  }
  // The scans that lie on a path from a wrt to its cost (through a float
  // result), which keep their incoming carries for the reverse scan. (Scans
  // that the expansion of an inner grad makes are not known yet; the scan
  // adjoint stacks their carries itself, with a second forward scan.)
  std::unordered_set<const Node *> KeepCarries;
  for (const auto &[CostIndex, Wrts] : WrtsOf) {
    uint32_t Lo = CostIndex + 1;
    for (NodeId W : Wrts)
      Lo = std::min(Lo, W.Index);
    if (Lo > CostIndex)
      continue;
    std::vector<char> Reach = reachFrom(G, Lo, CostIndex, Wrts);
    const std::vector<char> &Dep = DependsOn.at(CostIndex);
    for (uint32_t I = Lo; I <= CostIndex; ++I)
      if (const Node &N = G.node(NodeId{I});
          Reach[I - Lo] && Dep[I] && N.Op == OpCode::Result &&
          G.node(N.Inputs[0]).Op == OpCode::Scan)
        KeepCarries.insert(&G.node(N.Inputs[0]));
  }

  // Old id -> new id of every argument and of every operand rebuilt so far.
  // A wrt the cost depends on is an operand of a node on the way to the
  // cost, so it is known when the cost's first request is reached; any other
  // wrt gets zeros (a param the cost does not use is swept along for free).
  std::vector<NodeId> NewId(G.size());
  bool ArgumentsMapped = false;
  // New cost id -> (new wrt id -> its adjoint), for every wrt swept so far.
  std::unordered_map<uint32_t, std::unordered_map<uint32_t, NodeId>> Swept;
  RewriteRule Expand =
      [&](Builder &B, const Node &Old,
          std::span<const NodeId> Ins) -> std::optional<NodeId> {
    if (!ArgumentsMapped) {
      // rebuild() re-declares the arguments first, in the same order.
      const std::vector<NodeId> &NewArgs = B.graph().arguments();
      NJ_CHECK(NewArgs.size() == G.arguments().size(), "arguments rebuilt");
      for (size_t I = 0; I < NewArgs.size(); ++I)
        NewId[G.arguments()[I].Index] = NewArgs[I];
      ArgumentsMapped = true;
    }
    for (size_t K = 0; K < Ins.size(); ++K)
      NewId[Old.Inputs[K].Index] = Ins[K];
    if (Old.Op == OpCode::Scan)
      return expandScan(B, Old, Ins, KeepCarries.count(&Old) != 0, Ctx);
    if (Old.Op != OpCode::Grad)
      return std::nullopt;
    Ctx.count("autodiff.grad");
    NodeId Cost = Ins[0], Wrt = Ins[1];
    const std::vector<char> &Dep = DependsOn.at(Old.Inputs[0].Index);
    if (Old.Inputs[1].Index >= Dep.size() || !Dep[Old.Inputs[1].Index]) {
      Ctx.count("autodiff.unused-wrt");
      return B.fill(0.0, B.type(Wrt));
    }
    auto [Entry, First] = Swept.try_emplace(Cost.Index);
    std::unordered_map<uint32_t, NodeId> &Known = Entry->second;
    if (auto It = Known.find(Wrt.Index); It != Known.end())
      return It->second;
    // The first request of a cost sweeps for every wrt of the cost known by
    // now; a later miss (a wrt the cost cannot depend on) sweeps for itself.
    std::vector<NodeId> Wrts{Wrt};
    if (First)
      for (NodeId W : WrtsOf[Old.Inputs[0].Index])
        if (NodeId New = NewId[W.Index]; New.valid())
          Wrts.push_back(New);
    std::sort(Wrts.begin(), Wrts.end());
    Wrts.erase(std::unique(Wrts.begin(), Wrts.end()), Wrts.end());
    size_t Before = B.graph().size();
    std::vector<NodeId> Adj = reverseAccumulate(B, Cost, Wrts);
    Ctx.count("autodiff.sweep");
    Ctx.count("autodiff.nodes-built",
              static_cast<int64_t>(B.graph().size() - Before));
    for (size_t I = 0; I < Wrts.size(); ++I)
      Known[Wrts[I].Index] = Adj[I];
    return Known.at(Wrt.Index);
  };
  return rebuild(G, Expand);
}

} // namespace netjit
