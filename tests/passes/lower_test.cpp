//===- lower_test.cpp - High-level ops spelled in primitives --------------===//
//
// The lower pass: the printed result of every rule (checked by hand against
// the formulas of passes/lower.h), the values of the lowered graph against
// the interpreter's own high-level kernels on random inputs with large
// magnitudes, -inf entries, rows of -inf, +inf and NaN, size-1 axes and
// symbolic dims bound to 1 and to odd sizes (a NaN must appear exactly
// where the high-level op gives one), the sharing of exp(z - max z) between
// a cross-entropy and its gradient after cse, and seeded random graphs.
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"
#include "random_graph.h"

#include "ir/builder.h"

#include <cstdlib>
#include <limits>

namespace netjit {
namespace {

using namespace netjit::testing;

TEST(Lower, EveryRuleAsText) {
  PassRun R = runOnText(
      "lower",
      R"(graph @g(%x: f32[B,4], %t: i64[B], %i: i32[B,1], %u: f32[B,1]) {
  %0 = softmax(%x) {axis=1} : f32[B,4]
  %1 = log_softmax(%x) {axis=0} : f32[B,4]
  %2 = logsumexp(%x) {axes=[1], keepdims=false} : f32[B]
  %3 = softmax_xent(%x, %t) : f32[B]
  %4 = mean(%x) {axes=[0, 1], keepdims=false} : f32[]
  %5 = scatter_add(%i, %u) {axis=1, size=4} : f32[B,4]
  return s = %0, ls = %1, lse = %2, xe = %3, m = %4, sa = %5
}
)");
  // softmax %0-%6; log_softmax over axis 0 %7-%14; logsumexp reuses the max
  // %0 and the sum %4 of the softmax (interning), guarded by |m| < inf;
  // softmax_xent reuses the logsumexp %21; mean multiplies by 1/(4*B);
  // scatter_add selects the broadcast update where one_hot(i) is set.
  EXPECT_EQ(printGraph(R.After),
            R"(graph @g(%x: f32[B,4], %t: i64[B], %i: i32[B,1], %u: f32[B,1]) {
  %0 = max(%x) {axes=[1], keepdims=true} : f32[B,1]
  %1 = broadcast(%0) {shape=[B, 4]} : f32[B,4]
  %2 = sub(%x, %1) : f32[B,4]
  %3 = exp(%2) : f32[B,4]
  %4 = sum(%3) {axes=[1], keepdims=true} : f32[B,1]
  %5 = broadcast(%4) {shape=[B, 4]} : f32[B,4]
  %6 = div(%3, %5) : f32[B,4]
  %7 = max(%x) {axes=[0], keepdims=true} : f32[1,4]
  %8 = broadcast(%7) {shape=[B, 4]} : f32[B,4]
  %9 = sub(%x, %8) : f32[B,4]
  %10 = exp(%9) : f32[B,4]
  %11 = sum(%10) {axes=[0], keepdims=true} : f32[1,4]
  %12 = log(%11) : f32[1,4]
  %13 = broadcast(%12) {shape=[B, 4]} : f32[B,4]
  %14 = sub(%9, %13) : f32[B,4]
  %15 = log(%4) : f32[B,1]
  %16 = add(%0, %15) : f32[B,1]
  %17 = constant() {value=inf} : f32[]
  %18 = broadcast(%17) {shape=[B, 1]} : f32[B,1]
  %19 = abs(%0) : f32[B,1]
  %20 = lt(%19, %18) : bool[B,1]
  %21 = select(%20, %16, %0) : f32[B,1]
  %22 = reshape(%21) {shape=[B]} : f32[B]
  %23 = reshape(%t) {shape=[B, 1]} : i64[B,1]
  %24 = gather(%x, %23) {axis=1} : f32[B,1]
  %25 = sub(%21, %24) : f32[B,1]
  %26 = reshape(%25) {shape=[B]} : f32[B]
  %27 = constant() {value=1.0} : f32[]
  %28 = dim_value() {dim=4*B} : f32[]
  %29 = div(%27, %28) : f32[]
  %30 = sum(%x) {axes=[0, 1], keepdims=false} : f32[]
  %31 = mul(%30, %29) : f32[]
  %32 = reshape(%i) {shape=[B]} : i32[B]
  %33 = one_hot(%32) {depth=4, dtype=bool} : bool[B,4]
  %34 = broadcast(%u) {shape=[B, 4]} : f32[B,4]
  %35 = constant() {value=0.0} : f32[]
  %36 = broadcast(%35) {shape=[B, 4]} : f32[B,4]
  %37 = select(%33, %34, %36) : f32[B,4]
  return s = %6, ls = %14, lse = %22, xe = %26, m = %31, sa = %37
}
)");
  for (const char *Rule : {"softmax", "log_softmax", "logsumexp",
                           "softmax_xent", "mean", "scatter_add"})
    EXPECT_EQ(R.hits(std::string("lower.") + Rule), 1) << Rule;
  expectSameNumbers(R, -3, 3, 4, 1e-5);
}

TEST(Lower, LeavesOtherFormsAlone) {
  // scatter_add along a non-last axis, or with several indices per row, stays.
  expectUnchanged(
      "lower",
      R"(graph @g(%i: i64[2,B], %u: f32[2,B], %j: i64[B,2], %v: f32[B,2]) {
  %0 = scatter_add(%i, %u) {axis=0, size=3} : f32[3,B]
  %1 = scatter_add(%j, %v) {axis=1, size=5} : f32[B,5]
  %2 = exp(%v) : f32[B,2]
  return a = %0, b = %1, c = %2
}
)");
}

/// How the float inputs of a value test are drawn.
enum class Mix { Ordinary, Large, NegInf, Specials };

/// A random float: ordinary values in [-3, 3], plus (by mix) magnitudes up
/// to 1e30 (f32) / 1e300 (f64), -inf entries and whole rows of -inf, +inf
/// and NaN.
Tensor drawFloats(DType T, std::vector<int64_t> Shape, Mix M,
                  std::mt19937_64 &Rng) {
  Tensor X(T, Shape);
  double Huge = T == DType::F32 ? 1e30 : 1e300,
         Inf = std::numeric_limits<double>::infinity();
  int64_t Row = Shape.empty() ? 1 : Shape.back();
  std::uniform_real_distribution<double> U(-3, 3), P(0, 1);
  bool RowOfInf = false;
  for (int64_t I = 0; I < X.numel(); ++I) {
    if (Row > 0 && I % Row == 0)
      RowOfInf = M != Mix::Ordinary && M != Mix::Large && P(Rng) < 0.2;
    double V = U(Rng), Pick = P(Rng);
    if (M == Mix::Large && Pick < 0.5)
      V *= std::pow(Huge, P(Rng)) / 3;
    if ((M == Mix::NegInf || M == Mix::Specials) && (RowOfInf || Pick < 0.2))
      V = -Inf;
    if (M == Mix::Specials && Pick > 0.95)
      V = Pick > 0.975 ? Inf : std::nan("");
    X.set(I, V);
  }
  return X;
}

/// Evaluates the one-output graph of Text before and after lowering on
/// random inputs for each binding, and compares: NaN exactly where the
/// original is NaN, equal infinities, and finite values within
/// Rel * (|v| + 1), or Rel * (|v| + the largest finite input magnitude) for
/// a difference of two values of the inputs' magnitude (softmax_xent:
/// logsumexp(z) - z[t] cancels).
void checkLowering(const std::string &Text, Mix M, uint64_t Seed,
                   bool Cancels = false) {
  Graph Before = parseGraph(Text), After = parseGraph(Text);
  runPipeline(After, "lower,fix(simplify,cse),dce");
  ASSERT_FALSE(hasOp(After, OpCode::Softmax) ||
               hasOp(After, OpCode::LogSoftmax) ||
               hasOp(After, OpCode::LogSumExp) ||
               hasOp(After, OpCode::SoftmaxXent) || hasOp(After, OpCode::Mean))
      << printGraph(After);
  std::mt19937_64 Rng(Seed);
  for (DimBindings Bind :
       {DimBindings{{"B", 1}, {"N", 1}}, DimBindings{{"B", 3}, {"N", 7}},
        DimBindings{{"B", 5}, {"N", 1}}, DimBindings{{"B", 1}, {"N", 13}}}) {
    TensorMap Args;
    double Scale = 0;
    for (NodeId A : Before.arguments()) {
      const TensorType &T = Before.type(A);
      std::vector<int64_t> Shape = evaluateShape(T.Dims, Bind);
      Tensor X = isFloat(T.Dtype) ? drawFloats(T.Dtype, Shape, M, Rng)
                                  : Tensor(T.Dtype, Shape);
      for (int64_t I = 0; I < X.numel(); ++I) {
        if (isInteger(T.Dtype)) // labels within the last axis (N)
          X.set(I, static_cast<double>(Rng() %
                                       static_cast<uint64_t>(Bind.at("N"))));
        else if (std::isfinite(X.at(I)))
          Scale = std::max(Scale, std::fabs(X.at(I)));
      }
      Args.emplace(Before.node(A).Attributes.getString("name"), std::move(X));
    }
    EvalOptions EO;
    EO.Bindings = Bind;
    TensorMap A1 = Args, A2 = Args;
    const Tensor Want = evaluate(Before, A1, EO).at("y"),
                 Got = evaluate(After, A2, EO).at("y");
    double Rel = Want.dtype() == DType::F32 ? 4e-6 : 1e-14;
    ASSERT_EQ(Want.shape(), Got.shape());
    for (int64_t I = 0; I < Want.numel(); ++I) {
      double V = Want.at(I), W = Got.at(I);
      ASSERT_EQ(std::isnan(V), std::isnan(W))
          << Text << "element " << I << ": " << V << " vs " << W;
      ASSERT_TRUE(closeEnough(V, W, 0,
                              Rel * (std::fabs(V) + (Cancels ? Scale : 0) + 1)))
          << Text << "element " << I << ": " << V << " vs " << W
          << " (B=" << Bind.at("B") << ", N=" << Bind.at("N") << ")";
    }
  }
}

std::string unaryGraph(const std::string &Type, const std::string &Stmt,
                       const std::string &Out) {
  return "graph @g(%x: " + Type + ", %t: i64[B]) {\n  %0 = " + Stmt + " : " +
         Out + "\n  return y = %0\n}\n";
}

TEST(Lower, ValuesMatchTheHighLevelOps) {
  std::vector<std::pair<std::string, std::string>> Ops = {
      {"softmax(%x) {axis=1}", "[B,N]"},
      {"softmax(%x) {axis=0}", "[B,N]"},
      {"log_softmax(%x) {axis=1}", "[B,N]"},
      {"log_softmax(%x) {axis=0}", "[B,N]"},
      {"logsumexp(%x) {axes=[1], keepdims=false}", "[B]"},
      {"logsumexp(%x) {axes=[0], keepdims=true}", "[1,N]"},
      {"logsumexp(%x) {axes=[0, 1], keepdims=false}", "[]"},
      {"softmax_xent(%x, %t)", "[B]"},
      {"mean(%x) {axes=[0, 1], keepdims=false}", "[]"},
      {"mean(%x) {axes=[1], keepdims=true}", "[B,1]"},
  };
  uint64_t Seed = 1;
  for (const char *Dtype : {"f32", "f64"})
    for (const auto &[Stmt, Out] : Ops)
      for (Mix M : {Mix::Ordinary, Mix::Large, Mix::NegInf, Mix::Specials}) {
        checkLowering(unaryGraph(std::string(Dtype) + "[B,N]", Stmt,
                                 std::string(Dtype) + Out),
                      M, Seed++, Stmt.rfind("softmax_xent", 0) == 0);
        if (::testing::Test::HasFatalFailure())
          return;
      }
}

TEST(Lower, ValuesOfRank3AndSizeOneAxes) {
  for (Mix M : {Mix::Ordinary, Mix::Large, Mix::NegInf}) {
    checkLowering(unaryGraph("f64[B,1,N]",
                             "logsumexp(%x) {axes=[0, 2], keepdims=false}",
                             "f64[1]"),
                  M, 100);
    checkLowering(
        unaryGraph("f32[B,1,N]", "softmax(%x) {axis=1}", "f32[B,1,N]"), M, 101);
    checkLowering(
        unaryGraph("f32[B,1,N]", "log_softmax(%x) {axis=2}", "f32[B,1,N]"), M,
        102);
    checkLowering(unaryGraph("f32[B,1,N]",
                             "mean(%x) {axes=[1, 2], keepdims=false}",
                             "f32[B]"),
                  M, 103);
  }
}

TEST(Lower, ScatterAddMatches) {
  std::string Text = "graph @g(%i: i64[B,1], %u: f32[B,1]) {\n"
                     "  %0 = scatter_add(%i, %u) {axis=1, size=N} : f32[B,N]\n"
                     "  return y = %0\n}\n";
  for (Mix M : {Mix::Ordinary, Mix::Specials})
    checkLowering(Text, M, 7);
}

TEST(Lower, CrossEntropyAndItsGradientShareOneExp) {
  Graph G = parseGraph(R"(graph @xe(%t: i64[B], param %z: f32[B,10]) {
  %0 = softmax_xent(%z, %t) : f32[B]
  %1 = mean(%0) {axes=[0], keepdims=false} : f32[]
  %2 = grad(%1, %z) : f32[B,10]
  return loss = %1, dz = %2
}
)");
  runPipeline(G,
              std::string(defaultPipeline()) + ",lower,fix(simplify,cse),dce");
  int Exps = 0, Maxes = 0;
  for (NodeId Id : G.liveNodes()) {
    Exps += G.node(Id).Op == OpCode::Exp;
    Maxes += G.node(Id).Op == OpCode::Max;
  }
  EXPECT_EQ(Exps, 1) << printGraph(G);
  EXPECT_EQ(Maxes, 1) << printGraph(G);
}

int graphCount() {
  const char *E = std::getenv("NETJIT_LOWER_GRAPHS");
  return E ? std::max(1, std::atoi(E)) : 300;
}

/// Seeded random graphs (f64): the default pipeline's output, and the same
/// followed by lower, agree within the random-graph test's tolerance
/// 1e-10·|v| + 1e-12·mag(v) (mag: random_graph.h).
TEST(Lower, RandomGraphsKeepTheirValues) {
  int Checked = 0;
  for (uint64_t Seed = 1; Seed <= static_cast<uint64_t>(graphCount()); ++Seed) {
    RandomGraph RG = generateRandomGraph(Seed);
    Graph F = withoutProbes(RG.G), Ref = cloneGraph(F);
    addMagnitudeOutputs(Ref);
    Graph Before = cloneGraph(F);
    runPipeline(Before, defaultPipeline());
    Graph After = cloneGraph(Before);
    runPipeline(After, "lower,fix(simplify,cse),dce");
    const DimBindings &Bind = RG.Bindings[Seed % RG.Bindings.size()];
    TensorMap Args = randomArgs(F, Bind, Seed, -2, 2, 2);
    EvalOptions EO;
    EO.Bindings = Bind;
    TensorMap A0 = Args, A1 = Args, A2 = Args;
    TensorMap Mag = evaluate(Ref, A0, EO), V = evaluate(Before, A1, EO),
              W = evaluate(After, A2, EO);
    for (const Output &O : F.outputs()) {
      const Tensor &X = V.at(O.Name), &Y = W.at(O.Name),
                   &M = Mag.at("mag." + O.Name);
      for (int64_t I = 0; I < X.numel(); ++I)
        ASSERT_TRUE(closeEnough(X.at(I), Y.at(I), 0,
                                1e-10 * std::fabs(X.at(I)) + 1e-12 * M.at(I)))
            << "seed " << Seed << " " << O.Name << "[" << I << "]: " << X.at(I)
            << " vs " << Y.at(I) << "\n"
            << printGraph(Before) << printGraph(After);
    }
    ++Checked;
  }
  EXPECT_EQ(Checked, graphCount());
}

} // namespace
} // namespace netjit
