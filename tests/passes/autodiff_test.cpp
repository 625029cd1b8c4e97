//===- autodiff_test.cpp - The autodiff pass and the derivative helpers ---===//
//
// What the pass guarantees beyond each op's rule (adjoints_test.cpp): grad
// requests disappear, costs share one sweep, gradients of gradients,
// Hessian- and Jacobian-vector products match finite differences,
// non-differentiable paths give exact zeros, the fused cross-entropy has
// the softmax - one_hot gradient, errors name what went wrong, and the
// emitted graph stays small and linear in the size of its input.
//
// Expected values are finite differences (gradcheck.h) or computed by hand
// in the comments next to them.
//
//===----------------------------------------------------------------------===//
#include "gradcheck.h"

#include "ir/builder.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/derivatives.h"
#include "passes/pass_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>

using namespace netjit;
using ::testing::HasSubstr;

namespace {

const Dim B = Dim::symbol("B");

TensorType f64(Shape S) { return {DType::F64, std::move(S)}; }

Tensor values(std::vector<int64_t> Shape, std::vector<double> V,
              DType T = DType::F64) {
  return Tensor::fromValues(T, std::move(Shape), V);
}

Tensor randomTensor(std::vector<int64_t> Shape, std::mt19937_64 &R,
                    double Lo = -1, double Hi = 1) {
  Tensor T(DType::F64, std::move(Shape));
  for (int64_t I = 0; I < T.numel(); ++I)
    T.set(I, std::uniform_real_distribution<double>(Lo, Hi)(R));
  return T;
}

/// Runs the autodiff pass and the verifier; returns the pass context.
PassContext expand(Graph &G) {
  PassContext Ctx;
  AutodiffPass().run(G, Ctx);
  verify(G);
  return Ctx;
}

bool hasOp(const Graph &G, OpCode Op) {
  for (NodeId Id : G.liveNodes())
    if (G.node(Id).Op == Op)
      return true;
  return false;
}

TensorMap run(const Graph &G, TensorMap Args, DimBindings Bind = {}) {
  EvalOptions O;
  O.Bindings = std::move(Bind);
  return evaluate(G, Args, O);
}

/// The MLP classifier of the issue, small: x[B,D] -> relu(x W1 + b1) W2 +
/// b2 -> mean softmax_xent at integer labels, with grads for all four
/// params (outputs "loss", "gW1", "gb1", "gW2", "gb2").
Graph mlp(int64_t D, int64_t H, int64_t K) {
  Graph G("mlp");
  Builder Bd(G);
  NodeId X = G.input("x", f64({B, D}));
  NodeId T = G.input("t", {DType::I64, {B}});
  NodeId W1 = G.param("W1", f64({D, H})), B1 = G.param("b1", f64({H}));
  NodeId W2 = G.param("W2", f64({H, K})), B2 = G.param("b2", f64({K}));
  NodeId Hid =
      Bd.unary(OpCode::Relu, Bd.binary(OpCode::Add, Bd.matmul(X, W1), B1));
  NodeId Z = Bd.binary(OpCode::Add, Bd.matmul(Hid, W2), B2);
  NodeId Loss = Bd.reduce(OpCode::Mean, Bd.make(OpCode::SoftmaxXent, {Z, T}));
  G.addOutput("loss", Loss);
  for (auto [Name, P] :
       {std::pair{"gW1", W1}, {"gb1", B1}, {"gW2", W2}, {"gb2", B2}})
    G.addOutput(Name, Bd.grad(Loss, P));
  return G;
}

TEST(Autodiff, GraphWithoutGradsIsUnchanged) {
  Graph G;
  Builder Bd(G);
  G.addOutput("y", Bd.unary(OpCode::Exp, G.input("x", f64({3}))));
  std::string Before = printGraph(G);
  PassContext Ctx;
  EXPECT_FALSE(AutodiffPass().run(G, Ctx));
  EXPECT_EQ(printGraph(G), Before);
}

TEST(Autodiff, GradOfSumExpIsExpWithoutMultiplyingByOnes) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({B, 3}));
  NodeId E = Bd.unary(OpCode::Exp, X);
  G.addOutput("g", Bd.grad(Bd.reduce(OpCode::Sum, E), X));
  EXPECT_TRUE(expand(G).Stats.count("autodiff.sweep"));
  // d/dx sum(exp(x)) = exp(x): the seed 1 broadcast by sum's rule is not
  // multiplied in, so the gradient is the forward exp node itself.
  const Node &Out = G.node(G.outputs()[0].Value);
  EXPECT_EQ(Out.Op, OpCode::Exp) << printGraph(G);
  EXPECT_FALSE(hasOp(G, OpCode::Mul)) << printGraph(G);
  EXPECT_FALSE(hasOp(G, OpCode::Grad));
}

TEST(Autodiff, GoldenTanhLayer) {
  // d/dW sum(tanh(x W)) = xᵀ (1 - tanh(x W)^2): the seed 1 is broadcast
  // once by sum's rule and subtracted from, never multiplied in.
  Graph G = parseGraph(R"(graph @layer(%x: f64[B,3], param %w: f64[3,2]) {
  %0 = matmul(%x, %w) : f64[B,2]
  %1 = tanh(%0) : f64[B,2]
  %2 = sum(%1) {axes=[0, 1], keepdims=false} : f64[]
  %3 = grad(%2, %w) : f64[3,2]
  return loss = %2, gw = %3
})");
  expand(G);
  EXPECT_EQ(printGraph(G), R"(graph @layer(%x: f64[B,3], param %w: f64[3,2]) {
  %0 = matmul(%x, %w) : f64[B,2]
  %1 = tanh(%0) : f64[B,2]
  %2 = sum(%1) {axes=[0, 1], keepdims=false} : f64[]
  %3 = constant() {value=1.0} : f64[]
  %4 = broadcast(%3) {shape=[B, 2]} : f64[B,2]
  %5 = square(%1) : f64[B,2]
  %6 = sub(%4, %5) : f64[B,2]
  %7 = transpose(%x) {perm=[1, 0]} : f64[3,B]
  %8 = matmul(%7, %6) : f64[3,2]
  return loss = %2, gw = %8
}
)");
}

TEST(Autodiff, GradWrtCostIsOne) {
  Graph G;
  Builder Bd(G);
  NodeId C = Bd.reduce(OpCode::Sum, G.input("x", f64({2})));
  G.addOutput("g", Bd.grad(C, C));
  expand(G);
  TensorMap Out = run(G, {{"x", values({2}, {1, 2})}});
  EXPECT_EQ(Out.at("g").at(0), 1.0);
}

TEST(Autodiff, GradWrtAnIntermediateNode) {
  // h = tanh(x), c = sum(h * h): dc/dh = 2h (h as a variable) and
  // dc/dx = 2h (1 - h^2), both from one sweep.
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({3}));
  NodeId H = Bd.unary(OpCode::Tanh, X);
  NodeId C = Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, H, H));
  G.addOutput("gh", Bd.grad(C, H));
  G.addOutput("gx", Bd.grad(C, X));
  EXPECT_EQ(expand(G).Stats["autodiff.sweep"], 1);
  std::vector<double> Xs = {0.5, -1, 2};
  TensorMap Out = run(G, {{"x", values({3}, Xs)}});
  for (int I = 0; I < 3; ++I) {
    double Hv = std::tanh(Xs[I]);
    EXPECT_DOUBLE_EQ(Out.at("gh").at(I), 2 * Hv);
    EXPECT_NEAR(Out.at("gx").at(I), 2 * Hv * (1 - Hv * Hv), 1e-15);
  }
}

TEST(Autodiff, ReverseAccumulateWithASeedIsAVectorJacobianProduct) {
  // y = x * x elementwise, seed u: uᵀ dy/dx = 2 x u, built eagerly.
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({3})), U = G.input("u", f64({3}));
  NodeId Y = Bd.binary(OpCode::Mul, X, X);
  std::vector<NodeId> Wrt = {X, U};
  std::vector<NodeId> Vjp = reverseAccumulate(Bd, Y, Wrt, U);
  G.addOutput("vjp", Vjp[0]);
  G.addOutput("none", Vjp[1]); // y does not depend on u: zeros
  TensorMap Out = run(G, {{"x", values({3}, {1, -2, 3})},
                          {"u", values({3}, {0.5, 2, -1})}});
  std::vector<double> Want = {1, -8, -6};
  for (int I = 0; I < 3; ++I) {
    EXPECT_EQ(Out.at("vjp").at(I), Want[I]);
    EXPECT_EQ(Out.at("none").at(I), 0.0);
  }
}

TEST(Autodiff, UnusedParamGetsZeros) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({B, 2}));
  NodeId P = G.param("unused", f64({3, 2}));
  NodeId C = Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, X));
  G.addOutput("gx", Bd.grad(C, X));
  G.addOutput("g", Bd.grad(C, P));
  // The unused param rides along in the cost's one sweep.
  EXPECT_EQ(expand(G).Stats["autodiff.sweep"], 1);
  TensorMap Out = run(G, {{"x", values({1, 2}, {1, 2})},
                          {"unused", values({3, 2}, {1, 2, 3, 4, 5, 6})}});
  ASSERT_EQ(Out.at("g").shape(), (std::vector<int64_t>{3, 2}));
  for (int64_t I = 0; I < 6; ++I)
    EXPECT_EQ(Out.at("g").at(I), 0.0);
  EXPECT_EQ(Out.at("gx").at(1), 4.0); // 2x
}

TEST(Autodiff, WrtsTheCostCannotDependOnNeedNoSweep) {
  // Computed wrts that only the grad requests use: each would otherwise
  // need a sweep of its own, making many such requests quadratic.
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({B, 2}));
  NodeId Y = G.input("y", f64({B, 2}));
  NodeId C = Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, X));
  G.addOutput("gx", Bd.grad(C, X));
  G.addOutput("gy", Bd.grad(C, Bd.unary(OpCode::Exp, Y)));
  G.addOutput("gz", Bd.grad(C, Bd.unary(OpCode::Tanh, Y)));
  PassContext Ctx = expand(G);
  EXPECT_EQ(Ctx.Stats["autodiff.sweep"], 1);
  EXPECT_EQ(Ctx.Stats["autodiff.unused-wrt"], 2);
  TensorMap Out = run(G, {{"x", values({1, 2}, {1, 2})}, {"y", values({1, 2}, {3, 4})}});
  for (const char *Name : {"gy", "gz"})
    for (int64_t I = 0; I < 2; ++I)
      EXPECT_EQ(Out.at(Name).at(I), 0.0) << Name;
  EXPECT_EQ(Out.at("gx").at(1), 4.0); // 2x
}

TEST(Autodiff, NonDifferentiablePathsGiveExactZeros) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({B, 4}));
  NodeId Y = G.input("y", f64({B, 4}));
  auto F = [&](NodeId V) { return Bd.cast(V, DType::F64); };
  // Every path from x to the cost crosses sign, a comparison, logic,
  // argmax, one_hot or an integer cast.
  NodeId Cmp =
      Bd.make(OpCode::Or,
              {Bd.binary(OpCode::Lt, X, Y),
               Bd.make(OpCode::And,
                       {Bd.binary(OpCode::Ge, X, Y),
                        Bd.unary(OpCode::Not, Bd.binary(OpCode::Eq, X, Y))})});
  NodeId Cmp2 = Bd.make(OpCode::And,
                        {Bd.binary(OpCode::Le, X, Y),
                         Bd.make(OpCode::And, {Bd.binary(OpCode::Gt, Y, X),
                                               Bd.binary(OpCode::Ne, X, Y)})});
  NodeId Terms[] = {
      Bd.unary(OpCode::Sign, X),
      F(Cmp),
      F(Cmp2),
      F(Bd.argmax(X, 1, /*KeepDims=*/true)),
      Bd.oneHot(Bd.argmax(X, 1), 4, DType::F64),
      F(Bd.cast(X, DType::I32)),
  };
  NodeId Sum;
  for (NodeId T : Terms) {
    NodeId S = Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, F(T), Y));
    Sum = Sum.valid() ? Bd.binary(OpCode::Add, Sum, S) : S;
  }
  G.addOutput("gx", Bd.grad(Sum, X));
  expand(G);
  std::mt19937_64 R(7);
  TensorMap Out =
      run(G, {{"x", randomTensor({3, 4}, R)}, {"y", randomTensor({3, 4}, R)}});
  for (int64_t I = 0; I < 12; ++I)
    EXPECT_EQ(Out.at("gx").at(I), 0.0) << I;
  // The whole gradient folds to a fill of zeros: no rule was asked.
  EXPECT_FALSE(hasOp(G, OpCode::Select));
}

TEST(Autodiff, MaskedPathKeepsOnlyTheDifferentiableFactor) {
  // d/dx sum(x * [x > 0]) = [x > 0] exactly (the mask is a constant).
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({4}));
  NodeId Mask =
      Bd.cast(Bd.binary(OpCode::Gt, X, G.scalar(0, DType::F64)), DType::F64);
  G.addOutput(
      "g", Bd.grad(Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, X, Mask)), X));
  expand(G);
  TensorMap Out = run(G, {{"x", values({4}, {-1.5, 2, -0.25, 3})}});
  std::vector<double> Want = {0, 1, 0, 1};
  for (int64_t I = 0; I < 4; ++I)
    EXPECT_EQ(Out.at("g").at(I), Want[I]);
}

TEST(Autodiff, StopGradientBlocks) {
  // d/dx sum(stop_gradient(x) * x) = stop_gradient(x) = x, not 2x.
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({3}));
  NodeId S = Bd.unary(OpCode::StopGradient, X);
  G.addOutput("g",
              Bd.grad(Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, S, X)), X));
  expand(G);
  TensorMap Out = run(G, {{"x", values({3}, {0.5, -2, 3})}});
  EXPECT_EQ(Out.at("g").at(0), 0.5);
  EXPECT_EQ(Out.at("g").at(1), -2.0);
  EXPECT_EQ(Out.at("g").at(2), 3.0);
}

TEST(Autodiff, RandomDrawsAreConstants) {
  // d/dx sum(random_normal(key) * x) = the draws; the key is an integer.
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({2, 3}));
  NodeId Key = G.input("key", {DType::I64, {}});
  NodeId N = G.make(OpCode::RandomNormal, std::vector{Key}, {}, f64({2, 3}));
  NodeId U = G.make(OpCode::RandomUniform, std::vector{Key}, {}, f64({2, 3}));
  NodeId C = Bd.reduce(OpCode::Sum,
                       Bd.binary(OpCode::Add, Bd.binary(OpCode::Mul, N, X), U));
  G.addOutput("g", Bd.grad(C, X));
  G.addOutput("draws", N);
  expand(G);
  TensorMap Out = run(G, {{"x", values({2, 3}, {1, 2, 3, 4, 5, 6})},
                          {"key", values({}, {42}, DType::I64)}});
  EXPECT_TRUE(gradcheck::allClose(Out.at("g"), Out.at("draws"), 0, 0));
}

TEST(Autodiff, SharedCostIsSweptOnce) {
  Graph G = mlp(5, 4, 3);
  PassContext Ctx = expand(G);
  EXPECT_EQ(Ctx.Stats["autodiff.sweep"], 1);
  EXPECT_EQ(Ctx.Stats["autodiff.grad"], 4);
  EXPECT_FALSE(hasOp(G, OpCode::Grad));
}

TEST(Autodiff, MlpGradientsMatchFiniteDifferences) {
  Graph G = mlp(5, 4, 3);
  std::mt19937_64 R(11);
  TensorMap Args = {{"x", randomTensor({3, 5}, R)},
                    {"t", values({3}, {2, 0, 1}, DType::I64)},
                    {"W1", randomTensor({5, 4}, R)},
                    {"b1", randomTensor({4}, R, 0.2, 0.5)},
                    {"W2", randomTensor({4, 3}, R)},
                    {"b2", randomTensor({3}, R)}};
  gradcheck::Options O;
  O.RelTol = O.AbsTol = 1e-7;
  EXPECT_TRUE(gradcheck::checkGradients(G, "loss", Args,
                                        {"W1", "b1", "W2", "b2", "x"}, O));
}

TEST(Autodiff, MeanSoftmaxXentGradientIsSoftmaxMinusOneHotOverB) {
  Graph G;
  Builder Bd(G);
  NodeId Z = G.input("z", f64({B, 3}));
  NodeId T = G.input("t", {DType::I64, {B}});
  G.addOutput("g", Bd.grad(Bd.reduce(OpCode::Mean,
                                     Bd.make(OpCode::SoftmaxXent, {Z, T})),
                           Z));
  expand(G);
  // Structure: (softmax(z) - one_hot(t)) * broadcast(1 / B).
  const Node &Out = G.node(G.outputs()[0].Value);
  ASSERT_EQ(Out.Op, OpCode::Mul) << printGraph(G);
  const Node &Diff = G.node(Out.Inputs[0]);
  ASSERT_EQ(Diff.Op, OpCode::Sub);
  EXPECT_EQ(G.node(Diff.Inputs[0]).Op, OpCode::Softmax);
  EXPECT_EQ(G.node(Diff.Inputs[1]).Op, OpCode::OneHot);
  // Values: the softmax of each row by hand, minus the one-hot, over B = 2.
  std::vector<double> Zs = {1, 2, 3, -1, 0.5, 0};
  std::vector<int64_t> Ts = {2, 0};
  TensorMap Res = run(
      G, {{"z", values({2, 3}, Zs)}, {"t", values({2}, {2, 0}, DType::I64)}});
  for (int Row = 0; Row < 2; ++Row) {
    double Sum = 0;
    for (int K = 0; K < 3; ++K)
      Sum += std::exp(Zs[Row * 3 + K]);
    for (int K = 0; K < 3; ++K) {
      double Want =
          (std::exp(Zs[Row * 3 + K]) / Sum - (K == Ts[Row] ? 1 : 0)) / 2;
      EXPECT_NEAR(Res.at("g").at(Row * 3 + K), Want, 1e-15);
    }
  }
}

TEST(Autodiff, GradOfGradMatchesHandDerivative) {
  // c = sum(x^3); dc/dx = 3x^2; d/dx sum(dc/dx) = 6x.
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({3}));
  NodeId C = Bd.reduce(OpCode::Sum,
                       Bd.binary(OpCode::Mul, Bd.unary(OpCode::Square, X), X));
  NodeId G1 = Bd.grad(C, X);
  G.addOutput("g1", G1);
  G.addOutput("g2", Bd.grad(Bd.reduce(OpCode::Sum, G1), X));
  PassContext Ctx = expand(G);
  EXPECT_EQ(Ctx.Stats["autodiff.sweep"], 2);
  TensorMap Out = run(G, {{"x", values({3}, {1, -2, 0.5})}});
  std::vector<double> X1 = {1, -2, 0.5};
  for (int I = 0; I < 3; ++I) {
    EXPECT_DOUBLE_EQ(Out.at("g1").at(I), 3 * X1[I] * X1[I]);
    EXPECT_DOUBLE_EQ(Out.at("g2").at(I), 6 * X1[I]);
  }
}

TEST(Autodiff, ThirdDerivative) {
  // Three nested grads: d/dx sum(e^2x) = 2 e^2x, then 4 e^2x, then 8 e^2x.
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({2}));
  NodeId E =
      Bd.unary(OpCode::Exp, Bd.binary(OpCode::Mul, X, G.scalar(2, DType::F64)));
  NodeId D = Bd.reduce(OpCode::Sum, E);
  for (int I = 0; I < 3; ++I)
    D = Bd.reduce(OpCode::Sum, Bd.grad(D, X));
  G.addOutput("d3sum", D);
  PassContext Ctx = expand(G);
  EXPECT_EQ(Ctx.Stats["autodiff.sweep"], 3);
  TensorMap Out = run(G, {{"x", values({2}, {0.25, -0.5})}});
  EXPECT_NEAR(Out.at("d3sum").at(0), 8 * (std::exp(0.5) + std::exp(-1.0)),
              1e-12);
}

TEST(Autodiff, PowGuardsTheExponentGradientAtZeroBase) {
  // a = 0, b = 2: d/db a^b = a^b log a would be 0 * -inf = NaN; the rule
  // gives the limit 0. d/da = b a^(b-1) = 0.
  Graph G;
  Builder Bd(G);
  NodeId A = G.input("a", f64({2})), Bx = G.input("b", f64({2}));
  NodeId C = Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Pow, A, Bx));
  G.addOutput("ga", Bd.grad(C, A));
  G.addOutput("gb", Bd.grad(C, Bx));
  expand(G);
  TensorMap Out =
      run(G, {{"a", values({2}, {0, 2})}, {"b", values({2}, {2, 3})}});
  EXPECT_EQ(Out.at("ga").at(0), 0.0);
  EXPECT_EQ(Out.at("gb").at(0), 0.0);
  EXPECT_DOUBLE_EQ(Out.at("ga").at(1), 12.0);                // 3 * 2^2
  EXPECT_DOUBLE_EQ(Out.at("gb").at(1), 8.0 * std::log(2.0)); // 2^3 log 2
}

TEST(Autodiff, XlogyGradientsAreZeroWhereXIsZero) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({3})), Y = G.input("y", f64({3}));
  NodeId C = Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Xlogy, X, Y));
  G.addOutput("gx", Bd.grad(C, X));
  G.addOutput("gy", Bd.grad(C, Y));
  expand(G);
  TensorMap Out =
      run(G, {{"x", values({3}, {0, 0, 2})}, {"y", values({3}, {0, 3, 4})}});
  EXPECT_EQ(Out.at("gx").at(0), 0.0);
  EXPECT_EQ(Out.at("gy").at(0), 0.0);
  EXPECT_EQ(Out.at("gx").at(1), 0.0);
  EXPECT_EQ(Out.at("gy").at(1), 0.0);
  EXPECT_DOUBLE_EQ(Out.at("gx").at(2), std::log(4.0));
  EXPECT_DOUBLE_EQ(Out.at("gy").at(2), 0.5);
}

TEST(Autodiff, TiesFollowTheDocumentedConventions) {
  Graph G;
  Builder Bd(G);
  NodeId A = G.input("a", f64({3})), Bv = G.input("b", f64({3}));
  NodeId Lo = G.scalar(0, DType::F64), Hi = G.scalar(1, DType::F64);
  // maximum ties go to the first operand; max reductions split ties
  // evenly; clip at a bound passes the gradient to x.
  NodeId C1 = Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Maximum, A, Bv));
  NodeId C2 = Bd.reduce(OpCode::Max, A);
  NodeId C3 = Bd.reduce(OpCode::Sum, Bd.clip(Bv, Bd.broadcastTo(Lo, {3}),
                                             Bd.broadcastTo(Hi, {3})));
  G.addOutput("max_a", Bd.grad(C1, A));
  G.addOutput("max_b", Bd.grad(C1, Bv));
  G.addOutput("rmax", Bd.grad(C2, A));
  G.addOutput("clip", Bd.grad(C3, Bv));
  expand(G);
  TensorMap Out =
      run(G, {{"a", values({3}, {1, 3, 3})}, {"b", values({3}, {1, 0, 1})}});
  std::vector<std::pair<const char *, std::vector<double>>> Want = {
      {"max_a", {1, 1, 1}},
      {"max_b", {0, 0, 0}},
      {"rmax", {0, 0.5, 0.5}},
      {"clip", {1, 1, 1}}};
  for (auto &[Name, V] : Want)
    for (int I = 0; I < 3; ++I)
      EXPECT_EQ(Out.at(Name).at(I), V[I]) << Name << "[" << I << "]";
}

TEST(Autodiff, KernelGradientIsAClearError) {
  // A pipeline that fuses before autodiff is a user's mistake, not a crash.
  Graph Body("kernel");
  Builder Bb(Body);
  Body.addOutput("", Bb.unary(OpCode::Exp, Body.input("a", f64({2}))));
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({2}));
  NodeId K = G.make(OpCode::Kernel, std::vector{X}, {}, std::nullopt,
                    std::make_shared<Graph>(std::move(Body)));
  G.addOutput("g", Bd.grad(Bd.reduce(OpCode::Sum, Bd.result(K, 0)), X));
  PassContext Ctx;
  try {
    AutodiffPass().run(G, Ctx);
    FAIL() << "expected an error";
  } catch (const Error &E) {
    EXPECT_THAT(E.what(), HasSubstr("run the autodiff pass before the fuse"));
  }
}

TEST(Autodiff, BadRequestsAreTypeErrors) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({3}));
  NodeId I = G.input("i", {DType::I64, {3}});
  NodeId C = Bd.reduce(OpCode::Sum, X);
  // A non-scalar cost.
  try {
    Bd.grad(Bd.unary(OpCode::Exp, X), X);
    FAIL() << "expected a TypeError";
  } catch (const TypeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("'grad'"));
    EXPECT_THAT(E.what(), HasSubstr("f64[3]"));
  }
  // An integer wrt.
  try {
    Bd.grad(C, I);
    FAIL() << "expected a TypeError";
  } catch (const TypeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("i64[3]"));
  }
  // A vector of another type for the helpers.
  EXPECT_THROW(hessianVectorProduct(Bd, C, X, G.input("v", f64({4}))),
               TypeError);
}

//===----------------------------------------------------------------------===//
// Hessian- and Jacobian-vector products
//===----------------------------------------------------------------------===//

/// A smooth scalar cost of a weight matrix: sum(w2 * tanh(x W)) + sum(W^2)/2.
struct SmoothCost {
  Graph G{"smooth"};
  NodeId X, W, V, Cost;
  SmoothCost() {
    Builder Bd(G);
    X = G.input("x", f64({B, 3}));
    W = G.param("W", f64({3, 2}));
    V = G.input("v", f64({3, 2}));
    NodeId W2 = G.input("w2", f64({B, 2}));
    NodeId H = Bd.unary(OpCode::Tanh, Bd.matmul(X, W));
    NodeId Reg = Bd.binary(OpCode::Mul,
                           Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, W)),
                           G.scalar(0.5, DType::F64));
    Cost =
        Bd.binary(OpCode::Add,
                  Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, H, W2)), Reg);
  }
  TensorMap args(std::mt19937_64 &R) {
    return {{"x", randomTensor({4, 3}, R)},
            {"W", randomTensor({3, 2}, R)},
            {"v", randomTensor({3, 2}, R)},
            {"w2", randomTensor({4, 2}, R)}};
  }
};

/// (F(a + eps v) - F(a - eps v)) / 2 eps for the output Name of an
/// expanded graph, moving argument A along argument V.
Tensor directionalDifference(const Graph &Expanded, const char *Name,
                             TensorMap Args, const char *A, const char *V,
                             double Eps = 1e-6) {
  Tensor Base = Args.at(A);
  auto At = [&](double S) {
    Tensor &X = Args.at(A);
    for (int64_t I = 0; I < X.numel(); ++I)
      X.set(I, Base.at(I) + S * Args.at(V).at(I));
    return gradcheck::evalOutput(Expanded, Name, Args);
  };
  Tensor Up = At(Eps), Down = At(-Eps), Out = Up;
  for (int64_t I = 0; I < Out.numel(); ++I)
    Out.set(I, (Up.at(I) - Down.at(I)) / (2 * Eps));
  return Out;
}

TEST(Derivatives, HessianVectorProductMatchesDifferencesOfTheGradient) {
  SmoothCost S;
  Builder Bd(S.G);
  S.G.addOutput("hv", hessianVectorProduct(Bd, S.Cost, S.W, S.V));
  S.G.addOutput("g", gradient(Bd, S.Cost, S.W));
  expand(S.G);
  std::mt19937_64 R(3);
  TensorMap Args = S.args(R);
  Tensor Hv = gradcheck::evalOutput(S.G, "hv", Args);
  Tensor Fd = directionalDifference(S.G, "g", Args, "W", "v");
  EXPECT_TRUE(gradcheck::allClose(Hv, Fd, 1e-7, 1e-8));
}

TEST(Derivatives, JacobianVectorProductMatchesDirectionalDifferences) {
  SmoothCost S;
  Builder Bd(S.G);
  NodeId Y = Bd.softmax(Bd.unary(OpCode::Tanh, Bd.matmul(S.X, S.W)), -1);
  S.G.addOutput("y", Y);
  S.G.addOutput("jv", jacobianVectorProduct(Bd, Y, S.W, S.V));
  expand(S.G);
  EXPECT_FALSE(hasOp(S.G, OpCode::StopGradient))
      << "the placeholder cotangent stays dead";
  std::mt19937_64 R(5);
  TensorMap Args = S.args(R);
  Tensor Jv = gradcheck::evalOutput(S.G, "jv", Args);
  Tensor Fd = directionalDifference(S.G, "y", Args, "W", "v");
  EXPECT_TRUE(gradcheck::allClose(Jv, Fd, 1e-7, 1e-8));
}

TEST(Derivatives, JacobianOfTheGradientIsTheHessian) {
  SmoothCost S;
  Builder Bd(S.G);
  S.G.addOutput("jv",
                jacobianVectorProduct(Bd, gradient(Bd, S.Cost, S.W), S.W, S.V));
  S.G.addOutput("hv", hessianVectorProduct(Bd, S.Cost, S.W, S.V));
  expand(S.G);
  std::mt19937_64 R(9);
  TensorMap Args = S.args(R);
  EXPECT_TRUE(gradcheck::allClose(gradcheck::evalOutput(S.G, "jv", Args),
                                  gradcheck::evalOutput(S.G, "hv", Args), 1e-12,
                                  1e-14));
}

TEST(Derivatives, JacobianOfAnIndependentValueIsZero) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f64({2})), Y = G.input("y", f64({3}));
  G.addOutput("jv", jacobianVectorProduct(Bd, Bd.unary(OpCode::Exp, Y), X,
                                          G.input("v", f64({2}))));
  expand(G);
  TensorMap Out = run(G, {{"x", values({2}, {1, 2})},
                          {"y", values({3}, {1, 2, 3})},
                          {"v", values({2}, {1, 1})}});
  for (int I = 0; I < 3; ++I)
    EXPECT_EQ(Out.at("jv").at(I), 0.0);
}

//===----------------------------------------------------------------------===//
// Size and speed
//===----------------------------------------------------------------------===//

/// A chain of N tanh(x W_i) layers on [B, 4] with a param per layer, and
/// grads for every param.
Graph deepChain(int N) {
  Graph G("deep");
  Builder Bd(G);
  NodeId H = G.input("x", f64({B, 4}));
  std::vector<NodeId> Params;
  for (int I = 0; I < N; ++I) {
    Params.push_back(G.param("W" + std::to_string(I), f64({4, 4})));
    H = Bd.unary(OpCode::Tanh, Bd.matmul(H, Params.back()));
  }
  NodeId Cost = Bd.reduce(OpCode::Mean, H);
  G.addOutput("loss", Cost);
  for (int I = 0; I < N; ++I)
    G.addOutput("g" + std::to_string(I), Bd.grad(Cost, Params[I]));
  return G;
}

TEST(Autodiff, EmittedGraphIsLinearInTheForwardGraph) {
  for (int N : {10, 100, 1000}) {
    Graph G = deepChain(N);
    size_t Forward = G.liveNodes().size();
    expand(G);
    // Per layer: matmul + tanh forward; the backward adds 1 - y^2, two
    // muls, a transpose and two matmuls: a constant number per layer.
    EXPECT_LE(G.liveNodes().size(), 5 * Forward) << N;
  }
}

TEST(Autodiff, PassIsFastOnLargeGraphs) {
#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "a time budget for optimized builds only";
#endif
  Graph G = deepChain(1000); // ~10,000 nodes after expansion
  auto Start = std::chrono::steady_clock::now();
  PassContext Ctx;
  AutodiffPass().run(G, Ctx);
  double Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  EXPECT_EQ(Ctx.Stats["autodiff.sweep"], 1);
  // About 0.1 s on the 2-core build machine, most of it rebuilding the
  // graph's 1000 params; a quadratic sweep would take far longer.
  EXPECT_LT(Seconds, 2.0) << "the pass must stay linear in the graph";
}

TEST(Autodiff, DefaultPipelineKeepsTheMlpGradientsRight) {
  // The gradients after stabilize, autodiff, simplify, cse and dce still
  // match finite differences, and no grad request is left.
  Graph G = mlp(5, 4, 3);
  std::mt19937_64 R(13);
  TensorMap Args = {
      {"x", randomTensor({2, 5}, R)},  {"t", values({2}, {1, 2}, DType::I64)},
      {"W1", randomTensor({5, 4}, R)}, {"b1", randomTensor({4}, R, 0.2, 0.5)},
      {"W2", randomTensor({4, 3}, R)}, {"b2", randomTensor({3}, R)}};
  gradcheck::Options O;
  O.RelTol = O.AbsTol = 1e-7;
  O.Expand = [](Graph &G) {
    PassContext Ctx;
    PassManager::parse(defaultPipeline()).run(G, Ctx);
    EXPECT_FALSE(hasOp(G, OpCode::Grad));
  };
  EXPECT_TRUE(
      gradcheck::checkGradients(G, "loss", Args, {"W1", "b1", "W2", "b2"}, O));
}

} // namespace
