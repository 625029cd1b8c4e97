//===- custom_loss_test.cpp - The loss registry, custom losses, bad input -===//
#include "loss_harness.h"
#include "step_loss.h"

namespace netjit {
namespace {

using test::errorOf;
using test::LossHarness;
using test::tensor;
using ::testing::HasSubstr;

Tensor reg(std::vector<double> V) {
  return tensor({3, 2}, std::move(V), DType::F64);
}
const std::vector<double> O = {0.5, -1.0, 2.0, 0.25, -0.75, 1.5};

TEST(CustomLoss, StepByNameUnweightedAndWeighted) {
  test::registerStepLosses();
  LossHarness H;
  H.output("out", reg(O));
  H.target(reg(O));
  // 4 of the 6 outputs are above zero.
  EXPECT_DOUBLE_EQ(H.run("Step").Value, 4.0 / 6);
  LossHarness HW;
  HW.output("out", reg(O));
  HW.target(reg(O));
  HW.weights(reg({1.0, 0.0, 2.0, 0.5, 0.25, 3.0}));
  // (1 + 2 + 0.5 + 3) / 6.75
  EXPECT_DOUBLE_EQ(HW.run("step").Value, 6.5 / 6.75);
}

TEST(CustomLoss, RegistryNamesAndAliases) {
  test::registerStepLosses();
  std::vector<std::string> Names = lossNames();
  for (const char *N :
       {"crossentropy", "gaussianloglikelihood", "gll", "hinge", "kl", "kld",
        "kullbackleiblerdivergence", "mae", "maximummeandiscrepancy",
        "meanabsoluteerror", "meansquarederror", "mmd", "mse", "step", "xe"})
    EXPECT_NE(std::find(Names.begin(), Names.end(), N), Names.end()) << N;
  EXPECT_EQ(makeLoss("MeanSquaredError")->name(), "meansquarederror");
  std::shared_ptr<Loss> L = makeLoss(LossSpec("mae").weight(2).output("hid1"));
  EXPECT_EQ(L->weight(), 2);
  L->setWeight(0.5);
  EXPECT_EQ(L->weight(), 0.5);
  EXPECT_EQ(L->outputName(), "hid1");
  EXPECT_EQ(L->targetName(), "");
  EXPECT_EQ(makeLoss(LossSpec("xe").target("labels"))->targetName(), "labels");
  EXPECT_EQ(makeLoss(L).get(), L.get()); // an object is used as it is
  EXPECT_TRUE(makeLoss("xe")->hasAccuracy());
  EXPECT_TRUE(makeLoss("hinge")->hasAccuracy());
  EXPECT_FALSE(makeLoss("mse")->hasAccuracy());
}

TEST(CustomLoss, BadNamesAndOptions) {
  test::registerStepLosses();
  EXPECT_THAT(errorOf([] { makeLoss("msee"); }),
              HasSubstr("unknown loss 'msee' (known: crossentropy, "));
  EXPECT_THAT(errorOf([] { makeLoss(LossSpec("mse").option("margin", 1.0)); }),
              HasSubstr("loss 'mse' has no option 'margin' (it takes none)"));
  EXPECT_THAT(
      errorOf([] { makeLoss(LossSpec("hinge").option("margn", 1.0)); }),
      HasSubstr("loss 'hinge' has no option 'margn' (options: margin)"));
  EXPECT_THAT(
      errorOf([] { makeLoss(LossSpec("hinge").option("margin", "big")); }),
      HasSubstr("option 'margin' must be a number"));
  EXPECT_THAT(errorOf([] { registerLoss<test::Step>("MSE"); }),
              HasSubstr("loss name 'mse' is already registered"));
  EXPECT_THAT(errorOf([] { registerLoss<test::Step>("fresh", {"xe"}); }),
              HasSubstr("loss name 'xe' is already registered"));
  // The failed registration added nothing.
  EXPECT_THAT(errorOf([] { makeLoss("fresh"); }), HasSubstr("unknown loss"));
}

TEST(CustomLoss, WeightedModelNeedsAWeightedBranch) {
  test::registerStepLosses();
  LossHarness H;
  H.output("out", reg(O));
  H.target(reg(O));
  H.weights(reg({1, 1, 1, 1, 1, 1}));
  EXPECT_THAT(errorOf([&] { H.run("unweighted_step"); }),
              HasSubstr("loss 'unweighted_step' has no weighted branch, so a "
                        "weighted model cannot use it"));
  LossHarness U;
  U.output("out", reg(O));
  U.target(reg(O));
  EXPECT_DOUBLE_EQ(U.run("unweighted_step").Value, 4.0 / 6);
}

TEST(CustomLoss, MissingOutputsAndBadResults) {
  LossHarness H;
  H.output("out", reg(O));
  H.target(reg(O));
  EXPECT_THAT(errorOf([&] { H.run("gll"); }),
              HasSubstr("the model has no output 'mean:out' (outputs: "
                        "out:out)"));
  struct NotScalar : Loss {
    using Loss::Loss;
    Expr compute(const LossInputs &In) const override { return In.output(); }
  };
  NotScalar Bad("notscalar");
  EXPECT_THAT(errorOf([&] { H.run(Bad); }),
              HasSubstr("loss 'notscalar' must give a float scalar, got "
                        "f64[3,2]"));
  EXPECT_THAT(errorOf([&] { makeLoss("mse")->accuracy(LossInputs({}, "")); }),
              HasSubstr("loss 'mse' is not a classification loss"));
}

TEST(CheckWeights, BadWeightsAreClearErrors) {
  Tensor Good = tensor({2, 2}, {1, 0, 0.5, 2});
  EXPECT_NO_THROW(check_weights(Good, {2, 2}));
  EXPECT_THAT(errorOf([&] { check_weights(Good, {2, 3}); }),
              HasSubstr("'weights': weights of shape [2,2] do not match the "
                        "target's shape [2,3]"));
  EXPECT_THAT(
      errorOf([] { check_weights(tensor({3}, {1, -1, 2}), {3}); }),
      HasSubstr("weight -1.000000 at index 1 is negative or NaN"));
  EXPECT_THAT(errorOf([] { check_weights(tensor({3}, {1, NAN, 2}), {3}); }),
              HasSubstr("at index 1 is negative or NaN"));
  EXPECT_THAT(errorOf([] { check_weights(tensor({2}, {0, 0}), {2}, "w"); }),
              HasSubstr("'w': the weights sum to 0.000000"));
  EXPECT_THROW(check_weights(tensor({2}, {0, 0}), {2}), RuntimeError);
}

TEST(CheckGrad, UsersTestACustomLoss) {
  // A smooth custom loss (log-cosh) checked the way docs/guide.md shows.
  struct LogCosh : Loss {
    using Loss::Loss;
    Expr compute(const LossInputs &In) const override {
      Expr E = In.output() - In.target();
      return mean(log((exp(E) + exp(-E)) * 0.5));
    }
  };
  LossHarness H;
  Expr Out = H.output("out", reg(O));
  H.target(reg({1, 0, 0.5, 0.5, -1, 2}));
  LogCosh L("logcosh");
  TensorMap A;
  LossInputs In = H.inputs(L, A);
  A["o_out"] = reg(O);
  GradCheckResult R = check_grad(L.build(In), {Out}, A);
  EXPECT_EQ(R.Checked, 6u);
  EXPECT_LT(R.MaxError, 1e-8) << R.Worst;
}

} // namespace
} // namespace netjit
