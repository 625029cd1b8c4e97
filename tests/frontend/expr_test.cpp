//===- expr_test.cpp - The Expr API: operators, functions, errors ----------===//
//
// Values are small enough to check by hand; the ones that are not (softmax,
// logsumexp) were computed with numpy (the expressions are in comments).
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "ir/printer.h"
#include "test_util.h"

#include <sstream>

namespace netjit {
namespace {

using test::errorOf;
using test::expectValues;
using test::tensor;
using ::testing::HasSubstr;

/// Runs F and returns its output Name.
Tensor run1(const Function &F, TensorMap Args, const std::string &Name) {
  return F.run(Args).at(Name);
}

TEST(Expr, OperatorsBroadcastAndMixNumbers) {
  Function F("ops");
  Expr X = F.input("x", {"B", 3});
  Expr B = F.param("b", {3});
  F.output("y", (X + B) * 2.0 - 1.0 / X);
  F.output("neg", -X);
  TensorMap Args{{"x", tensor({2, 3}, {1, 2, 4, -1, -2, 0.5})},
                 {"b", tensor({3}, {10, 20, 30})}};
  // (x + b) * 2 - 1 / x, row by row.
  expectValues(run1(F, Args, "y"),
               {21, 43.5, 67.75, 19, 36.5, 59});
  expectValues(run1(F, Args, "neg"), {-1, -2, -4, 1, 2, -0.5});
}

TEST(Expr, ComparisonsGiveBool) {
  Function F;
  Expr X = F.input("x", {4});
  Expr C = (X > 0.0) && (X != 2.0);
  EXPECT_EQ(C.dtype(), DType::Bool);
  F.output("c", cast(C, DType::F32));
  F.output("w", where(X >= 1.0, X, 0.0));
  TensorMap Args{{"x", tensor({4}, {-1, 0.5, 2, 3})}};
  expectValues(run1(F, Args, "c"), {0, 1, 0, 1});
  expectValues(run1(F, Args, "w"), {0, 0, 2, 3});
}

TEST(Expr, SymbolicShapes) {
  Function F;
  Expr X = F.input("x", {"B*T", 4});
  EXPECT_EQ(X.type().str(), "f32[B*T,4]");
  EXPECT_EQ(X.dim(0).str(), "B*T");
  Expr Y = reshape(X, {"B", "T", -1});
  EXPECT_EQ(Y.type().str(), "f32[B,T,4]");
  Expr Z = reshape(F.input("img", {"B", 28, 28}), {"B", -1});
  EXPECT_EQ(Z.type().str(), "f32[B,784]");
}

TEST(Expr, ReductionsAndArgmax) {
  Function F;
  Expr X = F.input("x", {2, 3});
  F.output("sum0", sum(X, {0}));
  F.output("mean1", mean(X, {-1}, /*KeepDims=*/true));
  F.output("max", max(X));
  F.output("min1", min(X, {1}));
  F.output("arg", cast(argmax(X), DType::F32));
  F.output("var", variance(X, {1}));
  F.output("lse", logsumexp(X, {1}));
  TensorMap Args{{"x", tensor({2, 3}, {1, 5, 3, -2, 0, 2})}};
  EXPECT_EQ(F.argument("x").type().str(), "f32[2,3]");
  expectValues(run1(F, Args, "sum0"), {-1, 5, 5});
  expectValues(run1(F, Args, "mean1"), {3, 0});
  EXPECT_EQ(F.run(Args).at("mean1").shape(), (std::vector<int64_t>{2, 1}));
  expectValues(run1(F, Args, "max"), {5});
  expectValues(run1(F, Args, "min1"), {1, -2});
  expectValues(run1(F, Args, "arg"), {1, 2});
  expectValues(run1(F, Args, "var"), {8.0 / 3, 8.0 / 3});
  // numpy: np.log(np.exp(x).sum(1))
  expectValues(run1(F, Args, "lse"), {5.1429316284998996, 2.1429316284998996});
}

TEST(Expr, MatmulPromotesVectorsAndStacks) {
  Function F;
  Expr A = F.input("a", {2, 3});
  Expr V = F.input("v", {3});
  Expr S = F.input("s", {2, 2, 3});
  Expr W = F.input("w", {3, 2});
  EXPECT_EQ(matmul(A, V).type().str(), "f32[2]");
  EXPECT_EQ(matmul(V, W).type().str(), "f32[2]");
  EXPECT_EQ(matmul(S, W).type().str(), "f32[2,2,2]");
  F.output("av", matmul(A, V));
  F.output("sw", matmul(S, W));
  TensorMap Args{{"a", tensor({2, 3}, {1, 2, 3, 4, 5, 6})},
                 {"v", tensor({3}, {1, 0, -1})},
                 {"s", tensor({2, 2, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1})},
                 {"w", tensor({3, 2}, {1, 2, 3, 4, 5, 6})}};
  expectValues(run1(F, Args, "av"), {-2, -2});
  expectValues(run1(F, Args, "sw"), {1, 2, 3, 4, 5, 6, 9, 12});
}

TEST(Expr, LayoutAndIndexing) {
  Function F;
  Expr X = F.input("x", {2, 3});
  Expr I = F.input("i", DType::I32, {2, 1});
  F.output("t", transpose(X));
  F.output("s", slice(X, 1, -2));
  F.output("c", concatenate({X, X * 10.0}, -1));
  F.output("g", take_along_axis(X, I, 1));
  F.output("h", one_hot(reshape(I, {2}), 3));
  F.output("p", pad(X, {0, 1}, {0, 0}));
  F.output("b", broadcast_to(F.input("r", {3}), {2, 3}));
  TensorMap Args{{"x", tensor({2, 3}, {1, 2, 3, 4, 5, 6})},
                 {"i", tensor({2, 1}, {2, 0}, DType::I32)},
                 {"r", tensor({3}, {7, 8, 9})}};
  expectValues(run1(F, Args, "t"), {1, 4, 2, 5, 3, 6});
  expectValues(run1(F, Args, "s"), {2, 3, 5, 6});
  expectValues(run1(F, Args, "c"), {1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60});
  expectValues(run1(F, Args, "g"), {3, 4});
  expectValues(run1(F, Args, "h"), {0, 0, 1, 1, 0, 0});
  expectValues(run1(F, Args, "p"), {0, 1, 2, 3, 0, 4, 5, 6});
  expectValues(run1(F, Args, "b"), {7, 8, 9, 7, 8, 9});
}

TEST(Expr, SoftmaxFamily) {
  Function F;
  Expr Z = F.input("z", {2, 3});
  Expr L = F.input("l", DType::I32, {2});
  F.output("sm", softmax(Z));
  F.output("lsm", log_softmax(Z));
  F.output("xe", softmax_cross_entropy(Z, L));
  TensorMap Args{{"z", tensor({2, 3}, {1, 2, 3, 0, 0, 0})},
                 {"l", tensor({2}, {0, 2}, DType::I32)}};
  // numpy: e = np.exp(z - z.max(1, keepdims=True)); e / e.sum(1, keepdims=True)
  expectValues(run1(F, Args, "sm"),
               {0.09003057317038046, 0.24472847105479767, 0.6652409557748219,
                1.0 / 3, 1.0 / 3, 1.0 / 3});
  expectValues(run1(F, Args, "lsm"),
               {-2.4076059644443806, -1.4076059644443806, -0.4076059644443806,
                -1.0986122886681098, -1.0986122886681098, -1.0986122886681098});
  expectValues(run1(F, Args, "xe"), {2.4076059644443806, 1.0986122886681098});
}

TEST(Expr, Float64Functions) {
  Function F("f64", DType::F64);
  Expr X = F.input("x", {2});
  EXPECT_EQ(X.dtype(), DType::F64);
  F.output("y", X * 0.1);
  TensorMap Args{{"x", tensor({2}, {1, 3}, DType::F64)}};
  Tensor Y = run1(F, Args, "y");
  EXPECT_EQ(Y.dtype(), DType::F64);
  EXPECT_EQ(Y.at(0), 0.1);
  EXPECT_EQ(Y.at(1), 3 * 0.1);
}

TEST(Expr, GradOfASumOfSquares) {
  Function F;
  Expr X = F.param("x", {3});
  Expr Cost = sum(square(X)) * 0.5;
  F.output("g", grad(Cost, X));
  std::vector<Expr> Both = grad(Cost, {X, X});
  ASSERT_EQ(Both.size(), 2u);
  F.output("gg", grad(sum(grad(Cost, X) * X), X)); // d/dx (x . x) = 2x
  TensorMap Args{{"x", tensor({3}, {1, -2, 3})}};
  expectValues(run1(F, Args, "g"), {1, -2, 3});
  expectValues(run1(F, Args, "gg"), {2, -4, 6});
}

TEST(Expr, UpdatesWriteBack) {
  Function F;
  Expr W = F.param("w", {2});
  F.output("before", W * 1.0);
  F.update(W, W + 1.0);
  TensorMap Args{{"w", tensor({2}, {1, 2})}};
  expectValues(F.run(Args).at("before"), {1, 2});
  expectValues(Args.at("w"), {2, 3});
}

TEST(Expr, PrintsNamesAndDot) {
  Function F("printed");
  Expr X = F.input("x", {"B", 2});
  F.output("doubled", X * 2.0);
  EXPECT_THAT(F.str(), HasSubstr("graph @printed(%x: f32[B,2])"));
  EXPECT_THAT(F.str(), HasSubstr("return doubled = "));
  EXPECT_THAT(F.dot(), HasSubstr("digraph"));
  EXPECT_THAT(printGraph(F.optimized()), HasSubstr("mul"));
}

//===----------------------------------------------------------------------===//
// Errors name the function, the shapes and this file's line.
//===----------------------------------------------------------------------===//

TEST(ExprErrors, BroadcastNamesOpShapesAndLine) {
  Function F;
  Expr X = F.input("x", {"B", 10});
  Expr Y = F.input("y", {3});
  int Line = __LINE__ + 1;
  std::string Msg = errorOf([&] { (void)(X + Y); });
  EXPECT_THAT(Msg, HasSubstr("expr_test.cpp:" + std::to_string(Line) +
                             ": 'add': cannot broadcast shapes [B,10] and [3]"));
  Line = __LINE__ + 1;
  Msg = errorOf([&] { (void)maximum(X, Y); });
  EXPECT_THAT(Msg, HasSubstr("expr_test.cpp:" + std::to_string(Line) +
                             ": 'maximum': cannot broadcast"));
}

TEST(ExprErrors, NestedCallsReportTheOutermostCaller) {
  Function F;
  Expr X = F.input("x", DType::I32, {3});
  int Line = __LINE__ + 1;
  std::string Msg = errorOf([&] { (void)variance(X); });
  EXPECT_THAT(Msg, HasSubstr("expr_test.cpp:" + std::to_string(Line) +
                             ": 'variance': "));
  EXPECT_THAT(Msg, HasSubstr("f32 or f64"));
}

TEST(ExprErrors, BadOperands) {
  Function F, Other;
  Expr X = F.input("x", {3});
  Expr I = F.input("i", DType::I32, {3});
  Expr Z = Other.input("z", {3});
  EXPECT_THAT(errorOf([&] { (void)(X + Z); }),
              HasSubstr("'add': operands belong to different graphs"));
  EXPECT_THAT(errorOf([&] { (void)(I * 0.5); }),
              HasSubstr("'multiply': the number 0.5"));
  EXPECT_THAT(errorOf([&] { (void)(X + I); }),
              HasSubstr("'add': operands have different dtypes: f32[3] and "
                        "i32[3] (use cast)"));
  EXPECT_THAT(errorOf([&] { (void)exp(I); }),
              HasSubstr("'exp': operand #0 (i32[3]) must be f32 or f64"));
  EXPECT_THAT(errorOf([&] { (void)(Expr() + X); }),
              HasSubstr("empty Expr"));
  EXPECT_THAT(errorOf([&] { (void)sum(X, {1}); }),
              HasSubstr("'sum': axis 1 is out of range for rank 1"));
  EXPECT_THAT(errorOf([&] { (void)reshape(X, {2, -1}); }),
              HasSubstr("'reshape': cannot infer the -1 dim"));
  EXPECT_THAT(errorOf([&] { (void)matmul(X, F.input("m", {4, 2})); }),
              HasSubstr("'matmul': "));
  EXPECT_THAT(errorOf([&] { (void)F.input("x", {4}); }),
              HasSubstr("'input': argument 'x' redeclared"));
  EXPECT_THAT(errorOf([&] { (void)F.input("q", {"B*"}); }),
              HasSubstr("bad dim 'B*'"));
  EXPECT_THAT(errorOf([&] { F.output("o", Z); }),
              HasSubstr("'output': output 'o' is not an Expr of this Function"));
  EXPECT_THAT(errorOf([&] { (void)grad(sum(X), I); }), HasSubstr("'grad': "));
  EXPECT_THAT(errorOf([&] { (void)F.argument("nope"); }),
              HasSubstr("no input or param named 'nope'"));
}

TEST(ExprErrors, NothingAUserTypesCrashes) {
  Function F;
  Expr Empty;
  EXPECT_THROW((void)Empty.shape(), TypeError);
  EXPECT_THROW((void)Empty.dim(0), TypeError);
  EXPECT_EQ(Empty.str(), "<empty Expr>");
  EXPECT_THROW((void)F.input("neg", {-3}), Error);
  Expr X = F.input("x", {2, 3});
  EXPECT_THROW((void)X.dim(2), TypeError);
  EXPECT_THROW((void)slice(X, 1, 0, 7), TypeError);
  EXPECT_THROW((void)transpose(X, {0, 0}), TypeError);
  EXPECT_THROW((void)concatenate({}), TypeError);
  EXPECT_THROW((void)one_hot(X, 3), TypeError);
  EXPECT_THROW((void)random_uniform(X, DType::F32, {2}), TypeError);
  EXPECT_THROW(F.update(X, X), TypeError);
  Expr I = F.input("i", DType::I32, {2, 1});
  F.output("g", take_along_axis(X, I, 1));
  TensorMap Args{{"x", tensor({2, 3}, {1, 2, 3, 4, 5, 6})},
                 {"i", tensor({2, 1}, {0, 7}, DType::I32)}};
  EXPECT_THROW(F.run(Args), RuntimeError); // index out of range
}

TEST(ExprErrors, RuntimeErrorsForBadData) {
  Function F;
  Expr X = F.input("x", {"B", 2});
  F.output("y", X * 2.0);
  TensorMap Args{{"x", tensor({3}, {1, 2, 3})}};
  EXPECT_THROW(F.run(Args), RuntimeError);
  TensorMap None;
  EXPECT_THROW(F.run(None), RuntimeError);
}

//===----------------------------------------------------------------------===//
// check_grad
//===----------------------------------------------------------------------===//

TEST(CheckGrad, AgreesOnACrossEntropy) {
  Function F;
  Expr W = F.param("w", {3, 4});
  Expr X = F.input("x", {"B", 3});
  Expr L = F.input("l", DType::I32, {"B"});
  Expr Cost = mean(softmax_cross_entropy(matmul(X, W), L));
  TensorMap Values{
      {"w", tensor({3, 4}, {0.1, -0.2, 0.3, 0.5, -0.4, 0.2, 0.1, 0, 1, 2, -1, .3})},
      {"x", tensor({2, 3}, {1, 2, 3, -1, 0.5, 0.25})},
      {"l", tensor({2}, {3, 1}, DType::I32)}};
  GradCheckResult R = check_grad(Cost, {W, X}, Values);
  EXPECT_EQ(R.Checked, 12u + 6u);
  EXPECT_LT(R.MaxError, 1e-7) << R.Worst;
  EXPECT_TRUE(R.ok());
}

TEST(CheckGrad, DetectsAWrongGradient) {
  Function F;
  Expr X = F.param("x", {2});
  // The analytic gradient ignores the stop_gradient factor: it is x, while
  // the cost x.x has the numeric gradient 2x.
  Expr Cost = sum(stop_gradient(X) * X);
  TensorMap Values{{"x", tensor({2}, {1, -3})}};
  std::ostringstream Out;
  GradCheckOptions Options;
  Options.Print = true;
  Options.Out = &Out;
  GradCheckResult R = check_grad(Cost, {X}, Values, Options);
  EXPECT_FALSE(R.ok());
  // |1 - 2| / 2 = 0.5 and |-3 - (-6)| / 6 = 0.5: the first is reported.
  EXPECT_NEAR(R.MaxError, 0.5, 1e-6);
  EXPECT_EQ(R.Worst, "x[0]");
  EXPECT_THAT(Out.str(), HasSubstr("check_grad x: 2 elements"));
}

TEST(CheckGrad, RejectsBadArguments) {
  Function F;
  Expr X = F.param("x", {2});
  EXPECT_THAT(errorOf([&] { check_grad(X, {X}, {}); }),
              HasSubstr("'check_grad': the cost must be a float scalar"));
  EXPECT_THAT(errorOf([&] { check_grad(sum(X), {X * 2.0}, {}); }),
              HasSubstr("every wrt must be a float input or param"));
  EXPECT_THROW(check_grad(sum(X), {X}, {}), RuntimeError);
}

TEST(CheckGrad, PromotesF32GraphsToF64) {
  Function F;
  Expr X = F.input("x", {2});
  F.output("y", cast(X, DType::F32) * 0.5);
  Graph G = promoteToF64(F.graph());
  EXPECT_THAT(printGraph(G), HasSubstr("%x: f64[2]"));
  EXPECT_THAT(printGraph(G), ::testing::Not(HasSubstr("f32")));
}

} // namespace
} // namespace netjit
