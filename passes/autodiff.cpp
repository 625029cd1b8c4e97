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
//===----------------------------------------------------------------------===//
#include "passes/autodiff.h"

#include "ir/error.h"
#include "passes/adjoints.h"
#include "passes/rewrite.h"

#include <algorithm>
#include <unordered_map>

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

/// The reverse scan: the adjoint of every marked node in [Lo, Hi] that the
/// cost (node Hi, with adjoint Seed) depends on; invalid elsewhere.
std::vector<NodeId> sweep(Builder &B, uint32_t Lo, uint32_t Hi, NodeId Seed,
                          const std::vector<char> &Reach) {
  Graph &G = B.graph();
  std::vector<NodeId> Adj(Hi - Lo + 1);
  if (Reach[Hi - Lo])
    Adj[Hi - Lo] = Seed;
  std::vector<bool> Needs;
  for (uint32_t I = Hi + 1; I-- > Lo;) {
    NodeId Grad = Adj[I - Lo];
    if (!Grad.valid())
      continue;
    NodeId Id{I};
    const Node &N = G.node(Id);
    bool Any = false;
    Needs.assign(N.Inputs.size(), false);
    for (size_t K = 0; K < N.Inputs.size(); ++K) {
      uint32_t In = N.Inputs[K].Index;
      Needs[K] = In >= Lo && Reach[In - Lo];
      Any = Any || Needs[K];
    }
    if (!Any)
      continue;
    std::vector<NodeId> Parts = operandAdjoints(B, Id, Grad, Needs);
    for (size_t K = 0; K < Parts.size(); ++K) {
      if (!Parts[K].valid())
        continue;
      NodeId In = N.Inputs[K];
      NJ_CHECK(G.type(Parts[K]) == G.type(In),
               "the adjoint rule of '" << opName(N.Op) << "' gave operand #"
                                       << K << " a " << G.type(Parts[K]).str()
                                       << " adjoint for a " << G.type(In).str()
                                       << " operand");
      NodeId &Acc = Adj[In.Index - Lo];
      Acc = Acc.valid() ? B.binary(OpCode::Add, Acc, Parts[K]) : Parts[K];
    }
  }
  return Adj;
}

} // namespace

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
  uint32_t Hi = Cost.Index, Lo = Hi + 1;
  for (NodeId W : Wrt)
    if (W.Index <= Hi)
      Lo = std::min(Lo, W.Index);
  std::vector<NodeId> Adj;
  if (Lo <= Hi)
    Adj = sweep(B, Lo, Hi, Seed, reachFrom(G, Lo, Hi, Wrt));
  std::vector<NodeId> Result;
  for (NodeId W : Wrt) {
    bool Inside = W.Index >= Lo && W.Index <= Hi;
    NodeId A = Inside ? Adj[W.Index - Lo] : NodeId();
    Result.push_back(A.valid() ? A : B.fill(0.0, G.type(W)));
  }
  return Result;
}

bool AutodiffPass::run(Graph &G, PassContext &Ctx) {
  // The wrt nodes requested of each cost (old ids), so that the first
  // request of a cost sweeps for all of them at once.
  std::unordered_map<uint32_t, std::vector<NodeId>> WrtsOf;
  for (NodeId Id : G.liveNodes())
    if (const Node &N = G.node(Id); N.Op == OpCode::Grad)
      WrtsOf[N.Inputs[0].Index].push_back(N.Inputs[1]);
  if (WrtsOf.empty())
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
