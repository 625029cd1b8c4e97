//===- emit_kernel.cpp - A kernel body as an LLVM loop nest ---------------===//
//
// Writes the loop nest of passes/kernel_info.h for one kernel:
//
//   prologue: S arguments, prologue S nodes, Col accumulators set to their
//             identity
//   for each integer Row argument that indexes (a gather's or one_hot's
//     labels): a loop over the rows checking it is in [0, K)
//   for r: row pointers of E arguments and outputs; Row arguments
//     for each phase p: RowStart[p]; one_hot index checks;
//       for k: Loop[p] nodes, one term of each Accumulate[p] reduction
//              (Row/S in registers, Col in scratch), E outputs (last loop)
//       Row reductions final; S partial sums folded into the row-carried sums
//     RowStart[P]; Row -> S terms; Row outputs; values deferred rows read
//   for r: deferred Row nodes and their Row -> S terms (see below)
//   EpilogueS; late S outputs; for k: EpilogueLoop, late Col outputs
//
// Values are produced lazily: value() returns a node's SSA value in the
// current environment (an E/Col node is computed at most once per k-loop,
// or per point evaluation of a gather), so every loop recomputes exactly
// what it reads, except the costly E values several loops read (an exp of a
// softmax): the first loop stores them in a scratch row of K elements that
// stays in cache, later loops load them. The k-loops hold no call but the
// inlined vector math and no branch (integer division checks are or-ed into
// flags tested after the loop), so LLVM vectorizes them.
//
// Checking the labels before the row loop leaves its body without a branch
// (the check would otherwise branch out of every row). When K is a small
// constant (the k-loops unroll completely) and a row has a reduction, the
// row loop is unrolled by two: the rows' dependence chains (max, exp, sum,
// normalize) then sit in one block that the scheduler interleaves, which
// made the 16384x64 cross-entropy about 6% faster.
//
// Row nodes that only feed Row -> S sums and include a transcendental (the
// log of a cross-entropy's row sum) are not computed in the row loop, where
// they would be scalar code on each row's critical path: the row loop
// stores the values they read, one element per row, and a loop over the
// rows after it computes them and their sums, vectorized across rows
// (deferredRowValues in codegen/plan.h).
//
//===----------------------------------------------------------------------===//
#include "codegen/emit_impl.h"
#include "codegen/emit_ops.h"

#include "ir/error.h"
#include "runtime/jit_runtime.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

namespace netjit::codegen {
namespace {

using VC = ValueClass;

enum class AccKind : uint8_t { None, Row, Col, S };

/// Elements per block of a k-loop whose f32 sums are blocked.
constexpr int kBlock = 512;
/// The largest constant K for which a row loop with a reduction is unrolled
/// by two (its k-loops unroll completely).
constexpr int64_t kMaxUnrolledK = 128;

class KernelEmitter {
public:
  KernelEmitter(ModuleContext &M, const plan::Step &S)
      : M(M), S(S), Body(*S.Body), I(*S.Info), F(M.Decls),
        Strict(M.Options.StrictFloat) {}
  std::string run(const std::string &Name);

private:
  struct Env {
    std::string K; // the current k; empty outside k-loops
    std::map<uint32_t, std::string> Local;
    /// In a vectorizable k-loop: each integer division's zero-divisor flag.
    std::map<uint32_t, std::string> *DivFlags = nullptr;
    bool InLoop = false;
    /// The k-loop (phase) being emitted; -1 elsewhere.
    int Loop = -1;
  };

  DType dtype(NodeId Id) const { return Body.type(Id).Dtype; }
  std::string value(NodeId Id, Env &E);
  std::string compute(NodeId Id, Env &E);
  std::string gather(NodeId Id, Env &E);
  std::string oneHot(NodeId Id, Env &E);
  std::string checkedIndex(NodeId Id, NodeId Index, Env &E);
  int indexArgument(NodeId Index) const;
  bool belowItsMaximum(NodeId Id) const;
  void checkIndexArguments();
  Reducer reducer(NodeId Id) const {
    return Reducer(Body.node(Id).Op, dtype(Id), Strict);
  }
  /// A check site named as in the printed fused graph.
  int site(NodeId Id) {
    return M.addSite("'" + std::string(opName(Body.node(Id).Op)) +
                     "' (kernel " + M.name(S.Node) + ", body node %" +
                     std::to_string(BodyNumber[Id.Index]) + ")");
  }
  void header(const std::string &Name);
  void prologue();
  void rowLoop();
  /// The register-carried values of one k-loop.
  struct LoopVars {
    /// Register accumulators, the float max/min among them (which carry a
    /// "saw a NaN" flag each), and the integer divisions (a zero flag each).
    std::vector<NodeId> Carried, NaNFlagged, Divs;
    bool Blocked = false;
    /// Outer: the loop (or the block loop); Inner: inside a block; Short:
    /// the loop when K is at most one block (blocked sums in f32).
    std::vector<FunctionWriter::Carried> Outer, Inner, Short;
    bool isBlockSum(OpCode Op, DType T) const {
      return Blocked && Op == OpCode::Sum && T == DType::F32;
    }
  };
  void kLoop(int P);
  LoopVars loopVars(int P);
  std::vector<std::string> blockedKLoop(int P, const LoopVars &V);
  std::vector<std::string> shortKLoop(int P, const LoopVars &V);
  void kBody(int P, const std::string &KValue,
             const std::vector<FunctionWriter::Carried> &Vars,
             const LoopVars &LV);
  void finishKLoop(const std::vector<std::string> &Outs, const LoopVars &LV);
  void deferredLoop();
  void epilogue();

  ModuleContext &M;
  const plan::Step &S;
  const Graph &Body;
  const KernelInfo &I;
  FunctionWriter F;
  bool Strict;
  std::vector<int> ArgPos, ScratchOf;
  /// Cached row values: scratch index, and the loop that computes them.
  std::vector<int> CacheOf, FirstLoop;
  /// The printed statement number of each body node.
  std::vector<int> BodyNumber;
  std::vector<AccKind> Acc;
  std::vector<std::string> ArgPtr, OutPtr, ScratchPtr, RowPtr, OutRowPtr;
  /// S and Row values, and preloaded S / Row arguments, per node.
  std::vector<std::string> Val;
  std::map<std::string, std::string> DimCache;
  std::vector<NodeId> SAccs;
  /// Row values computed after the row loop (plan.h), and each stored
  /// value's scratch index.
  DeferredRows Deferred;
  std::vector<int> DeferSlot;
  std::vector<char> IsDeferred;
  /// Index values checked in the current region (checkedIndex).
  std::set<std::string> Checked;
  /// Row arguments (by position) checked before the row loop.
  std::set<int> CheckedArgs;
  /// Checks emitted inside the row loop (each a branch out of it).
  int RowChecks = 0;
  bool InRowLoop = false;
  std::string Row;
};

std::string KernelEmitter::value(NodeId Id, Env &E) {
  if (auto It = E.Local.find(Id.Index); It != E.Local.end())
    return It->second;
  const Node &N = Body.node(Id);
  VC C = I.classOf(Id);
  std::string V;
  if (N.Op == OpCode::Input && (C == VC::E || C == VC::Col)) {
    int Pos = ArgPos[Id.Index];
    NJ_CHECK(!E.K.empty(), "an E/Col argument read outside a k-loop");
    V = F.load(dtype(Id), C == VC::E ? RowPtr[Pos] : ArgPtr[Pos], E.K);
  } else if (CacheOf[Id.Index] >= 0 && E.Loop > FirstLoop[Id.Index]) {
    V = F.load(dtype(Id), ScratchPtr[CacheOf[Id.Index]], E.K);
  } else if (ScratchOf[Id.Index] >= 0 && !E.K.empty() && I.isLate(Id)) {
    Reducer R = reducer(Id);
    V = R.fromAcc(F, F.load(R.accType(), ScratchPtr[ScratchOf[Id.Index]], E.K));
  } else if (C == VC::S || C == VC::Row || N.Op == OpCode::Input) {
    NJ_CHECK(!Val[Id.Index].empty(),
             "kernel " << M.name(S.Node) << ": body node %" << Id.Index
                       << " read before it is computed");
    return Val[Id.Index];
  } else {
    V = compute(Id, E);
  }
  E.Local[Id.Index] = V;
  return V;
}

/// The value of Index (a gather's or one_hot's index) as i64, checked to
/// be in [0, K) unless the same value was already checked in this region
/// (a row, or the epilogue): the cross-entropy's gather and one_hot read
/// the same labels.
std::string KernelEmitter::checkedIndex(NodeId Id, NodeId Index, Env &E) {
  std::string Raw = value(Index, E);
  std::string V = emitCast(F, Raw, dtype(Index), DType::I64);
  if (!Checked.insert(Raw).second || CheckedArgs.count(indexArgument(Index)))
    return V;
  RowChecks += InRowLoop;
  std::string Bad = F.tmp("oob");
  F.emit(Bad + " = icmp uge i64 " + V + ", %K");
  emitCheck(F, "%state", Bad, kStatusIndexOutOfRange, site(Id), V, "%K");
  return V;
}

/// Whether Id is a - broadcast(max(a)) (softmax's stabilized argument),
/// which is <= 0 or NaN: the max keeps its axes, or is reshaped to the shape
/// that keeping them gives, so each element meets the maximum of its own
/// group.
bool KernelEmitter::belowItsMaximum(NodeId Id) const {
  const Node &Sub = Body.node(Id);
  if (Sub.Op != OpCode::Sub || !isFloat(dtype(Id)))
    return false;
  NodeId A = Sub.Inputs[0], B = Sub.Inputs[1];
  if (Body.node(B).Op != OpCode::Broadcast)
    return false;
  NodeId M = Body.node(B).Inputs[0];
  Shape Kept = Body.type(M).Dims;
  if (Body.node(M).Op == OpCode::Reshape)
    M = Body.node(M).Inputs[0];
  const Node &Max = Body.node(M);
  if (Max.Op != OpCode::Max || Max.Inputs[0] != A)
    return false;
  Shape Want = Body.type(A).Dims;
  for (int64_t Axis : Max.Attributes.getInts("axes")) {
    if (Axis < 0 || Axis >= static_cast<int64_t>(Want.size()))
      return false;
    Want[static_cast<size_t>(Axis)] = Dim(1);
  }
  return Kept == Want;
}

/// The position of the integer Row argument whose values Index is (through
/// reshapes and broadcasts of Row values), or -1.
int KernelEmitter::indexArgument(NodeId Index) const {
  while (I.classOf(Index) == VC::Row &&
         (Body.node(Index).Op == OpCode::Reshape ||
          Body.node(Index).Op == OpCode::Broadcast))
    Index = Body.node(Index).Inputs[0];
  int A = ArgPos[Index.Index];
  return A >= 0 && I.ArgClass[A] == VC::Row && isInteger(dtype(Index)) ? A : -1;
}

/// Before the row loop: one loop over the rows per Row argument that a
/// gather or one_hot reads as its index, checking every value is in
/// [0, K). The check names the first such node of the body.
void KernelEmitter::checkIndexArguments() {
  for (NodeId Id : Body.liveNodes()) {
    const Node &N = Body.node(Id);
    if (N.Op != OpCode::Gather && N.Op != OpCode::OneHot)
      continue;
    NodeId Index = N.Inputs[N.Op == OpCode::Gather ? 1 : 0];
    int A = indexArgument(Index);
    if (A < 0 || CheckedArgs.count(A))
      continue;
    NodeId Arg = Body.arguments()[A];
    FunctionWriter::Loop L = F.beginLoop("%R", {}, "chk");
    std::string V = emitCast(F, F.load(dtype(Arg), ArgPtr[A], L.Iv), dtype(Arg),
                             DType::I64);
    std::string Bad = F.tmp("oob");
    F.emit(Bad + " = icmp uge i64 " + V + ", %K");
    emitCheck(F, "%state", Bad, kStatusIndexOutOfRange, site(Id), V, "%K");
    F.endLoop(L);
    CheckedArgs.insert(A);
  }
}

/// gather(x, idx) along the last axis: x point-evaluated at k = idx[r].
std::string KernelEmitter::gather(NodeId Id, Env &E) {
  const Node &N = Body.node(Id);
  std::string Idx = checkedIndex(Id, N.Inputs[1], E);
  Env Point;
  Point.K = Idx;
  return value(N.Inputs[0], Point);
}

/// one_hot(t)[r, k] = (k == t[r]); the index is checked before the loop.
std::string KernelEmitter::oneHot(NodeId Id, Env &E) {
  const Node &N = Body.node(Id);
  std::string T = E.InLoop ? emitCast(F, value(N.Inputs[0], E),
                                      dtype(N.Inputs[0]), DType::I64)
                           : checkedIndex(Id, N.Inputs[0], E);
  std::string Eq = F.tmp("hot");
  F.emit(Eq + " = icmp eq i64 " + E.K + ", " + T);
  return emitCast(F, Eq, DType::Bool, dtype(Id));
}

std::string KernelEmitter::compute(NodeId Id, Env &E) {
  const Node &N = Body.node(Id);
  switch (N.Op) {
  case OpCode::Broadcast:
  case OpCode::Reshape:
    return value(N.Inputs[0], E);
  case OpCode::Sum:
  case OpCode::Max:
  case OpCode::Min:
    // Reductions that accumulate are read from their accumulators; the
    // rest reduce size-1 axes only.
    NJ_CHECK(Acc[Id.Index] == AccKind::None, "accumulated reduction %"
                                                 << Id.Index
                                                 << " read before it is final");
    return value(N.Inputs[0], E);
  case OpCode::DimValue:
    return emitCast(
        F,
        emitDim(F, M.P.Symbols, "%dims", N.Attributes.getDim("dim"), DimCache),
        DType::I64, dtype(Id));
  case OpCode::Exp:
    if (belowItsMaximum(N.Inputs[0]))
      return emitExpNonPositive(F, dtype(Id), value(N.Inputs[0], E));
    break;
  case OpCode::Gather:
    return gather(Id, E);
  case OpCode::OneHot:
    return oneHot(Id, E);
  default:
    break;
  }
  std::vector<std::string> Ops;
  std::vector<DType> Types;
  for (NodeId In : N.Inputs) {
    Ops.push_back(value(In, E));
    Types.push_back(dtype(In));
  }
  OpValue R = emitElementwise(F, N, Ops, Types);
  if (!R.DivByZero.empty()) {
    if (E.DivFlags)
      (*E.DivFlags)[Id.Index] = R.DivByZero;
    else
      emitCheck(F, "%state", R.DivByZero, kStatusDivisionByZero, site(Id), "0",
                "0");
  }
  return R.Value;
}

void KernelEmitter::header(const std::string &Name) {
  std::string Params;
  auto param = [&](const std::string &P) {
    Params += (Params.empty() ? "" : ", ") + std::string("ptr noalias ") + P;
  };
  for (size_t A = 0; A < Body.arguments().size(); ++A) {
    ArgPtr.push_back("%arg" + std::to_string(A));
    param(ArgPtr.back());
  }
  for (size_t O = 0; O < Body.outputs().size(); ++O) {
    OutPtr.push_back("%res" + std::to_string(O));
    param(OutPtr.back());
  }
  for (size_t A = 0; A < S.Scratch.size(); ++A) {
    ScratchPtr.push_back("%scr" + std::to_string(A));
    param(ScratchPtr.back());
  }
  F.emit("define internal i32 @" + Name + "(" + Params +
         ", i64 %R, i64 %K, ptr %dims, ptr %state) #0 {");
}

void KernelEmitter::prologue() {
  F.startBlock("entry");
  for (const std::string &Sym : M.P.Symbols.names())
    emitDim(F, M.P.Symbols, "%dims", Dim::symbol(Sym), DimCache);
  for (size_t A = 0; A < Body.arguments().size(); ++A) {
    NodeId Arg = Body.arguments()[A];
    if (I.ArgClass[A] == VC::S)
      Val[Arg.Index] = F.load(dtype(Arg), ArgPtr[A], "0");
  }
  Env E;
  for (NodeId Id : I.Prologue)
    Val[Id.Index] = compute(Id, E);
  if (S.Scratch.empty())
    return;
  FunctionWriter::Loop L = F.beginLoop("%K", {}, "init");
  for (NodeId Id : colAccumulators(Body, I)) {
    Reducer R = reducer(Id);
    F.store(R.accType(), R.identity(), ScratchPtr[ScratchOf[Id.Index]], L.Iv);
  }
  F.endLoop(L);
}

/// One k-loop of a row: Loop[P], its accumulations and (last loop) the E
/// outputs; then the loop's Row reductions become values and its S terms
/// are added to the row-carried accumulators. Register accumulators are
/// loop-carried values; with an f32 sum among them (and not StrictFloat)
/// the loop is split into blocks of kBlock elements, each summed in f32 (at
/// the full vector width) and added into the f64 total: error at most about
/// (kBlock / lanes + log2 lanes) ulps of the sum of |terms|. When K is a
/// constant of at most kBlock, the one block is the loop (shortKLoop).
void KernelEmitter::kLoop(int P) {
  Env RowEnv;
  for (NodeId Id : I.Loop[P])
    if (Body.node(Id).Op == OpCode::OneHot)
      checkedIndex(Id, Body.node(Id).Inputs[0], RowEnv);
  LoopVars V = loopVars(P);
  std::vector<std::string> Outs;
  if (!V.Blocked) {
    FunctionWriter::Loop L = F.beginLoop("%K", V.Outer, "k");
    kBody(P, L.Iv, V.Outer, V);
    F.endLoop(L);
    Outs = L.Out;
  } else if (I.K.isConstant() && I.K.constant() <= kBlock) {
    Outs = shortKLoop(P, V);
  } else {
    Outs = blockedKLoop(P, V);
  }
  finishKLoop(Outs, V);
}

/// The register-carried values of k-loop P: its Row and S accumulators,
/// a NaN flag per float max/min among them, then a zero-divisor flag per
/// integer division. Names: %c<id>p<P> (the loop, or the block loop) and
/// %i<id>p<P> (inside a block); flags %n/%m and %z/%y likewise.
///
/// A float max/min accumulates with maxnum/minnum under `nnan` (a plain
/// vmaxps in the vector loop and a cheap final reduction; llvm.maximum's
/// NaN fix-ups cost several times more per row) and or-s `term is NaN`
/// into its flag; after the loop a set flag makes the result NaN, so NaN
/// still propagates as in the interpreter.
KernelEmitter::LoopVars KernelEmitter::loopVars(int P) {
  LoopVars V;
  for (NodeId Id : I.Accumulate[P])
    if (Acc[Id.Index] != AccKind::Col) {
      OpCode Op = Body.node(Id).Op;
      V.Carried.push_back(Id);
      V.Blocked |= !Strict && Op == OpCode::Sum && dtype(Id) == DType::F32;
      if (Op != OpCode::Sum && isFloat(dtype(Id)))
        V.NaNFlagged.push_back(Id);
    }
  for (NodeId Id : I.Loop[P])
    if (Body.node(Id).Op == OpCode::Div && !isFloat(dtype(Id)))
      V.Divs.push_back(Id);
  auto name = [&](const char *Kind, NodeId Id) {
    return std::string("%") + Kind + std::to_string(Id.Index) + "p" +
           std::to_string(P);
  };
  for (NodeId Id : V.Carried) {
    Reducer Wide = reducer(Id),
            Narrow(Body.node(Id).Op, dtype(Id), Strict, !V.Blocked);
    bool Partial = V.isBlockSum(Body.node(Id).Op, dtype(Id));
    V.Outer.push_back({Wide.accTypeName(), Wide.identity(), name("c", Id),
                       name("c", Id) + ".next"});
    if (V.Blocked) {
      V.Inner.push_back({Narrow.accTypeName(),
                         Partial ? Narrow.identity() : V.Outer.back().Phi,
                         name("i", Id), name("i", Id) + ".next",
                         Partial ? "" : V.Outer.back().Next});
      V.Short.push_back({Narrow.accTypeName(), Narrow.identity(),
                         name("c", Id) + ".s", name("c", Id) + ".s.next"});
    }
  }
  auto flag = [&](const char *Outer, const char *Inner, NodeId Id) {
    V.Outer.push_back(
        {"i1", "false", name(Outer, Id), name(Outer, Id) + ".next"});
    if (V.Blocked) {
      V.Inner.push_back({"i1", V.Outer.back().Phi, name(Inner, Id),
                         name(Inner, Id) + ".next", V.Outer.back().Next});
      V.Short.push_back(
          {"i1", "false", name(Outer, Id) + ".s", name(Outer, Id) + ".s.next"});
    }
  };
  for (NodeId Id : V.NaNFlagged)
    flag("n", "m", Id);
  for (NodeId Id : V.Divs)
    flag("z", "y", Id);
  return V;
}

/// k-loop P as blocks of kBlock elements: the f32 sums restart at 0 in
/// each block and are added into their f64 totals after it; every other
/// carried value passes through the blocks unchanged.
std::vector<std::string> KernelEmitter::blockedKLoop(int P, const LoopVars &V) {
  std::string Block = std::to_string(kBlock);
  std::string Sum = F.tmp("nb"), NB = F.tmp("nb");
  F.emit(Sum + " = add i64 %K, " + std::to_string(kBlock - 1));
  F.emit(NB + " = udiv i64 " + Sum + ", " + Block);
  FunctionWriter::Loop LO = F.beginLoop(NB, V.Outer, "kb");
  std::string K0 = F.mul(LO.Iv, Block), Rem = F.tmp("rem"), Small = F.tmp("c"),
              N = F.tmp("n");
  F.emit(Rem + " = sub i64 %K, " + K0);
  F.emit(Small + " = icmp slt i64 " + Rem + ", " + Block);
  F.emit(N + " = select i1 " + Small + ", i64 " + Rem + ", i64 " + Block);
  FunctionWriter::Loop LI = F.beginLoop(N, V.Inner, "k");
  std::string Kv = F.tmp("kk");
  F.emit(Kv + " = add nuw nsw i64 " + K0 + ", " + LI.Iv);
  kBody(P, Kv, V.Inner, V);
  F.endLoop(LI);
  for (size_t C = 0; C < V.Carried.size(); ++C) {
    NodeId Id = V.Carried[C];
    if (!V.isBlockSum(Body.node(Id).Op, dtype(Id)))
      continue;
    Reducer Wide = reducer(Id);
    Wide.combine(F, V.Outer[C].Phi, Wide.toAcc(F, LI.Out[C]), V.Outer[C].Next);
  }
  F.endLoop(LO);
  return LO.Out;
}

/// k-loop P when K is a constant <= kBlock: the blocked loop's single block
/// without the block loop around it (the f32 sums widened after the loop),
/// which gives the same values. (A runtime K <= kBlock test with both loops
/// was measured no faster than the block loop: the second copy of the body
/// costs what the block loop saves.)
std::vector<std::string> KernelEmitter::shortKLoop(int P, const LoopVars &V) {
  FunctionWriter::Loop L = F.beginLoop("%K", V.Short, "k");
  kBody(P, L.Iv, V.Short, V);
  F.endLoop(L);
  std::vector<std::string> Outs = L.Out;
  for (size_t C = 0; C < V.Carried.size(); ++C) {
    NodeId Id = V.Carried[C];
    if (V.isBlockSum(Body.node(Id).Op, dtype(Id)))
      Outs[C] = reducer(Id).toAcc(F, Outs[C]);
  }
  return Outs;
}

/// The body of a k-loop at k = KValue: Loop[P] nodes, one term of every
/// accumulation (Vars names the register-carried ones, then the division
/// flags), and the E outputs in the last loop.
void KernelEmitter::kBody(int P, const std::string &KValue,
                          const std::vector<FunctionWriter::Carried> &Vars,
                          const LoopVars &LV) {
  std::map<uint32_t, std::string> Flags;
  Env E;
  E.K = KValue;
  E.InLoop = true;
  E.DivFlags = &Flags;
  E.Loop = P;
  for (NodeId Id : I.Loop[P]) {
    std::string V = value(Id, E);
    if (CacheOf[Id.Index] >= 0 && FirstLoop[Id.Index] == P)
      F.store(dtype(Id), V, ScratchPtr[CacheOf[Id.Index]], KValue);
  }
  size_t V = 0;
  std::map<uint32_t, std::string> Terms;
  for (NodeId Id : I.Accumulate[P]) {
    if (Acc[Id.Index] == AccKind::Col) {
      Reducer R = reducer(Id);
      std::string Term = R.toAcc(F, value(Body.node(Id).Inputs[0], E));
      const std::string &Ptr = ScratchPtr[ScratchOf[Id.Index]];
      std::string Old = F.load(R.accType(), Ptr, KValue);
      F.store(R.accType(), R.combine(F, Old, Term), Ptr, KValue);
      continue;
    }
    Reducer R(Body.node(Id).Op, dtype(Id), Strict, !LV.Blocked);
    R.NaNFree = R.Op != OpCode::Sum;
    std::string Term = R.toAcc(F, value(Body.node(Id).Inputs[0], E));
    Terms[Id.Index] = Term;
    R.combine(F, Vars[V].Phi, Term, Vars[V].Next);
    ++V;
  }
  for (NodeId Id : LV.NaNFlagged) {
    const FunctionWriter::Carried &C = Vars[V++];
    std::string IsNaN = F.tmp("nan");
    F.emit(IsNaN + " = fcmp uno " + std::string(regType(dtype(Id))) + " " +
           Terms.at(Id.Index) + ", 0.0");
    F.emit(C.Next + " = or i1 " + C.Phi + ", " + IsNaN);
  }
  if (P + 1 == I.NumLoops)
    for (size_t O = 0; O < Body.outputs().size(); ++O) {
      NodeId Out = Body.outputs()[O].Value;
      if (I.classOf(Out) == VC::E && !I.isLate(Out))
        F.store(dtype(Out), value(Out, E), OutRowPtr[O], KValue);
    }
  for (NodeId Id : LV.Divs) {
    const FunctionWriter::Carried &C = Vars[V++];
    F.emit(C.Next + " = or i1 " + C.Phi + ", " + Flags.at(Id.Index));
  }
}

/// After a k-loop: its Row reductions become values, its S partials are
/// added to the row-carried sums, and division flags are checked.
void KernelEmitter::finishKLoop(const std::vector<std::string> &Outs,
                                const LoopVars &LV) {
  size_t V = 0, Flag = LV.Carried.size();
  for (NodeId Id : LV.Carried) {
    Reducer R = reducer(Id);
    std::string Out = Outs[V++];
    if (R.Op != OpCode::Sum && isFloat(R.T)) { // a NaN term wins
      std::string Ty(regType(R.T)), Fixed = F.tmp("nanfix");
      F.emit(Fixed + " = select i1 " + Outs[Flag++] + ", " + Ty + " " +
             floatLiteral(R.T, std::numeric_limits<double>::quiet_NaN()) +
             ", " + Ty + " " + Out);
      Out = Fixed;
    }
    if (Acc[Id.Index] == AccKind::Row)
      Val[Id.Index] = R.fromAcc(F, Out);
    else
      R.combine(F, "%s" + std::to_string(Id.Index), Out,
                "%s" + std::to_string(Id.Index) + ".next");
  }
  V = Flag;
  for (NodeId Id : LV.Divs) {
    emitCheck(F, "%state", Outs[V++], kStatusDivisionByZero, site(Id), "0",
              "0");
    RowChecks += InRowLoop;
  }
}

void KernelEmitter::rowLoop() {
  std::vector<FunctionWriter::Carried> Vars;
  for (NodeId Id : SAccs) {
    std::string Name = "%s" + std::to_string(Id.Index);
    Reducer R = reducer(Id);
    Vars.push_back({R.accTypeName(), R.identity(), Name, Name + ".next"});
  }
  checkIndexArguments();
  FunctionWriter::Loop L = F.beginLoop("%R", Vars, "row");
  Checked.clear();
  InRowLoop = true;
  Row = L.Iv;
  std::string Base = F.mul(Row, "%K");
  for (size_t A = 0; A < Body.arguments().size(); ++A) {
    NodeId Arg = Body.arguments()[A];
    if (I.ArgClass[A] == VC::E)
      RowPtr[A] = F.gep(memType(dtype(Arg)), ArgPtr[A], Base);
    else if (I.ArgClass[A] == VC::Row)
      Val[Arg.Index] = F.load(dtype(Arg), ArgPtr[A], Row);
  }
  for (size_t O = 0; O < Body.outputs().size(); ++O) {
    NodeId Out = Body.outputs()[O].Value;
    if (I.classOf(Out) == VC::E && !I.isLate(Out))
      OutRowPtr[O] = F.gep(memType(dtype(Out)), OutPtr[O], Base);
  }
  Env E;
  for (int P = 0; P <= I.NumLoops; ++P) {
    for (NodeId Id : I.RowStart[P])
      if (Acc[Id.Index] != AccKind::Row && !IsDeferred[Id.Index])
        Val[Id.Index] = compute(Id, E);
    if (P < I.NumLoops)
      kLoop(P);
  }
  for (NodeId Id : Deferred.Stored)
    F.store(dtype(Id), Val[Id.Index], ScratchPtr[DeferSlot[Id.Index]], Row);
  for (NodeId Id : I.RowAccumulate) {
    if (IsDeferred[Id.Index])
      continue;
    Reducer R = reducer(Id);
    std::string Name = "%s" + std::to_string(Id.Index);
    R.combine(F, Name, R.toAcc(F, value(Body.node(Id).Inputs[0], E)),
              Name + ".next");
  }
  for (size_t O = 0; O < Body.outputs().size(); ++O) {
    NodeId Out = Body.outputs()[O].Value;
    if (I.classOf(Out) == VC::Row && !I.isLate(Out))
      F.store(dtype(Out), value(Out, E), OutPtr[O], Row);
  }
  InRowLoop = false;
  bool RowReduces =
      std::find(Acc.begin(), Acc.end(), AccKind::Row) != Acc.end();
  if (RowChecks == 0 && RowReduces && I.K.isConstant() &&
      I.K.constant() <= kMaxUnrolledK)
    L.Metadata = F.loopMetadata("!{!\"llvm.loop.unroll.count\", i32 2}");
  F.endLoop(L);
  for (size_t V = 0; V < SAccs.size(); ++V)
    Val[SAccs[V].Index] = reducer(SAccs[V]).fromAcc(F, L.Out[V]);
  if (!Deferred.Sums.empty())
    deferredLoop();
}

/// The deferred Row values (plan.h) in a loop over the rows: the values the
/// row loop stored (and Row arguments) are loaded, the deferred nodes
/// computed, and their sums accumulated. Nothing in it calls or branches,
/// so LLVM vectorizes it across rows.
void KernelEmitter::deferredLoop() {
  std::vector<FunctionWriter::Carried> Vars;
  for (NodeId Id : Deferred.Sums) {
    std::string Name = "%d" + std::to_string(Id.Index);
    Reducer R = reducer(Id);
    Vars.push_back({R.accTypeName(), R.identity(), Name, Name + ".next"});
  }
  FunctionWriter::Loop L = F.beginLoop("%R", Vars, "rowdef");
  for (NodeId Id : Deferred.Stored)
    Val[Id.Index] = F.load(dtype(Id), ScratchPtr[DeferSlot[Id.Index]], L.Iv);
  Env E;
  for (NodeId Id : Deferred.Nodes)
    for (NodeId In : Body.node(Id).Inputs)
      if (Body.node(In).Op == OpCode::Input && I.classOf(In) == VC::Row &&
          !E.Local.count(In.Index))
        E.Local[In.Index] = F.load(dtype(In), ArgPtr[ArgPos[In.Index]], L.Iv);
  for (NodeId Id : Deferred.Nodes)
    E.Local[Id.Index] = Val[Id.Index] = compute(Id, E);
  for (size_t V = 0; V < Deferred.Sums.size(); ++V) {
    NodeId Id = Deferred.Sums[V];
    Reducer R = reducer(Id);
    R.combine(F, Vars[V].Phi, R.toAcc(F, value(Body.node(Id).Inputs[0], E)),
              Vars[V].Next);
  }
  F.endLoop(L);
  for (size_t V = 0; V < Deferred.Sums.size(); ++V)
    Val[Deferred.Sums[V].Index] =
        reducer(Deferred.Sums[V]).fromAcc(F, L.Out[V]);
}

void KernelEmitter::epilogue() {
  Env E;
  for (NodeId Id : I.EpilogueS)
    if (Acc[Id.Index] != AccKind::S)
      Val[Id.Index] = compute(Id, E);
  bool AnyCol = false;
  for (size_t O = 0; O < Body.outputs().size(); ++O) {
    NodeId Out = Body.outputs()[O].Value;
    if (!I.isLate(Out))
      continue;
    if (I.classOf(Out) == VC::S)
      F.store(dtype(Out), value(Out, E), OutPtr[O], "0");
    else
      AnyCol = true;
  }
  if (!AnyCol)
    return;
  Env RowEnv;
  Checked.clear();
  for (NodeId Id : I.EpilogueLoop)
    if (Body.node(Id).Op == OpCode::OneHot)
      checkedIndex(Id, Body.node(Id).Inputs[0], RowEnv);
  FunctionWriter::Loop L = F.beginLoop("%K", {}, "ep");
  Env Loop;
  Loop.K = L.Iv;
  Loop.InLoop = true;
  for (NodeId Id : I.EpilogueLoop)
    value(Id, Loop);
  for (size_t O = 0; O < Body.outputs().size(); ++O) {
    NodeId Out = Body.outputs()[O].Value;
    if (I.isLate(Out) && I.classOf(Out) == VC::Col)
      F.store(dtype(Out), value(Out, Loop), OutPtr[O], L.Iv);
  }
  F.endLoop(L);
}

std::string KernelEmitter::run(const std::string &Name) {
  size_t N = Body.size();
  ArgPos.assign(N, -1);
  ScratchOf.assign(N, -1);
  Acc.assign(N, AccKind::None);
  Val.assign(N, "");
  for (size_t A = 0; A < Body.arguments().size(); ++A)
    ArgPos[Body.arguments()[A].Index] = static_cast<int>(A);
  RowPtr.assign(Body.arguments().size(), "");
  OutRowPtr.assign(Body.outputs().size(), "");
  std::vector<NodeId> Cols = colAccumulators(Body, I);
  for (size_t C = 0; C < Cols.size(); ++C)
    ScratchOf[Cols[C].Index] = static_cast<int>(C);
  BodyNumber.assign(N, -1);
  int Next = 0;
  for (NodeId Id : Body.liveNodes())
    if (Body.node(Id).Op != OpCode::Input)
      BodyNumber[Id.Index] = Next++;
  CacheOf.assign(N, -1);
  FirstLoop.assign(N, I.NumLoops);
  for (int P = I.NumLoops; P-- > 0;)
    for (NodeId Id : I.Loop[P])
      FirstLoop[Id.Index] = P;
  std::vector<NodeId> Cached = cachedRowValues(Body, I);
  for (size_t C = 0; C < Cached.size(); ++C)
    CacheOf[Cached[C].Index] = static_cast<int>(Cols.size() + C);
  Deferred = deferredRowValues(Body, I);
  DeferSlot.assign(N, -1);
  IsDeferred.assign(N, 0);
  for (size_t D = 0; D < Deferred.Stored.size(); ++D)
    DeferSlot[Deferred.Stored[D].Index] =
        static_cast<int>(Cols.size() + Cached.size() + D);
  for (NodeId Id : Deferred.Nodes)
    IsDeferred[Id.Index] = 1;
  for (NodeId Id : Deferred.Sums)
    IsDeferred[Id.Index] = 1;
  for (const std::vector<NodeId> &List : I.Accumulate)
    for (NodeId Id : List) {
      VC C = I.classOf(Id);
      Acc[Id.Index] = C == VC::Row   ? AccKind::Row
                      : C == VC::Col ? AccKind::Col
                                     : AccKind::S;
      if (C == VC::S)
        SAccs.push_back(Id);
    }
  for (NodeId Id : I.RowAccumulate) {
    Acc[Id.Index] = AccKind::S;
    if (!IsDeferred[Id.Index])
      SAccs.push_back(Id);
  }
  header(Name);
  prologue();
  rowLoop();
  epilogue();
  F.emit("ret i32 0");
  return F.text() + "}\n";
}

} // namespace

void emitKernelFunction(ModuleContext &M, const plan::Step &S,
                        const std::string &Name) {
  M.Functions.push_back(KernelEmitter(M, S).run(Name));
}

} // namespace netjit::codegen
