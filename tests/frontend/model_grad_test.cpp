//===- model_grad_test.cpp - Model gradients against finite differences ---===//
//
// Every model type, weighted and not, with parameterised activations and
// regularizers: the gradient of the objective w.r.t. every parameter
// (autodiff through the default pipeline) against central differences, in
// f64 (Network::check_grad).
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "test_util.h"

namespace netjit {
namespace {

using test::tensor;

using test::data;

Tensor positive(std::vector<int64_t> Shape, uint32_t Seed) {
  Tensor W = data(Shape, Seed);
  for (int64_t I = 0; I < W.numel(); ++I)
    W.set(I, std::fabs(W.at(I)) + 0.1);
  return W;
}

const double Tol = 1e-6;

TEST(ModelGrad, Regressor) {
  for (bool Weighted : {false, true}) {
    Regressor N({3, {4, "tanh"}, {5, "prelu"}, {2, "maxout:2"}},
                {.Loss = "mse", .Weighted = Weighted,
                 .FloatType = DType::F64});
    N.add_loss(LossSpec("mae").weight(0.5));
    TensorMap Batch{{"in", data({5, 3}, 1)}, {"target", data({5, 2}, 2)}};
    if (Weighted)
      Batch["weights"] = positive({5, 2}, 3);
    GradCheckResult R = N.check_grad(Batch);
    EXPECT_EQ(R.Checked, 12u + 4 + 20 + 5 + 5 + 10 + 2 + 4 + 4);
    EXPECT_LT(R.MaxError, Tol) << R.Worst;
  }
}

TEST(ModelGrad, ClassifierWithRegularizers) {
  for (bool Weighted : {false, true}) {
    Classifier N({3, {4, "lgrelu"}, {3, "elu"}, 3},
                 {.Weighted = Weighted, .FloatType = DType::F64});
    N.add_loss(LossSpec("hinge").target("target").weight(0.25));
    Regularizers R{.WeightL1 = 0.1, .WeightL2 = 0.01, .HiddenL1 = 0.05};
    TensorMap Batch{{"in", data({6, 3}, 4)},
                    {"target", tensor({6}, {0, 2, 1, 1, 0, 2}, DType::I32)}};
    if (Weighted)
      Batch["weights"] = positive({6}, 5);
    GradCheckResult G = N.check_grad(Batch, R);
    EXPECT_LT(G.MaxError, Tol) << G.Worst;
  }
}

TEST(ModelGrad, AutoencoderTiedWithNoiseAndDropout) {
  for (bool Weighted : {false, true}) {
    Autoencoder N({4, {3, "softplus"}, {4, "tied"}},
                  {.Weighted = Weighted, .FloatType = DType::F64});
    // The random draws are the same in every evaluation of one check, so
    // the noisy objective is a smooth function of the parameters.
    Regularizers R{.HiddenDropout = 0.25, .InputNoise = 0.1};
    TensorMap Batch{{"in", data({5, 4}, 6)}};
    if (Weighted)
      Batch["weights"] = positive({5, 4}, 7);
    GradCheckResult G = N.check_grad(Batch, R);
    EXPECT_EQ(G.Checked, 12u + 3 + 4);
    EXPECT_LT(G.MaxError, Tol) << G.Worst;
  }
}

TEST(ModelGrad, KlGllAndMmdOnAModel) {
  Network N({3, {4, "sigmoid"}, {4, "softmax"}},
            {.Loss = "kl", .FloatType = DType::F64});
  Tensor T = positive({5, 4}, 8);
  for (int64_t R = 0; R < 5; ++R) { // rows of t sum to 1
    double S = 0;
    for (int64_t K = 0; K < 4; ++K)
      S += T.at(R * 4 + K);
    for (int64_t K = 0; K < 4; ++K)
      T.set(R * 4 + K, T.at(R * 4 + K) / S);
  }
  N.add_loss(LossSpec("mmd").option("kernel", 2.0));
  EXPECT_LT(N.check_grad({{"in", data({5, 3}, 9)}, {"target", T}}).MaxError,
            Tol);
  Network G({3, LayerSpec(2, "linear").name("mean"),
             LayerSpec(2, "softplus").name("covar").inputs({"in"})},
            {.Loss = "gll", .FloatType = DType::F64});
  EXPECT_LT(G.check_grad({{"in", data({5, 3}, 10)},
                          {"target", data({5, 2}, 11)}})
                .MaxError,
            Tol);
}

} // namespace
} // namespace netjit
