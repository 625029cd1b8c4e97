//===- optimizers_test.cpp - Optimizer updates against a reference -------===//
//
// Every algorithm trains two params (w[3], u[2,2]) on the quadratic
// loss Σ 0.5·c·θ² + b·θ, whose gradient is c·θ + b, for four steps, compiled
// by the JIT and on the interpreter. After each step the params (and the
// loss output, which reads the pre-update values) are compared with a plain
// double re-implementation of theanets/downhill's formulas (Reference
// below), written from the formulas in docs/optimizers.md, not from
// optimizers.cpp. Hand-computed values pin the behaviours that matter most:
// adam's first step is lr·sign(g), rprop's steps shrink and its moves stop
// where the sign flips, clipping by element takes precedence over clipping
// by norm. esgd draws random vectors, so its test recovers v² from the state
// (with a Hessian known in closed form) and checks its distribution.
//
//===----------------------------------------------------------------------===//
#include "codegen/compiled_function.h"
#include "frontend/netjit.h"
#include "frontend/optimizers.h"
#include "ir/printer.h"
#include "test_util.h"

#include <cmath>
#include <set>

namespace netjit {
namespace {

using test::errorOf;
using test::tensor;
using test::values;
using ::testing::HasSubstr;

using Vec = std::vector<double>;

/// One param of the test problem: start value, and the loss constants.
struct Problem {
  std::string Name;
  std::vector<int64_t> Shape;
  Vec Start, C, B;
};

const std::vector<Problem> &problems() {
  static const std::vector<Problem> P{
      {"w", {3}, {0.5, -1.5, 2.0}, {1.0, 2.0, 0.5}, {0.1, -0.2, 0.3}},
      {"u",
       {2, 2},
       {0.25, -0.75, 1.0, 0.1},
       {3.0, 1.0, 0.25, 4.0},
       {0.0, 0.5, -1.0, -0.3}}};
  return P;
}

Vec gradientOf(const Problem &P, const Vec &W) {
  Vec G(W.size());
  for (size_t I = 0; I < W.size(); ++I)
    G[I] = P.C[I] * W[I] + P.B[I];
  return G;
}

double lossOf(const Problem &P, const Vec &W) {
  double L = 0;
  for (size_t I = 0; I < W.size(); ++I)
    L += 0.5 * P.C[I] * W[I] * W[I] + P.B[I] * W[I];
  return L;
}

/// theanets/downhill's update rules, in double, one param at a time.
class Reference {
public:
  Reference(std::string Algo, const HyperParams &Given)
      : Algo(std::move(Algo)), H(Optimizer::defaults()) {
    for (const auto &[K, V] : Given)
      H[K] = V;
    if (this->Algo == "nag")
      H["nesterov"] = 1;
  }

  /// One step of one param; W is updated in place. Call beginStep() once
  /// before the params of a step.
  void beginStep() { ++T; }
  void step(const std::string &Name, Vec &W, Vec G) {
    size_t N = W.size();
    double Lr = H["learning_rate"], Eps = H["rms_regularizer"];
    double Gamma = std::pow(2.0, -1.0 / H["rms_halflife"]);
    if (H["max_gradient_elem"] > 0) {
      for (double &X : G)
        X = std::max(-H["max_gradient_elem"],
                     std::min(H["max_gradient_elem"], X));
    } else if (H["max_gradient_norm"] > 0) {
      double Norm = 0;
      for (double X : G)
        Norm += X * X;
      Norm = std::sqrt(Norm);
      for (double &X : G)
        X *= std::min(1.0, H["max_gradient_norm"] / Norm);
    }
    Vec U(N);
    for (size_t I = 0; I < N; ++I) {
      double Gi = G[I];
      if (Algo == "sgd" || Algo == "nag") {
        U[I] = Lr * Gi;
      } else if (Algo == "rmsprop") {
        double &F = slot(Name, "f", N)[I], &Sq = slot(Name, "s", N)[I];
        F = Gamma * F + (1 - Gamma) * Gi;
        Sq = Gamma * Sq + (1 - Gamma) * Gi * Gi;
        U[I] = Lr * Gi / std::sqrt(Sq - F * F + Eps);
      } else if (Algo == "adadelta") {
        double &Sq = slot(Name, "s", N)[I], &X = slot(Name, "x", N)[I];
        Sq = Gamma * Sq + (1 - Gamma) * Gi * Gi;
        U[I] = Gi * std::sqrt(X + Eps) / std::sqrt(Sq + Eps);
        X = Gamma * X + (1 - Gamma) * U[I] * U[I];
      } else if (Algo == "adam") {
        double B1 = std::pow(2.0, -1.0 / H["beta1_halflife"]);
        double B2 = std::pow(2.0, -1.0 / H["beta2_halflife"]);
        double &M = slot(Name, "m", N)[I], &Sq = slot(Name, "s", N)[I];
        M = B1 * M + (1 - B1) * Gi;
        Sq = B2 * Sq + (1 - B2) * Gi * Gi;
        U[I] = Lr * (M / (1 - std::pow(B1, T))) /
               (std::sqrt(Sq / (1 - std::pow(B2, T))) + Eps);
      } else if (Algo == "adagrad") {
        double &Sq = slot(Name, "s", N)[I];
        Sq += Gi * Gi;
        U[I] = Lr * Gi / std::sqrt(Sq + Eps);
      } else if (Algo == "rprop") {
        double &Prev = slot(Name, "g", N)[I];
        double &Step = slot(Name, "step", N, Lr)[I];
        double Test = Gi * Prev;
        double Factor = Test > 0   ? H["rprop_increase"]
                        : Test < 0 ? H["rprop_decrease"]
                                   : 1.0;
        Step = std::min(H["rprop_max_step"],
                        std::max(H["rprop_min_step"], Step * Factor));
        if (Test < 0)
          Gi = 0;
        Prev = Gi;
        U[I] = (Gi > 0 ? 1 : Gi < 0 ? -1 : 0) * Step;
      } else {
        ADD_FAILURE() << "no reference for " << Algo;
      }
    }
    double Mu = H["momentum"];
    for (size_t I = 0; I < N; ++I) {
      if (Mu > 0) {
        double &V = slot(Name, "v", N)[I];
        V = H["nesterov"] ? Mu * Mu * V - (1 + Mu) * U[I] : Mu * V - U[I];
        W[I] += V;
      } else {
        W[I] -= U[I];
      }
    }
  }

  Vec &slot(const std::string &Name, const char *Slot, size_t N,
            double Init = 0) {
    auto It = State.find(Name + ":" + Slot);
    if (It == State.end())
      It = State.emplace(Name + ":" + Slot, Vec(N, Init)).first;
    return It->second;
  }

private:
  std::string Algo;
  HyperParams H;
  std::map<std::string, Vec> State;
  int T = 0;
};

/// The training step: loss, gradients and the optimizer's updates.
struct TrainStep {
  Function F;
  std::unique_ptr<Optimizer> Opt;
};

TrainStep buildStep(const std::string &Algo, const HyperParams &H,
                    DType T = DType::F64) {
  TrainStep S{Function("train", T), Optimizer::create(Algo, H)};
  std::vector<Expr> Params;
  Expr Loss;
  for (const Problem &P : problems()) {
    Expr W =
        S.F.param(P.Name, std::vector<DimSpec>(P.Shape.begin(), P.Shape.end()));
    Expr C = S.F.constant(tensor(P.Shape, P.C, T));
    Expr B = S.F.constant(tensor(P.Shape, P.B, T));
    Expr L = sum(C * square(W) * 0.5 + B * W);
    Loss = Loss.valid() ? Loss + L : L;
    Params.push_back(W);
  }
  S.F.output("loss", Loss);
  S.Opt->addUpdates(S.F, Loss, Params, grad(Loss, Params));
  return S;
}

TensorMap startValues(const Optimizer &Opt, DType T) {
  TensorMap Params;
  for (const Problem &P : problems())
    Params[P.Name] = tensor(P.Shape, P.Start, T);
  for (auto &[Name, V] : Opt.initialState(Params))
    Params[Name] = V;
  return Params;
}

/// Runs Steps steps of Algo on the JIT and on the interpreter and compares
/// both with the reference after each step. Returns the JIT's params after
/// every step, for the hand-computed checks.
std::vector<TensorMap> checkAgainstReference(const std::string &Algo,
                                             const HyperParams &H,
                                             DType T = DType::F64,
                                             int Steps = 4) {
  double Tol = T == DType::F64 ? 1e-11 : 2e-5;
  TrainStep S = buildStep(Algo, H, T);
  std::vector<TensorMap> History;
  for (bool Interpret : {false, true}) {
    SCOPED_TRACE(Algo + (Interpret ? " (interpreter)" : " (JIT)"));
    CompileOptions Options;
    Options.ForceInterpreter = Interpret;
    CompiledFunction CF = CompiledFunction::compile(S.F.graph(), Options);
    EXPECT_EQ(CF.usesInterpreter(), Interpret) << CF.interpreterReason();
    CallContext Ctx = CF.newContext();
    TensorMap Params = startValues(*S.Opt, T);
    Reference Ref(Algo, H);
    std::map<std::string, Vec> W;
    for (const Problem &P : problems())
      W[P.Name] = P.Start;
    for (int K = 1; K <= Steps; ++K) {
      SCOPED_TRACE("step " + std::to_string(K));
      TensorMap Out = CF.call(Ctx, {}, Params);
      double Loss = 0;
      Ref.beginStep();
      for (const Problem &P : problems()) {
        Loss += lossOf(P, W[P.Name]);
        Ref.step(P.Name, W[P.Name], gradientOf(P, W[P.Name]));
        test::expectValues(Params.at(P.Name), W[P.Name], Tol);
      }
      // Outputs read the params from before the step.
      EXPECT_NEAR(Out.at("loss").at(0), Loss, Tol * std::max(1.0, Loss));
      if (!Interpret)
        History.push_back(Params);
    }
  }
  return History;
}

//===----------------------------------------------------------------------===//
// Each algorithm against the reference
//===----------------------------------------------------------------------===//

TEST(Optimizers, SgdMatchesTheFormulaAndHandValues) {
  auto History = checkAgainstReference("sgd", {{"learning_rate", 0.1}});
  // w[0]: 0.5 - 0.1·(1·0.5 + 0.1) = 0.44, then 0.44 - 0.1·0.54 = 0.386.
  EXPECT_NEAR(History[0].at("w").at(0), 0.44, 1e-12);
  EXPECT_NEAR(History[1].at("w").at(0), 0.386, 1e-12);
  // Plain sgd has no state.
  EXPECT_TRUE(buildStep("sgd", {}).Opt->stateNames().empty());
}

TEST(Optimizers, Momentum) {
  auto History =
      checkAgainstReference("sgd", {{"learning_rate", 0.1}, {"momentum", 0.9}});
  // v1 = -0.1·0.6 = -0.06, w1 = 0.44; g1 = 0.54, v2 = 0.9·(-0.06) - 0.054.
  EXPECT_NEAR(History[0].at("opt:w:velocity").at(0), -0.06, 1e-12);
  EXPECT_NEAR(History[1].at("opt:w:velocity").at(0), -0.108, 1e-12);
  EXPECT_NEAR(History[1].at("w").at(0), 0.44 - 0.108, 1e-12);
}

TEST(Optimizers, NesterovAndNag) {
  HyperParams H{{"learning_rate", 0.1}, {"momentum", 0.5}, {"nesterov", 1}};
  auto History = checkAgainstReference("sgd", H);
  // v1 = -(1 + 0.5)·0.1·0.6 = -0.09; w1 = 0.41; g1 = 0.51;
  // v2 = 0.25·(-0.09) - 1.5·0.051 = -0.099.
  EXPECT_NEAR(History[0].at("w").at(0), 0.41, 1e-12);
  EXPECT_NEAR(History[1].at("opt:w:velocity").at(0), -0.099, 1e-12);
  // nag forces nesterov on: the same trajectory.
  auto Nag =
      checkAgainstReference("nag", {{"learning_rate", 0.1}, {"momentum", 0.5}});
  EXPECT_EQ(values(Nag[3].at("u")), values(History[3].at("u")));
  EXPECT_EQ(Optimizer::create("nag")->hyperParams().at("nesterov"), 1);
}

TEST(Optimizers, ClippingByElementTakesPrecedenceOverNorm) {
  HyperParams Elem{{"learning_rate", 0.1},
                   {"max_gradient_elem", 0.5},
                   {"max_gradient_norm", 1e-3}};
  auto History = checkAgainstReference("sgd", Elem);
  // w's gradient (0.6, -3.2, 1.3) clips to (0.5, -0.5, 0.5).
  test::expectValues(History[0].at("w"), {0.45, -1.45, 1.95}, 1e-12);
  HyperParams Norm{{"learning_rate", 0.1}, {"max_gradient_norm", 1.0}};
  History = checkAgainstReference("sgd", Norm);
  // ‖(0.6, -3.2, 1.3)‖ = √12.29: w moves by 0.1·g/√12.29.
  double N = std::sqrt(12.29);
  test::expectValues(History[0].at("w"),
                     {0.5 - 0.06 / N, -1.5 + 0.32 / N, 2.0 - 0.13 / N}, 1e-12);
  // Each param is scaled by its own norm (not the joint √13.4875): u's
  // gradient (0.75, -0.25, -0.75, 0.1) has norm √1.1975.
  double NU = std::sqrt(1.1975);
  test::expectValues(History[0].at("u"),
                     {0.25 - 0.075 / NU, -0.75 + 0.025 / NU, 1.0 + 0.075 / NU,
                      0.1 - 0.01 / NU},
                     1e-12);
  // A norm under the limit leaves the gradient alone.
  History = checkAgainstReference(
      "sgd", {{"learning_rate", 0.1}, {"max_gradient_norm", 4.0}});
  test::expectValues(History[0].at("w"), {0.44, -1.18, 1.87}, 1e-12);
  // With momentum too, the clipped gradient feeds the velocity.
  checkAgainstReference(
      "rmsprop",
      {{"learning_rate", 0.01}, {"max_gradient_norm", 1.0}, {"momentum", 0.9}});
}

TEST(Optimizers, RmsProp) {
  checkAgainstReference("rmsprop", {{"learning_rate", 0.01}});
  auto History = checkAgainstReference("rmsprop", {{"learning_rate", 0.01},
                                                   {"rms_halflife", 3},
                                                   {"rms_regularizer", 1e-4},
                                                   {"momentum", 0.5}});
  // Step 1 by hand (γ = 2^(-1/3)): f = (1-γ)g, s = (1-γ)g², so
  // s - f² = γ(1-γ)g² and u = lr·g / √(γ(1-γ)g² + 1e-4).
  double Gamma = std::pow(2.0, -1.0 / 3);
  double G0 = 0.6;
  double U = 0.01 * G0 / std::sqrt(Gamma * (1 - Gamma) * G0 * G0 + 1e-4);
  EXPECT_NEAR(History[0].at("w").at(0), 0.5 - U, 1e-12);
  EXPECT_NEAR(History[0].at("opt:w:mean_grad").at(0), (1 - Gamma) * G0, 1e-12);
  EXPECT_NEAR(History[0].at("opt:w:mean_sq_grad").at(0), (1 - Gamma) * G0 * G0,
              1e-12);
}

TEST(Optimizers, AdamHasTrueBiasCorrection) {
  HyperParams H{{"learning_rate", 0.01}};
  auto History = checkAgainstReference("adam", H);
  // At t = 1 the corrections undo the (1-β) factors: u = lr·g/(|g| + ε),
  // so every weight moves by lr against its gradient's sign.
  test::expectValues(History[0].at("w"), {0.49, -1.49, 1.99}, 1e-8);
  test::expectValues(History[0].at("u"), {0.24, -0.74, 1.01, 0.09}, 1e-8);
  EXPECT_EQ(History[0].at("opt:t").at(0), 1);
  EXPECT_EQ(History[3].at("opt:t").at(0), 4);
  EXPECT_EQ(History[0].at("opt:t").dtype(), DType::I64);
  checkAgainstReference("adam", {{"learning_rate", 0.05},
                                 {"beta1_halflife", 2},
                                 {"beta2_halflife", 5},
                                 {"momentum", 0.5},
                                 {"nesterov", 1}});
}

TEST(Optimizers, AdaDeltaIgnoresTheLearningRate) {
  auto A = checkAgainstReference("adadelta", {{"rms_regularizer", 1e-2}});
  auto B = checkAgainstReference(
      "adadelta", {{"rms_regularizer", 1e-2}, {"learning_rate", 5}});
  EXPECT_EQ(values(A[3].at("w")), values(B[3].at("w")));
  // Step 1: s = (1-γ)g², u = g·√ε/√(s + ε), x = (1-γ)u².
  double Gamma = std::pow(2.0, -1.0 / 14), G = 0.6;
  double U = G * 0.1 / std::sqrt((1 - Gamma) * G * G + 1e-2);
  EXPECT_NEAR(A[0].at("w").at(0), 0.5 - U, 1e-12);
  EXPECT_NEAR(A[0].at("opt:w:mean_sq_step").at(0), (1 - Gamma) * U * U, 1e-12);
}

TEST(Optimizers, AdaGrad) {
  auto History = checkAgainstReference("adagrad", {{"learning_rate", 0.1}});
  // s = g² at the first step, so u = 0.1·g/√(g² + 1e-8) ≈ 0.1·sign(g).
  test::expectValues(History[0].at("w"), {0.4, -1.4, 1.9}, 1e-7);
  EXPECT_NEAR(History[0].at("opt:w:sum_sq_grad").at(1), 3.2 * 3.2, 1e-12);
}

TEST(Optimizers, RPropShrinksTheStepWhereTheSignFlips) {
  auto History = checkAgainstReference("rprop", {{"learning_rate", 0.1}});
  // w[0] = 0.5, g = 0.6: step 1 moves by the initial step 0.1 (there is
  // no previous gradient). w[1]'s gradient keeps its sign, so its step grows
  // by 1.01 per step.
  EXPECT_NEAR(History[0].at("w").at(0), 0.4, 1e-12);
  EXPECT_NEAR(History[1].at("opt:w:step").at(1), 0.101, 1e-12);
  EXPECT_NEAR(History[2].at("opt:w:step").at(1), 0.10201, 1e-12);
  // u[3] = 0.1 with g = 4·0.1 - 0.3 = 0.1 moves to 0 (g = -0.3, flipped):
  // at step 2 it stays, its step shrinks to 0.099 and its stored gradient
  // is 0; at step 3 (no flip seen) it moves by 0.099 against g.
  EXPECT_NEAR(History[0].at("u").at(3), 0.0, 1e-12);
  EXPECT_NEAR(History[1].at("u").at(3), 0.0, 1e-12);
  EXPECT_NEAR(History[1].at("opt:u:step").at(3), 0.099, 1e-12);
  EXPECT_EQ(History[1].at("opt:u:prev_grad").at(3), 0.0);
  EXPECT_NEAR(History[2].at("u").at(3), 0.099, 1e-12);
  EXPECT_NEAR(History[2].at("opt:u:step").at(3), 0.099, 1e-12);
  // Bounds on the step.
  checkAgainstReference("rprop",
                        {{"learning_rate", 0.1},
                         {"rprop_increase", 1.5},
                         {"rprop_decrease", 0.5},
                         {"rprop_min_step", 0.06},
                         {"rprop_max_step", 0.2}},
                        DType::F64, 6);
}

TEST(Optimizers, SinglePrecision) {
  checkAgainstReference("adam", {{"learning_rate", 0.01}}, DType::F32);
  checkAgainstReference("rmsprop", {{"learning_rate", 0.01}, {"momentum", 0.9}},
                        DType::F32);
  checkAgainstReference("rprop", {{"learning_rate", 0.1}}, DType::F32);
}

//===----------------------------------------------------------------------===//
// esgd
//===----------------------------------------------------------------------===//

// Loss = Σ 0.5·c·w² + Σ 0.25·q⁴: the Hessian is diag(c) for w and
// diag(3q²) for q, so after one step D = (1-γ)·h²·v² with h known, and v²
// can be read back from the state. Steps after the first give
// v² = (D_t - γD_{t-1}) / ((1-γ)h²) with h from the param before the step.
TEST(Optimizers, EsgdCurvatureFollowsTheHessian) {
  const int64_t N = 3000;
  Function F("esgd", DType::F64);
  Expr W = F.param("w", {N}), Q = F.param("q", {N});
  Vec C(N), Start(N);
  for (int64_t I = 0; I < N; ++I) {
    C[I] = 1 << (I % 3); // 1, 2, 4
    Start[I] = 0.5 + 0.25 * (I % 5);
  }
  Expr Loss = sum(F.constant(tensor({N}, C, DType::F64)) * square(W) * 0.5) +
              sum(square(square(Q))) * 0.25;
  F.output("loss", Loss);
  std::unique_ptr<Optimizer> Opt =
      Optimizer::create("esgd", {{"learning_rate", 0.01}});
  Opt->addUpdates(F, Loss, {W, Q}, grad(Loss, {W, Q}));
  EXPECT_EQ(Opt->stateNames(),
            (std::vector<std::string>{"opt:t", "opt:w:curvature",
                                      "opt:q:curvature"}));
  double Gamma = std::pow(2.0, -1.0 / 14), Eps = 1e-8;

  std::map<bool, std::vector<TensorMap>> Runs;
  for (bool Interpret : {false, true}) {
    CompileOptions Options;
    Options.ForceInterpreter = Interpret;
    CompiledFunction CF = CompiledFunction::compile(F.graph(), Options);
    EXPECT_EQ(CF.usesInterpreter(), Interpret) << CF.interpreterReason();
    CallContext Ctx = CF.newContext();
    TensorMap Params{{"w", tensor({N}, Start, DType::F64)},
                     {"q", tensor({N}, Start, DType::F64)}};
    for (auto &[Name, V] : Opt->initialState(Params))
      Params[Name] = V;
    Runs[Interpret].push_back(Params);
    for (int K = 0; K < 3; ++K) {
      CF.call(Ctx, {}, Params);
      Runs[Interpret].push_back(Params);
    }
  }
  const std::vector<TensorMap> &Steps = Runs[false];
  std::map<std::string, std::vector<Vec>> VSq; // per param, per step: v²
  for (size_t K = 1; K < Steps.size(); ++K) {
    const TensorMap &Before = Steps[K - 1], &After = Steps[K];
    EXPECT_EQ(After.at("opt:t").at(0), static_cast<double>(K));
    for (const char *P : {"w", "q"}) {
      std::string Name = P, DName = "opt:" + Name + ":curvature";
      Vec V2(N);
      double Sum = 0, SumAbs = 0;
      for (int64_t I = 0; I < N; ++I) {
        double Theta = Before.at(Name).at(I);
        double H = Name == "w" ? C[I] : 3 * Theta * Theta;
        double G = Name == "w" ? C[I] * Theta : Theta * Theta * Theta;
        double D = After.at(DName).at(I), DPrev = Before.at(DName).at(I);
        V2[I] = (D - Gamma * DPrev) / ((1 - Gamma) * H * H);
        ASSERT_GE(V2[I], -1e-9) << Name << "[" << I << "] step " << K;
        Sum += V2[I];
        SumAbs += std::sqrt(std::max(V2[I], 0.0));
        // The update uses the new D: θ <- θ - lr·g/(√D + ε).
        double Expected = Theta - 0.01 * G / (std::sqrt(D) + Eps);
        ASSERT_NEAR(After.at(Name).at(I), Expected,
                    1e-12 * std::max(1.0, std::fabs(Expected)))
            << Name << "[" << I << "] step " << K;
        // The JIT and the interpreter draw the same numbers.
        ASSERT_NEAR(Runs[true][K].at(DName).at(I), D, 1e-12 * (1 + D));
      }
      // v ~ N(0, 1): E v² = 1, E|v| = √(2/π) (3000 draws: 1.5% and 1% s.e.).
      EXPECT_NEAR(Sum / N, 1.0, 0.08) << Name << " step " << K;
      EXPECT_NEAR(SumAbs / N, std::sqrt(2 / M_PI), 0.05)
          << Name << " step " << K;
      VSq[Name].push_back(V2);
    }
  }
  // Every step and every param draws a new v: |v| agree in no pattern.
  auto MeanAbsDiff = [&](const Vec &A, const Vec &B) {
    double S = 0;
    for (int64_t I = 0; I < N; ++I)
      S += std::fabs(std::sqrt(std::max(A[I], 0.0)) -
                     std::sqrt(std::max(B[I], 0.0)));
    return S / N;
  };
  // For independent |v|, E|(|v1| - |v2|)| = 2(2 - √2)/√π ≈ 0.661 (0.009
  // s.e.); equal draws would give 0.
  double Independent = 2 * (2 - std::sqrt(2.0)) / std::sqrt(M_PI);
  EXPECT_NEAR(MeanAbsDiff(VSq["w"][0], VSq["w"][1]), Independent, 0.03);
  EXPECT_NEAR(MeanAbsDiff(VSq["w"][1], VSq["w"][2]), Independent, 0.03);
  EXPECT_NEAR(MeanAbsDiff(VSq["w"][0], VSq["q"][0]), Independent, 0.03);
}

/// The example of docs/optimizers.md.
TEST(Optimizers, DocExampleConverges) {
  Function F("step");
  Expr W = F.param("w", {3});
  Expr Loss = sum(square(W - 1.0));
  F.output("loss", Loss);
  auto Opt = Optimizer::create("adam", {{"learning_rate", 0.05}});
  std::vector<Expr> Params{W};
  Opt->addUpdates(F, Loss, Params, grad(Loss, Params));

  CompiledFunction Step = CompiledFunction::compile(F.graph());
  CallContext Ctx = Step.newContext();
  TensorMap Values{{"w", Tensor(DType::F32, {3})}};
  Values.merge(Opt->initialState(Values));
  for (int I = 0; I < 500; ++I)
    Step.call(Ctx, {}, Values);
  test::expectValues(Values.at("w"), {1, 1, 1}, 2e-3);
  EXPECT_EQ(Values.at("opt:t").at(0), 500);
}

//===----------------------------------------------------------------------===//
// Options, state and errors
//===----------------------------------------------------------------------===//

TEST(Optimizers, DefaultsAndState) {
  std::unique_ptr<Optimizer> O = Optimizer::create("RMSProp");
  EXPECT_EQ(O->name(), "rmsprop");
  const HyperParams &H = O->hyperParams();
  EXPECT_EQ(H.size(), 13u);
  EXPECT_EQ(H.at("learning_rate"), 1e-4);
  EXPECT_EQ(H.at("momentum"), 0);
  EXPECT_EQ(H.at("nesterov"), 0);
  EXPECT_EQ(H.at("rms_halflife"), 14);
  EXPECT_EQ(H.at("rms_regularizer"), 1e-8);
  EXPECT_EQ(H.at("beta1_halflife"), 7);
  EXPECT_EQ(H.at("beta2_halflife"), 69);
  EXPECT_EQ(H.at("rprop_increase"), 1.01);
  EXPECT_EQ(H.at("rprop_decrease"), 0.99);
  EXPECT_EQ(H.at("rprop_min_step"), 0);
  EXPECT_EQ(H.at("rprop_max_step"), 100);
  EXPECT_EQ(
      Optimizer::create("adam", {{"momentum", 0.9}})->hyperParam("momentum"),
      0.9);

  TrainStep S = buildStep("rprop", {{"learning_rate", 0.25}, {"momentum", 0.5}},
                          DType::F32);
  EXPECT_EQ(S.Opt->stateNames(),
            (std::vector<std::string>{"opt:w:prev_grad", "opt:w:step",
                                      "opt:w:velocity", "opt:u:prev_grad",
                                      "opt:u:step", "opt:u:velocity"}));
  TensorMap Init = S.Opt->initialState(startValues(*S.Opt, DType::F32));
  EXPECT_EQ(Init.size(), 6u);
  EXPECT_EQ(Init.at("opt:u:step").typeStr(), "f32[2,2]");
  EXPECT_EQ(values(Init.at("opt:u:step")), Vec(4, 0.25));
  EXPECT_EQ(values(Init.at("opt:u:velocity")), Vec(4, 0.0));
  EXPECT_THAT(S.F.str(), HasSubstr("update %\"opt:u:step\" = "));
  EXPECT_THAT(errorOf([&] { S.Opt->initialState({}); }),
              HasSubstr("initialState needs the value of parameter 'w'"));
}

TEST(Optimizers, UnknownNamesAndBadValues) {
  EXPECT_THAT(errorOf([] { Optimizer::create("adamw"); }),
              HasSubstr("unknown optimizer 'adamw'; the optimizers are sgd, "
                        "nag, rmsprop, adam, adadelta, adagrad, rprop, esgd"));
  EXPECT_THROW(Optimizer::create("adamw"), TypeError);
  std::string E = errorOf([] { Optimizer::create("sgd", {{"lr", 0.1}}); });
  EXPECT_THAT(E, HasSubstr("optimizer 'sgd': unknown hyper-parameter 'lr'; "
                           "the hyper-parameters are beta1_halflife, "));
  EXPECT_THAT(E, HasSubstr("learning_rate"));
  EXPECT_THAT(E, HasSubstr("optimizers_test.cpp")); // the caller's line
  EXPECT_THAT(errorOf([] {
                Optimizer::create("sgd", {{"momentum", 1}});
              }),
              HasSubstr("momentum must be in [0, 1), got 1"));
  EXPECT_THAT(errorOf([] {
                Optimizer::create("adam", {{"learning_rate", -1}});
              }),
              HasSubstr("learning_rate must be a finite number > 0, got -1"));
  EXPECT_THAT(errorOf([] {
                Optimizer::create("sgd", {{"nesterov", 0.5}});
              }),
              HasSubstr("nesterov must be 0 or 1"));
  EXPECT_THAT(errorOf([] {
                Optimizer::create(
                    "rprop", {{"rprop_min_step", 2}, {"rprop_max_step", 1}});
              }),
              HasSubstr("rprop_min_step must be <= rprop_max_step"));
  EXPECT_THAT(errorOf([] {
                Optimizer::create("rmsprop", {{"rms_halflife", NAN}});
              }),
              HasSubstr("rms_halflife must be a finite number > 0, got nan"));
  EXPECT_THROW(Optimizer::create("sgd")->hyperParam("beta"), TypeError);
}

TEST(Optimizers, BadArguments) {
  Function F("bad");
  Expr W = F.param("w", {3}), X = F.input("x", {3});
  Expr Loss = sum(square(W * X));
  std::unique_ptr<Optimizer> O = Optimizer::create("sgd");
  EXPECT_THAT(errorOf([&] { O->addUpdates(F, Loss, {W}, {}); }),
              HasSubstr("1 params but 0 gradients"));
  EXPECT_THAT(errorOf([&] { O->addUpdates(F, Loss, {X}, {grad(Loss, X)}); }),
              HasSubstr("Params[0] is not a param of this Function"));
  EXPECT_THAT(errorOf([&] { O->addUpdates(F, Loss, {W}, {sum(W)}); }),
              HasSubstr("the gradient of 'w' must be an Expr of this "
                        "Function of type f32[3], got f32[]"));
  Function Other("other");
  Expr OW = Other.param("w", {3});
  EXPECT_THAT(errorOf([&] { O->addUpdates(F, Loss, {OW}, {OW}); }),
              HasSubstr("Params[0] is not a param of this Function"));
  EXPECT_THAT(errorOf([&] {
                Optimizer::create("esgd")->addUpdates(F, Expr(), {W},
                                                      {grad(Loss, W)});
              }),
              HasSubstr("needs the loss"));
}

/// Each parameter's update and all its state updates come out of one fused
/// elementwise kernel (which writes them in place), so a training step
/// allocates nothing beyond the arena. (adam with momentum: the other
/// kernels are the two loss reductions and the scalar counter/corrections.)
TEST(Optimizers, EachParamUpdatesInOneKernel) {
  TrainStep S = buildStep("adam", {{"momentum", 0.9}});
  CompiledFunction CF = CompiledFunction::compile(S.F.graph());
  ASSERT_FALSE(CF.usesInterpreter());
  const Graph &G = CF.fusedGraph();
  std::map<std::string, std::set<uint32_t>> KernelsOf;
  for (const Update &U : G.updates()) {
    std::string Target = G.node(U.Target).Attributes.getString("name");
    std::string Param = Target.rfind("opt:", 0) == 0
                            ? Target.substr(4, Target.find(':', 4) - 4)
                            : Target;
    const Node &V = G.node(U.Value);
    ASSERT_EQ(V.Op, OpCode::Result) << Target;
    EXPECT_EQ(G.node(V.Inputs[0]).Op, OpCode::Kernel);
    KernelsOf[Param].insert(V.Inputs[0].Index);
  }
  EXPECT_EQ(KernelsOf["w"].size(), 1u) << printGraph(G);
  EXPECT_EQ(KernelsOf["u"].size(), 1u) << printGraph(G);
  EXPECT_NE(*KernelsOf["w"].begin(), *KernelsOf["u"].begin());
  size_t Kernels = 0;
  for (uint32_t I = 0; I < G.size(); ++I)
    Kernels += G.node(NodeId{I}).Op == OpCode::Kernel;
  EXPECT_EQ(Kernels, 5u) << printGraph(G);
}

} // namespace
} // namespace netjit
