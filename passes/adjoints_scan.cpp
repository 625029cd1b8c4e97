//===- adjoints_scan.cpp - The adjoint of a scan (BPTT) -------------------===//
//
// A scan runs its body F once per step: (c', y) = F(c, x_t, k), with carries
// c, the step's element x_t of each sequence and constants k. Its adjoint is
// a second scan that runs the steps in the opposite order. It carries the
// adjoint of the carries (seeded with the adjoint of the final carries) and
// one accumulator per float constant; its sequences are the carries each
// forward step started from, the forward sequences and the adjoints of the
// stacked outputs; its body clones F at the step and runs netjit's own
// reverse sweep over the clone (vectorJacobianProduct), so every op with an
// adjoint rule, a nested scan included, works inside a scan. Per step it
// returns the adjoint of the incoming carries (the next carry), the
// accumulators plus this step's share, and the adjoints of the sequence
// elements (stacked, so each lands at its step's index).
//
// The carries each step started from are extra stacked outputs of the
// forward scan: the autodiff pass gives every scan on a gradient path a body
// that returns them (withStackedCarries). A scan without them (one that the
// expansion of an inner grad built) gets a second forward scan that has
// them. Everything else the body computed is recomputed in the reverse body,
// which keeps the memory at T copies of the carries.
//
// `bptt_limit=K` truncates the back-propagation as Theano's
// truncate_gradient: only the last K steps that ran contribute, as if the
// older steps' outputs and the carry entering the K-th last step were under
// stop_gradient. The reverse scan counts its steps in an extra i64 carry and
// zeroes everything a step emits after the first K.
//
//===----------------------------------------------------------------------===//
#include "passes/adjoint_rule.h"

#include "ir/error.h"
#include "passes/autodiff.h"
#include "passes/rewrite.h"

#include <string>

namespace netjit {

bool stacksIncomingCarries(const Graph &Body, size_t NumCarry) {
  const std::vector<Output> &Outs = Body.outputs();
  if (Outs.size() < 2 * NumCarry)
    return false;
  for (size_t I = 0; I < NumCarry; ++I)
    if (Outs[Outs.size() - NumCarry + I].Value != Body.arguments()[I])
      return false;
  return true;
}

std::shared_ptr<const Graph> withStackedCarries(const Graph &Body,
                                                size_t NumCarry) {
  Graph Copy = Body.compact();
  for (size_t I = 0; I < NumCarry; ++I)
    Copy.addOutput("", Copy.arguments()[I]);
  return std::make_shared<const Graph>(std::move(Copy));
}

namespace adjoint {
namespace {

/// Indices I in [0, N) with Keep(I).
template <typename Pred> std::vector<size_t> indicesWhere(size_t N, Pred Keep) {
  std::vector<size_t> R;
  for (size_t I = 0; I < N; ++I)
    if (Keep(I))
      R.push_back(I);
  return R;
}

/// The pieces of one scan the adjoint is built from.
struct ScanParts {
  size_t NumCarry, NumSeqs, NumConsts, NumSteps; // NumSteps: per-step outputs
  bool Reverse;
  Dim Length;
  int64_t BpttLimit; // 0: back-propagate through every step
};

ScanParts partsOf(const Graph &G, const Node &N) {
  ScanParts P;
  P.NumCarry = static_cast<size_t>(N.Attributes.getInt("num_carry"));
  P.NumSeqs = static_cast<size_t>(N.Attributes.getInt("num_seqs"));
  P.NumConsts = N.Inputs.size() - P.NumCarry - P.NumSeqs;
  P.NumSteps = N.Results.size() - P.NumCarry;
  P.Reverse = N.Attributes.getBool("reverse");
  P.Length = P.NumSeqs ? G.type(N.Inputs[P.NumCarry]).Dims[0]
                       : N.Attributes.getDim("length");
  P.BpttLimit = N.Attributes.getInt("bptt_limit", 0);
  // A limit at least the trip count truncates nothing.
  if (P.Length.isConstant() && P.BpttLimit >= P.Length.constant())
    P.BpttLimit = 0;
  return P;
}

} // namespace

std::vector<NodeId> scanAdjoint(Builder &B, NodeId Y,
                                std::span<const NodeId> ResultAdjoints,
                                const std::vector<bool> &Needs) {
  Graph &G = B.graph();
  const Node &N = G.node(Y);
  NJ_CHECK(ResultAdjoints.size() == N.Results.size() &&
               Needs.size() == N.Inputs.size(),
           "one adjoint per result and one need per operand of a scan");
  const ScanParts P = partsOf(G, N);
  const size_t C = P.NumCarry, S = P.NumSeqs, K = P.NumConsts;
  const std::shared_ptr<const Graph> FwdBody = N.Body;
  const std::vector<NodeId> Ops = N.Inputs;
  auto FloatOperand = [&](size_t I) { return isFloat(G.type(Ops[I]).Dtype); };
  auto Seeded = [&](size_t I) {
    return ResultAdjoints[I].valid() &&
           isFloat(G.type(ResultAdjoints[I]).Dtype);
  };

  // What flows backward: the adjoints of the float carries, of the float
  // sequences and constants the caller needs, from the seeded results.
  std::vector<size_t> Carries = indicesWhere(C, FloatOperand);
  std::vector<size_t> Seqs = indicesWhere(
      S, [&](size_t J) { return Needs[C + J] && FloatOperand(C + J); });
  std::vector<size_t> Consts = indicesWhere(
      K, [&](size_t L) { return Needs[C + S + L] && FloatOperand(C + S + L); });
  std::vector<size_t> Outs =
      indicesWhere(P.NumSteps, [&](size_t M) { return Seeded(C + M); });
  bool WantCarry = false, SeededCarry = false;
  for (size_t I : Carries) {
    WantCarry = WantCarry || Needs[I];
    SeededCarry = SeededCarry || Seeded(I);
  }
  std::vector<NodeId> Result(Ops.size());
  if ((Outs.empty() && !SeededCarry) ||
      (!WantCarry && Seqs.empty() && Consts.empty()))
    return Result;

  // The carries each step started from, stacked by the forward scan.
  NodeId Fwd = Y;
  if (C > 0 && !stacksIncomingCarries(*FwdBody, C))
    Fwd = G.make(OpCode::Scan, Ops, N.Attributes, std::nullopt,
                 withStackedCarries(*FwdBody, C));
  size_t StackedAt = G.node(Fwd).Results.size() - C;

  // The reverse body's arguments: carries (carry adjoints, accumulators,
  // the step count), sequences (incoming carries, forward sequences, output
  // adjoints), constants (the forward constants).
  auto Body = std::make_shared<Graph>(FwdBody->name() + ".adjoint");
  Graph &RB = *Body;
  Builder BB(RB);
  const std::vector<NodeId> &FwdArgs = FwdBody->arguments();
  auto ArgType = [&](size_t I) { return FwdBody->type(FwdArgs[I]); };
  std::vector<NodeId> DCarry, DConst, DOut;
  for (size_t I : Carries)
    DCarry.push_back(RB.input("dc" + std::to_string(I), ArgType(I)));
  for (size_t L : Consts)
    DConst.push_back(RB.input("dk" + std::to_string(L), ArgType(C + S + L)));
  const bool Truncate = P.BpttLimit > 0;
  NodeId StepCount =
      Truncate ? RB.input("steps", TensorType{DType::I64, {}}) : NodeId();
  std::vector<NodeId> Map(FwdBody->size());
  auto Declare = [&](size_t I, const std::string &Name) {
    Map[FwdArgs[I].Index] = RB.input(Name, ArgType(I));
  };
  for (size_t I = 0; I < C; ++I)
    Declare(I, "c" + std::to_string(I));
  for (size_t J = 0; J < S; ++J)
    Declare(C + J, "x" + std::to_string(J));
  for (size_t M : Outs)
    DOut.push_back(RB.input("dy" + std::to_string(M),
                            FwdBody->type(FwdBody->outputs()[C + M].Value)));
  for (size_t L = 0; L < K; ++L)
    Declare(C + S + L, "k" + std::to_string(L));

  // The forward step, recomputed from the step's incoming carries.
  std::vector<NodeId> Ins;
  for (NodeId Id : FwdBody->liveNodes()) {
    const Node &Nd = FwdBody->node(Id);
    if (Nd.Op == OpCode::Input || Nd.Op == OpCode::Param)
      continue;
    Ins.clear();
    for (NodeId In : Nd.Inputs)
      Ins.push_back(Map[In.Index]);
    Map[Id.Index] = remake(BB, Nd, Ins);
  }
  auto StepOutput = [&](size_t O) {
    return Map[FwdBody->outputs()[O].Value.Index];
  };

  // Its vector-Jacobian product: the carry adjoints seed the new carries,
  // the output adjoints the step outputs.
  std::vector<NodeId> VjpOuts, Seeds, Wrt;
  for (size_t K2 = 0; K2 < Carries.size(); ++K2) {
    VjpOuts.push_back(StepOutput(Carries[K2]));
    Seeds.push_back(DCarry[K2]);
  }
  for (size_t K2 = 0; K2 < Outs.size(); ++K2) {
    VjpOuts.push_back(StepOutput(C + Outs[K2]));
    Seeds.push_back(DOut[K2]);
  }
  for (size_t I : Carries)
    Wrt.push_back(Map[FwdArgs[I].Index]);
  for (size_t J : Seqs)
    Wrt.push_back(Map[FwdArgs[C + J].Index]);
  for (size_t L : Consts)
    Wrt.push_back(Map[FwdArgs[C + S + L].Index]);
  std::vector<NodeId> D = vectorJacobianProduct(BB, VjpOuts, Seeds, Wrt);

  // Past the bptt limit a step emits zeros (and leaves the sums alone).
  NodeId Active;
  if (Truncate)
    Active = BB.binary(OpCode::Lt, StepCount,
                       RB.scalar(static_cast<double>(P.BpttLimit), DType::I64));
  auto Masked = [&](NodeId V) {
    return Truncate ? BB.select(Active, V, BB.fill(0.0, V)) : V;
  };
  for (size_t K2 = 0; K2 < Carries.size(); ++K2)
    RB.addOutput("", Masked(D[K2]));
  for (size_t K2 = 0; K2 < Consts.size(); ++K2)
    RB.addOutput("", BB.binary(OpCode::Add, DConst[K2],
                               Masked(D[Carries.size() + Seqs.size() + K2])));
  if (Truncate)
    RB.addOutput("",
                 BB.binary(OpCode::Add, StepCount, RB.scalar(1, DType::I64)));
  for (size_t K2 = 0; K2 < Seqs.size(); ++K2)
    RB.addOutput("", Masked(D[Carries.size() + K2]));

  // The reverse scan's operands, in the order of its body's arguments.
  std::vector<NodeId> RevOps;
  for (size_t I : Carries)
    RevOps.push_back(ResultAdjoints[I].valid() ? ResultAdjoints[I]
                                               : B.fill(0.0, G.type(Ops[I])));
  for (size_t L : Consts)
    RevOps.push_back(B.fill(0.0, G.type(Ops[C + S + L])));
  if (Truncate)
    RevOps.push_back(G.scalar(0, DType::I64));
  size_t NumRevCarry = RevOps.size();
  for (size_t I = 0; I < C; ++I)
    RevOps.push_back(B.result(Fwd, static_cast<int64_t>(StackedAt + I)));
  for (size_t J = 0; J < S; ++J)
    RevOps.push_back(Ops[C + J]);
  for (size_t M : Outs)
    RevOps.push_back(ResultAdjoints[C + M]);
  size_t NumRevSeqs = RevOps.size() - NumRevCarry;
  for (size_t L = 0; L < K; ++L)
    RevOps.push_back(Ops[C + S + L]);
  Attrs A{{"num_carry", static_cast<int64_t>(NumRevCarry)},
          {"num_seqs", static_cast<int64_t>(NumRevSeqs)},
          {"reverse", !P.Reverse}};
  if (NumRevSeqs == 0)
    A.set("length", P.Length);
  NodeId Rev =
      G.make(OpCode::Scan, RevOps, std::move(A), std::nullopt, std::move(Body));

  for (size_t K2 = 0; K2 < Carries.size(); ++K2)
    if (Needs[Carries[K2]])
      Result[Carries[K2]] = B.result(Rev, static_cast<int64_t>(K2));
  for (size_t K2 = 0; K2 < Consts.size(); ++K2)
    Result[C + S + Consts[K2]] =
        B.result(Rev, static_cast<int64_t>(Carries.size() + K2));
  for (size_t K2 = 0; K2 < Seqs.size(); ++K2)
    Result[C + Seqs[K2]] =
        B.result(Rev, static_cast<int64_t>(NumRevCarry + K2));
  return Result;
}

} // namespace adjoint
} // namespace netjit
