//===- losses_test.cpp - Every built-in loss against numpy's numbers ------===//
//
// The expected values and gradients were computed with numpy (float64) from
// the formulas of docs/losses.md: the gradients from hand-derived closed
// forms (e.g. d xe / dz = (softmax(z) - onehot(t)) / N, weighted
// w_i (softmax_i - onehot_i) / sum(w); the MMD gradient summed over kernel
// pairs), each checked against numpy central differences in the same
// script. The data arrays are the ones written below. Tolerance: 1e-10
// (f64 graphs).
//
//===----------------------------------------------------------------------===//
#include "ir/printer.h"
#include "loss_harness.h"

namespace netjit {
namespace {

using test::expectValues;
using test::LossHarness;
using test::tensor;

/// A float64 tensor (the data of every test here is exact in f64).
Tensor f64(std::vector<int64_t> Shape, std::vector<double> V) {
  return tensor(std::move(Shape), std::move(V), DType::F64);
}

constexpr double Tol = 1e-10;

Tensor reg(std::vector<double> V) { return f64({3, 2}, std::move(V)); }

// Regression data: o, t, w (3 x 2).
const std::vector<double> O = {0.5, -1.0, 2.0, 0.25, -0.75, 1.5};
const std::vector<double> T = {1.0, -0.5, 1.5, 0.0, 0.0, 2.0};
const std::vector<double> W = {1.0, 0.0, 2.0, 0.5, 0.0, 3.0};

void expectLoss(LossHarness &H, const LossSpec &Spec, const Expr &Wrt,
                double Value, const std::vector<double> &Grad) {
  LossHarness::Result R = H.run(Spec, {Wrt});
  EXPECT_NEAR(R.Value, Value, Tol * std::max(1.0, std::fabs(Value)))
      << Spec.Form;
  expectValues(R.Grads[0], Grad, Tol);
}

TEST(Losses, MeanSquaredError) {
  LossHarness H, HW;
  Expr Out = H.output("out", reg(O));
  H.target(reg(T));
  expectLoss(H, "mse", Out, 0.2708333333333333,
             {-0.16666666666666666, -0.16666666666666666, 0.16666666666666666,
              0.08333333333333333, -0.25, -0.16666666666666666});
  Expr OutW = HW.output("out", reg(O));
  HW.target(reg(T));
  HW.weights(reg(W));
  expectLoss(HW, "MeanSquaredError", OutW, 0.23557692307692307,
             {-0.15384615384615385, 0, 0.3076923076923077,
              0.038461538461538464, 0, -0.46153846153846156});
}

TEST(Losses, MeanAbsoluteError) {
  LossHarness H, HW;
  Expr Out = H.output("out", reg(O));
  H.target(reg(T));
  expectLoss(H, "MAE", Out, 0.5,
             {-1.0 / 6, -1.0 / 6, 1.0 / 6, 1.0 / 6, -1.0 / 6, -1.0 / 6});
  Expr OutW = HW.output("out", reg(O));
  HW.target(reg(T));
  HW.weights(reg(W));
  expectLoss(HW, "meanAbsoluteError", OutW, 0.4807692307692308,
             {-0.15384615384615385, 0, 0.3076923076923077,
              0.07692307692307693, 0, -0.46153846153846156});
}

// Classification data: logits z (4 x 3), labels, row weights.
const std::vector<double> Z = {1.0, 2.0, 0.5,  0.0, -1.0, 3.0,
                               2.0, 2.5, -0.5, 0.3, 0.2,  0.1};
Tensor logits() { return f64({4, 3}, Z); }
Tensor labels() { return tensor({4}, {1, 0, 2, 0}, DType::I32); }
Tensor rowWeights() { return f64({4}, {1.0, 3.0, 0.0, 0.5}); }

TEST(Losses, CrossEntropyOfSoftmax) {
  for (const char *Name : {"xe", "crossentropy", "CrossEntropy"}) {
    LossHarness H;
    Expr Zi = H.output("out", logits(), /*Softmax=*/true);
    H.target(labels());
    LossHarness::Result R = H.run(Name, {Zi});
    EXPECT_NEAR(R.Value, 2.0091981096092253, Tol);
    expectValues(R.Grads[0],
                 {0.05780597440553727, -0.09286707019705939,
                  0.03506109579152212, -0.23834684435550652,
                  0.004286956386380098, 0.23405988796912644,
                  0.09154805407045005, 0.15093722403715645,
                  -0.2424852781076065, -0.1582086497222686,
                  0.08305624838333682, 0.07515240133893182},
                 Tol);
    EXPECT_EQ(R.Accuracy, 0.5);
  }
  LossHarness HW;
  Expr Zi = HW.output("out", logits(), true);
  HW.target(labels());
  HW.weights(rowWeights());
  LossHarness::Result R = HW.run("xe", {Zi});
  EXPECT_NEAR(R.Value, 2.2584426487766347, Tol);
  expectValues(R.Grads[0],
               {0.05138308836047758, -0.08254850684183057, 0.031165418481352996,
                -0.6355915849480174, 0.011431883697013595, 0.6241597012510038,
                0, 0, 0, -0.07031495543211938, 0.03691388817037192,
                0.03340106726174748},
               Tol);
  EXPECT_NEAR(R.Accuracy, 1.0 / 3, Tol);
}

TEST(Losses, CrossEntropyIsFusedBySoftmaxXent) {
  LossHarness H;
  H.output("out", logits(), true);
  H.target(labels());
  std::shared_ptr<Loss> L = makeLoss("xe");
  TensorMap A;
  H.F.output("loss", L->build(H.inputs(*L, A)));
  std::string Opt = printGraph(H.F.optimized());
  EXPECT_NE(Opt.find("softmax_xent"), std::string::npos) << Opt;
  EXPECT_EQ(Opt.find(" log("), std::string::npos) << Opt;
}

/// The softmax probabilities of logits(), computed with numpy.
Tensor probabilities() {
  LossHarness H;
  Function F("p", DType::F64);
  Expr Zi = F.input("z", {4, 3});
  F.output("p", softmax(Zi));
  TensorMap A{{"z", tensor({4, 3}, Z, DType::F64)}};
  return F.run(A).at("p");
}

TEST(Losses, HingeWithMargins) {
  struct Case {
    LossSpec Spec;
    double Value, WeightedValue;
    std::vector<double> Grad, WeightedGrad;
  };
  std::vector<Case> Cases = {
      {"hinge", 1.257767177177598, 1.5009117250038206,
       {0.25, -0.25, 0, -0.25, 0, 0.25, 0, 0.25, -0.25, -0.25, 0.25, 0},
       {2.0 / 9, -2.0 / 9, 0, -2.0 / 3, 0, 2.0 / 3, 0, 0, 0, -1.0 / 9,
        1.0 / 9, 0}},
      {LossSpec("Hinge").option("margin", 0.25), 0.5445941325750014,
       0.7836467964681791,
       {0, 0, 0, -0.25, 0, 0.25, 0, 0.25, -0.25, -0.25, 0.25, 0},
       {0, 0, 0, -2.0 / 3, 0, 2.0 / 3, 0, 0, 0, -1.0 / 9, 1.0 / 9, 0}}};
  for (const Case &C : Cases) {
    LossHarness H, HW;
    Expr P = H.output("out", probabilities());
    H.target(labels());
    expectLoss(H, C.Spec, P, C.Value, C.Grad);
    Expr PW = HW.output("out", probabilities());
    HW.target(labels());
    HW.weights(rowWeights());
    expectLoss(HW, C.Spec, PW, C.WeightedValue, C.WeightedGrad);
    EXPECT_NEAR(HW.run(C.Spec).Accuracy, 1.0 / 3, Tol);
  }
}

// KL data: logits (3 x 4), target distributions (with zeros), weights.
Tensor klLogits() {
  return f64({3, 4}, {0.5, -0.5, 1.0, 0.0, 2.0, 0.0, -1.0, 0.5, 0.1, 0.2,
                         0.3, 0.4});
}
Tensor klTarget() {
  return f64({3, 4}, {0.25, 0.25, 0.5, 0.0, 0.7, 0.1, 0.1, 0.1, 0.0, 0.0,
                         0.0, 1.0});
}
Tensor klWeights() {
  return f64({3, 4}, {1.0, 2.0, 0.0, 1.0, 0.5, 0.5, 0.5, 0.5, 1.0, 0.0,
                         3.0, 1.0});
}

TEST(Losses, KullbackLeiblerOfSoftmaxAndOfProbabilities) {
  const double Value = 0.12850458533733913, WValue = 0.15402450538693088;
  for (const char *Name : {"kl", "KLD", "KullbackLeiblerDivergence"}) {
    LossHarness H;
    Expr Zi = H.output("out", klLogits(), true);
    H.target(klTarget());
    expectLoss(H, Name, Zi, Value,
               {0.002167028725549469, -0.012371972992370682,
                -0.0037454805063823946, 0.013950424773203613,
                0.000841660240514519, -0.0003248688174919007,
                -0.005387183882604262, 0.00487039245958164,
                0.017819851697165368, 0.019693981860128138,
                0.021765216012922962, -0.05927904957021648});
  }
  LossHarness HW;
  Expr Zi = HW.output("out", klLogits(), true);
  HW.target(klTarget());
  HW.weights(klWeights());
  expectLoss(HW, "kl", Zi, WValue,
             {-0.003908794679095889, -0.038531614266485104,
              0.031026425040232584, 0.011413983905348412,
              0.0004590874039170104, -0.00017720117317740038,
              -0.002938463935965961, 0.0026565777052263494,
              0.019439838215089492, 0.021484343847412515,
              0.023743872014097778, -0.0646680540765998});
  // The same losses on the probabilities themselves (no softmax to lift).
  Function F("p", DType::F64);
  Expr Zf = F.input("z", {3, 4});
  F.output("p", softmax(Zf));
  TensorMap A{{"z", klLogits()}};
  Tensor P = F.run(A).at("p");
  LossHarness HP, HPW;
  Expr Pi = HP.output("out", P);
  HP.target(klTarget());
  expectLoss(HP, "kl", Pi, Value,
             {-0.07548190357467092, -0.20518108686452577,
              -0.09156417754302106, 0, -0.08214806318558619,
              -0.08671380675668518, -0.2357125651832065, -0.05259458241832607,
              0, 0, 0, -0.2886988659829716});
  Expr PWi = HPW.output("out", P);
  HPW.target(klTarget());
  HPW.weights(klWeights());
  expectLoss(HPW, "kl", PWi, WValue,
             {-0.08234389480873192, -0.44766782588623805, 0, 0,
              -0.0448080344648652, -0.047298440049101005,
              -0.12857049009993082, -0.028687954046359675, 0, 0, 0,
              -0.314944217435969});
}

TEST(Losses, GaussianLogLikelihood) {
  const std::vector<double> Covar = {0.5, 1.0, -0.25, 2.0, 0.1, 0.75};
  for (bool Weighted : {false, true}) {
    LossHarness H;
    Expr Mu = H.output("mean", reg(O));
    Expr C = H.output("covar", reg(Covar));
    H.target(reg(T));
    if (Weighted)
      H.weights(reg(W));
    LossHarness::Result R = H.run("GaussianLogLikelihood", {Mu, C});
    if (!Weighted) {
      EXPECT_NEAR(R.Value, 2.457945337248589, Tol);
      expectValues(R.Grads[0],
                   {-0.332667997338656, -0.16650016650016652,
                    0.6640106241699867, 0.04164584374479427,
                    -2.4752475247524752, -0.22192632046160676},
                   Tol);
      expectValues(R.Grads[1],
                   {0.16666600265868792, 0.12491670833329176,
                    -0.0026454606540637173, 0.08069012303776481,
                    -7.540110446688232, 0.1480493828911651},
                   Tol);
    } else {
      EXPECT_NEAR(R.Value, 1.76669864957062, Tol);
      expectValues(R.Grads[0],
                   {-0.3070781513895286, 0, 1.225865767698437,
                    0.01922115865144351, 0, -0.6145651951244495},
                   Tol);
      expectValues(R.Grads[1],
                   {0.15384554091571193, 0, -0.0048839273613484014,
                    0.037241595248199144, 0, 0.4099829064678418},
                   Tol);
    }
  }
  // Options: other output names and covar_eps.
  LossHarness H;
  H.output("mu", reg(O));
  H.output("var", reg(Covar));
  H.target(reg(T));
  LossSpec Spec = LossSpec("gll")
                      .option("mean_name", "mu")
                      .option("covar_name", "var:out")
                      .option("covar_eps", 0.5);
  EXPECT_NEAR(H.run(Spec).Value, 2.281025682255805, Tol);
}

TEST(Losses, MaximumMeanDiscrepancy) {
  struct Case {
    LossSpec Spec;
    double Value, WeightedValue;
    std::vector<double> Grad, WeightedGrad;
  };
  std::vector<Case> Cases = {
      {"mmd", 0.333880205400821, 0.461201384215593,
       {-0.18040846543598352, -0.18233832801976438, 0.24164162385337581,
        0.13828150101251074, -0.1488912742910325, -0.09791440694185384},
       {-0.34055133888797273, -0.3460063704102104, 0.625907988884104,
        0.3537998294595762, 0, 0}},
      {LossSpec("MaximumMeanDiscrepancy").option("kernel", 2.0),
       0.17964517555025533, 0.2269147778148486,
       {-0.12323725598121693, -0.12235675546113442, 0.15386415990217425,
        0.07405351605530956, -0.12335541285560606, -0.06647240212711243},
       {-0.22540476967546694, -0.24375498332214873, 0.3799847385341084,
        0.20981457922944552, 0, 0}}};
  for (const Case &C : Cases) {
    LossHarness H, HW;
    Expr Oi = H.output("out", reg(O));
    H.target(reg(T));
    expectLoss(H, C.Spec, Oi, C.Value, C.Grad);
    Expr OWi = HW.output("out", reg(O));
    HW.target(reg(T));
    // The last row's weights are all zero: the row is removed.
    HW.weights(reg({1.0, 1.0, 2.0, 0.5, 0.0, 0.0}));
    expectLoss(HW, C.Spec, OWi, C.WeightedValue, C.WeightedGrad);
  }
}

TEST(Losses, GradientsAgreeWithFiniteDifferences) {
  for (bool Weighted : {false, true}) {
    for (const char *Name : {"mse", "mae", "mmd"}) {
      LossHarness H;
      Expr Oi = H.output("out", reg(O));
      H.target(reg(T));
      if (Weighted)
        H.weights(reg(W));
      EXPECT_LT(H.check(Name, {Oi}).MaxError, 1e-7) << Name;
    }
    for (const char *Name : {"xe", "hinge"}) {
      LossHarness H;
      Expr Zi = H.output("out", logits(), true);
      H.target(labels());
      if (Weighted)
        H.weights(rowWeights());
      EXPECT_LT(H.check(Name, {Zi}).MaxError, 1e-7) << Name;
    }
    LossHarness K;
    Expr Zi = K.output("out", klLogits(), true);
    K.target(klTarget());
    if (Weighted)
      K.weights(klWeights());
    EXPECT_LT(K.check("kl", {Zi}).MaxError, 1e-7);
  }
}

} // namespace
} // namespace netjit
