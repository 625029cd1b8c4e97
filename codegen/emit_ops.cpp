//===- emit_ops.cpp - Scalar LLVM IR for netjit's elementwise ops
//-----------===//
//
// emitElementwise() dispatches on the elementwise families of ops.def
// (isUnaryMath, isBinaryMath, kComparison) and the other elementwise ops; an
// op of a family without a lowering here reaches emitMath, which rejects it.
// Every sequence reproduces the interpreter's scalar code (ir/scalar_ops.h)
// without fast-math flags, so results agree bit for bit except where the
// math functions differ (emitMath); the selects keep NaN semantics explicit.
//
//===----------------------------------------------------------------------===//
#include "codegen/emit_ops.h"

#include "ir/error.h"

#include <limits>

namespace netjit::codegen {
namespace {

std::string ty(DType T) { return std::string(regType(T)); }

/// `R = <Text>`, with R fresh.
std::string op(FunctionWriter &F, const std::string &Text,
               std::string_view Hint = "e") {
  std::string R = F.tmp(Hint);
  F.emit(R + " = " + Text);
  return R;
}

std::string intrinsic(FunctionWriter &F, const std::string &Name, DType T,
                      std::span<const std::string> Args) {
  std::string Sig, Call;
  for (const std::string &A : Args) {
    Sig += (Sig.empty() ? "" : ", ") + ty(T);
    Call += (Call.empty() ? "" : ", ") + ty(T) + " " + A;
  }
  F.declare("declare " + ty(T) + " @" + Name + "(" + Sig + ")");
  return op(F, "call " + ty(T) + " @" + Name + "(" + Call + ")");
}

std::string select(FunctionWriter &F, const std::string &C, DType T,
                   const std::string &A, const std::string &B) {
  return op(F,
            "select i1 " + C + ", " + ty(T) + " " + A + ", " + ty(T) + " " + B);
}

std::string fcmp(FunctionWriter &F, std::string_view Pred, DType T,
                 const std::string &A, const std::string &B) {
  return op(F, "fcmp " + std::string(Pred) + " " + ty(T) + " " + A + ", " + B,
            "c");
}

std::string icmp(FunctionWriter &F, std::string_view Pred, DType T,
                 const std::string &A, const std::string &B) {
  return op(F, "icmp " + std::string(Pred) + " " + ty(T) + " " + A + ", " + B,
            "c");
}

std::string bin(FunctionWriter &F, std::string_view Inst, DType T,
                const std::string &A, const std::string &B) {
  return op(F, std::string(Inst) + " " + ty(T) + " " + A + ", " + B);
}

/// numpy's maximum / minimum: a NaN operand wins, else A < B ? B : A.
std::string maxMin(FunctionWriter &F, bool Max, DType T, const std::string &A,
                   const std::string &B) {
  if (!isFloat(T)) {
    std::string Name = std::string(Max ? "llvm.smax." : "llvm.smin.") + ty(T);
    std::string Args[] = {A, B};
    return intrinsic(F, Name, T, Args);
  }
  std::string Less = Max ? fcmp(F, "olt", T, A, B) : fcmp(F, "olt", T, B, A);
  std::string M = select(F, Less, T, B, A);
  M = select(F, fcmp(F, "uno", T, B, B), T, B, M);
  return select(F, fcmp(F, "uno", T, A, A), T, A, M);
}

std::string sign(FunctionWriter &F, DType T, const std::string &X) {
  std::string Zero = numberLiteral(T, 0), One = numberLiteral(T, 1),
              MinusOne = numberLiteral(T, -1);
  bool Fl = isFloat(T);
  std::string Gt = Fl ? fcmp(F, "ogt", T, X, Zero) : icmp(F, "sgt", T, X, Zero);
  std::string Lt = Fl ? fcmp(F, "olt", T, X, Zero) : icmp(F, "slt", T, X, Zero);
  std::string S = select(F, Gt, T, One, select(F, Lt, T, MinusOne, Zero));
  return Fl ? select(F, fcmp(F, "uno", T, X, X), T, X, S) : S;
}

/// Truncating division with the interpreter's rules: x / -1 wraps
/// (-MIN = MIN), and a zero divisor is reported through DivByZero (the
/// quotient is then x / 1, never a trap).
OpValue intDiv(FunctionWriter &F, DType T, const std::string &A,
               const std::string &B) {
  std::string IsZero = icmp(F, "eq", T, B, "0");
  std::string IsMinusOne = icmp(F, "eq", T, B, "-1");
  std::string Unsafe = op(F, "or i1 " + IsZero + ", " + IsMinusOne, "c");
  std::string D = select(F, Unsafe, T, "1", B);
  std::string Q = bin(F, "sdiv", T, A, D);
  std::string Neg = bin(F, "sub", T, "0", A);
  return {select(F, IsMinusOne, T, Neg, Q), IsZero};
}

std::string compare(FunctionWriter &F, OpCode Op, DType T, const std::string &A,
                    const std::string &B) {
  bool Fl = isFloat(T);
  std::string_view P;
  switch (Op) {
  case OpCode::Eq:
    P = Fl ? "oeq" : "eq";
    break;
  case OpCode::Ne:
    P = Fl ? "une" : "ne";
    break;
  case OpCode::Lt:
    P = Fl ? "olt" : "slt";
    break;
  case OpCode::Le:
    P = Fl ? "ole" : "sle";
    break;
  case OpCode::Gt:
    P = Fl ? "ogt" : "sgt";
    break;
  default:
    P = Fl ? "oge" : "sge";
    break;
  }
  return Fl ? fcmp(F, P, T, A, B) : icmp(F, P, T, A, B);
}

OpValue arithmetic(FunctionWriter &F, OpCode Op, DType T, const std::string &A,
                   const std::string &B) {
  bool Fl = isFloat(T);
  switch (Op) {
  case OpCode::Add:
    return {bin(F, Fl ? "fadd" : "add", T, A, B), ""};
  case OpCode::Sub:
    return {bin(F, Fl ? "fsub" : "sub", T, A, B), ""};
  case OpCode::Mul:
    return {bin(F, Fl ? "fmul" : "mul", T, A, B), ""};
  case OpCode::Div:
    if (Fl)
      return {bin(F, "fdiv", T, A, B), ""};
    return intDiv(F, T, A, B);
  case OpCode::Maximum:
    return {maxMin(F, true, T, A, B), ""};
  case OpCode::Minimum:
    return {maxMin(F, false, T, A, B), ""};
  case OpCode::And:
    return {bin(F, "and", T, A, B), ""};
  case OpCode::Or:
    return {bin(F, "or", T, A, B), ""};
  default:
    break;
  }
  std::string Ops[] = {A, B};
  return {emitMath(F, Op, T, Ops), ""};
}

std::string unary(FunctionWriter &F, OpCode Op, DType T, const std::string &X) {
  bool Fl = isFloat(T);
  std::string Zero = numberLiteral(T, 0);
  switch (Op) {
  case OpCode::Neg:
    return Fl ? op(F, "fneg " + ty(T) + " " + X) : bin(F, "sub", T, "0", X);
  case OpCode::Abs: {
    if (Fl) {
      std::string Args[] = {X};
      return intrinsic(F, "llvm.fabs." + std::string(floatSuffix(T)), T, Args);
    }
    F.declare("declare " + ty(T) + " @llvm.abs." + ty(T) + "(" + ty(T) +
              ", i1)");
    return op(F, "call " + ty(T) + " @llvm.abs." + ty(T) + "(" + ty(T) + " " +
                     X + ", i1 false)");
  }
  case OpCode::Sign:
    return sign(F, T, X);
  case OpCode::Square:
    return bin(F, Fl ? "fmul" : "mul", T, X, X);
  case OpCode::Relu:
    if (!Fl)
      return maxMin(F, true, T, X, "0");
    return select(F, fcmp(F, "ugt", T, X, Zero), T, X, Zero);
  case OpCode::Not:
    return op(F, "xor i1 " + X + ", true");
  default: {
    std::string Ops[] = {X};
    return emitMath(F, Op, T, Ops);
  }
  }
}

} // namespace

std::string emitCast(FunctionWriter &F, const std::string &V, DType From,
                     DType To) {
  if (From == To)
    return V;
  std::string S = ty(From) + " " + V + " to " + ty(To);
  if (To == DType::Bool)
    return isFloat(From) ? fcmp(F, "une", From, V, numberLiteral(From, 0))
                         : icmp(F, "ne", From, V, "0");
  if (From == DType::Bool && isFloat(To)) // a select: a masked blend in SIMD
    return op(F, "select i1 " + V + ", " + ty(To) + " " + numberLiteral(To, 1) +
                     ", " + ty(To) + " " + numberLiteral(To, 0));
  if (From == DType::Bool)
    return op(F, "zext " + S);
  if (isFloat(From) && isFloat(To))
    return op(F, (To == DType::F64 ? "fpext " : "fptrunc ") + S);
  if (!isFloat(From) && !isFloat(To))
    return op(F, (To == DType::I64 ? "sext " : "trunc ") + S);
  if (isFloat(To))
    return op(F, "sitofp " + S);
  // Saturating, NaN -> 0: the interpreter's convert().
  std::string Name =
      "llvm.fptosi.sat." + ty(To) + "." + std::string(floatSuffix(From));
  F.declare("declare " + ty(To) + " @" + Name + "(" + ty(From) + ")");
  return op(F, "call " + ty(To) + " @" + Name + "(" + ty(From) + " " + V + ")");
}

OpValue emitElementwise(FunctionWriter &F, const Node &N,
                        std::span<const std::string> Ops,
                        std::span<const DType> OpTypes) {
  DType T = N.Type.Dtype;
  switch (N.Op) {
  case OpCode::Constant:
    return {literalFromBytes(T, N.Attributes.getBytes("value").Data.data()),
            ""};
  case OpCode::StopGradient:
    return {Ops[0], ""};
  case OpCode::Cast:
    return {emitCast(F, Ops[0], OpTypes[0], T), ""};
  case OpCode::Select:
    return {select(F, Ops[0], T, Ops[1], Ops[2]), ""};
  case OpCode::Clip:
    return {maxMin(F, false, T, maxMin(F, true, T, Ops[0], Ops[1]), Ops[2]),
            ""};
  default:
    break;
  }
  if (isUnaryMath(N.Op))
    return {unary(F, N.Op, T, Ops[0]), ""};
  if (isBinaryMath(N.Op))
    return arithmetic(F, N.Op, T, Ops[0], Ops[1]);
  if (hasTrait(N.Op, kComparison))
    return {compare(F, N.Op, OpTypes[0], Ops[0], Ops[1]), ""};
  NJ_CHECK(false,
           "emitElementwise: '" << opName(N.Op) << "' is not elementwise");
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

DType Reducer::accType() const {
  return Op == OpCode::Sum && T == DType::F32 && Wide ? DType::F64 : T;
}

std::string Reducer::identity() const {
  double Inf = std::numeric_limits<double>::infinity();
  if (Op == OpCode::Sum)
    return numberLiteral(accType(), 0);
  bool Max = Op == OpCode::Max;
  switch (T) {
  case DType::F32:
  case DType::F64:
    return floatLiteral(T, Max ? -Inf : Inf);
  case DType::I32:
    return std::to_string(Max ? std::numeric_limits<int32_t>::min()
                              : std::numeric_limits<int32_t>::max());
  case DType::I64:
    return std::to_string(Max ? std::numeric_limits<int64_t>::min()
                              : std::numeric_limits<int64_t>::max());
  case DType::Bool:
    break;
  }
  NJ_CHECK(false, "reduction of bool");
  return {};
}

std::string Reducer::toAcc(FunctionWriter &F, const std::string &V) const {
  return emitCast(F, V, T, accType());
}

std::string Reducer::fromAcc(FunctionWriter &F, const std::string &V) const {
  return emitCast(F, V, accType(), T);
}

std::string Reducer::combine(FunctionWriter &F, const std::string &A,
                             const std::string &B,
                             const std::string &Name) const {
  std::string R = Name.empty() ? F.tmp("acc") : Name;
  DType A0 = accType();
  std::string Ty = ty(A0);
  if (Op == OpCode::Sum) {
    std::string Flags = Strict ? "" : "reassoc nsz contract ";
    F.emit(R + " = " + (isFloat(A0) ? "fadd " + Flags : std::string("add ")) +
           Ty + " " + A + ", " + B);
    return R;
  }
  bool Max = Op == OpCode::Max;
  if (NaNFree && isFloat(A0)) {
    std::string Fn = std::string(Max ? "llvm.maxnum." : "llvm.minnum.") +
                     std::string(floatSuffix(A0));
    F.declare("declare " + Ty + " @" + Fn + "(" + Ty + ", " + Ty + ")");
    F.emit(R + " = call nnan nsz " + Ty + " @" + Fn + "(" + Ty + " " + A +
           ", " + Ty + " " + B + ")");
    return R;
  }
  std::string Fn = isFloat(A0)
                       ? std::string(Max ? "llvm.maximum." : "llvm.minimum.") +
                             std::string(floatSuffix(A0))
                       : std::string(Max ? "llvm.smax." : "llvm.smin.") + Ty;
  F.declare("declare " + Ty + " @" + Fn + "(" + Ty + ", " + Ty + ")");
  F.emit(R + " = call " + Ty + " @" + Fn + "(" + Ty + " " + A + ", " + Ty +
         " " + B + ")");
  return R;
}

} // namespace netjit::codegen
