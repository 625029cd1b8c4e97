//===- recurrent_test.cpp - Recurrent layers and models -------------------===//
//
// Forward values of every recurrent form against an independent numpy
// implementation (tests/data/recurrent/make_data.py wrote
// recurrent_expected.h), for T = 5 and T = 1, in f64; the hoisted input
// projection; the recurrent models' data shapes, losses and accuracy;
// padding with zero weights; gradients against finite differences; and the
// errors a user meets.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "recurrent_expected.h"
#include "recurrent_fixture.h"
#include "test_util.h"

#include <cmath>

namespace netjit {
namespace {

using test::errorOf;
using test::expectValues;
using testing::HasSubstr;

constexpr int64_t B = test::RecB, T = test::RecT, D = test::RecD;
using test::firstSteps;
using test::formula;

/// The case's model {3, (4, form, "tanh"), 2} with the formula parameters.
recurrent::Regressor caseModel(const test::RecurrentCase &Case) {
  LayerSpec Hidden(4, Case.Form.c_str());
  if (Case.Form != "lstm")
    Hidden.activation("tanh");
  if (Case.Form != "bidirectional")
    Hidden.option("direction", Case.Direction);
  recurrent::Regressor N({3, Hidden, 2}, {.FloatType = DType::F64});
  int K = 1;
  for (const std::string &P : N.params())
    if (P.starts_with("hid1.")) {
      Tensor &V = N.find("hid1", P);
      V = formula(V.shape(), K++);
    }
  N.find("out", "w") = formula({4, 2}, 11);
  N.find("out", "b") = formula({2}, 12);
  return N;
}

TEST(RecurrentLayers, ForwardValuesMatchNumpy) {
  for (const test::RecurrentCase &Case : test::kRecurrentCases) {
    SCOPED_TRACE(Case.Name);
    recurrent::Regressor N = caseModel(Case);
    TensorMap Out = N.feed_forward(test::sequenceInputs());
    ASSERT_NO_FATAL_FAILURE(test::expectNamedOutputs(Out, Case.Outputs));
    // One step: a forward layer's first step does not see the later ones.
    if (Case.Direction != "forward" || Case.Form == "bidirectional")
      continue;
    Out = N.feed_forward(test::sequenceInputs(1));
    for (const auto &[Name, Expected] : Case.Outputs)
      if (Name != "hid1:rate" || Case.Form != "scrn") {
        SCOPED_TRACE(Name + " (T = 1)");
        expectValues(Out.at(Name), firstSteps(Expected, 1), 1e-12);
      }
  }
}

TEST(RecurrentLayers, ParameterNamesShapesAndInitialValues) {
  recurrent::Regressor L({3, {4, "lstm"}, 2});
  EXPECT_EQ(L.params(),
            (std::vector<std::string>{"hid1.xh", "hid1.hh", "hid1.b", "hid1.ci",
                                      "hid1.cf", "hid1.co", "out.w", "out.b"}));
  EXPECT_EQ(L.find("hid1", "xh").shape(), (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(L.find("hid1", "hh").shape(), (std::vector<int64_t>{4, 16}));
  // theanets starts the lstm's biases at 2, peepholes and others at 0.
  for (double V : test::values(L.find("hid1", "b")))
    EXPECT_EQ(V, 2);
  for (double V : test::values(L.find("hid1", "ci")))
    EXPECT_EQ(V, 0);
  recurrent::Regressor G({3, {4, "gru"}, 2});
  EXPECT_EQ(G.params(),
            (std::vector<std::string>{"hid1.hh", "hid1.hr", "hid1.hz", "hid1.w",
                                      "hid1.b", "out.w", "out.b"}));
  recurrent::Regressor Bi(
      {3, LayerSpec(6, "bidirectional").option("worker", "gru"), 2});
  EXPECT_EQ(Bi.params().front(), "hid1.fw_hh");
  EXPECT_EQ(Bi.find("hid1", "bw_w").shape(), (std::vector<int64_t>{3, 9}));
  // Recurrent weights are square blocks, each scaled to the radius on its
  // own: every 4x4 block's largest singular value is 1.5 (power iteration).
  recurrent::Regressor R({4, LayerSpec(4, "lstm").option("radius", 1.5), 2});
  const Tensor &HH = R.find("hid1", "hh");
  ASSERT_EQ(HH.shape(), (std::vector<int64_t>{4, 16}));
  for (int64_t Block = 0; Block < 4; ++Block) {
    auto A = [&](int64_t I, int64_t J) {
      return HH.at(I * 16 + Block * 4 + J);
    };
    std::vector<double> V(4, 0.5), Next(4);
    double Sigma = 0;
    for (int Iter = 0; Iter < 500; ++Iter) {
      std::vector<double> Av(4, 0);
      for (int64_t I = 0; I < 4; ++I)
        for (int64_t J = 0; J < 4; ++J)
          Av[I] += A(I, J) * V[J];
      double Norm = 0;
      for (int64_t J = 0; J < 4; ++J) {
        Next[J] = 0;
        for (int64_t I = 0; I < 4; ++I)
          Next[J] += A(I, J) * Av[I];
        Norm += Next[J] * Next[J];
      }
      Norm = std::sqrt(Norm);
      Sigma = std::sqrt(Norm);
      for (int64_t J = 0; J < 4; ++J)
        V[J] = Next[J] / Norm;
    }
    EXPECT_NEAR(Sigma, 1.5, 1e-5) << "block " << Block;
  }
}

/// The scan of a graph's first scan node.
const Node *firstScan(const Graph &G) {
  for (NodeId Id : G.liveNodes())
    if (G.node(Id).Op == OpCode::Scan)
      return &G.node(Id);
  return nullptr;
}

TEST(RecurrentLayers, InputProjectionIsHoistedOutOfTheLoop) {
  for (const char *Form : {"rnn", "lstm", "gru"}) {
    SCOPED_TRACE(Form);
    recurrent::Regressor N({3, {4, Form}, 2});
    Function F = N.lossFunction();
    const Graph &G = F.graph();
    const Node *Scan = firstScan(G);
    ASSERT_NE(Scan, nullptr);
    // In the body, every matmul multiplies a [B, 4] state: none reads x.
    int BodyMatmuls = 0;
    for (NodeId Id : Scan->Body->liveNodes()) {
      const Node &M = Scan->Body->node(Id);
      if (M.Op != OpCode::MatMul)
        continue;
      ++BodyMatmuls;
      EXPECT_EQ(Scan->Body->type(M.Inputs[0]).Dims.back(), Dim(4));
    }
    EXPECT_EQ(BodyMatmuls, std::string(Form) == "gru" ? 3 : 1);
    // Outside, x·W is one GEMM over all T·B rows.
    Expr W = F.argument(std::string(Form) == "gru" ? "hid1.w" : "hid1.xh");
    int Hoisted = 0;
    for (NodeId Id : G.liveNodes()) {
      const Node &M = G.node(Id);
      if (M.Op == OpCode::MatMul && M.Inputs[1] == W.id()) {
        ++Hoisted;
        EXPECT_EQ(G.type(M.Inputs[0]).Dims,
                  (Shape{Dim::symbol("T") * Dim::symbol("B"), Dim(3)}));
      }
    }
    EXPECT_EQ(Hoisted, 1);
  }
}

TEST(RecurrentLayers, HZeroNamesAnInitialState) {
  // The decoder starts from the encoder's final state.
  recurrent::Regressor N(
      {3,
       {4, "rnn", "tanh"},
       LayerSpec(4, "rnn", "tanh").name("dec").option("h_0", "hid1"),
       2});
  Tensor X = test::sequenceInputs();
  TensorMap Out = N.feed_forward(X);
  const Tensor &Enc = Out.at("hid1:out"), &Dec = Out.at("dec:out");
  // Step 0 of the decoder by hand: tanh(x0·xh + b + h_T-1·hh).
  const Tensor &Xh = N.find("dec", "xh"), &Hh = N.find("dec", "hh"),
               &Bd = N.find("dec", "b");
  for (int64_t Bi = 0; Bi < B; ++Bi)
    for (int64_t J = 0; J < 4; ++J) {
      double Acc = Bd.at(J);
      for (int64_t I = 0; I < 4; ++I) {
        Acc += Enc.at((Bi * T + 0) * 4 + I) * Xh.at(I * 4 + J);
        Acc += Enc.at((Bi * T + T - 1) * 4 + I) * Hh.at(I * 4 + J);
      }
      EXPECT_NEAR(Dec.at((Bi * T) * 4 + J), std::tanh(Acc), 1e-6);
    }
  EXPECT_THAT(
      errorOf([] {
        recurrent::Regressor({3, LayerSpec(4, "rnn").option("h_0", "nope"), 2});
      }),
      HasSubstr("'nope', which is not an earlier layer"));
  EXPECT_THAT(
      errorOf([] {
        recurrent::Regressor(
            {3, {5, "rnn"}, LayerSpec(4, "rnn").option("h_0", "hid1"), 2});
      }),
      HasSubstr("h_0 'hid1:out' has size 5, the layer 4"));
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

using test::data;

TEST(RecurrentModels, DataAreBatchMajorSequences) {
  recurrent::Regressor R({3, {5, "gru"}, 2}, {.Weighted = true});
  EXPECT_EQ(R.variables(),
            (std::vector<std::string>{"in", "target", "weights"}));
  Function F = R.lossFunction();
  EXPECT_EQ(F.argument("in").shape(),
            (Shape{Dim::symbol("B"), Dim::symbol("T"), Dim(3)}));
  EXPECT_EQ(F.argument("target").shape(),
            (Shape{Dim::symbol("B"), Dim::symbol("T"), Dim(2)}));
  recurrent::Classifier C({3, {5, "lstm"}, 4}, {.Weighted = true});
  Function G = C.lossFunction();
  EXPECT_EQ(G.argument("target").type(),
            (TensorType{DType::I32, {Dim::symbol("B"), Dim::symbol("T")}}));
  EXPECT_EQ(G.argument("weights").shape(),
            (Shape{Dim::symbol("B"), Dim::symbol("T")}));
}

TEST(RecurrentModels, RegressorLossIsTheMeanOverSteps) {
  recurrent::Regressor R({3, {5, "rnn"}, 2}, {.FloatType = DType::F64});
  Tensor X = data({2, 4, 3}, 1), Y = data({2, 4, 2}, 2);
  Tensor P = R.predict(X);
  ASSERT_EQ(P.shape(), (std::vector<int64_t>{2, 4, 2}));
  double Mse = 0;
  for (int64_t I = 0; I < P.numel(); ++I)
    Mse += (P.at(I) - Y.at(I)) * (P.at(I) - Y.at(I));
  Mse /= static_cast<double>(P.numel());
  TensorMap M = R.evaluate({{"in", X}, {"target", Y}});
  EXPECT_NEAR(M.at("loss").at(0), Mse, 1e-12);
}

TEST(RecurrentModels, ClassifierScoresEveryWeightedStep) {
  recurrent::Classifier C({3, {6, "gru", "tanh"}, 4},
                          {.Weighted = true, .FloatType = DType::F64});
  const int64_t Bn = 3, Tn = 4;
  Tensor X = data({Bn, Tn, 3}, 3);
  Tensor Labels(DType::I32, {Bn, Tn}), W(DType::F64, {Bn, Tn});
  for (int64_t I = 0; I < Bn * Tn; ++I) {
    Labels.set(I, (I * 7) % 4);
    W.set(I, I % 5 == 4 ? 0.0 : 0.5 + 0.25 * (I % 3));
  }
  Tensor P = C.predict_proba(X);
  ASSERT_EQ(P.shape(), (std::vector<int64_t>{Bn, Tn, 4}));
  double Xe = 0, Hits = 0, Total = 0;
  Tensor Pred = C.predict(X);
  ASSERT_EQ(Pred.shape(), (std::vector<int64_t>{Bn, Tn}));
  for (int64_t I = 0; I < Bn * Tn; ++I) {
    double Wi = W.at(I);
    int64_t L = static_cast<int64_t>(Labels.at(I));
    Xe += Wi * -std::log(P.at(I * 4 + L));
    int64_t Best = 0;
    for (int64_t K = 1; K < 4; ++K)
      if (P.at(I * 4 + K) > P.at(I * 4 + Best))
        Best = K;
    EXPECT_EQ(Pred.at(I), Best);
    Hits += Wi * (Best == L);
    Total += Wi;
  }
  TensorMap M = C.evaluate({{"in", X}, {"target", Labels}, {"weights", W}});
  EXPECT_NEAR(M.at("loss").at(0), Xe / Total, 1e-12);
  EXPECT_NEAR(M.at("acc").at(0), Hits / Total, 1e-12);
  EXPECT_NEAR(C.score(X, Labels, W), Hits / Total, 1e-12);
}

TEST(RecurrentModels, PredictSequenceSamplesFromTheLastStep) {
  recurrent::Classifier C({4, {5, "rnn"}, 4}, {.FloatType = DType::F64});
  // An output bias this large makes class 2 certain.
  C.find("out", "b") = test::tensor({4}, {0, 0, 60, 0}, DType::F64);
  Tensor S = C.predict_sequence({0, 1}, 3, 2);
  ASSERT_EQ(S.shape(), (std::vector<int64_t>{2, 3}));
  for (double V : test::values(S))
    EXPECT_EQ(V, 2);
  // Otherwise: reproducible from the seed, and every label is a class.
  C.find("out", "b") = test::tensor({4}, {0, 0, 0, 0}, DType::F64);
  Tensor A = C.predict_sequence({3}, 6, 3, 7),
         A2 = C.predict_sequence({3}, 6, 3, 7);
  EXPECT_EQ(test::values(A), test::values(A2));
  for (double V : test::values(A))
    EXPECT_TRUE(V >= 0 && V < 4);
  EXPECT_THAT(errorOf([&] { C.predict_sequence({4}, 1); }),
              HasSubstr("seed label 4 does not fit"));
}

TEST(RecurrentModels, AutoencoderEncodeDecode) {
  recurrent::Autoencoder A({3, {4, "rnn"}, 3}, {.FloatType = DType::F64});
  Tensor X = data({2, 5, 3}, 4);
  Tensor Code = A.encode(X);
  EXPECT_EQ(Code.shape(), (std::vector<int64_t>{2, 5, 4}));
  expectValues(A.decode(Code), test::values(A.predict(X)), 1e-12);
}

TEST(RecurrentModels, RecurrentStateAndNormPenalties) {
  const int64_t Bn = 2, Tn = 3, Un = 2;
  Function F("penalties", DType::F64);
  Expr H = F.input("h", {"B", "T", Un});
  F.output("state", recurrent::recurrent_state(H));
  F.output("norm", recurrent::recurrent_norm(H));
  Tensor V = data({Bn, Tn, Un}, 17);
  TensorMap Args = {{"h", V}};
  TensorMap Out = F.run(Args);
  double State = 0, Norm = 0;
  auto At = [&](int64_t Bi, int64_t Ti, int64_t U) {
    return V.at((Bi * Tn + Ti) * Un + U);
  };
  for (int64_t Bi = 0; Bi < Bn; ++Bi)
    for (int64_t Ti = 0; Ti + 1 < Tn; ++Ti) {
      double N0 = 0, N1 = 0;
      for (int64_t U = 0; U < Un; ++U) {
        double D = At(Bi, Ti + 1, U) - At(Bi, Ti, U);
        State += D * D;
        N0 += At(Bi, Ti, U) * At(Bi, Ti, U);
        N1 += At(Bi, Ti + 1, U) * At(Bi, Ti + 1, U);
      }
      Norm += (N1 - N0) * (N1 - N0);
    }
  EXPECT_NEAR(Out.at("state").at(0), State / (Bn * (Tn - 1) * Un), 1e-14);
  EXPECT_NEAR(Out.at("norm").at(0), Norm / (Bn * (Tn - 1)), 1e-14);
  // One step has no successive pair: no penalty.
  Args["h"] = data({Bn, 1, Un}, 18);
  Out = F.run(Args);
  EXPECT_EQ(Out.at("state").at(0), 0);
  EXPECT_EQ(Out.at("norm").at(0), 0);
  EXPECT_THAT(errorOf([&] {
                recurrent::recurrent_norm(F.input("x", {"B", 2}));
              }),
              HasSubstr("'recurrent_norm': needs a sequence output"));
}

class NormStabilizer : public Loss {
public:
  using Loss::Loss;
  Expr compute(const LossInputs &In) const override {
    return recurrent::recurrent_norm(In.output("hid1"));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    return compute(In);
  }
};

TEST(RecurrentModels, APenaltyThroughACustomLoss) {
  // The example of docs/guide.md.
  registerLoss<NormStabilizer>("recurrent_test_norm_stabilizer");
  recurrent::Regressor R({3, {6, "rnn", "tanh"}, 2}, {.FloatType = DType::F64});
  TensorMap Batch = {{"in", data({2, 4, 3}, 40)},
                     {"target", data({2, 4, 2}, 41)}};
  double Mse = R.evaluate(Batch).at("loss").at(0);
  R.add_loss(LossSpec("recurrent_test_norm_stabilizer").weight(0.1));
  TensorMap M = R.evaluate(Batch);
  Function F("norm", DType::F64);
  Expr H = F.input("h", {"B", "T", 6});
  F.output("norm", recurrent::recurrent_norm(H));
  TensorMap Args = {{"h", R.feed_forward(Batch.at("in")).at("hid1:out")}};
  double Norm = F.run(Args).at("norm").at(0);
  EXPECT_GT(Norm, 0);
  EXPECT_NEAR(M.at("loss").at(0), Mse + 0.1 * Norm, 1e-12);
  EXPECT_TRUE(R.check_grad(Batch).ok(1e-6));
}

//===----------------------------------------------------------------------===//
// Padding and weights
//===----------------------------------------------------------------------===//

/// Three sequences of lengths 5, 3 and 1 padded to T = 5 with Garbage, and
/// 0/1 weights marking the real steps.
TensorMap paddedBatch(double Garbage, DType Ty = DType::F64) {
  const int64_t Lengths[3] = {5, 3, 1};
  Tensor X = data({3, 5, 3}, 9, Ty), W(Ty, {3, 5, 3});
  for (int64_t Bi = 0; Bi < 3; ++Bi)
    for (int64_t Ti = 0; Ti < 5; ++Ti)
      for (int64_t Di = 0; Di < 3; ++Di) {
        int64_t I = (Bi * 5 + Ti) * 3 + Di;
        bool Real = Ti < Lengths[Bi];
        W.set(I, Real ? 1.0 : 0.0);
        if (!Real)
          X.set(I, Garbage * std::cos(3.1 * I));
      }
  return {{"in", X}, {"weights", W}};
}

TEST(RecurrentModels, PaddingAtTheEndChangesNothingForwardLayersCompute) {
  recurrent::Autoencoder A({3, {10, "rnn"}, 3}, {.Weighted = true});
  TensorMap Clean = paddedBatch(0), Noisy = paddedBatch(5);
  EXPECT_EQ(A.evaluate(Clean).at("loss").at(0),
            A.evaluate(Noisy).at("loss").at(0));
  // Only the padded steps' outputs differ.
  Tensor P0 = A.predict(Clean.at("in")), P1 = A.predict(Noisy.at("in"));
  const Tensor &W = Clean.at("weights");
  int Differ = 0;
  for (int64_t I = 0; I < P0.numel(); ++I) {
    if (W.at(I) > 0) {
      EXPECT_EQ(P0.at(I), P1.at(I)) << I;
    }
    Differ += P0.at(I) != P1.at(I);
  }
  EXPECT_GT(Differ, 0);
  // A backward layer reads the padding before the real steps.
  recurrent::Autoencoder Back(
      {3, LayerSpec(10, "rnn").option("direction", "backward"), 3},
      {.Weighted = true});
  EXPECT_NE(Back.evaluate(Clean).at("loss").at(0),
            Back.evaluate(Noisy).at("loss").at(0));
}

//===----------------------------------------------------------------------===//
// Gradients (back-propagation through time)
//===----------------------------------------------------------------------===//

TEST(RecurrentGrad, EveryFormAgainstFiniteDifferences) {
  for (const char *Form :
       {"rnn", "lstm", "gru", "mrnn", "scrn", "bidirectional"}) {
    for (int64_t Steps : {1, 5}) {
      SCOPED_TRACE(std::string(Form) + ", T = " + std::to_string(Steps));
      LayerSpec Hidden(4, Form);
      if (std::string(Form) != "lstm")
        Hidden.activation("tanh");
      recurrent::Regressor N({3, Hidden, 2}, {.Weighted = true, .Seed = 5});
      TensorMap Batch = {{"in", data({2, Steps, 3}, 11)},
                         {"target", data({2, Steps, 2}, 12)},
                         {"weights", data({2, Steps, 2}, 13)}};
      for (int64_t I = 0; I < Batch.at("weights").numel(); ++I)
        Batch.at("weights").set(I, std::fabs(Batch.at("weights").at(I)));
      GradCheckResult R = N.check_grad(Batch);
      EXPECT_GT(R.Checked, 20u);
      EXPECT_TRUE(R.ok(1e-6))
          << R.Worst << ": " << R.Analytic << " vs " << R.Numeric;
    }
  }
}

TEST(RecurrentGrad, ActivationParametersInsideTheLoop) {
  // prelu's leak enters the loop body as a scan constant.
  recurrent::Regressor N({3, {4, "rnn", "prelu"}, {2, "gru", "elu"}, 2});
  EXPECT_EQ(N.params()[3], "hid1.leak");
  TensorMap Batch = {{"in", data({2, 3, 3}, 51)},
                     {"target", data({2, 3, 2}, 52)}};
  GradCheckResult R = N.check_grad(Batch);
  EXPECT_TRUE(R.ok(1e-6)) << R.Worst << ": " << R.Analytic << " vs "
                          << R.Numeric;
}

TEST(RecurrentGrad, BackwardLayersAndTheClassifier) {
  recurrent::Classifier C(
      {3, LayerSpec(4, "lstm").option("direction", "backward"), 3},
      {.Weighted = true});
  Tensor Labels(DType::I32, {2, 4});
  for (int64_t I = 0; I < 8; ++I)
    Labels.set(I, I % 3);
  Tensor W = data({2, 4}, 21);
  for (int64_t I = 0; I < W.numel(); ++I)
    W.set(I, std::fabs(W.at(I)));
  GradCheckResult R = C.check_grad(
      {{"in", data({2, 4, 3}, 20)}, {"target", Labels}, {"weights", W}});
  EXPECT_TRUE(R.ok(1e-6)) << R.Worst << ": " << R.Analytic << " vs "
                          << R.Numeric;
}

TEST(RecurrentGrad, BpttLimitTruncatesTheBackPropagation) {
  recurrent::Regressor N(
      {3, LayerSpec(4, "rnn", "tanh").option("bptt_limit", 2.0), 2},
      {.FloatType = DType::F64});
  N.find("hid1", "xh") = formula({3, 4}, 1);
  N.find("hid1", "hh") = formula({4, 4}, 2);
  N.find("hid1", "b") = formula({4}, 3);
  N.find("out", "w") = formula({4, 2}, 11);
  N.find("out", "b") = formula({2}, 12);
  TensorMap Args = N.paramValues();
  Args["in"] = test::sequenceInputs();
  Args["target"] = formula({B, T, 2}, 13);
  TensorMap Out = N.gradientFunction().run(Args);
  for (const auto &[Name, Expected] : test::kTruncatedGradients) {
    SCOPED_TRACE(Name);
    expectValues(Out.at(Name), Expected, 1e-8);
  }
  // A limit of at least T truncates nothing; the forward values never change.
  recurrent::Regressor Full(
      {3, LayerSpec(4, "rnn", "tanh").option("bptt_limit", 5.0), 2},
      {.FloatType = DType::F64});
  TensorMap Batch = {{"in", test::sequenceInputs()},
                     {"target", formula({B, T, 2}, 13)}};
  EXPECT_TRUE(Full.check_grad(Batch).ok(1e-6));
  EXPECT_THAT(errorOf([] {
                recurrent::Regressor(
                    {3, LayerSpec(4, "rnn").option("bptt_limit", 0.0), 2});
              }),
              HasSubstr("bptt_limit must be a whole number of steps >= 1, or "
                        "-1 for no limit"));
}

TEST(RecurrentGrad, PaddingChangesNoGradient) {
  recurrent::Autoencoder A({3, {10, "rnn"}, 3}, {.Weighted = true});
  Function F = A.gradientFunction();
  auto Grads = [&](double Garbage) {
    TensorMap Args = A.paramValues();
    for (auto &[K, V] : paddedBatch(Garbage, DType::F32))
      Args[K] = V;
    return F.run(Args);
  };
  TensorMap G0 = Grads(0), G1 = Grads(5);
  for (const std::string &P : A.params()) {
    SCOPED_TRACE(P);
    EXPECT_EQ(test::values(G0.at("grad(" + P + ")")),
              test::values(G1.at("grad(" + P + ")")));
  }
  EXPECT_TRUE(A.check_grad(paddedBatch(5)).ok(1e-6));
}

TEST(RecurrentGrad, TrainingLearnsATaskThatNeedsMemory) {
  // The label at step t is whether x at step t-1 was positive: a model that
  // sees one step at a time is right half the time, a recurrent one always.
  const int64_t Rows = 64, Steps = 8;
  Tensor X = data({Rows, Steps, 1}, 31, DType::F32);
  Tensor Labels(DType::I32, {Rows, Steps});
  for (int64_t R = 0; R < Rows; ++R)
    for (int64_t Ti = 0; Ti < Steps; ++Ti)
      Labels.set(R * Steps + Ti, Ti > 0 && X.at(R * Steps + Ti - 1) > 0);
  Dataset Train({{"in", X}, {"target", Labels}}, {.BatchSize = 32});
  TrainOptions O;
  O.Algo = "adam";
  O.Hyper["learning_rate"] = 0.05;
  O.ValidateEvery = 5;
  O.MaxUpdates = 60;
  recurrent::Classifier C({1, {8, "rnn", "tanh"}, 2});
  train(C, Train, &Train, O);
  EXPECT_GT(C.score(X, Labels), 0.95);
  recurrent::Classifier Stepwise({1, {8, "tanh"}, 2});
  train(Stepwise, Train, &Train, O);
  EXPECT_LT(Stepwise.score(X, Labels), 0.8);
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(RecurrentErrors, ClearMessages) {
  EXPECT_THAT(errorOf([] {
                Regressor({3, {4, "rnn"}, 2});
              }),
              HasSubstr("layer 'hid1' (rnn) reads sequences; use it in a "
                        "recurrent model"));
  EXPECT_THAT(
      errorOf([] {
        recurrent::Regressor(
            {3, LayerSpec(4, "gru").option("direction", "sideways"), 2});
      }),
      HasSubstr("direction 'sideways' is neither 'forward' nor "
                "'backward'"));
  EXPECT_THAT(errorOf([] {
                recurrent::Regressor({3, {4, "lstm", "tanh"}, 2});
              }),
              HasSubstr("(lstm) takes no activation"));
  EXPECT_THAT(errorOf([] {
                recurrent::Regressor({3, {5, "bidirectional"}, 2});
              }),
              HasSubstr("it must be even"));
  EXPECT_THAT(
      errorOf([] {
        recurrent::Regressor(
            {3, LayerSpec(4, "bidirectional").option("worker", "ff"), 2});
      }),
      HasSubstr("worker 'ff' is not one of rnn, lstm, gru"));
  EXPECT_THAT(
      errorOf([] {
        recurrent::Regressor({3, LayerSpec(4, "rnn").option("nope", 1.0), 2});
      }),
      HasSubstr("layer 'hid1' has no option 'nope'"));
  EXPECT_THAT(errorOf([] {
                recurrent::Regressor(
                    {3, LayerSpec(4, "scrn").option("rate", "log"), 2});
              }),
              HasSubstr("rate 'log' is not supported"));
  recurrent::Regressor R({3, {4, "rnn"}, 2});
  EXPECT_THAT(errorOf([&] {
                R.predict(data({2, 3}, 1, DType::F32));
              }),
              HasSubstr("in"));
}

} // namespace
} // namespace netjit
