//===- math.cpp - Elementwise functions and reductions on Exprs ------------===//
//
// Each function checks its operands (one graph, one dtype), turns numbers
// into scalars of the other operand's dtype and builds the node through
// ir/builder.h, which makes numpy broadcasting explicit. Errors carry the
// caller's line (call_site.h).
//
//===----------------------------------------------------------------------===//
#include "frontend/math.h"
#include "frontend/call_site.h"

namespace netjit {

using detail::guarded;
using detail::wrap;

namespace {

Expr unaryOp(std::string_view Name, OpCode Op, const Expr &X,
             const SourceLoc &Loc) {
  return guarded(Name, Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.unary(Op, X.id()));
  });
}

/// Both operands as nodes of one dtype (numbers take the Expr's dtype).
std::pair<NodeId, NodeId> operands(Builder &B, const Operand &X,
                                   const Operand &Y, const Expr &Like) {
  NodeId A = detail::operandNode(B, X, Like);
  NodeId C = detail::operandNode(B, Y, Like);
  if (B.type(A).Dtype != B.type(C).Dtype)
    throw TypeError("operands have different dtypes: " + B.type(A).str() +
                    " and " + B.type(C).str() + " (use cast)");
  return {A, C};
}

Expr binaryOp(std::string_view Name, OpCode Op, const Operand &X,
              const Operand &Y, const SourceLoc &Loc) {
  return guarded(Name, Loc, [&] {
    const Expr &Like = detail::firstExpr({&X, &Y});
    Builder B(Like.graph());
    auto [A, C] = operands(B, X, Y, Like);
    return wrap(Like, B.binary(Op, A, C));
  });
}

Expr reduceOp(std::string_view Name, OpCode Op, const Expr &X,
              std::vector<int64_t> Axes, bool KeepDims, const SourceLoc &Loc) {
  return guarded(Name, Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.reduce(Op, X.id(), std::move(Axes), KeepDims));
  });
}

} // namespace

#define NETJIT_UNARY(Fn, Op)                                                   \
  Expr Fn(const Expr &X, SourceLoc Loc) {                                      \
    return unaryOp(#Fn, OpCode::Op, X, Loc);                                   \
  }
NETJIT_UNARY(negative, Neg)
NETJIT_UNARY(abs, Abs)
NETJIT_UNARY(sign, Sign)
NETJIT_UNARY(exp, Exp)
NETJIT_UNARY(log, Log)
NETJIT_UNARY(log1p, Log1p)
NETJIT_UNARY(expm1, Expm1)
NETJIT_UNARY(sqrt, Sqrt)
NETJIT_UNARY(rsqrt, Rsqrt)
NETJIT_UNARY(square, Square)
NETJIT_UNARY(tanh, Tanh)
NETJIT_UNARY(sigmoid, Sigmoid)
NETJIT_UNARY(softplus, Softplus)
NETJIT_UNARY(relu, Relu)
NETJIT_UNARY(logical_not, Not)
NETJIT_UNARY(stop_gradient, StopGradient)
#undef NETJIT_UNARY

#define NETJIT_BINARY(Fn, Op)                                                  \
  Expr Fn(const Operand &A, const Operand &B, SourceLoc Loc) {                 \
    return binaryOp(#Fn, OpCode::Op, A, B, Loc);                               \
  }
NETJIT_BINARY(add, Add)
NETJIT_BINARY(subtract, Sub)
NETJIT_BINARY(multiply, Mul)
NETJIT_BINARY(divide, Div)
NETJIT_BINARY(power, Pow)
NETJIT_BINARY(maximum, Maximum)
NETJIT_BINARY(minimum, Minimum)
NETJIT_BINARY(xlogy, Xlogy)
NETJIT_BINARY(logical_and, And)
NETJIT_BINARY(logical_or, Or)
NETJIT_BINARY(equal, Eq)
NETJIT_BINARY(not_equal, Ne)
NETJIT_BINARY(less, Lt)
NETJIT_BINARY(less_equal, Le)
NETJIT_BINARY(greater, Gt)
NETJIT_BINARY(greater_equal, Ge)
#undef NETJIT_BINARY

Expr where(const Expr &Cond, const Operand &A, const Operand &B,
           SourceLoc Loc) {
  return guarded("where", Loc, [&] {
    Builder Bd = detail::builderFor({&Cond});
    if (!A.isExpr() && !B.isExpr())
      throw TypeError("at least one branch must be an Expr (to turn a bool "
                      "into numbers, use cast)");
    const Expr &Like = detail::firstExpr({&A, &B});
    auto [X, Y] = operands(Bd, A, B, Like);
    if (Cond.dtype() != DType::Bool)
      throw TypeError("the condition must be bool, got " + Cond.type().str());
    return wrap(Like, Bd.select(Cond.id(), X, Y));
  });
}

Expr clip(const Expr &X, const Operand &Lo, const Operand &Hi, SourceLoc Loc) {
  return guarded("clip", Loc, [&] {
    Builder B = detail::builderFor({&X});
    auto [L, H] = operands(B, Lo, Hi, X);
    return wrap(X, B.clip(X.id(), L, H));
  });
}

Expr cast(const Expr &X, DType T, SourceLoc Loc) {
  return guarded("cast", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.cast(X.id(), T));
  });
}

#define NETJIT_REDUCE(Fn, Op)                                                  \
  Expr Fn(const Expr &X, std::vector<int64_t> Axes, bool KeepDims,             \
          SourceLoc Loc) {                                                     \
    return reduceOp(#Fn, OpCode::Op, X, std::move(Axes), KeepDims, Loc);       \
  }
NETJIT_REDUCE(sum, Sum)
NETJIT_REDUCE(mean, Mean)
NETJIT_REDUCE(max, Max)
NETJIT_REDUCE(min, Min)
NETJIT_REDUCE(logsumexp, LogSumExp)
#undef NETJIT_REDUCE

Expr variance(const Expr &X, std::vector<int64_t> Axes, bool KeepDims,
              SourceLoc Loc) {
  return guarded("variance", Loc, [&] {
    Expr Centered = X - mean(X, Axes, /*KeepDims=*/true);
    return mean(square(Centered), Axes, KeepDims);
  });
}

Expr stddev(const Expr &X, std::vector<int64_t> Axes, bool KeepDims,
            SourceLoc Loc) {
  return guarded("stddev", Loc,
                 [&] { return sqrt(variance(X, Axes, KeepDims)); });
}

Expr argmax(const Expr &X, int64_t Axis, bool KeepDims, SourceLoc Loc) {
  return guarded("argmax", Loc, [&] {
    Builder B = detail::builderFor({&X});
    return wrap(X, B.argmax(X.id(), Axis, KeepDims));
  });
}

} // namespace netjit
