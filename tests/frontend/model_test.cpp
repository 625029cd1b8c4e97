//===- model_test.cpp - The seed's examples as C++, model evaluation -------===//
//
// Models with hand-set parameters, checked against numpy (float64): the
// forward pass relu(X W1 + b1) W2 + b2 (softmax for the classifier), then
// each loss's formula of docs/losses.md on it, e.g.
//   mae = np.abs(o - Y).mean(); xe_w = np.sum(w * -np.log(p[range(4), t])) / w.sum()
// with the arrays written below.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "step_loss.h"
#include "test_util.h"

namespace netjit {
namespace {

using test::errorOf;
using test::expectValues;
using test::tensor;
using ::testing::HasSubstr;

constexpr double Tol = 1e-6; // f32 models

/// Sets the 2-3-2 parameters the numpy script uses.
void setParams(Network &N) {
  N.find("hid1", "w") = tensor({2, 3}, {0.5, -0.25, 1.0, 0.75, 0.5, -0.5});
  N.find("hid1", "b") = tensor({3}, {0.1, -0.2, 0.0});
  N.find("out", "w") = tensor({3, 2}, {1.0, -0.5, 0.25, 0.75, -1.0, 0.5});
  N.find("out", "b") = tensor({2}, {0.05, -0.1});
}

Tensor X() { return tensor({4, 2}, {1, 2, -1, 0.5, 0.5, -1, 2, 1}); }
Tensor Y() { return tensor({4, 2}, {1, 0, 0, 1, -1, 0.5, 2, -1}); }
Tensor Wr() { return tensor({4, 2}, {1, 0, 2, 1, 0.5, 0.5, 0, 3}); }

double monitor(const Network &N, const TensorMap &Batch, const char *Name) {
  return N.evaluate(Batch).at(Name).at(0);
}

TEST(Models, RegressorWithMaeAsTheSeedWritesIt) {
  Regressor Net({10, 20, 3}, {.Loss = "mae"});
  ASSERT_EQ(Net.losses().size(), 1u);
  EXPECT_EQ(Net.losses()[0]->name(), "mae");
  EXPECT_EQ(Net.layers().size(), 3u);
  EXPECT_EQ(Net.layers()[1]->name(), "hid1");
  EXPECT_EQ(Net.params(), (std::vector<std::string>{"hid1.w", "hid1.b",
                                                    "out.w", "out.b"}));
  EXPECT_EQ(Net.find("hid1", "w").shape(), (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(Net.variables(), (std::vector<std::string>{"in", "target"}));
}

TEST(Models, AddLossWeightsAndSetLoss) {
  Regressor Net({2, 3, 2}, {.Loss = "mae"});
  setParams(Net);
  TensorMap Batch{{"in", X()}, {"target", Y()}};
  expectValues(Net.predict(X()), {2.2875, -0.7375, 0.125, 0.125, -0.95, 0.4,
                                  0.4, -0.275});
  EXPECT_NEAR(monitor(Net, Batch, "loss"), 0.6875, Tol);
  Net.add_loss("mse");
  ASSERT_EQ(Net.losses().size(), 2u);
  EXPECT_EQ(Net.losses()[1]->name(), "mse");
  EXPECT_NEAR(monitor(Net, Batch, "loss"), 0.6875 + 0.7601171875, Tol);
  // To make the MAE (losses()[0], added first) twice as strong as the MSE:
  Net.losses()[0]->setWeight(2);
  TensorMap M = Net.evaluate(Batch);
  EXPECT_NEAR(M.at("loss").at(0), 2.1351171875, Tol); // 2 mae + mse
  EXPECT_NEAR(M.at("err").at(0), 0.6875, Tol);       // the first loss alone
  EXPECT_NEAR(M.at("mae").at(0), 0.6875, Tol);
  EXPECT_NEAR(M.at("mse").at(0), 0.7601171875, Tol);
  Net.set_loss(LossSpec("mse").weight(1));
  ASSERT_EQ(Net.losses().size(), 1u);
  EXPECT_NEAR(monitor(Net, Batch, "loss"), 0.7601171875, Tol);
  EXPECT_NEAR(Net.score(X(), Y()), 0.18581589958159006, Tol);
  EXPECT_NEAR(Net.score(X(), Y(), Wr()), 0.4382391304347826, Tol);
}

TEST(Models, WeightedRegressor) {
  Regressor Net({2, 3, 2}, {.Loss = "mae", .Weighted = true});
  setParams(Net);
  Net.add_loss("mse");
  EXPECT_EQ(Net.variables(),
            (std::vector<std::string>{"in", "target", "weights"}));
  TensorMap M = Net.evaluate({{"in", X()}, {"target", Y()}, {"weights", Wr()}});
  EXPECT_NEAR(M.at("mae").at(0), 0.5828125, Tol);
  EXPECT_NEAR(M.at("mse").at(0), 0.50470703125, Tol);
}

TEST(Models, WeightedClassifierWithARareClass) {
  Classifier Net({2, 3, 2}, {.Weighted = true});
  setParams(Net);
  EXPECT_EQ(Net.losses()[0]->name(), "xe");
  Tensor Labels = tensor({4}, {0, 1, 0, 0}, DType::I32);
  Tensor W = tensor({4}, {1, 10, 1, 1}); // class 1 is rare: weight it up
  TensorMap M =
      Net.evaluate({{"in", X()}, {"target", Labels}, {"weights", W}});
  EXPECT_NEAR(M.at("loss").at(0), 0.6900728404867412, Tol);
  EXPECT_NEAR(M.at("acc").at(0), 0.15384615384615385, Tol);
  expectValues(Net.predict_proba(X()),
               {0.9536908501514997, 0.046309149848500375, 0.5, 0.5,
                0.20587037180094733, 0.7941296281990528, 0.6626218371700825,
                0.3373781628299175},
               Tol);
  expectValues(Net.predict_logit(X()), {2.2875, -0.7375, 0.125, 0.125, -0.95,
                                        0.4, 0.4, -0.275});
  Tensor P = Net.predict(X());
  EXPECT_EQ(P.dtype(), DType::I64);
  expectValues(P, {0, 0, 1, 0});
  EXPECT_NEAR(Net.score(X(), Labels), 0.5, Tol);
  EXPECT_NEAR(Net.score(X(), Labels, W), 0.15384615384615385, Tol);
  Classifier Plain({2, 3, 2});
  setParams(Plain);
  EXPECT_NEAR(monitor(Plain, {{"in", X()}, {"target", Labels}}, "loss"),
              0.6831555753220321, Tol);
}

TEST(Models, AutoencoderCompletesAMatrixWithZeroOneWeights) {
  Autoencoder Net({3, 2, 3}, {.Weighted = true});
  Net.find("hid1", "w") = tensor({3, 2}, {0.5, -0.5, 0.25, 1.0, -0.75, 0.5});
  Net.find("hid1", "b") = tensor({2}, {0.1, 0.0});
  Net.find("out", "w") = tensor({2, 3}, {1.0, 0.5, -0.5, -0.25, 0.75, 1.0});
  Net.find("out", "b") = tensor({3}, {0.0, 0.1, -0.1});
  EXPECT_EQ(Net.variables(), (std::vector<std::string>{"in", "weights"}));
  Tensor Xa = tensor({4, 3}, {1, 0, 2, 0.5, 1.5, 0, 0, 0, 1, 2, -1, 0.5});
  // 0 marks the unknown entries: the loss ignores them.
  Tensor Known = tensor({4, 3}, {1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1});
  EXPECT_NEAR(monitor(Net, {{"in", Xa}, {"weights", Known}}, "loss"),
              1.027204861111111, Tol);
  expectValues(Net.encode(Xa), {0, 0.5, 0.725, 1.25, 0, 0.5, 0.475, 0});
  expectValues(Net.encode(Xa, "hid1"), {0, 0.5, 0.725, 1.25, 0, 0.5, 0.475, 0});
  expectValues(Net.decode(tensor({2, 2}, {1, 2, 0, -1})),
               {0.5, 2.1, 1.4, 0.25, -0.65, -1.1});
  EXPECT_NEAR(Net.score(Xa), -0.11517241379310339, Tol);
}

TEST(Models, StepCustomLossByName) {
  test::registerStepLosses();
  Regressor Net({2, 3, 2}, {.Loss = "step"});
  setParams(Net);
  EXPECT_NEAR(monitor(Net, {{"in", X()}, {"target", Y()}}, "loss"), 0.625,
              Tol);
  Regressor Weighted({2, 3, 2}, {.Loss = "Step", .Weighted = true});
  setParams(Weighted);
  EXPECT_NEAR(monitor(Weighted,
                      {{"in", X()}, {"target", Y()}, {"weights", Wr()}},
                      "loss"),
              0.5625, Tol);
  Net.add_loss("step"); // by name, like a built-in
  EXPECT_EQ(Net.losses()[1]->name(), "step");
  EXPECT_THAT(errorOf([] {
                Regressor Bad({2, 3, 2},
                              {.Loss = "unweighted_step", .Weighted = true});
              }),
              HasSubstr("loss 'unweighted_step' has no weighted branch"));
}

TEST(Models, LossObjectsAndOwnTargets) {
  Regressor Net({2, 3, 2}, {.Loss = makeLoss(LossSpec("mae").weight(3))});
  setParams(Net);
  EXPECT_EQ(Net.losses()[0]->weight(), 3);
  EXPECT_NEAR(monitor(Net, {{"in", X()}, {"target", Y()}}, "loss"),
              3 * 0.6875, Tol);
  // A second loss with its own (integer) target.
  Net.add_loss(LossSpec("xe").target("labels"));
  EXPECT_EQ(Net.variables(),
            (std::vector<std::string>{"in", "target", "labels"}));
  EXPECT_THAT(errorOf([&] { Net.add_loss("hinge"); }),
              HasSubstr("loss 'hinge' needs its data 'target' as i32[B], but "
                        "the model already reads 'target' as f32[B,2]"));
  EXPECT_EQ(Net.losses().size(), 2u); // the failed add left nothing behind
}

TEST(Models, BadDataIsAClearError) {
  Regressor Net({2, 3, 2}, {.Weighted = true});
  TensorMap Good{{"in", X()}, {"target", Y()}, {"weights", Wr()}};
  EXPECT_NO_THROW(Net.evaluate(Good));
  TensorMap B = Good;
  B.erase("weights");
  EXPECT_THAT(errorOf([&] { Net.evaluate(B); }),
              HasSubstr("missing data 'weights' (this graph reads: in, "
                        "target, weights)"));
  B = Good;
  B["weights"] = tensor({4}, {1, 1, 1, 1});
  EXPECT_THAT(errorOf([&] { Net.evaluate(B); }),
              HasSubstr("'weights': weights of shape [4] do not match the "
                        "target's shape [4,2]"));
  B["weights"] = tensor({4, 2}, {1, 1, -1, 1, 1, 1, 1, 1});
  EXPECT_THAT(errorOf([&] { Net.evaluate(B); }),
              HasSubstr("weight -1.000000 at index 2 is negative"));
  B["weights"] = tensor({4, 2}, {0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_THAT(errorOf([&] { Net.evaluate(B); }),
              HasSubstr("the weights sum to 0.000000"));
  B = Good;
  B["target"] = tensor({4, 2}, {1, 0, 0, 1, 1, 0, 0, 1}, DType::I32);
  EXPECT_THAT(errorOf([&] { Net.evaluate(B); }),
              HasSubstr("data 'target': expected f32 values, got i32[4,2]"));
  B = Good;
  B["target"] = tensor({4, 3}, std::vector<double>(12, 0.0));
  EXPECT_THROW(Net.evaluate(B), RuntimeError);
}

} // namespace
} // namespace netjit
