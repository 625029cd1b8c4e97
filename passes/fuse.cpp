//===- fuse.cpp - Grouping a lowered graph into kernels -------------------===//
//
// Three steps over the top-level graph (after reductions are put in [R, K]
// form). Grouping: in topological order, each compute node joins the groups
// of its producers when the merged group is acyclic and its body passes
// analyzeKernel and the cost veto; else it starts a group. Needs: which
// values the top level must hold (graph outputs, kernel arguments, operands
// of nodes outside kernels); a scalar computation or a broadcast needed there
// becomes a kernel of its own. Building: groups and the remaining top-level
// nodes are emitted in a topological order of the condensed graph, each group
// as a `kernel` whose results replace its members' outside uses.
//
//===----------------------------------------------------------------------===//
#include "passes/fuse.h"

#include "ir/builder.h"
#include "ir/error.h"
#include "passes/fuse_impl.h"
#include "passes/kernel_info.h"

#include <algorithm>
#include <queue>

namespace netjit {
namespace {

using namespace fusion;

class Grouper {
public:
  Grouper(FusionGraph &F, PassContext &Ctx)
      : F(F), Ctx(Ctx), N(F.G.size()), GroupOf(N, -1), Mark(N, 0), Needed(N, 0),
        Stamp(2 * N, 0), GroupStamp() {}

  void groupAll();
  void findNeeded();
  Graph build();

private:
  struct Group {
    std::vector<NodeId> Members;  // arena order
    std::vector<NodeId> NoAbsorb; // views this group reads materialized
  };

  bool tryGroup(const std::vector<NodeId> &Members,
                const std::vector<NodeId> &NoAbsorb);
  bool createsCycle(const std::vector<NodeId> &Members);
  bool usedOutside(NodeId M) const;
  bool absorbedInside(NodeId View) const;
  std::vector<int> producerGroups(NodeId V) const;
  int addGroup(std::vector<NodeId> Members, std::vector<NodeId> NoAbsorb);
  void fuseNode(NodeId V);
  /// Sets (or clears) the scratch marks of a candidate group.
  void mark(const std::vector<NodeId> &Members,
            const std::vector<NodeId> &NoAbsorb, char On);
  BuiltBody bodyOf(const Group &G, const std::function<bool(NodeId)> &IsOutput);
  std::vector<size_t> order(const std::vector<BuiltBody> &Bodies) const;

  FusionGraph &F;
  PassContext &Ctx;
  size_t N;
  std::vector<int> GroupOf;
  std::vector<Group> Groups; // merged-away groups are left empty
  std::vector<char> Mark, Needed;
  std::vector<uint32_t> Stamp, GroupStamp;
  uint32_t Generation = 0;
};

void Grouper::mark(const std::vector<NodeId> &Members,
                   const std::vector<NodeId> &NoAbsorb, char On) {
  for (NodeId M : Members)
    Mark[M.Index] = On;
  for (NodeId V : NoAbsorb)
    F.NoAbsorb[V.Index] = On;
}

/// A view whose every use is copied into the marked group (so it need not
/// exist outside).
bool Grouper::absorbedInside(NodeId View) const {
  std::vector<NodeId> Stack{View};
  while (!Stack.empty()) {
    NodeId V = Stack.back();
    Stack.pop_back();
    if (!F.absorbable(V) || F.GraphUse[V.Index])
      return false;
    for (NodeId U : F.Users[V.Index])
      if (!Mark[U.Index])
        Stack.push_back(U);
  }
  return true;
}

bool Grouper::usedOutside(NodeId M) const {
  if (F.GraphUse[M.Index])
    return true;
  for (NodeId U : F.Users[M.Index])
    if (!Mark[U.Index] && !absorbedInside(U))
      return true;
  return false;
}

/// Whether merging the marked nodes into one kernel closes a cycle: a path
/// that leaves the group through a node that stays outside it (or through
/// another group, which is one node once built) and comes back. Paths
/// through views only are not cycles: the group copies those views.
bool Grouper::createsCycle(const std::vector<NodeId> &Members) {
  ++Generation;
  GroupStamp.resize(Groups.size(), 0);
  // Users come after their operands: a node past the last member cannot
  // lead back into the group.
  uint32_t Last = Members.back().Index;
  std::vector<std::pair<NodeId, bool>> Stack;
  for (NodeId M : Members)
    for (NodeId U : F.Users[M.Index])
      if (!Mark[U.Index])
        Stack.push_back({U, false});
  while (!Stack.empty()) {
    auto [V, Tainted] = Stack.back();
    Stack.pop_back();
    if (V.Index > Last)
      continue;
    uint32_t &Seen = Stamp[2 * V.Index + Tainted];
    if (Seen == Generation)
      continue;
    Seen = Generation;
    if (Mark[V.Index]) {
      if (Tainted)
        return true;
      continue;
    }
    int G = GroupOf[V.Index];
    if (G < 0) {
      bool Through = Tainted || !F.absorbable(V);
      for (NodeId U : F.Users[V.Index])
        Stack.push_back({U, Through});
    } else if (GroupStamp[G] != Generation) {
      GroupStamp[G] = Generation;
      for (NodeId W : Groups[G].Members)
        for (NodeId U : F.Users[W.Index])
          Stack.push_back({U, true});
    }
  }
  return false;
}

BuiltBody Grouper::bodyOf(const Group &G,
                          const std::function<bool(NodeId)> &IsOutput) {
  mark(G.Members, G.NoAbsorb, 1);
  BuiltBody B = buildBody(F, G.Members, Mark, IsOutput);
  mark(G.Members, G.NoAbsorb, 0);
  return B;
}

bool Grouper::tryGroup(const std::vector<NodeId> &Members,
                       const std::vector<NodeId> &NoAbsorb) {
  if (Members.size() > kFuseMaxKernelNodes) {
    Ctx.count("fuse.veto-size");
    return false;
  }
  mark(Members, NoAbsorb, 1);
  bool Ok = !createsCycle(Members);
  if (Ok) {
    BuiltBody B = buildBody(F, Members, Mark,
                            [this](NodeId M) { return usedOutside(M); });
    std::optional<KernelInfo> Info = tryAnalyzeKernel(*B.Body);
    Ok = Info.has_value();
    if (Ok && Info->RecomputeCost > kFuseRecomputeBudget) {
      Ctx.count("fuse.veto-recompute");
      Ok = false;
    } else if (Ok && Info->NumLoops > kFuseMaxLoops) {
      Ctx.count("fuse.veto-loops");
      Ok = false;
    }
  }
  mark(Members, NoAbsorb, 0);
  return Ok;
}

std::vector<int> Grouper::producerGroups(NodeId V) const {
  std::vector<int> Out;
  for (NodeId In : F.G.node(V).Inputs) {
    while (F.kind(In) == Kind::View)
      In = F.G.node(In).Inputs[0];
    int G = GroupOf[In.Index];
    if (G >= 0 && std::find(Out.begin(), Out.end(), G) == Out.end())
      Out.push_back(G);
  }
  return Out;
}

int Grouper::addGroup(std::vector<NodeId> Members,
                      std::vector<NodeId> NoAbsorb) {
  int Id = static_cast<int>(Groups.size());
  for (NodeId M : Members)
    GroupOf[M.Index] = Id;
  Groups.push_back({std::move(Members), std::move(NoAbsorb)});
  return Id;
}

void Grouper::fuseNode(NodeId V) {
  std::vector<int> Producers = producerGroups(V);
  auto Merged = [&](const std::vector<int> &Ids) {
    Group G{{V}, {}};
    for (int Id : Ids) {
      G.Members.insert(G.Members.end(), Groups[Id].Members.begin(),
                       Groups[Id].Members.end());
      G.NoAbsorb.insert(G.NoAbsorb.end(), Groups[Id].NoAbsorb.begin(),
                        Groups[Id].NoAbsorb.end());
    }
    std::sort(G.Members.begin(), G.Members.end());
    return G;
  };
  std::vector<std::vector<int>> Tries;
  if (!Producers.empty())
    Tries.push_back(Producers);
  if (Producers.size() > 1)
    for (int Id : Producers)
      Tries.push_back({Id});
  for (const std::vector<int> &Ids : Tries) {
    Group G = Merged(Ids);
    if (!tryGroup(G.Members, G.NoAbsorb))
      continue;
    for (int Id : Ids)
      Groups[Id] = {};
    addGroup(std::move(G.Members), std::move(G.NoAbsorb));
    Ctx.count("fuse.merged");
    return;
  }
  if (tryGroup({V}, {})) {
    addGroup({V}, {});
    return;
  }
  // The views V reads do not fit its own domain: read them materialized.
  std::vector<NodeId> Views;
  for (NodeId In : F.G.node(V).Inputs)
    for (; F.kind(In) == Kind::View; In = F.G.node(In).Inputs[0])
      Views.push_back(In);
  if (tryGroup({V}, Views)) {
    addGroup({V}, std::move(Views));
    return;
  }
  Ctx.count("fuse.unfusable");
  F.Kinds[V.Index] = Kind::Boundary;
}

void Grouper::groupAll() {
  for (NodeId V : F.Live)
    if (F.kind(V) == Kind::Compute)
      fuseNode(V);
}

/// Marks every value the top level must hold. A scalar computation or a
/// broadcast needed there becomes a kernel of its own (so elementwise work
/// never runs outside a kernel); a reshape stays a free view.
void Grouper::findNeeded() {
  std::vector<NodeId> Work;
  for (const Output &O : F.G.outputs())
    Work.push_back(O.Value);
  for (const Update &U : F.G.updates()) {
    Work.push_back(U.Target);
    Work.push_back(U.Value);
  }
  auto PushExternals = [&](int Id) {
    for (NodeId E : bodyOf(Groups[Id], [](NodeId) { return false; }).Externals)
      Work.push_back(E);
  };
  for (size_t Id = 0; Id < Groups.size(); ++Id)
    if (!Groups[Id].Members.empty())
      PushExternals(static_cast<int>(Id));
  while (!Work.empty()) {
    NodeId V = Work.back();
    Work.pop_back();
    if (Needed[V.Index])
      continue;
    Needed[V.Index] = 1;
    const Node &Nd = F.G.node(V);
    if (GroupOf[V.Index] >= 0 || F.kind(V) == Kind::Leaf ||
        hasTrait(Nd.Op, kLeaf))
      continue;
    bool OwnKernel = F.kind(V) == Kind::SClone ||
                     (F.kind(V) == Kind::View && Nd.Op == OpCode::Broadcast);
    if (OwnKernel && tryGroup({V}, {})) {
      PushExternals(addGroup({V}, {}));
      continue;
    }
    for (NodeId In : Nd.Inputs)
      Work.push_back(In);
  }
}

/// A topological order of the condensed graph: its items are the groups
/// (index < Groups.size()) and the needed top-level nodes (Groups.size() +
/// node index); ties go to the lowest node index.
std::vector<size_t> Grouper::order(const std::vector<BuiltBody> &Bodies) const {
  auto ItemOf = [&](NodeId V) {
    int G = GroupOf[V.Index];
    return G >= 0 ? static_cast<size_t>(G) : Groups.size() + V.Index;
  };
  size_t NumItems = Groups.size() + N;
  std::vector<std::vector<size_t>> Users(NumItems);
  std::vector<size_t> Pending(NumItems, 0), Out;
  std::vector<uint32_t> Key(NumItems, UINT32_MAX);
  auto Depends = [&](size_t It, NodeId On) {
    Users[ItemOf(On)].push_back(It);
    ++Pending[It];
  };
  for (size_t Id = 0; Id < Groups.size(); ++Id)
    if (!Groups[Id].Members.empty()) {
      Key[Id] = Groups[Id].Members.front().Index;
      for (NodeId E : Bodies[Id].Externals)
        Depends(Id, E);
    }
  for (NodeId V : F.Live)
    if (Needed[V.Index] && GroupOf[V.Index] < 0) {
      Key[Groups.size() + V.Index] = V.Index;
      for (NodeId In : F.G.node(V).Inputs)
        Depends(Groups.size() + V.Index, In);
    }
  using Entry = std::pair<uint32_t, size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> Ready;
  for (size_t It = 0; It < NumItems; ++It)
    if (Key[It] != UINT32_MAX && !Pending[It])
      Ready.push({Key[It], It});
  while (!Ready.empty()) {
    size_t It = Ready.top().second;
    Ready.pop();
    Out.push_back(It);
    for (size_t U : Users[It])
      if (--Pending[U] == 0)
        Ready.push({Key[U], U});
  }
  NJ_CHECK(Out.size() ==
               static_cast<size_t>(
                   NumItems - std::count(Key.begin(), Key.end(), UINT32_MAX)),
           "fuse: the kernels form a cycle");
  return Out;
}

Graph Grouper::build() {
  std::vector<BuiltBody> Bodies(Groups.size());
  for (size_t Id = 0; Id < Groups.size(); ++Id)
    if (!Groups[Id].Members.empty())
      Bodies[Id] =
          bodyOf(Groups[Id], [this](NodeId M) { return Needed[M.Index] != 0; });
  Graph New(F.G.name());
  std::vector<NodeId> Map(N);
  auto Remake = [&](NodeId V) {
    const Node &Nd = F.G.node(V);
    std::vector<NodeId> Ins;
    for (NodeId In : Nd.Inputs)
      Ins.push_back(Map[In.Index]);
    std::optional<TensorType> Decl;
    if (hasTrait(Nd.Op, kLeaf) || hasTrait(Nd.Op, kRandom))
      Decl = Nd.Type;
    return New.make(Nd.Op, Ins, Nd.Attributes, Decl, Nd.Body);
  };
  // Arguments first, in declaration order, so the interface is unchanged.
  for (NodeId A : F.G.arguments())
    Map[A.Index] = Remake(A);
  for (size_t It : order(Bodies)) {
    if (It >= Groups.size()) {
      NodeId V{static_cast<uint32_t>(It - Groups.size())};
      OpCode Op = F.G.node(V).Op;
      if (Op != OpCode::Input && Op != OpCode::Param)
        Map[V.Index] = Remake(V);
      continue;
    }
    const BuiltBody &Body = Bodies[It];
    std::string Why;
    NJ_CHECK(tryAnalyzeKernel(*Body.Body, &Why),
             "fuse: a built kernel is invalid: " << Why);
    std::vector<NodeId> Ops;
    for (NodeId E : Body.Externals)
      Ops.push_back(Map[E.Index]);
    NodeId K = New.make(OpCode::Kernel, Ops, {}, std::nullopt, Body.Body);
    for (size_t I = 0; I < Body.Outputs.size(); ++I)
      Map[Body.Outputs[I].Index] = New.make(
          OpCode::Result, std::vector<NodeId>{K}, Attrs{{"index", int64_t(I)}});
    Ctx.count("fuse.kernels");
  }
  for (const Output &O : F.G.outputs())
    New.addOutput(O.Name, Map[O.Value.Index]);
  for (const Update &U : F.G.updates())
    New.addUpdate(Map[U.Target.Index], Map[U.Value.Index]);
  return New.compact();
}

} // namespace

bool FusePass::run(Graph &G, PassContext &Ctx) {
  Graph Work = G.compact();
  canonicalizeReductions(Work, Ctx);
  FusionGraph F = analyzeTopLevel(Work);
  Grouper Gr(F, Ctx);
  Gr.groupAll();
  Gr.findNeeded();
  Graph New = Gr.build();
  bool Changed = !structurallyEqual(New, G);
  G = std::move(New);
  return Changed;
}

} // namespace netjit
