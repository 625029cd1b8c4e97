//===- plan.cpp - Steps and buffers of a compiled function ----------------===//
//
// Planning in four sweeps over the fused graph's live nodes:
//  1. a draft step per node that computes something: fused kernels as they
//     are, matmuls as GEMMs (a transpose of the last two axes feeding one is
//     folded into the GEMM's flags), layout ops, random fills, dim values,
//     and any other op that fits a kernel body as a one-node kernel;
//     reshape is a view of its operand and `result` a kernel's output;
//  2. dead drafts dropped (a transpose whose only users fold it);
//  3. storage: every output value computed by a step is written straight
//     into the caller's output buffer; an output that is an argument, a
//     constant or another output's value is copied there at the end; every
//     other computed value gets a workspace buffer; updates copy their new
//     value into the param last (snapshotting a param that another update
//     overwrites, so every update reads pre-update values);
//  4. liveness intervals of the workspace buffers, and the dim conditions.
//
//===----------------------------------------------------------------------===//
#include "codegen/plan.h"

#include "ir/error.h"
#include "ir/printer.h"

#include <algorithm>
#include <set>

namespace netjit {

std::vector<NodeId> colAccumulators(const Graph &Body, const KernelInfo &Info) {
  std::vector<NodeId> Out;
  for (const std::vector<NodeId> &List : Info.Accumulate)
    for (NodeId Id : List)
      if (Info.classOf(Id) == ValueClass::Col)
        Out.push_back(Id);
  return Out;
}

std::vector<NodeId> cachedRowValues(const Graph &Body, const KernelInfo &Info) {
  std::vector<int> Loops(Body.size(), 0);
  for (const std::vector<NodeId> &List : Info.Loop)
    for (NodeId Id : List)
      ++Loops[Id.Index];
  std::vector<NodeId> Out;
  for (NodeId Id : Body.liveNodes())
    if (Loops[Id.Index] > 1 && Info.classOf(Id) == ValueClass::E &&
        transcendentalWeight(Body.node(Id).Op) > 0)
      Out.push_back(Id);
  return Out;
}

namespace {

/// Whether a Row node can be computed in the deferred loop: elementwise (or
/// a view), with no index or division check to report.
bool deferrable(const Node &N) {
  switch (N.Op) {
  case OpCode::Input:
  case OpCode::Gather:
  case OpCode::OneHot:
  case OpCode::DimValue:
    return false;
  case OpCode::Div:
    return isFloat(N.Type.Dtype);
  default:
    return hasTrait(N.Op, kElementwise) || N.Op == OpCode::Broadcast ||
           N.Op == OpCode::Reshape;
  }
}

} // namespace

DeferredRows deferredRowValues(const Graph &Body, const KernelInfo &Info) {
  size_t N = Body.size();
  std::vector<char> Cand(N, 0), SumNode(N, 0), Output(N, 0);
  std::vector<std::vector<NodeId>> Users(N);
  for (NodeId Id : Body.liveNodes())
    for (NodeId In : Body.node(Id).Inputs)
      Users[In.Index].push_back(Id);
  for (const auto &O : Body.outputs())
    Output[O.Value.Index] = 1;
  for (NodeId Id : Info.RowAccumulate)
    SumNode[Id.Index] = 1;
  std::vector<char> Accumulated(N, 0);
  for (const std::vector<NodeId> &List : Info.Accumulate)
    for (NodeId Id : List)
      Accumulated[Id.Index] = 1;
  std::vector<NodeId> Order;
  for (const std::vector<NodeId> &List : Info.RowStart)
    for (NodeId Id : List)
      if (Info.classOf(Id) == ValueClass::Row && !Accumulated[Id.Index] &&
          !Output[Id.Index] && deferrable(Body.node(Id))) {
        Cand[Id.Index] = 1;
        Order.push_back(Id);
      }
  // Drop every candidate read by something that stays in the row loop.
  for (bool Changed = true; Changed;) {
    Changed = false;
    for (NodeId Id : Order)
      if (Cand[Id.Index])
        for (NodeId U : Users[Id.Index])
          if (!Cand[U.Index] && !SumNode[U.Index]) {
            Cand[Id.Index] = 0;
            Changed = true;
            break;
          }
  }
  DeferredRows D;
  bool Costly = false;
  for (NodeId Id : Order)
    if (Cand[Id.Index]) {
      D.Nodes.push_back(Id);
      Costly |= transcendentalWeight(Body.node(Id).Op) > 0;
    }
  if (!Costly)
    return {};
  std::vector<char> Stored(N, 0);
  for (NodeId Id : D.Nodes)
    for (NodeId In : Body.node(Id).Inputs)
      if (!Cand[In.Index] && Info.classOf(In) == ValueClass::Row &&
          Body.node(In).Op != OpCode::Input)
        Stored[In.Index] = 1;
  for (NodeId Id : Body.liveNodes())
    if (Stored[Id.Index])
      D.Stored.push_back(Id);
  for (NodeId Id : Info.RowAccumulate)
    if (Cand[Body.node(Id).Inputs[0].Index])
      D.Sums.push_back(Id);
  return D;
}

uint32_t accumulatorBytes(OpCode Op, DType T) {
  return Op == OpCode::Sum && T == DType::F32
             ? 8
             : static_cast<uint32_t>(dtypeSize(T));
}

namespace {

using namespace plan;

/// A step before storage is assigned: top-level node ids.
struct Draft {
  Step S;
  std::vector<NodeId> Reads;  // operands, in the step's order
  std::vector<NodeId> Writes; // results (invalid: a dead kernel output)
};

class Planner {
public:
  explicit Planner(const Graph &G) : G(G), Live(G.liveNodes()) {}
  std::optional<Plan> run(std::string *Why, const SymbolTable *Symbols);

private:
  bool draftNode(NodeId Id, std::string &Why);
  bool draftKernel(NodeId Id, std::shared_ptr<const Graph> Body,
                   std::vector<NodeId> Operands, std::vector<NodeId> Results,
                   std::string &Why);
  bool draftOneNodeKernel(NodeId Id, std::string &Why);
  bool draftScan(NodeId Id, std::string &Why);
  std::vector<NodeId> resultsOf(NodeId Id) const;
  void draftGemm(NodeId Id);
  NodeId root(NodeId Id) const {
    while (G.node(Id).Op == OpCode::Reshape)
      Id = G.node(Id).Inputs[0];
    return Id;
  }
  bool isConstant(NodeId Id) const { return G.node(Id).Op == OpCode::Constant; }
  void dropDeadDrafts();
  void assignStorage();
  std::vector<std::pair<NodeId, int32_t>> assignOutputs();
  void planUpdates();
  int32_t newBuffer(const Dim &Elements, uint32_t ElemBytes);
  ValueRef ref(NodeId Id) const;
  void addCopy(ValueRef From, int32_t To, const TensorType &T);
  void finishSteps();

  const Graph &G;
  std::vector<NodeId> Live;
  Plan P;
  std::vector<Draft> Drafts;
  std::vector<int32_t> SlotOf;
  std::vector<Step> Tail; // copies after the drafts
};

bool Planner::draftKernel(NodeId Id, std::shared_ptr<const Graph> Body,
                          std::vector<NodeId> Operands,
                          std::vector<NodeId> Results, std::string &Why) {
  std::string Reason;
  std::optional<KernelInfo> Info = tryAnalyzeKernel(*Body, &Reason);
  if (!Info) {
    Why = "'" + printNode(G, Id) + "' does not fit a loop nest: " + Reason;
    return false;
  }
  Draft D;
  D.S.Kind = StepKind::Kernel;
  D.S.Node = Id;
  D.S.Body = std::move(Body);
  D.S.Info = std::make_shared<const KernelInfo>(std::move(*Info));
  D.Reads = std::move(Operands);
  D.Writes = std::move(Results);
  Drafts.push_back(std::move(D));
  return true;
}

/// A top-level node outside any kernel becomes a kernel of its own, with
/// every distinct operand an argument.
bool Planner::draftOneNodeKernel(NodeId Id, std::string &Why) {
  const Node &N = G.node(Id);
  auto Body = std::make_shared<Graph>("node");
  std::vector<NodeId> Operands, Args;
  for (NodeId In : N.Inputs) {
    auto It = std::find(Operands.begin(), Operands.end(), In);
    if (It != Operands.end()) {
      Args.push_back(Args[It - Operands.begin()]);
      continue;
    }
    Args.push_back(
        Body->input("a" + std::to_string(Operands.size()), G.type(In)));
    Operands.push_back(In);
  }
  NodeId R = Body->make(N.Op, Args, N.Attributes, N.Type);
  Body->addOutput("r", R);
  return draftKernel(Id, std::move(Body), std::move(Operands), {Id}, Why);
}

/// The live `result` node of each result of a multi-result node (invalid
/// where nothing reads it).
std::vector<NodeId> Planner::resultsOf(NodeId Id) const {
  std::vector<NodeId> Results(G.node(Id).Results.size());
  for (NodeId U : Live) {
    const Node &R = G.node(U);
    if (R.Op == OpCode::Result && R.Inputs[0] == Id)
      Results[R.Attributes.getInt("index")] = U;
  }
  return Results;
}

/// A scan is one step whose body has a plan of its own, made with this
/// plan's symbol table so both read one dims array. Nested scans plan
/// recursively.
bool Planner::draftScan(NodeId Id, std::string &Why) {
  const Node &N = G.node(Id);
  std::string Reason;
  std::optional<Plan> Sub = makePlan(*N.Body, &Reason, &P.Symbols);
  if (!Sub) {
    Why = "the body of scan " + printNode(G, Id) + ": " + Reason;
    return false;
  }
  Draft D;
  D.S.Kind = StepKind::Scan;
  D.S.Node = Id;
  D.S.Body = N.Body;
  D.S.Sub = std::make_shared<const Plan>(std::move(*Sub));
  D.Reads = N.Inputs;
  D.Writes = resultsOf(Id);
  Drafts.push_back(std::move(D));
  return true;
}

/// matmul(a, b) with a or b a transpose of the last two axes (batch axes
/// kept): the GEMM reads the transpose's operand with a flag.
void Planner::draftGemm(NodeId Id) {
  Draft D;
  D.S.Kind = StepKind::Gemm;
  D.S.Node = Id;
  const Node &N = G.node(Id);
  for (int I = 0; I < 2; ++I) {
    NodeId In = N.Inputs[I];
    const Node &T = G.node(In);
    if (T.Op == OpCode::Transpose) {
      std::vector<int64_t> Perm = T.Attributes.getInts("perm");
      size_t R = Perm.size();
      bool Swap = R >= 2 && Perm[R - 2] == static_cast<int64_t>(R - 1) &&
                  Perm[R - 1] == static_cast<int64_t>(R - 2);
      for (size_t A = 0; A + 2 < R; ++A)
        Swap = Swap && Perm[A] == static_cast<int64_t>(A);
      if (Swap) {
        D.S.GemmFlags |= I == 0 ? 1 : 2;
        In = T.Inputs[0];
      }
    }
    D.Reads.push_back(In);
  }
  D.Writes = {Id};
  Drafts.push_back(std::move(D));
}

bool Planner::draftNode(NodeId Id, std::string &Why) {
  const Node &N = G.node(Id);
  auto simple = [&](StepKind K) {
    Draft D;
    D.S.Kind = K;
    D.S.Node = Id;
    D.Reads = N.Inputs;
    D.Writes = {Id};
    Drafts.push_back(std::move(D));
    return true;
  };
  switch (N.Op) {
  case OpCode::Input:
  case OpCode::Param:
  case OpCode::Constant:
  case OpCode::Reshape:
  case OpCode::Result:
    return true;
  case OpCode::Kernel:
    return draftKernel(Id, N.Body, N.Inputs, resultsOf(Id), Why);
  case OpCode::MatMul:
    draftGemm(Id);
    return true;
  case OpCode::Transpose:
  case OpCode::Broadcast:
  case OpCode::Slice:
  case OpCode::Pad:
  case OpCode::Concat:
  case OpCode::Gather:
  case OpCode::ScatterAdd:
  case OpCode::OneHot:
  case OpCode::Argmax:
    return simple(StepKind::Layout);
  case OpCode::RandomUniform:
  case OpCode::RandomNormal:
    return simple(StepKind::Random);
  case OpCode::DimValue:
    return simple(StepKind::DimValue);
  case OpCode::Scan:
    return draftScan(Id, Why);
  case OpCode::Grad:
    Why = "the graph has an unexpanded grad (run the autodiff pass)";
    return false;
  case OpCode::Mean:
  case OpCode::LogSumExp:
  case OpCode::Softmax:
  case OpCode::LogSoftmax:
  case OpCode::SoftmaxXent:
    Why = "'" + std::string(opName(N.Op)) +
          "' was not lowered (run the lower pass)";
    return false;
  default:
    return draftOneNodeKernel(Id, Why);
  }
}

void Planner::dropDeadDrafts() {
  std::vector<char> Needed(G.size(), 0);
  for (const Output &O : G.outputs())
    Needed[root(O.Value).Index] = 1;
  for (const Update &U : G.updates())
    Needed[root(U.Value).Index] = 1;
  std::vector<Draft> Kept;
  for (size_t I = Drafts.size(); I-- > 0;) {
    Draft &D = Drafts[I];
    bool Any = false;
    for (NodeId W : D.Writes)
      Any = Any || (W.valid() && Needed[W.Index]);
    if (!Any)
      continue;
    for (NodeId R : D.Reads)
      Needed[root(R).Index] = 1;
    Kept.push_back(std::move(D));
  }
  std::reverse(Kept.begin(), Kept.end());
  Drafts = std::move(Kept);
}

int32_t Planner::newBuffer(const Dim &Elements, uint32_t ElemBytes) {
  Buffer B;
  B.Elements = DimExpr(Elements, P.Symbols);
  B.ElemBytes = ElemBytes;
  P.Buffers.push_back(std::move(B));
  P.Slots.push_back(
      {SlotKind::Workspace, static_cast<uint32_t>(P.Buffers.size() - 1)});
  return static_cast<int32_t>(P.Slots.size() - 1);
}

ValueRef Planner::ref(NodeId Id) const {
  NodeId R = root(Id);
  ValueRef V;
  if (isConstant(R))
    V.Constant = R;
  else
    V.Slot = SlotOf[R.Index];
  NJ_CHECK(V.Constant.valid() || V.Slot >= 0,
           "no storage for " << printNode(G, R));
  return V;
}

void Planner::addCopy(ValueRef From, int32_t To, const TensorType &T) {
  Step S;
  S.Kind = StepKind::Copy;
  S.Operands = {From};
  S.Results = {To};
  S.Elements = numElements(T.Dims);
  S.ElemBytes = static_cast<uint32_t>(dtypeSize(T.Dtype));
  Tail.push_back(std::move(S));
}

void Planner::assignStorage() {
  SlotOf.assign(G.size(), -1);
  P.NumArguments = G.arguments().size();
  P.NumOutputs = G.outputs().size();
  for (size_t I = 0; I < P.NumArguments; ++I) {
    P.Slots.push_back({SlotKind::Argument, static_cast<uint32_t>(I)});
    SlotOf[G.arguments()[I].Index] = static_cast<int32_t>(I);
  }
  for (size_t J = 0; J < P.NumOutputs; ++J)
    P.Slots.push_back({SlotKind::Output, static_cast<uint32_t>(J)});
  std::vector<std::pair<NodeId, int32_t>> OutputCopies = assignOutputs();
  for (Draft &D : Drafts) {
    for (size_t I = 0; I < D.Writes.size(); ++I) {
      NodeId W = D.Writes[I];
      if (W.valid() && SlotOf[W.Index] >= 0)
        continue;
      const TensorType &T = W.valid() ? G.type(W)
                            : D.S.Kind == StepKind::Scan
                                ? G.node(D.S.Node).Results[I]
                                : D.S.Body->type(D.S.Body->outputs()[I].Value);
      int32_t S = newBuffer(numElements(T.Dims),
                            static_cast<uint32_t>(dtypeSize(T.Dtype)));
      if (W.valid()) {
        SlotOf[W.Index] = S;
      } else { // a kernel or scan result nothing reads
        D.S.Results.resize(D.Writes.size(), -1);
        D.S.Results[I] = S;
      }
    }
  }
  for (const auto &[R, Slot] : OutputCopies)
    addCopy(ref(R), Slot, G.type(R));
  planUpdates();
}

/// Output J's slot becomes the storage of the value it returns when a step
/// computes that value and no earlier output took it; the other outputs are
/// returned as copies to make at the end.
std::vector<std::pair<NodeId, int32_t>> Planner::assignOutputs() {
  std::vector<char> Computed(G.size(), 0);
  for (const Draft &D : Drafts)
    for (NodeId W : D.Writes)
      if (W.valid())
        Computed[W.Index] = 1;
  std::vector<std::pair<NodeId, int32_t>> Copies;
  for (size_t J = 0; J < P.NumOutputs; ++J) {
    NodeId R = root(G.outputs()[J].Value);
    int32_t Slot = static_cast<int32_t>(P.NumArguments + J);
    if (Computed[R.Index] && SlotOf[R.Index] < 0)
      SlotOf[R.Index] = Slot;
    else
      Copies.push_back({R, Slot});
  }
  return Copies;
}

/// The update copies, last. Updates read pre-update values: a param that
/// another update overwrites is snapshotted before any update is applied.
void Planner::planUpdates() {
  std::set<uint32_t> Targets;
  for (const Update &U : G.updates())
    Targets.insert(U.Target.Index);
  std::vector<std::pair<ValueRef, NodeId>> Copies;
  for (const Update &U : G.updates()) {
    NodeId R = root(U.Value);
    if (R == U.Target)
      continue;
    ValueRef From = ref(R);
    const TensorType &T = G.type(U.Target);
    if (Targets.count(R.Index)) {
      int32_t Snap = newBuffer(numElements(T.Dims),
                               static_cast<uint32_t>(dtypeSize(T.Dtype)));
      addCopy(From, Snap, T);
      From = ValueRef{Snap, NodeId()};
    }
    Copies.push_back({From, U.Target});
  }
  for (const auto &[From, Target] : Copies)
    addCopy(From, SlotOf[Target.Index], G.type(Target));
}

/// Conditions the type rules cannot check for symbolic dims: no dim is
/// negative, slices stay inside their operand, pads are not negative, and
/// argmax has an element to pick.
class CheckCollector {
public:
  explicit CheckCollector(Plan &P) : P(P) {}

  void visit(const Graph &G) {
    for (NodeId Id : G.liveNodes()) {
      const Node &N = G.node(Id);
      std::string Where =
          "'" + std::string(opName(N.Op)) + "' of type " + N.Type.str();
      for (const Dim &D : N.Type.Dims)
        if (!D.isConstant() && Seen.insert(D.str()).second)
          add(DimCheck::AtLeast, D, 0, 0, "dim of " + Where + " is negative");
      if (N.Body)
        visit(*N.Body);
      else if (!N.Inputs.empty())
        visitOp(N, G.type(N.Inputs[0]), Where);
    }
  }

private:
  using DimCheck = plan::DimCheck;

  void add(DimCheck::Kind K, const Dim &V, const Dim &Lo, const Dim &Hi,
           std::string What) {
    if (V.isConstant() && Lo.isConstant() && Hi.isConstant())
      return;
    DimCheck C;
    C.K = K;
    C.Value = DimExpr(V, P.Symbols);
    C.Low = DimExpr(Lo, P.Symbols);
    C.High = DimExpr(Hi, P.Symbols);
    C.What = std::move(What);
    P.Checks.push_back(std::move(C));
  }

  void visitOp(const Node &N, const TensorType &In, const std::string &Where) {
    if (N.Op == OpCode::Slice) {
      std::vector<Dim> Starts = N.Attributes.getDims("starts"),
                       Stops = N.Attributes.getDims("stops");
      for (size_t A = 0; A < In.rank(); ++A) {
        std::string Axis =
            " (axis " + std::to_string(A) + " of " + In.str() + ")";
        add(DimCheck::AtLeast, Starts[A], 0, 0, "slice start" + Axis);
        add(DimCheck::InRange, Stops[A], Starts[A], In.Dims[A],
            "slice stop" + Axis);
      }
    } else if (N.Op == OpCode::Pad) {
      for (const char *Key : {"low", "high"})
        for (const Dim &D : N.Attributes.getDims(Key))
          add(DimCheck::AtLeast, D, 0, 0,
              "pad " + std::string(Key) + " of " + Where);
    } else if (N.Op == OpCode::Argmax) {
      add(DimCheck::NonEmptyIf, In.Dims[N.Attributes.getInt("axis")],
          numElements(N.Type.Dims), 0,
          "argmax over an empty axis of " + In.str());
    }
  }

  Plan &P;
  std::set<std::string> Seen;
};

void Planner::finishSteps() {
  for (Draft &D : Drafts) {
    Step S = std::move(D.S);
    for (NodeId R : D.Reads)
      S.Operands.push_back(ref(R));
    if (S.Results.empty())
      S.Results.resize(D.Writes.size(), -1);
    for (size_t I = 0; I < D.Writes.size(); ++I)
      if (D.Writes[I].valid())
        S.Results[I] = SlotOf[D.Writes[I].Index];
    if (S.Kind == StepKind::Kernel) {
      for (NodeId A : colAccumulators(*S.Body, *S.Info)) {
        const Node &N = S.Body->node(A);
        S.Scratch.push_back(
            newBuffer(S.Info->K, accumulatorBytes(N.Op, N.Type.Dtype)));
      }
      for (NodeId A : cachedRowValues(*S.Body, *S.Info))
        S.Scratch.push_back(
            newBuffer(S.Info->K,
                      static_cast<uint32_t>(dtypeSize(S.Body->type(A).Dtype))));
      for (NodeId A : deferredRowValues(*S.Body, *S.Info).Stored)
        S.Scratch.push_back(
            newBuffer(S.Info->R,
                      static_cast<uint32_t>(dtypeSize(S.Body->type(A).Dtype))));
    }
    if (S.Kind == StepKind::Scan) {
      // The body's buffers all live across the whole loop.
      for (const Buffer &B : S.Sub->Buffers) {
        P.Buffers.push_back(Buffer{B.Elements, B.ElemBytes, 0, 0});
        P.Slots.push_back(
            {SlotKind::Workspace, static_cast<uint32_t>(P.Buffers.size() - 1)});
        S.Scratch.push_back(static_cast<int32_t>(P.Slots.size() - 1));
      }
      const Node &N = G.node(S.Node);
      size_t NumCarry = static_cast<size_t>(N.Attributes.getInt("num_carry"));
      for (size_t C = 0; C < 2 * NumCarry; ++C) {
        const TensorType &T = N.Results[C / 2];
        S.Scratch.push_back(newBuffer(
            numElements(T.Dims), static_cast<uint32_t>(dtypeSize(T.Dtype))));
      }
    }
    P.Steps.push_back(std::move(S));
  }
  for (Step &S : Tail)
    P.Steps.push_back(std::move(S));
  // Live intervals: from the first step touching a buffer to the last.
  std::vector<char> Seen(P.Buffers.size(), 0);
  auto touch = [&](int32_t Slot, int Step) {
    if (Slot < 0 || P.Slots[Slot].Kind != SlotKind::Workspace)
      return;
    Buffer &B = P.Buffers[P.Slots[Slot].Index];
    if (!Seen[P.Slots[Slot].Index])
      B.First = Step;
    Seen[P.Slots[Slot].Index] = 1;
    B.Last = Step;
  };
  for (size_t I = 0; I < P.Steps.size(); ++I) {
    const Step &S = P.Steps[I];
    for (const ValueRef &V : S.Operands)
      touch(V.Slot, static_cast<int>(I));
    for (int32_t R : S.Results)
      touch(R, static_cast<int>(I));
    for (int32_t R : S.Scratch)
      touch(R, static_cast<int>(I));
  }
}

std::optional<Plan> Planner::run(std::string *Why, const SymbolTable *Symbols) {
  if (Symbols)
    P.Symbols = *Symbols;
  else
    P.Symbols.collect(G);
  std::string Reason;
  for (NodeId Id : Live)
    if (!draftNode(Id, Reason)) {
      if (Why)
        *Why = Reason;
      return std::nullopt;
    }
  dropDeadDrafts();
  assignStorage();
  finishSteps();
  CheckCollector(P).visit(G);
  return std::move(P);
}

} // namespace

std::optional<Plan> makePlan(const Graph &G, std::string *Why,
                             const SymbolTable *Symbols) {
  return Planner(G).run(Why, Symbols);
}

} // namespace netjit
