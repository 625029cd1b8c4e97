//===- emit_math.cpp - Transcendental functions in emitted code -----------===//
//
// The one place that decides how exp, log, log1p, expm1, tanh, sigmoid and
// softplus are computed. mathFunction() names the scalar function to call:
// netjit's vectorizable polynomials (codegen/vecmath.h: branch-free,
// alwaysinline, so a k-loop calling them still vectorizes at full width)
// where they exist, else LLVM's intrinsics (llvm.pow, llvm.sqrt) or libm.
// Without vecmath, sigmoid and softplus are spelled in terms of exp and
// log1p with the interpreter's stable formulas.
//
//===----------------------------------------------------------------------===//
#include "codegen/emit_ops.h"
#include "codegen/vecmath.h"

#include "ir/error.h"

namespace netjit::codegen {
namespace {

std::string ty(DType T) { return std::string(regType(T)); }

/// The function computing Op on T (with Arity arguments), declared.
std::string mathFunction(FunctionWriter &F, OpCode Op, DType T, int Arity) {
  if (std::string V = vecmathFunction(Op, T); !V.empty()) {
    F.useVecmath(T);
    return V;
  }
  bool D = T == DType::F64;
  std::string Sfx(floatSuffix(T)), Name;
  switch (Op) {
  case OpCode::Exp:
    Name = "llvm.exp." + Sfx;
    break;
  case OpCode::Log:
    Name = "llvm.log." + Sfx;
    break;
  case OpCode::Sqrt:
    Name = "llvm.sqrt." + Sfx;
    break;
  case OpCode::Pow:
    Name = "llvm.pow." + Sfx;
    break;
  case OpCode::Log1p:
    Name = D ? "log1p" : "log1pf";
    break;
  case OpCode::Expm1:
    Name = D ? "expm1" : "expm1f";
    break;
  case OpCode::Tanh:
    Name = D ? "tanh" : "tanhf";
    break;
  default:
    NJ_CHECK(false, "no math function for '" << opName(Op) << "'");
  }
  std::string Sig = ty(T);
  for (int I = 1; I < Arity; ++I)
    Sig += ", " + ty(T);
  F.declare("declare " + ty(T) + " @" + Name + "(" + Sig + ")");
  return Name;
}

std::string call(FunctionWriter &F, OpCode Op, DType T,
                 std::span<const std::string> Args) {
  std::string Fn = mathFunction(F, Op, T, static_cast<int>(Args.size()));
  std::string List;
  for (const std::string &A : Args)
    List += (List.empty() ? "" : ", ") + ty(T) + " " + A;
  std::string R = F.tmp("f");
  F.emit(R + " = call " + ty(T) + " @" + Fn + "(" + List + ")");
  return R;
}

std::string call1(FunctionWriter &F, OpCode Op, DType T, const std::string &X) {
  std::string Args[] = {X};
  return call(F, Op, T, Args);
}

std::string inst(FunctionWriter &F, const std::string &Text) {
  std::string R = F.tmp("f");
  F.emit(R + " = " + Text);
  return R;
}

/// sigmoid(x) = 1 / (1 + e) for x >= 0, e / (1 + e) otherwise, e = exp(-|x|):
/// never exponentiates a positive number (the interpreter's formula).
std::string sigmoid(FunctionWriter &F, DType T, const std::string &X) {
  std::string Ty = ty(T), One = floatLiteral(T, 1), Zero = floatLiteral(T, 0);
  F.declare("declare " + Ty + " @llvm.fabs." + std::string(floatSuffix(T)) +
            "(" + Ty + ")");
  std::string Abs =
      inst(F, "call " + Ty + " @llvm.fabs." + std::string(floatSuffix(T)) +
                  "(" + Ty + " " + X + ")");
  std::string E = call1(F, OpCode::Exp, T, inst(F, "fneg " + Ty + " " + Abs));
  std::string Den = inst(F, "fadd " + Ty + " " + One + ", " + E);
  std::string Pos = inst(F, "fdiv " + Ty + " " + One + ", " + Den);
  std::string Neg = inst(F, "fdiv " + Ty + " " + E + ", " + Den);
  std::string NonNeg = inst(F, "fcmp oge " + Ty + " " + X + ", " + Zero);
  return inst(F, "select i1 " + NonNeg + ", " + Ty + " " + Pos + ", " + Ty +
                     " " + Neg);
}

/// softplus(x) = log1p(exp(-|x|)) + (x > 0 ? x : 0).
std::string softplus(FunctionWriter &F, DType T, const std::string &X) {
  std::string Ty = ty(T), Zero = floatLiteral(T, 0);
  std::string Fabs = "llvm.fabs." + std::string(floatSuffix(T));
  F.declare("declare " + Ty + " @" + Fabs + "(" + Ty + ")");
  std::string Abs =
      inst(F, "call " + Ty + " @" + Fabs + "(" + Ty + " " + X + ")");
  std::string E = call1(F, OpCode::Exp, T, inst(F, "fneg " + Ty + " " + Abs));
  std::string L = call1(F, OpCode::Log1p, T, E);
  std::string Pos = inst(F, "fcmp ogt " + Ty + " " + X + ", " + Zero);
  std::string Relu = inst(F, "select i1 " + Pos + ", " + Ty + " " + X + ", " +
                                 Ty + " " + Zero);
  return inst(F, "fadd " + Ty + " " + L + ", " + Relu);
}

} // namespace

std::string emitExpNonPositive(FunctionWriter &F, DType T,
                               const std::string &X) {
  F.useVecmath(T);
  std::string R = F.tmp("f");
  F.emit(R + " = call " + ty(T) + " @" + vecmathExpNonPositive(T) + "(" +
         ty(T) + " " + X + ")");
  return R;
}

std::string emitMath(FunctionWriter &F, OpCode Op, DType T,
                     std::span<const std::string> Ops) {
  std::string Ty = ty(T);
  bool Vec = !vecmathFunction(Op, T).empty();
  switch (Op) {
  case OpCode::Sigmoid:
    return Vec ? call(F, Op, T, Ops) : sigmoid(F, T, Ops[0]);
  case OpCode::Softplus:
    return Vec ? call(F, Op, T, Ops) : softplus(F, T, Ops[0]);
  case OpCode::Rsqrt:
    return inst(F, "fdiv " + Ty + " " + floatLiteral(T, 1) + ", " +
                       call1(F, OpCode::Sqrt, T, Ops[0]));
  case OpCode::Xlogy: {
    // x * log(y), 0 where x == 0 (whatever y is).
    std::string L = call1(F, OpCode::Log, T, Ops[1]);
    std::string P = inst(F, "fmul " + Ty + " " + Ops[0] + ", " + L);
    std::string Z =
        inst(F, "fcmp oeq " + Ty + " " + Ops[0] + ", " + floatLiteral(T, 0));
    return inst(F, "select i1 " + Z + ", " + Ty + " " + floatLiteral(T, 0) +
                       ", " + Ty + " " + P);
  }
  default:
    return call(F, Op, T, Ops);
  }
}

} // namespace netjit::codegen
