//===- contractive_test.cpp - The contractive penalty ---------------------===//
//
// contractive = weight · (1/|H|) Σ_h mean over rows of ‖∂h/∂x‖²_F, x the
// layer's own input. The value is checked against the full Jacobian taken
// by central differences: each hidden layer is rebuilt alone as a one-layer
// model with the same parameters, fed the input the big model gives it, and
// every element of that input is moved in turn (feed_forward, f64). The
// objective's gradient, which differentiates the penalty's own derivative
// once more, is checked against finite differences (check_grad).
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "test_util.h"

#include <cmath>

namespace netjit {
namespace {

using ::testing::HasSubstr;

const ModelOptions F64{.FloatType = DType::F64};

using test::data;

Tensor transposed(const Tensor &W) {
  int64_t R = W.shape()[0], C = W.shape()[1];
  Tensor Out(W.dtype(), {C, R});
  for (int64_t I = 0; I < R; ++I)
    for (int64_t J = 0; J < C; ++J)
      Out.set(J * R + I, W.at(I * C + J));
  return Out;
}

/// Σ over every entry of ∂h/∂z (z the layer's whole input batch, h its
/// whole output) of the entry², divided by the rows: the mean over rows of
/// ‖J‖²_F, by central differences. The layer is rebuilt alone (weights W,
/// its other parameters copied), so nothing of the penalty's code is used.
double finiteJacobianNorm(const Network &N, const TensorMap &Batch,
                          const std::string &Name, const Tensor &W) {
  const Layer &L = N.layer(Name);
  Tensor Z = N.feed_forward(Batch.at("in")).at(L.inputs().at(0));
  Regressor Alone({static_cast<int>(Z.shape().back()),
                   LayerSpec(static_cast<int>(L.size()), "feedforward",
                             L.activation()->name().c_str())},
                  F64);
  Alone.find("out", "w") = W;
  for (const std::string &P : L.params()) {
    std::string Suffix = P.substr(P.find('.') + 1);
    if (Suffix != "w")
      Alone.find("out", Suffix) = N.paramValues().at(P);
  }
  // The rebuilt layer computes what the model computes.
  test::expectValues(
      Alone.feed_forward(Z).at("out:out"),
      test::values(N.feed_forward(Batch.at("in")).at(Name + ":out")), 1e-12);
  const double H = 1e-5;
  double Sum = 0;
  for (int64_t K = 0; K < Z.numel(); ++K) {
    auto At = [&](double Delta) {
      Tensor Moved = Z;
      Moved.set(K, Z.at(K) + Delta);
      return Alone.feed_forward(Moved).at("out:out");
    };
    Tensor Up = At(H), Down = At(-H);
    for (int64_t J = 0; J < Up.numel(); ++J) {
      double D = (Up.at(J) - Down.at(J)) / (2 * H);
      Sum += D * D;
    }
  }
  return Sum / static_cast<double>(Z.shape()[0]);
}

double finiteJacobianNorm(const Network &N, const TensorMap &Batch,
                          const std::string &Name) {
  return finiteJacobianNorm(N, Batch, Name, N.paramValues().at(Name + ".w"));
}

/// The message of the TypeError Fn throws ("" and a failure otherwise).
template <class F> std::string typeErrorOf(F &&Fn) {
  try {
    Fn();
  } catch (const TypeError &E) {
    return E.what();
  } catch (const std::exception &E) {
    ADD_FAILURE() << "not a TypeError: " << E.what();
    return "";
  }
  ADD_FAILURE() << "expected a TypeError";
  return "";
}

void expectPenalty(const Network &N, const TensorMap &Batch,
                   const std::vector<double> &PerLayer) {
  double Mean = 0;
  for (double V : PerLayer) {
    ASSERT_GT(V, 1e-3); // the term is not trivially zero
    Mean += V / static_cast<double>(PerLayer.size());
  }
  TensorMap M = N.evaluate(Batch, Regularizers{.Contractive = 0.5});
  EXPECT_NEAR(M.at("contractive").at(0), 0.5 * Mean, 1e-8 * Mean);
  EXPECT_NEAR(M.at("loss").at(0), M.at("err").at(0) + M.at("contractive").at(0),
              1e-12);
}

TEST(Contractive, TanhAndSigmoidMatchTheFiniteJacobian) {
  Regressor N({3, {4, "tanh"}, {3, "sigmoid"}, 2}, F64);
  TensorMap Batch{{"in", data({5, 3}, 1)}, {"target", data({5, 2}, 2)}};
  double Hid1 = finiteJacobianNorm(N, Batch, "hid1");
  double Hid2 = finiteJacobianNorm(N, Batch, "hid2");
  expectPenalty(N, Batch, {Hid1, Hid2});

  // A pattern picks the hidden layers.
  TensorMap One = N.evaluate(
      Batch, Regularizers{.Contractive = 2, .ContractivePattern = "hid2:*"});
  EXPECT_NEAR(One.at("contractive").at(0), 2 * Hid2, 1e-8 * Hid2);
  EXPECT_THAT(typeErrorOf([&] {
                N.evaluate(Batch, Regularizers{.Contractive = 1,
                                               .ContractivePattern = "x*"});
              }),
              HasSubstr("contractive: no hidden output matches 'x*'"));
}

TEST(Contractive, ReluAndPreluMatchTheFiniteJacobian) {
  // relu's hidden outputs hold zeros: the next layer's input is not
  // special, its Jacobian still covers every unit.
  Regressor N({3, {5, "relu"}, {4, "prelu"}, 2}, F64);
  TensorMap Batch{{"in", data({6, 3}, 5)}, {"target", data({6, 2}, 6)}};
  expectPenalty(N, Batch,
                {finiteJacobianNorm(N, Batch, "hid1"),
                 finiteJacobianNorm(N, Batch, "hid2")});
}

TEST(Contractive, TiedLayersUseTheirPartnersWeights) {
  Autoencoder A({4, {3, "tanh"}, {2, "sigmoid"}, {3, "tied"}, {4, "tied"}},
                F64);
  ASSERT_EQ(A.layers()[3]->form(), "tied");
  TensorMap Batch{{"in", data({5, 4}, 7)}};
  expectPenalty(A, Batch,
                {finiteJacobianNorm(A, Batch, "hid1"),
                 finiteJacobianNorm(A, Batch, "hid2"),
                 finiteJacobianNorm(A, Batch, "hid3",
                                    transposed(A.paramValues().at("hid2.w")))});
}

TEST(Contractive, UsesTheLayerBeforeItsDropout) {
  Regressor N({3, {4, "tanh"}, {3, "sigmoid"}, 2}, F64);
  TensorMap Batch{{"in", data({5, 3}, 1)}, {"target", data({5, 2}, 2)}};
  Regularizers Plain{.Contractive = 1, .ContractivePattern = "hid2:*"};
  Regularizers Dropped = Plain;
  Dropped.Dropout = {{"hid2:out", 0.5}};
  TensorMap A = N.evaluate(Batch, Plain), B = N.evaluate(Batch, Dropped);
  EXPECT_NE(A.at("err").at(0), B.at("err").at(0)); // the dropout is on
  EXPECT_NEAR(A.at("contractive").at(0), B.at("contractive").at(0), 1e-14);
}

TEST(Contractive, GradientOfTheJacobianChecks) {
  Regressor N({3, {4, "tanh"}, {3, "sigmoid"}, 2}, F64);
  TensorMap Batch{{"in", data({5, 3}, 3)}, {"target", data({5, 2}, 4)}};
  Regularizers R{.WeightL2 = 0.01, .Contractive = 0.5};
  GradCheckResult G = N.check_grad(Batch, R);
  EXPECT_EQ(G.Checked, 12u + 4 + 12 + 3 + 6 + 2);
  EXPECT_LT(G.MaxError, 1e-6) << G.Worst;
  // The penalty changes the gradient (it is not dropped by autodiff): the
  // objective's gradient differs from the one without it.
  Function With = N.gradientFunction(R),
           Without = N.gradientFunction({.WeightL2 = 0.01});
  TensorMap Args = Batch;
  for (const auto &[Name, V] : N.paramValues())
    Args[Name] = V;
  TensorMap A = Args, B = Args;
  double Diff = 0;
  Tensor GW = With.run(A).at("grad(hid1.w)"),
         GO = Without.run(B).at("grad(hid1.w)");
  for (int64_t I = 0; I < GW.numel(); ++I)
    Diff += std::fabs(GW.at(I) - GO.at(I));
  EXPECT_GT(Diff, 1e-6);

  // A tied autoencoder with parameterised activations checks too.
  Autoencoder Tied({4, {3, "elu"}, {4, "tied", "tanh"}}, F64);
  GradCheckResult T =
      Tied.check_grad({{"in", data({5, 4}, 8)}}, {.Contractive = 0.5});
  EXPECT_LT(T.MaxError, 1e-6) << T.Worst;
}

TEST(Contractive, LayersWithoutAJacobianAreTypeErrors) {
  TensorMap Batch{{"in", data({5, 3}, 1)}, {"target", data({5, 2}, 2)}};
  Regularizers R{.Contractive = 1};
  Regressor Softmax({3, {4, "softmax"}, 2}, F64);
  EXPECT_THAT(typeErrorOf([&] { Softmax.lossFunction(R); }),
              HasSubstr("contractive: hidden layer 'hid1' (classifier) has "
                        "the activation 'softmax', which mixes the units of "
                        "a row"));
  Regressor Norm({3, {4, "tanh+norm:z"}, 2}, F64);
  EXPECT_THAT(typeErrorOf([&] { Norm.evaluate(Batch, R); }),
              HasSubstr("hidden layer 'hid1' (feedforward) has the "
                        "activation 'tanh+norm:z'"));
  Regressor Concat({3, 4, LayerSpec("concat").inputs({"in", "hid1"}), 2}, F64);
  EXPECT_THAT(typeErrorOf([&] { Concat.gradientFunction(R); }),
              HasSubstr("contractive: hidden layer 'hid2' (concatenate) does "
                        "not compute act(x·W + b) from one input"));
  // The pattern leaves the concatenation out.
  TensorMap M = Concat.evaluate(
      Batch, Regularizers{.Contractive = 1, .ContractivePattern = "hid1:*"});
  EXPECT_GT(M.at("contractive").at(0), 0);
  Regressor TwoInputs(
      {3, 4, LayerSpec(2, "ff", "tanh").inputs({"in", "hid1"}), 2}, F64);
  EXPECT_THAT(typeErrorOf([&] { TwoInputs.lossFunction(R); }),
              HasSubstr("contractive: hidden layer 'hid2' (feedforward) "
                        "reads 2 inputs"));
}

} // namespace
} // namespace netjit
