//===- regularizers_test.cpp - Penalties, dropout, noise, initialisation --===//
//
// Penalty values were computed with numpy on the 2-3-2 model of
// model_test.cpp: weight_l2 = ((W1**2).mean() + (W2**2).mean()) / 2 =
// 0.458333..., weight_l1 = 0.625, hidden_l1 = abs(relu(X W1 + b1)).mean() =
// 0.608333...
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "test_util.h"

#include <cmath>

namespace netjit {
namespace {

using test::tensor;
using ::testing::HasSubstr;

void setParams(Network &N) {
  N.find("hid1", "w") = tensor({2, 3}, {0.5, -0.25, 1.0, 0.75, 0.5, -0.5});
  N.find("hid1", "b") = tensor({3}, {0.1, -0.2, 0.0});
  N.find("out", "w") = tensor({3, 2}, {1.0, -0.5, 0.25, 0.75, -1.0, 0.5});
  N.find("out", "b") = tensor({2}, {0.05, -0.1});
}

TEST(Regularizers, PenaltyTerms) {
  Regressor N({2, 3, 2});
  setParams(N);
  TensorMap Batch{{"in", tensor({4, 2}, {1, 2, -1, 0.5, 0.5, -1, 2, 1})},
                  {"target", tensor({4, 2}, {1, 0, 0, 1, -1, 0.5, 2, -1})}};
  Regularizers R{.WeightL1 = 2, .WeightL2 = 3, .HiddenL1 = 0.5};
  TensorMap M = N.evaluate(Batch, R);
  EXPECT_NEAR(M.at("weight_l2").at(0), 3 * 0.45833333333333337, 1e-6);
  EXPECT_NEAR(M.at("weight_l1").at(0), 2 * 0.625, 1e-6);
  EXPECT_NEAR(M.at("hidden_l1").at(0), 0.5 * 0.6083333333333334, 1e-6);
  EXPECT_NEAR(M.at("loss").at(0),
              0.7601171875 + 3 * 0.45833333333333337 + 2 * 0.625 +
                  0.5 * 0.6083333333333334,
              1e-6);
  EXPECT_NEAR(M.at("err").at(0), 0.7601171875, 1e-6);
  // A pattern that selects only the output weights.
  Regularizers Out{.WeightL2 = 1, .WeightPattern = "out.*"};
  EXPECT_NEAR(N.evaluate(Batch, Out).at("weight_l2").at(0),
              (1 + 0.25 + 0.0625 + 0.5625 + 1 + 0.25) / 6, 1e-6);
}

/// The dropout mask of an output: 1 where kept, 0 where dropped.
std::vector<int> mask(const Tensor &T) {
  std::vector<int> M;
  for (int64_t I = 0; I < T.numel(); ++I)
    M.push_back(T.at(I) != 0);
  return M;
}

TEST(Regularizers, DropoutScalesKeepsAndDrawsPerSiteAndStep) {
  Network N({64, 64, 64}, {.Seed = 7});
  Tensor X(DType::F32, {32, 64});
  for (int64_t I = 0; I < X.numel(); ++I)
    X.set(I, 1.0 + (I % 7) * 0.125); // no zeros: a zero means dropped
  Regularizers R{.Dropout = {{"*:out", 0.25}}};
  TensorMap A = N.feed_forward(X, R);
  const Tensor &In = A.at("in:out"), &Pre = A.at("in:out-predrop");
  int64_t Kept = 0;
  for (int64_t I = 0; I < In.numel(); ++I)
    if (In.at(I) != 0) {
      ++Kept;
      EXPECT_FLOAT_EQ(In.at(I), Pre.at(I) / 0.75f);
    }
  EXPECT_NEAR(double(Kept) / In.numel(), 0.75, 0.03); // 2048 draws
  // Every site draws its own mask, and the next call draws new ones.
  EXPECT_NE(mask(In), mask(A.at("out:out")));
  TensorMap B = N.feed_forward(X, R);
  EXPECT_NE(mask(In), mask(B.at("in:out")));
  // Without regularizers the model is deterministic.
  EXPECT_EQ(test::values(N.predict(X)), test::values(N.predict(X)));
  EXPECT_THAT(N.ir(GraphStage::Loss, R),
              HasSubstr("update %step = "));
  EXPECT_THAT(N.ir(GraphStage::Loss),
              ::testing::Not(HasSubstr("random_uniform")));
}

TEST(Regularizers, NoiseAndKinds) {
  Network N({256, 8, 4});
  Tensor X(DType::F32, {64, 256});
  Regularizers R{.HiddenDropout = 0.5, .InputNoise = 0.5};
  TensorMap A = N.feed_forward(X, R);
  const Tensor &Noisy = A.at("in:out");
  double Sum = 0, Sq = 0;
  for (int64_t I = 0; I < Noisy.numel(); ++I) {
    Sum += Noisy.at(I);
    Sq += Noisy.at(I) * Noisy.at(I);
  }
  double Mean = Sum / Noisy.numel();
  EXPECT_NEAR(Mean, 0, 0.02);
  EXPECT_NEAR(std::sqrt(Sq / Noisy.numel() - Mean * Mean), 0.5, 0.02);
  EXPECT_TRUE(A.count("in:out-prenoise") && A.count("hid1:out-predrop"));
  EXPECT_FALSE(A.count("out:out-predrop") || A.count("hid1:out-prenoise"));
  EXPECT_THROW(N.feed_forward(X, Regularizers{.OutputDropout = 1.0}),
               TypeError);
}

//===----------------------------------------------------------------------===//
// Initialisation
//===----------------------------------------------------------------------===//

double stdOf(const Tensor &T, double *MeanOut = nullptr) {
  double S = 0, Q = 0;
  for (int64_t I = 0; I < T.numel(); ++I) {
    S += T.at(I);
    Q += T.at(I) * T.at(I);
  }
  double M = S / T.numel();
  if (MeanOut)
    *MeanOut = M;
  return std::sqrt(Q / T.numel() - M * M);
}

TEST(Init, TheanetsDefaultsFromOneSeed) {
  Regressor N({200, 300, 300, 2});
  EXPECT_NEAR(stdOf(N.find("hid1", "w")), 1 / std::sqrt(500.0), 0.002);
  EXPECT_EQ(stdOf(N.find("hid1", "b")), 0); // zero biases
  EXPECT_EQ(N.find("hid1", "b").at(0), 0);
  // Same-shaped layers start different; the same seed gives the same model.
  EXPECT_NE(N.find("hid2", "b").at(0) + N.find("hid2", "w").at(0),
            N.find("hid1", "w").at(0));
  Regressor Same({200, 300, 300, 2}), Other({200, 300, 300, 2}, {.Seed = 14});
  EXPECT_EQ(test::values(Same.find("hid2", "w")),
            test::values(N.find("hid2", "w")));
  EXPECT_NE(test::values(Other.find("hid2", "w")),
            test::values(N.find("hid2", "w")));
}

TEST(Init, Options) {
  Regressor N({100,
               LayerSpec(100).option("std", 0.5).option("mean", 2.0)
                   .option("std_b", 1.0),
               LayerSpec(100).option("sparsity", 0.9),
               LayerSpec(100).option("diagonal", 3.0),
               LayerSpec(50).option("radius", 1.5), 2});
  double Mean;
  EXPECT_NEAR(stdOf(N.find("hid1", "w"), &Mean), 0.5, 0.01);
  EXPECT_NEAR(Mean, 2.0, 0.01);
  EXPECT_NEAR(stdOf(N.find("hid1", "b")), 1.0, 0.2);
  const Tensor &S = N.find("hid2", "w");
  int64_t Zeros = 0;
  for (int64_t I = 0; I < 100; ++I)
    for (int64_t J = 0; J < 100; ++J) {
      if (I == J)
        EXPECT_NE(S.at(I * 100 + J), 0); // the diagonal stays
      else
        Zeros += S.at(I * 100 + J) == 0;
    }
  EXPECT_NEAR(Zeros / 9900.0, 0.9, 0.02);
  const Tensor &D = N.find("hid3", "w");
  for (int64_t I = 0; I < 100 * 100; ++I)
    EXPECT_EQ(D.at(I), I / 100 == I % 100 ? 3.0 : 0.0);
  // The largest singular value of hid4.w (by power iteration on W^T W).
  const Tensor &W = N.find("hid4", "w");
  std::vector<double> V(50, 1.0), U(100);
  double Sigma = 0;
  for (int It = 0; It < 500; ++It) {
    for (int I = 0; I < 100; ++I) {
      U[I] = 0;
      for (int J = 0; J < 50; ++J)
        U[I] += W.at(I * 50 + J) * V[J];
    }
    double Norm = 0;
    for (int J = 0; J < 50; ++J) {
      V[J] = 0;
      for (int I = 0; I < 100; ++I)
        V[J] += W.at(I * 50 + J) * U[I];
      Norm += V[J] * V[J];
    }
    Sigma = std::sqrt(std::sqrt(Norm));
    for (double &X : V)
      X /= std::sqrt(Norm);
  }
  EXPECT_NEAR(Sigma, 1.5, 1e-4);
}

} // namespace
} // namespace netjit
