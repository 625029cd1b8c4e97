//===- emit_entry.cpp - The module: globals, step functions and the entry
//--===//
//
// Assembles the module: one function per kernel and layout step, the
// constants as private globals, and the entry, which loads each slot's
// pointer from the buffer table, computes the dims every step needs from
// the dims array, and runs the steps in plan order. GEMMs and random fills
// are indirect calls through the CallState's function table; copies are
// memcpy. A failing step's status is returned at once.
//
//===----------------------------------------------------------------------===//
#include "codegen/emit_impl.h"
#include "codegen/emit_ops.h"
#include "codegen/vecmath.h"

#include "ir/error.h"
#include "runtime/gemm.h"
#include "runtime/jit_runtime.h"

namespace netjit::codegen {

ModuleContext::ModuleContext(const Graph &G, const Plan &P,
                             const EmitOptions &O)
    : G(G), P(P), Options(O), Number(G.size(), -1) {
  int Next = 0;
  for (NodeId Id : G.liveNodes()) {
    OpCode Op = G.node(Id).Op;
    if (Op != OpCode::Input && Op != OpCode::Param)
      Number[Id.Index] = Next++;
  }
}

int ModuleContext::addSite(std::string What) {
  Sites.push_back(std::move(What));
  return static_cast<int>(Sites.size() - 1);
}

std::string ModuleContext::global(NodeId Constant) {
  auto It = Globals.find(Constant.Index);
  if (It != Globals.end())
    return It->second;
  std::string Name = "@" + Prefix + "c" + std::to_string(Constant.Index);
  Globals[Constant.Index] = Name;
  return Name;
}

void emitCheck(FunctionWriter &F, const std::string &State,
               const std::string &Bad, int Code, int Site,
               const std::string &Value, const std::string &Bound) {
  std::string Err = F.label("err"), Ok = F.label("ok");
  F.emit("br i1 " + Bad + ", label %" + Err + ", label %" + Ok);
  F.startBlock(Err);
  F.emit("store i32 " + std::to_string(Code) + ", ptr " +
         F.bytePtr(State, kStateCode));
  F.emit("store i32 " + std::to_string(Site) + ", ptr " +
         F.bytePtr(State, kStateSite));
  F.emit("store i64 " + Value + ", ptr " + F.bytePtr(State, kStateValue));
  F.emit("store i64 " + Bound + ", ptr " + F.bytePtr(State, kStateBound));
  F.emit("ret i32 " + std::to_string(Code));
  F.startBlock(Ok);
}

std::string emitDim(FunctionWriter &F, const SymbolTable &Symbols,
                    const std::string &Dims, const Dim &D,
                    std::map<std::string, std::string> &Cache) {
  if (D.isConstant())
    return std::to_string(D.constant());
  std::string Key = D.str();
  if (auto It = Cache.find(Key); It != Cache.end())
    return It->second;
  std::string Sum = "0";
  for (const Dim::Term &T : D.terms()) {
    std::string Prod = std::to_string(T.Coeff);
    for (const std::string &Sym : T.Syms) {
      std::string SymKey = "sym:" + Sym, V;
      if (auto It = Cache.find(SymKey); It != Cache.end()) {
        V = It->second;
      } else {
        V = F.tmp("dim");
        F.emit(V + " = load i64, ptr " +
               F.gep("i64", Dims, std::to_string(Symbols.indexOf(Sym))));
        Cache[SymKey] = V;
      }
      Prod = F.mul(Prod, V);
    }
    Sum = F.add(Sum, Prod);
  }
  Cache[Key] = Sum;
  return Sum;
}

namespace {

std::string globalText(const Graph &G, NodeId Id, const std::string &Name);

/// The entry of the top-level graph, or the internal function of a scan
/// body (same signature: the body's own slot table, the shared dims array
/// and the call state).
class EntryEmitter {
public:
  EntryEmitter(ModuleContext &M) : M(M), F(M.Decls) {}
  std::string run(const std::string &Name, bool Internal);

private:
  std::string slot(int32_t S);
  std::string ref(const plan::ValueRef &V) {
    return V.Constant.valid() ? M.global(V.Constant) : slot(V.Slot);
  }
  std::string dim(const Dim &D) {
    return emitDim(F, M.P.Symbols, "%dims", D, DimCache);
  }
  std::string function(size_t Offset) {
    std::string Table = F.tmp("fns"), Fn = F.tmp("fn");
    F.emit(Table + " = load ptr, ptr " + F.bytePtr("%state", kStateFunctions));
    F.emit(Fn + " = load ptr, ptr " + F.bytePtr(Table, Offset));
    return Fn;
  }
  void checkStatus(const std::string &Status);
  void kernel(const plan::Step &S, size_t I);
  void layout(const plan::Step &S, size_t I);
  void gemm(const plan::Step &S);
  void random(const plan::Step &S);
  void dimValue(const plan::Step &S);
  void copy(const plan::Step &S);
  void scan(const plan::Step &S, size_t I);
  std::string emitBody(const plan::Step &S, size_t I);

  ModuleContext &M;
  FunctionWriter F;
  std::map<int32_t, std::string> Slots;
  std::map<std::string, std::string> DimCache;
};

std::string EntryEmitter::slot(int32_t S) {
  NJ_CHECK(S >= 0, "a step operand without a slot");
  if (auto It = Slots.find(S); It != Slots.end())
    return It->second;
  std::string P = F.tmp("buf");
  F.emit(P + " = load ptr, ptr " + F.gep("ptr", "%buffers", std::to_string(S)));
  Slots[S] = P;
  return P;
}

void EntryEmitter::checkStatus(const std::string &Status) {
  std::string Bad = F.tmp("failed"), Fail = F.label("fail"),
              Next = F.label("step");
  F.emit(Bad + " = icmp ne i32 " + Status + ", 0");
  F.emit("br i1 " + Bad + ", label %" + Fail + ", label %" + Next);
  F.startBlock(Fail);
  F.emit("ret i32 " + Status);
  F.startBlock(Next);
}

void EntryEmitter::kernel(const plan::Step &S, size_t I) {
  std::string Name = M.Prefix + "kernel" + std::to_string(I);
  emitKernelFunction(M, S, Name);
  std::string Args;
  for (const plan::ValueRef &V : S.Operands)
    Args += "ptr " + ref(V) + ", ";
  for (int32_t R : S.Results)
    Args += "ptr " + slot(R) + ", ";
  for (int32_t R : S.Scratch)
    Args += "ptr " + slot(R) + ", ";
  Args += "i64 " + dim(S.Info->R) + ", i64 " + dim(S.Info->K) +
          ", ptr %dims, ptr %state";
  std::string Status = F.tmp("st");
  F.emit(Status + " = call i32 @" + Name + "(" + Args + ")");
  checkStatus(Status);
}

void EntryEmitter::layout(const plan::Step &S, size_t I) {
  std::string Name = M.Prefix + "step" + std::to_string(I);
  emitLayoutFunction(M, S, Name);
  std::string Args;
  for (const plan::ValueRef &V : S.Operands)
    Args += "ptr " + ref(V) + ", ";
  Args += "ptr " + slot(S.Results[0]) + ", ptr %dims, ptr %state";
  std::string Status = F.tmp("st");
  F.emit(Status + " = call i32 @" + Name + "(" + Args + ")");
  checkStatus(Status);
}

/// C = op(A) op(B) through netjit_gemm_<t> (runtime/gemm.h).
void EntryEmitter::gemm(const plan::Step &S) {
  const Node &N = M.G.node(S.Node);
  const Shape &A = M.G.type(N.Inputs[0]).Dims, &B = M.G.type(N.Inputs[1]).Dims;
  size_t R = A.size();
  std::string Mv = dim(A[R - 2]), Kv = dim(A[R - 1]), Nv = dim(B[R - 1]);
  std::string Batch = "1";
  for (size_t D = 0; D + 2 < R; ++D)
    Batch = F.mul(Batch, dim(A[D]));
  bool TA = S.GemmFlags & kGemmTransA, TB = S.GemmFlags & kGemmTransB;
  DType T = N.Type.Dtype;
  size_t Offset = T == DType::F32   ? offsetof(RuntimeFunctions, GemmF32)
                  : T == DType::F64 ? offsetof(RuntimeFunctions, GemmF64)
                  : T == DType::I32 ? offsetof(RuntimeFunctions, GemmI32)
                                    : offsetof(RuntimeFunctions, GemmI64);
  std::string Fn = function(Offset);
  std::string Ctx = F.tmp("gemm");
  F.emit(Ctx + " = load ptr, ptr " + F.bytePtr("%state", kStateGemm));
  std::string Ty(regType(T));
  F.emit("call void " + Fn + "(ptr " + Ctx + ", i32 " +
         std::to_string(S.GemmFlags) + ", i64 " + Mv + ", i64 " + Nv +
         ", i64 " + Kv + ", ptr " + ref(S.Operands[0]) + ", i64 " +
         (TA ? Mv : Kv) + ", ptr " + ref(S.Operands[1]) + ", i64 " +
         (TB ? Kv : Nv) + ", ptr " + slot(S.Results[0]) + ", i64 " + Nv + ", " +
         Ty + " " + numberLiteral(T, 1) + ", i32 0, i64 " + Batch + ", i64 " +
         F.mul(Mv, Kv) + ", i64 " + F.mul(Kv, Nv) + ", i64 " + F.mul(Mv, Nv) +
         ")");
}

void EntryEmitter::random(const plan::Step &S) {
  const Node &N = M.G.node(S.Node);
  bool Normal = N.Op == OpCode::RandomNormal, F64 = N.Type.Dtype == DType::F64;
  size_t Offset = Normal ? (F64 ? offsetof(RuntimeFunctions, NormalF64)
                                : offsetof(RuntimeFunctions, NormalF32))
                         : (F64 ? offsetof(RuntimeFunctions, UniformF64)
                                : offsetof(RuntimeFunctions, UniformF32));
  std::string Fn = function(Offset);
  std::string Key = F.load(DType::I64, ref(S.Operands[0]), "0");
  F.emit("call void " + Fn + "(ptr " + slot(S.Results[0]) + ", i64 " +
         dim(numElements(N.Type.Dims)) + ", i64 " + Key + ")");
}

void EntryEmitter::dimValue(const plan::Step &S) {
  const Node &N = M.G.node(S.Node);
  std::string V =
      emitCast(F, dim(N.Attributes.getDim("dim")), DType::I64, N.Type.Dtype);
  F.store(N.Type.Dtype, V, slot(S.Results[0]), "0");
}

void EntryEmitter::copy(const plan::Step &S) {
  F.declare("declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)");
  std::string Bytes = F.mul(dim(S.Elements), std::to_string(S.ElemBytes));
  F.emit("call void @llvm.memcpy.p0.p0.i64(ptr " + slot(S.Results[0]) +
         ", ptr " + ref(S.Operands[0]) + ", i64 " + Bytes + ", i1 false)");
}

/// Emits the body's plan as an internal function of this module (its
/// functions and globals prefixed by the step, its check sites naming the
/// scan); returns the function's name.
std::string EntryEmitter::emitBody(const plan::Step &S, size_t I) {
  ModuleContext B(*S.Body, *S.Sub, M.Options);
  B.Prefix = M.Prefix + "s" + std::to_string(I) + "_";
  B.Decls = std::move(M.Decls);
  B.Functions = std::move(M.Functions);
  B.Sites = std::move(M.Sites);
  size_t FirstSite = B.Sites.size();
  std::string Name = B.Prefix + "body";
  std::string Fn = EntryEmitter(B).run(Name, true);
  for (size_t Site = FirstSite; Site < B.Sites.size(); ++Site)
    B.Sites[Site] = "body of scan " + M.name(S.Node) + ": " + B.Sites[Site];
  M.Decls = std::move(B.Decls);
  M.Functions = std::move(B.Functions);
  M.Functions.push_back(std::move(Fn));
  M.Sites = std::move(B.Sites);
  for (const auto &[Index, Global] : B.Globals)
    M.BodyGlobals.push_back(globalText(*S.Body, NodeId{Index}, Global));
  for (std::string &Text : B.BodyGlobals)
    M.BodyGlobals.push_back(std::move(Text));
  return Name;
}

/// A loop over the trip count calling the body once per step with a table
/// of its slots: the carries read from where the last step wrote them (the
/// operand at first) and written to the other of their two buffers, element
/// t of each sequence and of each stacked result (t counting down with
/// `reverse`), the constants and the body's workspace as they are. The
/// last carries are copied into the results after the loop.
void EntryEmitter::scan(const plan::Step &S, size_t I) {
  std::string Body = emitBody(S, I);
  const Node &N = M.G.node(S.Node);
  const Plan &Sub = *S.Sub;
  size_t NumCarry = static_cast<size_t>(N.Attributes.getInt("num_carry"));
  size_t NumSeqs = static_cast<size_t>(N.Attributes.getInt("num_seqs"));
  size_t NumArgs = Sub.NumArguments, NumOuts = Sub.NumOutputs;
  bool Reverse = N.Attributes.getBool("reverse");
  // Everything the loop reads is computed before it (the caches must not
  // hand the loop's values to later steps).
  std::string Trip = dim(NumSeqs ? M.G.type(N.Inputs[NumCarry]).Dims[0]
                                 : N.Attributes.getDim("length"));
  std::vector<std::string> Operands, Results, Strides(NumArgs + NumOuts, "0");
  for (const plan::ValueRef &V : S.Operands)
    Operands.push_back(ref(V));
  for (int32_t R : S.Results)
    Results.push_back(slot(R));
  auto stride = [&](const TensorType &Elem) {
    return F.mul(dim(numElements(Elem.Dims)),
                 std::to_string(dtypeSize(Elem.Dtype)));
  };
  for (size_t A = NumCarry; A < NumCarry + NumSeqs; ++A)
    Strides[A] = stride(S.Body->type(S.Body->arguments()[A]));
  for (size_t O = NumCarry; O < NumOuts; ++O)
    Strides[NumArgs + O] = stride(S.Body->type(S.Body->outputs()[O].Value));
  std::vector<std::string> Scratch;
  for (int32_t R : S.Scratch)
    Scratch.push_back(slot(R));
  size_t FirstCarryBuffer = Scratch.size() - 2 * NumCarry;
  std::vector<std::string> CarryBytes;
  for (size_t C = 0; C < NumCarry; ++C)
    CarryBytes.push_back(stride(N.Results[C]));
  std::string Last = F.tmp("last");
  F.emit(Last + " = sub i64 " + Trip + ", 1");

  std::string Table = F.tmp("table");
  F.emit(Table + " = alloca ptr, i64 " + std::to_string(Sub.Slots.size()) +
         ", align 8");
  auto setSlot = [&](size_t Slot, const std::string &Ptr) {
    F.emit("store ptr " + Ptr + ", ptr " +
           F.gep("ptr", Table, std::to_string(Slot)));
  };
  for (size_t A = NumCarry + NumSeqs; A < NumArgs; ++A)
    setSlot(A, Operands[A]);
  for (size_t Slot = 0; Slot < Sub.Slots.size(); ++Slot)
    if (Sub.Slots[Slot].Kind == plan::SlotKind::Workspace)
      setSlot(Slot, Scratch[Sub.Slots[Slot].Index]);

  std::vector<FunctionWriter::Carried> Vars;
  for (size_t C = 0; C < NumCarry; ++C)
    Vars.push_back({"ptr", Operands[C], F.tmp("carry"), F.tmp("carry.next")});
  FunctionWriter::Loop L = F.beginLoop(Trip, Vars, "scan");
  std::string T = L.Iv;
  if (Reverse) {
    T = F.tmp("t");
    F.emit(T + " = sub i64 " + Last + ", " + L.Iv);
  }
  std::string Odd = F.tmp("odd"), Bit = F.tmp("bit");
  F.emit(Bit + " = and i64 " + L.Iv + ", 1");
  F.emit(Odd + " = icmp ne i64 " + Bit + ", 0");
  for (size_t C = 0; C < NumCarry; ++C) {
    setSlot(C, Vars[C].Phi);
    const std::string &Even = Scratch[FirstCarryBuffer + 2 * C],
                      &OddBuf = Scratch[FirstCarryBuffer + 2 * C + 1];
    F.emit(Vars[C].Next + " = select i1 " + Odd + ", ptr " + OddBuf + ", ptr " +
           Even);
    setSlot(NumArgs + C, Vars[C].Next);
  }
  auto element = [&](const std::string &Base, const std::string &Stride) {
    std::string Off = F.tmp("off"), P = F.tmp("elt");
    F.emit(Off + " = mul i64 " + T + ", " + Stride);
    F.emit(P + " = getelementptr i8, ptr " + Base + ", i64 " + Off);
    return P;
  };
  for (size_t A = NumCarry; A < NumCarry + NumSeqs; ++A)
    setSlot(A, element(Operands[A], Strides[A]));
  for (size_t O = NumCarry; O < NumOuts; ++O)
    setSlot(NumArgs + O, element(Results[O], Strides[NumArgs + O]));
  std::string Status = F.tmp("st");
  F.emit(Status + " = call i32 @" + Body + "(ptr " + Table +
         ", ptr %dims, ptr %state)");
  checkStatus(Status);
  F.endLoop(L);
  F.declare("declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)");
  for (size_t C = 0; C < NumCarry; ++C)
    F.emit("call void @llvm.memcpy.p0.p0.i64(ptr " + Results[C] + ", ptr " +
           L.Out[C] + ", i64 " + CarryBytes[C] + ", i1 false)");
}

std::string EntryEmitter::run(const std::string &Name, bool Internal) {
  F.emit(std::string("define ") + (Internal ? "internal " : "") + "i32 @" +
         Name + "(ptr %buffers, ptr %dims, ptr %state) #1 {");
  F.startBlock("entry");
  for (const std::string &Sym : M.P.Symbols.names())
    dim(Dim::symbol(Sym));
  for (size_t I = 0; I < M.P.Steps.size(); ++I) {
    const plan::Step &S = M.P.Steps[I];
    switch (S.Kind) {
    case plan::StepKind::Kernel:
      kernel(S, I);
      break;
    case plan::StepKind::Layout:
      layout(S, I);
      break;
    case plan::StepKind::Gemm:
      gemm(S);
      break;
    case plan::StepKind::Random:
      random(S);
      break;
    case plan::StepKind::DimValue:
      dimValue(S);
      break;
    case plan::StepKind::Copy:
      copy(S);
      break;
    case plan::StepKind::Scan:
      scan(S, I);
      break;
    }
  }
  F.emit("ret i32 0");
  return F.text() + "}\n";
}

/// `@cN = private unnamed_addr constant [n x T] [...], align 64`.
std::string globalText(const Graph &G, NodeId Id, const std::string &Name) {
  const Node &N = G.node(Id);
  DType T = N.Type.Dtype;
  const std::vector<uint8_t> &Data = N.Attributes.getBytes("value").Data;
  size_t Size = dtypeSize(T), Count = Data.size() / Size;
  std::string Mem(memType(T)), Elems;
  for (size_t I = 0; I < Count; ++I) {
    std::string V = T == DType::Bool
                        ? std::to_string(Data[I] ? 1 : 0)
                        : literalFromBytes(T, Data.data() + I * Size);
    Elems += (I ? ", " : "") + Mem + " " + V;
  }
  std::string Init = Count == 0 ? "zeroinitializer" : "[" + Elems + "]";
  return Name + " = private unnamed_addr constant [" + std::to_string(Count) +
         " x " + Mem + "] " + Init + ", align 64\n";
}

} // namespace
} // namespace netjit::codegen

namespace netjit {

EmittedModule emitModule(const Graph &G, const Plan &P,
                         const EmitOptions &Options) {
  codegen::ModuleContext M(G, P, Options);
  std::string Entry = codegen::EntryEmitter(M).run(Options.EntryName, false);
  std::string IR = "; netjit module for graph @" + G.name() + "\n";
  for (const auto &[Index, Name] : M.Globals)
    IR += codegen::globalText(G, NodeId{Index}, Name);
  for (const std::string &Text : M.BodyGlobals)
    IR += Text;
  for (const std::string &D : M.Decls.Lines)
    IR += D + "\n";
  if (M.Decls.VecmathF32)
    IR += "\n" + vecmathIR(DType::F32);
  if (M.Decls.VecmathF64)
    IR += "\n" + vecmathIR(DType::F64);
  for (const std::string &Fn : M.Functions)
    IR += "\n" + Fn;
  IR += "\n" + Entry;
  IR +=
      "\nattributes #0 = { nounwind noinline alignstack=64 }\n"
      "attributes #1 = { nounwind }\n";
  return EmittedModule{std::move(IR), Options.EntryName, std::move(M.Sites)};
}

} // namespace netjit
