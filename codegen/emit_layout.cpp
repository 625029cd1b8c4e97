//===- emit_layout.cpp - Loops for layout and indexing steps --------------===//
//
// Steps that move elements: transpose, broadcast, slice, pad and concat are
// strided copies (a loop nest over the extents, each side addressed by its
// own strides, computed from the dims at call time); gather, scatter_add
// and one_hot outside kernels, and argmax, are loops that read an index and
// check it against its axis before any access. Elements are copied in their
// memory type (bool as a byte).
//
//===----------------------------------------------------------------------===//
#include "codegen/emit_impl.h"
#include "codegen/emit_ops.h"

#include "ir/error.h"
#include "runtime/jit_runtime.h"

#include <functional>

namespace netjit::codegen {
namespace {

class LayoutEmitter {
public:
  LayoutEmitter(ModuleContext &M, const plan::Step &S)
      : M(M), S(S), G(M.G), N(G.node(S.Node)), F(M.Decls) {}
  std::string run(const std::string &Name);

private:
  using Idx = std::vector<std::string>;
  std::string dim(const Dim &D) {
    return emitDim(F, M.P.Symbols, "%dims", D, DimCache);
  }
  std::vector<std::string> dims(const Shape &Sh) {
    std::vector<std::string> Out;
    for (const Dim &D : Sh)
      Out.push_back(dim(D));
    return Out;
  }
  /// C-order strides of a shape.
  std::vector<std::string> strides(const std::vector<std::string> &Extents) {
    std::vector<std::string> Out(Extents.size(), "1");
    for (size_t D = Extents.size(); D-- > 1;)
      Out[D - 1] = F.mul(Out[D], Extents[D]);
    return Out;
  }
  std::string offset(const Idx &I, const std::vector<std::string> &Strides,
                     std::string Base = "0") {
    for (size_t D = 0; D < I.size(); ++D)
      Base = F.add(Base, F.mul(I[D], Strides[D]));
    return Base;
  }
  void nest(const std::vector<std::string> &Extents,
            const std::function<void(const Idx &)> &Body);
  std::string numel(const std::vector<std::string> &Extents) {
    std::string P = "1";
    for (const std::string &E : Extents)
      P = F.mul(P, E);
    return P;
  }
  void copyElement(DType T, const std::string &Src, const std::string &SrcOff,
                   const std::string &Dst, const std::string &DstOff) {
    std::string Mem(memType(T));
    std::string V = F.tmp("v");
    F.emit(V + " = load " + Mem + ", ptr " + F.gep(Mem, Src, SrcOff));
    F.emit("store " + Mem + " " + V + ", ptr " + F.gep(Mem, Dst, DstOff));
  }
  void zero(const std::string &Ptr, const std::vector<std::string> &Extents,
            DType T) {
    std::string Bytes = F.mul(numel(Extents), std::to_string(dtypeSize(T)));
    F.declare("declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)");
    F.emit("call void @llvm.memset.p0.i64(ptr " + Ptr + ", i8 0, i64 " + Bytes +
           ", i1 false)");
  }
  std::string index(NodeId IdxNode, const std::string &Off) {
    return emitCast(
        F,
        F.load(G.type(IdxNode).Dtype,
               "%op" + std::to_string(IdxNode == N.Inputs[0] ? 0 : 1), Off),
        G.type(IdxNode).Dtype, DType::I64);
  }
  void check(const std::string &K, const std::string &Bound,
             std::string_view What) {
    std::string Bad = F.tmp("oob");
    F.emit(Bad + " = icmp uge i64 " + K + ", " + Bound);
    int Site = M.addSite("'" + std::string(opName(N.Op)) + "' " +
                         M.name(S.Node) + std::string(What));
    emitCheck(F, "%state", Bad, kStatusIndexOutOfRange, Site, K, Bound);
  }

  void transposeOrBroadcast();
  void slice();
  void pad();
  void concat();
  void gather();
  void scatterAdd();
  void oneHot();
  void argmax();

  ModuleContext &M;
  const plan::Step &S;
  const Graph &G;
  const Node &N;
  FunctionWriter F;
  std::map<std::string, std::string> DimCache;
};

void LayoutEmitter::nest(const std::vector<std::string> &Extents,
                         const std::function<void(const Idx &)> &Body) {
  Idx I;
  std::function<void(size_t)> Level = [&](size_t D) {
    if (D == Extents.size()) {
      Body(I);
      return;
    }
    FunctionWriter::Loop L = F.beginLoop(Extents[D], {}, "l");
    I.push_back(L.Iv);
    Level(D + 1);
    I.pop_back();
    F.endLoop(L);
  };
  Level(0);
}

void LayoutEmitter::transposeOrBroadcast() {
  std::vector<std::string> Out = dims(N.Type.Dims), OutStr = strides(Out);
  const Shape &InShape = G.type(N.Inputs[0]).Dims;
  std::vector<std::string> InStr = strides(dims(InShape)), Src(Out.size(), "0");
  if (N.Op == OpCode::Transpose) {
    std::vector<int64_t> Perm = N.Attributes.getInts("perm");
    for (size_t D = 0; D < Perm.size(); ++D)
      Src[D] = InStr[Perm[D]];
  } else {
    size_t Off = Out.size() - InShape.size();
    for (size_t D = 0; D < InShape.size(); ++D)
      Src[Off + D] = InShape[D] == Dim(1) ? "0" : InStr[D];
  }
  DType T = N.Type.Dtype;
  nest(Out, [&](const Idx &I) {
    copyElement(T, "%op0", offset(I, Src), "%res", offset(I, OutStr));
  });
}

void LayoutEmitter::slice() {
  const Shape &InShape = G.type(N.Inputs[0]).Dims;
  std::vector<std::string> Out = dims(N.Type.Dims), OutStr = strides(Out);
  std::vector<std::string> InStr = strides(dims(InShape)), Src;
  std::vector<Dim> Starts = N.Attributes.getDims("starts");
  std::vector<int64_t> Steps = N.Attributes.getInts("steps");
  std::string Base = "0";
  for (size_t D = 0; D < InShape.size(); ++D) {
    Base = F.add(Base, F.mul(dim(Starts[D]), InStr[D]));
    Src.push_back(F.mul(InStr[D], std::to_string(Steps[D])));
  }
  nest(Out, [&](const Idx &I) {
    copyElement(N.Type.Dtype, "%op0", offset(I, Src, Base), "%res",
                offset(I, OutStr));
  });
}

void LayoutEmitter::pad() {
  std::vector<std::string> Out = dims(N.Type.Dims), OutStr = strides(Out);
  std::vector<std::string> In = dims(G.type(N.Inputs[0]).Dims),
                           InStr = strides(In), Dst;
  std::vector<Dim> Low = N.Attributes.getDims("low");
  std::vector<int64_t> Interior = N.Attributes.getInts("interior");
  std::string Base = "0";
  for (size_t D = 0; D < In.size(); ++D) {
    Base = F.add(Base, F.mul(dim(Low[D]), OutStr[D]));
    Dst.push_back(F.mul(OutStr[D], std::to_string(Interior[D] + 1)));
  }
  zero("%res", Out, N.Type.Dtype);
  nest(In, [&](const Idx &I) {
    copyElement(N.Type.Dtype, "%op0", offset(I, InStr), "%res",
                offset(I, Dst, Base));
  });
}

void LayoutEmitter::concat() {
  size_t Axis = static_cast<size_t>(N.Attributes.getInt("axis"));
  std::vector<std::string> OutStr = strides(dims(N.Type.Dims));
  std::string Start = "0";
  for (size_t Op = 0; Op < N.Inputs.size(); ++Op) {
    const Shape &Sh = G.type(N.Inputs[Op]).Dims;
    std::vector<std::string> In = dims(Sh), InStr = strides(In);
    std::string Base = F.mul(Start, OutStr[Axis]),
                Src = "%op" + std::to_string(Op);
    nest(In, [&](const Idx &I) {
      copyElement(N.Type.Dtype, Src, offset(I, InStr), "%res",
                  offset(I, OutStr, Base));
    });
    Start = F.add(Start, dim(Sh[Axis]));
  }
}

void LayoutEmitter::gather() {
  size_t Axis = static_cast<size_t>(N.Attributes.getInt("axis"));
  std::vector<std::string> X = dims(G.type(N.Inputs[0]).Dims),
                           XStr = strides(X);
  std::vector<std::string> Out = dims(N.Type.Dims), OutStr = strides(Out);
  std::string AxisStride = XStr[Axis];
  XStr[Axis] = "0";
  nest(Out, [&](const Idx &I) {
    std::string Flat = offset(I, OutStr);
    std::string K = index(N.Inputs[1], Flat);
    check(K, X[Axis], " along axis " + std::to_string(Axis));
    std::string Src = offset(I, XStr, F.mul(K, AxisStride));
    copyElement(N.Type.Dtype, "%op0", Src, "%res", Flat);
  });
}

void LayoutEmitter::scatterAdd() {
  size_t Axis = static_cast<size_t>(N.Attributes.getInt("axis"));
  std::vector<std::string> In = dims(G.type(N.Inputs[0]).Dims),
                           InStr = strides(In);
  std::vector<std::string> Out = dims(N.Type.Dims), OutStr = strides(Out);
  std::string AxisStride = OutStr[Axis];
  OutStr[Axis] = "0";
  DType T = N.Type.Dtype;
  zero("%res", Out, T);
  nest(In, [&](const Idx &I) {
    std::string Flat = offset(I, InStr);
    std::string K = index(N.Inputs[0], Flat);
    check(K, Out[Axis], " along axis " + std::to_string(Axis));
    std::string Dst = offset(I, OutStr, F.mul(K, AxisStride));
    std::string Old = F.load(T, "%res", Dst), Upd = F.load(T, "%op1", Flat);
    std::string Sum = F.tmp("s");
    F.emit(Sum + " = " + (isFloat(T) ? "fadd " : "add ") +
           std::string(regType(T)) + " " + Old + ", " + Upd);
    F.store(T, Sum, "%res", Dst);
  });
}

void LayoutEmitter::oneHot() {
  std::vector<std::string> In = dims(G.type(N.Inputs[0]).Dims);
  std::vector<std::string> Out = dims(N.Type.Dims);
  std::string Depth = Out.back();
  DType T = N.Type.Dtype;
  zero("%res", Out, T);
  FunctionWriter::Loop L = F.beginLoop(numel(In), {}, "l");
  std::string K = index(N.Inputs[0], L.Iv);
  check(K, Depth, " (depth)");
  F.store(T, numberLiteral(T, 1), "%res", F.add(F.mul(L.Iv, Depth), K));
  F.endLoop(L);
}

/// The first maximum along the axis; a NaN is the maximum (numpy).
void LayoutEmitter::argmax() {
  size_t Axis = static_cast<size_t>(N.Attributes.getInt("axis"));
  const Shape &XS = G.type(N.Inputs[0]).Dims;
  std::string Outer = "1", Inner = "1", Len = dim(XS[Axis]);
  for (size_t D = 0; D < XS.size(); ++D)
    if (D < Axis)
      Outer = F.mul(Outer, dim(XS[D]));
    else if (D > Axis)
      Inner = F.mul(Inner, dim(XS[D]));
  DType T = G.type(N.Inputs[0]).Dtype;
  std::string Ty(regType(T)), LenM1 = F.tmp("n");
  F.emit(LenM1 + " = sub i64 " + Len + ", 1");
  nest({Outer, Inner}, [&](const Idx &I) {
    std::string Base = F.add(F.mul(F.mul(I[0], Len), Inner), I[1]);
    std::string First = F.load(T, "%op0", Base);
    std::string B = F.tmp("best"), BV = F.tmp("bestv");
    FunctionWriter::Loop L = F.beginLoop(
        LenM1, {{"i64", "0", B, B + ".next"}, {Ty, First, BV, BV + ".next"}},
        "am");
    std::string Pos = F.add(L.Iv, "1");
    std::string V = F.load(T, "%op0", F.add(Base, F.mul(Pos, Inner)));
    std::string Take = F.tmp("take");
    if (isFloat(T)) {
      std::string Gt = F.tmp("c"), VNan = F.tmp("c"), BNan = F.tmp("c"),
                  Any = F.tmp("c");
      F.emit(Gt + " = fcmp ogt " + Ty + " " + V + ", " + BV);
      F.emit(VNan + " = fcmp uno " + Ty + " " + V + ", " + V);
      F.emit(BNan + " = fcmp uno " + Ty + " " + BV + ", " + BV);
      F.emit(Any + " = or i1 " + Gt + ", " + VNan);
      F.emit(Take + " = select i1 " + BNan + ", i1 false, i1 " + Any);
    } else {
      F.emit(Take + " = icmp sgt " + Ty + " " + V + ", " + BV);
    }
    F.emit(B + ".next = select i1 " + Take + ", i64 " + Pos + ", i64 " + B);
    F.emit(BV + ".next = select i1 " + Take + ", " + Ty + " " + V + ", " + Ty +
           " " + BV);
    F.endLoop(L);
    F.store(DType::I64, L.Out[0], "%res", F.add(F.mul(I[0], Inner), I[1]));
  });
}

std::string LayoutEmitter::run(const std::string &Name) {
  std::string Params;
  for (size_t I = 0; I < S.Operands.size(); ++I)
    Params += "ptr noalias %op" + std::to_string(I) + ", ";
  F.emit("define internal i32 @" + Name + "(" + Params +
         "ptr noalias %res, ptr %dims, ptr %state) #0 {");
  F.startBlock("entry");
  switch (N.Op) {
  case OpCode::Transpose:
  case OpCode::Broadcast:
    transposeOrBroadcast();
    break;
  case OpCode::Slice:
    slice();
    break;
  case OpCode::Pad:
    pad();
    break;
  case OpCode::Concat:
    concat();
    break;
  case OpCode::Gather:
    gather();
    break;
  case OpCode::ScatterAdd:
    scatterAdd();
    break;
  case OpCode::OneHot:
    oneHot();
    break;
  case OpCode::Argmax:
    argmax();
    break;
  default:
    NJ_CHECK(false, "not a layout step: " << opName(N.Op));
  }
  F.emit("ret i32 0");
  return F.text() + "}\n";
}

} // namespace

void emitLayoutFunction(ModuleContext &M, const plan::Step &S,
                        const std::string &Name) {
  M.Functions.push_back(LayoutEmitter(M, S).run(Name));
}

} // namespace netjit::codegen
