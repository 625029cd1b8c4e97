//===- loss_invariants_test.cpp - The three weighting invariants ----------===//
//
// For every built-in loss (and the custom Step loss of custom_loss_test):
// (1) all-ones weights give the unweighted value, (2) scaling every weight by
// c > 0 changes nothing (to 1e-12 relative in f64), and (3) a zero weight
// removes its element: the value is the same whatever garbage (inf, NaN, log
// 0, an out-of-range label) sits there, and the gradient reaching that
// element is exactly 0.
//
//===----------------------------------------------------------------------===//
#include "loss_harness.h"
#include "step_loss.h"

#include <functional>
#include <limits>

namespace netjit {
namespace {

using test::LossHarness;
using test::tensor;

constexpr double Inf = std::numeric_limits<double>::infinity();
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(std::vector<int64_t> Shape, std::vector<double> V) {
  return tensor(std::move(Shape), std::move(V), DType::F64);
}

/// One loss's setup: declares the outputs and the target (with garbage at
/// the zero-weight elements when Bad) and returns the input whose gradient
/// is checked.
struct Case {
  LossSpec Spec;
  std::function<Expr(LossHarness &H, bool Bad)> Setup;
  Tensor Weights; // has zeros at the elements Masked refers to
  std::vector<int64_t> Masked;
};

Tensor scaled(const Tensor &W, double C) {
  Tensor Out = W;
  for (int64_t I = 0; I < W.numel(); ++I)
    Out.set(I, W.at(I) * C);
  return Out;
}

Tensor ones(const Tensor &W) {
  Tensor Out = W;
  for (int64_t I = 0; I < W.numel(); ++I)
    Out.set(I, 1.0);
  return Out;
}

LossHarness::Result runCase(const Case &C, bool Bad, const Tensor *W) {
  LossHarness H;
  Expr Wrt = C.Setup(H, Bad);
  if (W)
    H.weights(*W);
  return H.run(C.Spec, {Wrt});
}

void expectClose(double A, double B, const std::string &What) {
  EXPECT_NEAR(A, B, 1e-12 * std::max(1.0, std::fabs(B))) << What;
}

void checkInvariants(const Case &C) {
  SCOPED_TRACE(C.Spec.Form);
  double Unweighted = runCase(C, false, nullptr).Value;
  Tensor One = ones(C.Weights);
  expectClose(runCase(C, false, &One).Value, Unweighted, "all-ones weights");

  LossHarness::Result Base = runCase(C, false, &C.Weights);
  Tensor Scaled = scaled(C.Weights, 3.7);
  LossHarness::Result S = runCase(C, false, &Scaled);
  expectClose(S.Value, Base.Value, "weights scaled by 3.7");
  for (int64_t I = 0; I < Base.Grads[0].numel(); ++I)
    expectClose(S.Grads[0].at(I), Base.Grads[0].at(I), "scaled gradient");

  LossHarness::Result Bad = runCase(C, true, &C.Weights);
  expectClose(Bad.Value, Base.Value, "garbage under zero weights");
  for (int64_t I = 0; I < Bad.Grads[0].numel(); ++I)
    EXPECT_TRUE(std::isfinite(Bad.Grads[0].at(I))) << "gradient " << I;
  for (int64_t I : C.Masked)
    EXPECT_EQ(Bad.Grads[0].at(I), 0.0) << "gradient " << I;
}

// Regression-shaped data (3 x 2); element 1 has weight 0.
const std::vector<double> O = {0.5, -1.0, 2.0, 0.25, -0.75, 1.5};
const std::vector<double> T = {1.0, -0.5, 1.5, 0.0, 0.0, 2.0};

Expr regression(LossHarness &H, bool Bad) {
  std::vector<double> Out = O, Tg = T;
  if (Bad) {
    Out[1] = NaN;
    Tg[1] = Inf;
  }
  H.target(f64({3, 2}, Tg));
  return H.output("out", f64({3, 2}, Out));
}

// Classification data (4 x 3); row 2 has weight 0.
Expr classes(LossHarness &H, bool Bad, bool Softmax) {
  std::vector<double> Out = {0.2, 0.5, 0.3, 0.1, 0.1, 0.8,
                             0.6, 0.3, 0.1, 0.3, 0.3, 0.4};
  std::vector<double> Labels = {1, 0, 2, 0};
  if (Bad) {
    // log 0 at the label (or NaN logits) and a padding label of -1.
    Out[6] = Out[7] = Softmax ? NaN : 0.0;
    Out[8] = Softmax ? NaN : 0.0;
    Labels[2] = -1;
  }
  H.target(tensor({4}, Labels, DType::I32));
  return H.output("out", f64({4, 3}, Out), Softmax);
}

std::vector<Case> cases() {
  Tensor RegW = f64({3, 2}, {1.0, 0.0, 2.0, 0.5, 0.25, 3.0});
  Tensor RowW = f64({4}, {1.0, 3.0, 0.0, 0.5});
  auto Probabilities = [](LossHarness &H, bool Bad) {
    return classes(H, Bad, false);
  };
  auto Logits = [](LossHarness &H, bool Bad) { return classes(H, Bad, true); };
  auto Kl = [](LossHarness &H, bool Bad) {
    std::vector<double> Out = {0.2, 0.5, 0.3, 0.1, 0.1, 0.8};
    if (Bad)
      Out[4] = 0.0; // t log 0 = -inf
    H.target(f64({2, 3}, {0.25, 0.25, 0.5, 0.7, 0.2, 0.1}));
    return H.output("out", f64({2, 3}, Out));
  };
  auto Gll = [](LossHarness &H, bool Bad) {
    std::vector<double> Covar = {0.5, 1.0, -0.25, 2.0, 0.1, 0.75};
    std::vector<double> Mean = O;
    if (Bad) {
      Covar[1] = NaN;
      Mean[1] = Inf;
    }
    H.output("covar", f64({3, 2}, Covar));
    H.target(f64({3, 2}, T));
    return H.output("mean", f64({3, 2}, Mean));
  };
  auto Mmd = [](LossHarness &H, bool Bad) {
    std::vector<double> Out = O;
    if (Bad)
      Out[4] = Out[5] = NaN;
    H.target(f64({3, 2}, T));
    return H.output("out", f64({3, 2}, Out));
  };
  Tensor MmdW = f64({3, 2}, {1.0, 0.5, 2.0, 0.5, 0.0, 0.0});
  return {{"mse", regression, RegW, {1}},
          {"mae", regression, RegW, {1}},
          {"xe", Probabilities, RowW, {6, 7, 8}},
          {"xe", Logits, RowW, {6, 7, 8}},
          {"hinge", Probabilities, RowW, {6, 7, 8}},
          {LossSpec("hinge").option("margin", 0.5), Logits, RowW, {6, 7, 8}},
          {"kl", Kl, f64({2, 3}, {1.0, 2.0, 0.5, 1.0, 0.0, 1.0}), {4}},
          {"gll", Gll, RegW, {1}},
          {"mmd", Mmd, MmdW, {4, 5}},
          {LossSpec("mmd").option("kernel", 0.5), Mmd, MmdW, {4, 5}},
          {"step", regression, RegW, {1}}};
}

TEST(LossInvariants, EveryBuiltinLossAndStep) {
  test::registerStepLosses();
  for (const Case &C : cases())
    checkInvariants(C);
}

} // namespace
} // namespace netjit
