//===- compiled_ops_test.cpp - Elementwise ops: compiled vs interpreter ---===//
//
// Every elementwise op of ops.def, on each dtype it takes, compiled as a
// one-op graph over f[B,N] and compared with the reference interpreter on
// random inputs for several bindings of B and N, including 1 and sizes that
// are not a multiple of the vector width (odd and prime extents exercise the
// vectorizer's remainder loops). Tolerance: 4 ulps per element, which covers
// netjit's vector math (at most 3 ulps from the exact value, vecmath.h)
// against glibc (within 1 ulp); exact for integers and bools. A second test
// feeds NaN, infinities and signed zeros to the ops whose NaN and zero rules
// are spelled out (maximum, minimum, clip, relu, sign, casts).
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

#include "codegen/vecmath.h"

#include <limits>

namespace netjit::testing {
namespace {

const std::vector<DimBindings> kBindings = {{{"B", 1}, {"N", 1}},
                                            {{"B", 3}, {"N", 17}},
                                            {{"B", 2}, {"N", 33}},
                                            {{"B", 5}, {"N", 100}}};

std::string ty(DType T) { return std::string(dtypeName(T)); }

/// graph @g(%x: In[B,N] ...) { %0 = Op(%x ...) Attrs : Out[B,N]; return y = %0
/// }
Graph opGraph(const std::string &Op, std::vector<DType> In, DType Out,
              const std::string &Attrs = "") {
  std::string Args, Ops;
  for (size_t I = 0; I < In.size(); ++I) {
    Args += (I ? ", " : "") + std::string("%x") + std::to_string(I) + ": " +
            ty(In[I]) + "[B,N]";
    Ops += (I ? ", " : "") + std::string("%x") + std::to_string(I);
  }
  return parseGraph("graph @g(" + Args + ") {\n  %0 = " + Op + "(" + Ops + ")" +
                    Attrs + " : " + ty(Out) + "[B,N]\n  return y = %0\n}\n");
}

struct Range {
  double Lo, Hi;
};

/// Inputs where the op is defined and its result is not dominated by
/// overflow: log-like ops on positive numbers, exp up to 20.
Range rangeOf(const std::string &Op) {
  if (Op == "log" || Op == "sqrt" || Op == "rsqrt" || Op == "pow")
    return {0.05, 4};
  if (Op == "log1p")
    return {-0.95, 4};
  if (Op == "exp" || Op == "expm1" || Op == "softplus" || Op == "sigmoid")
    return {-20, 20};
  if (Op == "tanh")
    return {-10, 10};
  return {-3, 3};
}

void checkOp(const std::string &Op, std::vector<DType> In, DType Out,
             double Ulps = 4, const std::string &Attrs = "") {
  SCOPED_TRACE(Op + " on " + ty(In[0]));
  Graph G = opGraph(Op, In, Out, Attrs);
  Range R = rangeOf(Op);
  expectMatchesInterpreter(G, kBindings, Tolerance{Ulps}, 7, R.Lo, R.Hi, 5);
}

TEST(CompiledOps, FloatUnary) {
  for (DType T : {DType::F32, DType::F64})
    for (const char *Op :
         {"neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt",
          "square", "tanh", "sigmoid", "softplus", "relu", "stop_gradient"})
      checkOp(Op, {T}, T);
}

TEST(CompiledOps, VecmathBoundsAreWithinTheTestTolerance) {
  // The 4-ulp tolerance above holds because every vector function is
  // stated within 3 ulps (and glibc within 1).
  for (OpCode Op : {OpCode::Exp, OpCode::Log, OpCode::Log1p, OpCode::Expm1,
                    OpCode::Tanh, OpCode::Sigmoid, OpCode::Softplus})
    for (DType T : {DType::F32, DType::F64})
      EXPECT_LE(vecmathMaxUlps(Op, T) + 1, 4.0) << opName(Op);
}

TEST(CompiledOps, IntegerUnary) {
  for (DType T : {DType::I32, DType::I64})
    for (const char *Op : {"neg", "abs", "sign", "square", "relu"})
      checkOp(Op, {T}, T);
  checkOp("not", {DType::Bool}, DType::Bool);
}

TEST(CompiledOps, FloatBinary) {
  for (DType T : {DType::F32, DType::F64})
    for (const char *Op :
         {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "xlogy"})
      checkOp(Op, {T, T}, T);
}

TEST(CompiledOps, IntegerBinary) {
  for (DType T : {DType::I32, DType::I64})
    for (const char *Op : {"add", "sub", "mul", "maximum", "minimum"})
      checkOp(Op, {T, T}, T);
  checkOp("and", {DType::Bool, DType::Bool}, DType::Bool);
  checkOp("or", {DType::Bool, DType::Bool}, DType::Bool);
}

TEST(CompiledOps, IntegerDivisionTruncatesAndWraps) {
  Graph G = opGraph("div", {DType::I32, DType::I32}, DType::I32);
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  CallContext Ctx = F.newContext();
  // 7/2=3, -7/2=-3, 7/-2=-3, MIN/-1 wraps to MIN, 0/5=0 (C's truncation).
  const int32_t Min = std::numeric_limits<int32_t>::min();
  std::vector<double> A = {7, -7, 7, static_cast<double>(Min), 0};
  std::vector<double> B = {2, 2, -2, -1, 5};
  TensorMap Args = {{"x0", Tensor::fromValues(DType::I32, {1, 5}, A)},
                    {"x1", Tensor::fromValues(DType::I32, {1, 5}, B)}};
  Reference Got = runCompiled(F, Ctx, Args);
  std::vector<double> Want = {3, -3, -3, static_cast<double>(Min), 0};
  for (int I = 0; I < 5; ++I)
    EXPECT_EQ(Got.Outputs.at("y").at(I), Want[I]) << I;
}

TEST(CompiledOps, IntegerDivisionByZeroIsAnError) {
  Graph G = opGraph("div", {DType::I64, DType::I64}, DType::I64);
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  std::vector<double> A = {1, 2, 3}, B = {1, 0, 1};
  TensorMap Args = {{"x0", Tensor::fromValues(DType::I64, {1, 3}, A)},
                    {"x1", Tensor::fromValues(DType::I64, {1, 3}, B)}};
  expectRuntimeError([&] { runCompiled(F, Ctx, Args); },
                     {"division by zero", "'div'"});
}

TEST(CompiledOps, Comparisons) {
  for (DType T : {DType::F32, DType::F64, DType::I32, DType::I64})
    for (const char *Op : {"eq", "ne", "lt", "le", "gt", "ge"})
      checkOp(Op, {T, T}, DType::Bool);
  checkOp("eq", {DType::Bool, DType::Bool}, DType::Bool);
  checkOp("ne", {DType::Bool, DType::Bool}, DType::Bool);
}

TEST(CompiledOps, SelectAndClip) {
  for (DType T : {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool})
    checkOp("select", {DType::Bool, T, T}, T);
  for (DType T : {DType::F32, DType::F64, DType::I32, DType::I64})
    checkOp("clip", {T, T, T}, T);
}

TEST(CompiledOps, EveryCast) {
  for (DType From :
       {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool})
    for (DType To :
         {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool})
      checkOp("cast", {From}, To, 0, " {dtype=" + ty(To) + "}");
}

/// NaN, infinities, signed zeros and out-of-range casts, exactly as the
/// interpreter (numpy's rules; saturating float-to-int casts, NaN -> 0).
TEST(CompiledOps, SpecialValues) {
  const double Nan = std::numeric_limits<double>::quiet_NaN(),
               Inf = std::numeric_limits<double>::infinity();
  std::vector<double> A = {Nan,  1,     -0.0, 0.0, Inf, -Inf,
                           3e10, -3e10, 2.5,  Nan, -1,  0.0};
  std::vector<double> B = {1,   Nan, 0.0,  -0.0, 1,    -Inf,
                           Nan, 1,   -2.5, Nan,  -Inf, 0.0};
  auto run = [&](const std::string &Op, std::vector<DType> In, DType Out,
                 const std::string &Attrs = "") {
    SCOPED_TRACE(Op);
    Graph G = opGraph(Op, In, Out, Attrs);
    TensorMap Args;
    for (size_t I = 0; I < In.size(); ++I)
      Args.emplace("x" + std::to_string(I),
                   Tensor::fromValues(
                       In[I], {1, static_cast<int64_t>(A.size())}, I ? B : A));
    CompiledFunction F = CompiledFunction::compile(G);
    ASSERT_FALSE(F.usesInterpreter());
    CallContext Ctx = F.newContext();
    Reference Want = interpret(referenceGraph(G), Args);
    Reference Got = runCompiled(F, Ctx, Args);
    const Tensor &W = Want.Outputs.at("y"), &R = Got.Outputs.at("y");
    for (int64_t I = 0; I < W.numel(); ++I) {
      double X = R.at(I), Y = W.at(I);
      // Special values exactly (NaN, +-inf, the sign of zero); other
      // results of the math functions within the usual 4 ulps.
      bool Same = (std::isnan(X) && std::isnan(Y)) ||
                  (X == Y && std::signbit(X) == std::signbit(Y)) ||
                  (std::isfinite(X) && std::isfinite(Y) && X != 0 && Y != 0 &&
                   ulpDistance(X, Y, W.dtype()) <= 4);
      EXPECT_TRUE(Same) << Op << "[" << I << "]: compiled " << X
                        << ", interpreter " << Y;
    }
  };
  for (DType T : {DType::F32, DType::F64}) {
    for (const char *Op :
         {"maximum", "minimum", "add", "mul", "div", "xlogy", "pow"})
      run(Op, {T, T}, T);
    for (const char *Op : {"relu", "sign", "abs", "neg", "exp", "log", "sqrt",
                           "tanh", "sigmoid", "softplus", "log1p", "expm1"})
      run(Op, {T}, T);
    run("clip", {T, T, T}, T);
    for (DType To : {DType::I32, DType::I64, DType::Bool})
      run("cast", {T}, To, " {dtype=" + ty(To) + "}");
    for (const char *Op : {"eq", "ne", "lt", "ge"})
      run(Op, {T, T}, DType::Bool);
  }
}

} // namespace
} // namespace netjit::testing
