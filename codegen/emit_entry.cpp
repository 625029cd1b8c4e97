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
  std::string Name = "@c" + std::to_string(Constant.Index);
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

class EntryEmitter {
public:
  EntryEmitter(ModuleContext &M) : M(M), F(M.Decls) {}
  std::string run();

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
  std::string Name = "kernel" + std::to_string(I);
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
  std::string Name = "step" + std::to_string(I);
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

std::string EntryEmitter::run() {
  F.emit("define i32 @" + M.Options.EntryName +
         "(ptr %buffers, ptr %dims, ptr %state) #1 {");
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
  std::string Entry = codegen::EntryEmitter(M).run();
  std::string IR = "; netjit module for graph @" + G.name() + "\n";
  for (const auto &[Index, Name] : M.Globals)
    IR += codegen::globalText(G, NodeId{Index}, Name);
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
      "\nattributes #0 = { nounwind noinline }\nattributes #1 = { nounwind }\n";
  return EmittedModule{std::move(IR), Options.EntryName, std::move(M.Sites)};
}

} // namespace netjit
