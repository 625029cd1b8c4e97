//===- arith.cpp - Arithmetic identities ----------------------------------===//
//
// Rules rooted at elementwise arithmetic: add, sub, mul, div, pow, the
// idempotent binary ops, and the unary ops. Each is preceded by its algebra.
// A rule marked [fast] changes some results in IEEE arithmetic and runs only
// under PassOptions::FastMath; the comment says which inputs differ. Integer
// arithmetic wraps modulo 2^n, which is a ring, so the integer forms of the
// [fast] rules (x * 0, x - x, reassociation) are exact and always run.
//
//===----------------------------------------------------------------------===//
#include "passes/simplify/simplifier.h"

namespace netjit::simplify {
namespace {

std::optional<NodeId> addRules(Simplifier &S, NodeId X, NodeId A, NodeId B) {
  bool Float = S.isFloatType(X);
  for (auto [P, Q] : {std::pair{A, B}, std::pair{B, A}}) {
    // x + (-0.0) => x; integer x + 0 => x
    if (S.isSplat(Q, Float ? -0.0 : 0.0))
      return S.fire("add-zero", P);
    // x + 0.0 => x [fast]: -0.0 + 0.0 is +0.0
    if (Float && S.fast() && S.isSplat(Q, 0.0))
      return S.fire("add-zero-fast", P);
    // x + neg(y) => x - y
    if (S.is(Q, OpCode::Neg))
      return S.fire("add-neg", S.make(OpCode::Sub, {P, S.in(Q)}));
  }
  // (x + c1) + c2 => x + (c1 + c2) [fast on floats: rounding and overflow]
  if (!Float || S.fast())
    for (auto [P, Q] : {std::pair{A, B}, std::pair{B, A}})
      if (S.isConstantLike(Q) && S.is(P, OpCode::Add))
        for (int I : {0, 1})
          if (S.isConstantLike(S.in(P, I)) &&
              !S.isConstantLike(S.in(P, 1 - I))) {
            NodeId C = S.make(OpCode::Add, {S.in(P, I), Q});
            if (!S.isConstantLike(C))
              return std::nullopt; // too big to fold: no gain
            return S.fire("add-const-const",
                          S.make(OpCode::Add, {S.in(P, 1 - I), C}));
          }
  return std::nullopt;
}

std::optional<NodeId> subRules(Simplifier &S, NodeId X, NodeId A, NodeId B) {
  bool Float = S.isFloatType(X);
  // x - 0.0 => x (for x = -0.0 too: -0.0 - 0.0 is -0.0)
  if (S.isSplat(B, 0.0))
    return S.fire("sub-zero", A);
  // x - (-0.0) => x [fast]: -0.0 - (-0.0) is +0.0
  if (Float && S.fast() && S.isSplat(B, -0.0))
    return S.fire("sub-zero-fast", A);
  // (-0.0) - x => neg(x); integer 0 - x => neg(x)
  if (S.isSplat(A, Float ? -0.0 : 0.0))
    return S.fire("sub-from-zero", S.make(OpCode::Neg, {B}));
  // 0.0 - x => neg(x) [fast]: 0.0 - 0.0 is +0.0, neg(0.0) is -0.0
  if (Float && S.fast() && S.isSplat(A, 0.0))
    return S.fire("sub-from-zero-fast", S.make(OpCode::Neg, {B}));
  // x - neg(y) => x + y
  if (S.is(B, OpCode::Neg))
    return S.fire("sub-neg", S.make(OpCode::Add, {A, S.in(B)}));
  // x - x => 0 (integers; floats [fast]: inf - inf and NaN - NaN are NaN)
  if (A == B && (!Float || S.fast()))
    return S.fire("sub-self", S.fill(0, S.type(X)));
  return std::nullopt;
}

std::optional<NodeId> mulRules(Simplifier &S, NodeId X, NodeId A, NodeId B) {
  bool Float = S.isFloatType(X);
  for (auto [P, Q] : {std::pair{A, B}, std::pair{B, A}}) {
    // x * 1 => x
    if (S.isSplat(Q, 1.0))
      return S.fire("mul-one", P);
    // x * -1 => neg(x)
    if (S.isSplat(Q, -1.0))
      return S.fire("mul-minus-one", S.make(OpCode::Neg, {P}));
    // x * 0 => 0 (integers; floats [fast]: NaN * 0 is NaN, -1 * 0 is -0.0)
    if ((!Float && S.isSplat(Q, 0.0)) ||
        (Float && S.fast() && (S.isSplat(Q, 0.0) || S.isSplat(Q, -0.0))))
      return S.fire("mul-zero", S.fill(0, S.type(X)));
  }
  // neg(x) * neg(y) => x * y
  if (S.is(A, OpCode::Neg) && S.is(B, OpCode::Neg))
    return S.fire("mul-neg-neg", S.make(OpCode::Mul, {S.in(A), S.in(B)}));
  // (x * c1) * c2 => x * (c1 * c2) [fast on floats: rounding and overflow]
  if (!Float || S.fast())
    for (auto [P, Q] : {std::pair{A, B}, std::pair{B, A}})
      if (S.isConstantLike(Q) && S.is(P, OpCode::Mul))
        for (int I : {0, 1})
          if (S.isConstantLike(S.in(P, I)) &&
              !S.isConstantLike(S.in(P, 1 - I))) {
            NodeId C = S.make(OpCode::Mul, {S.in(P, I), Q});
            if (!S.isConstantLike(C))
              return std::nullopt; // too big to fold: no gain
            return S.fire("mul-const-const",
                          S.make(OpCode::Mul, {S.in(P, 1 - I), C}));
          }
  return std::nullopt;
}

std::optional<NodeId> divRules(Simplifier &S, NodeId A, NodeId B) {
  // x / 1 => x
  if (S.isSplat(B, 1.0))
    return S.fire("div-one", A);
  // x / -1 => neg(x)
  if (S.isSplat(B, -1.0))
    return S.fire("div-minus-one", S.make(OpCode::Neg, {A}));
  return std::nullopt;
}

/// pow is a libm call, specified to within its ulp error; the replacements
/// are correctly rounded and agree with pow on NaN, infinities and zeros.
std::optional<NodeId> powRules(Simplifier &S, NodeId X, NodeId A, NodeId B) {
  // pow(x, 1) => x
  if (S.isSplat(B, 1.0))
    return S.fire("pow-one", A);
  // pow(x, 2) => square(x)
  if (S.isSplat(B, 2.0))
    return S.fire("pow-two", S.make(OpCode::Square, {A}));
  // pow(x, 0) => 1 (for every x, NaN included: C99 F.9.4.4)
  if (S.isSplat(B, 0.0) || S.isSplat(B, -0.0))
    return S.fire("pow-zero", S.fill(1, S.type(X)));
  // pow(x, -1) => 1 / x
  if (S.isSplat(B, -1.0))
    return S.fire("pow-minus-one",
                  S.make(OpCode::Div, {S.fill(1, S.type(X)), A}));
  // pow(x, 0.5) => sqrt(x) [fast]: pow(-0.0, 0.5) is +0.0, sqrt(-0.0) is
  // -0.0; pow(-inf, 0.5) is +inf, sqrt(-inf) is NaN
  if (S.fast() && S.isSplat(B, 0.5))
    return S.fire("pow-half", S.make(OpCode::Sqrt, {A}));
  return std::nullopt;
}

} // namespace

std::optional<NodeId> arithmeticRules(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  NodeId A = N.Inputs[0], B = N.Inputs[1];
  switch (N.Op) {
  case OpCode::Add:
    return addRules(S, X, A, B);
  case OpCode::Sub:
    return subRules(S, X, A, B);
  case OpCode::Mul:
    return mulRules(S, X, A, B);
  case OpCode::Div:
    return divRules(S, A, B);
  case OpCode::Pow:
    return powRules(S, X, A, B);
  case OpCode::Maximum:
  case OpCode::Minimum:
  case OpCode::And:
  case OpCode::Or:
    // max(x, x) => x (and min, and, or)
    if (A == B)
      return S.fire("idempotent", A);
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

std::optional<NodeId> unaryRules(Simplifier &S, NodeId X) {
  const Node &N = S.node(X);
  NodeId A = N.Inputs[0];
  OpCode Inner = S.node(A).Op;
  switch (N.Op) {
  case OpCode::Neg:
    // neg(neg(x)) => x
    if (Inner == OpCode::Neg)
      return S.fire("neg-neg", S.in(A));
    break;
  case OpCode::Abs:
    // abs(neg(x)) => abs(x); abs(abs(x)) => abs(x)
    if (Inner == OpCode::Neg || Inner == OpCode::Abs)
      return S.fire("abs-sign", S.make(OpCode::Abs, {S.in(A)}));
    break;
  case OpCode::Square:
    // square(neg(x)) => square(x); square(abs(x)) => square(x)
    if (Inner == OpCode::Neg || Inner == OpCode::Abs)
      return S.fire("square-sign", S.make(OpCode::Square, {S.in(A)}));
    break;
  case OpCode::Relu:
    // relu(relu(x)) => relu(x)
    if (Inner == OpCode::Relu)
      return S.fire("relu-relu", A);
    break;
  case OpCode::Not:
    // not(not(x)) => x
    if (Inner == OpCode::Not)
      return S.fire("not-not", S.in(A));
    break;
  case OpCode::Exp:
    // exp(log(x)) => x [fast]: log(-1) is NaN
    if (S.fast() && Inner == OpCode::Log)
      return S.fire("exp-log", S.in(A));
    break;
  case OpCode::Log:
    // log(exp(x)) => x [fast]: exp(1000) is inf
    if (S.fast() && Inner == OpCode::Exp)
      return S.fire("log-exp", S.in(A));
    break;
  default:
    break;
  }
  return std::nullopt;
}

} // namespace netjit::simplify
