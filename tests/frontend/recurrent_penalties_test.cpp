//===- recurrent_penalties_test.cpp - recurrent_state/_norm regularizers --===//
//
// Regularizers::RecurrentState and RecurrentNorm against the formulas
// computed here, in plain loops, from the layer outputs feed_forward
// returns; their patterns, their gradients against finite differences, and
// the errors for outputs that are not sequences.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "test_util.h"

#include <cmath>

namespace netjit {
namespace {

using test::errorOf;
using ::testing::HasSubstr;

using test::data;

/// The mean over b, t < T-1 and u of (H[b,t+1,u] - H[b,t,u])².
double stateOf(const Tensor &H) {
  int64_t B = H.shape()[0], T = H.shape()[1], U = H.shape()[2];
  double Sum = 0;
  for (int64_t Bi = 0; Bi < B; ++Bi)
    for (int64_t Ti = 0; Ti + 1 < T; ++Ti)
      for (int64_t Ui = 0; Ui < U; ++Ui) {
        double D =
            H.at((Bi * T + Ti + 1) * U + Ui) - H.at((Bi * T + Ti) * U + Ui);
        Sum += D * D;
      }
  return Sum / static_cast<double>(B * (T - 1) * U);
}

/// The mean over b, t < T-1 of (‖H[b,t+1]‖² - ‖H[b,t]‖²)².
double normOf(const Tensor &H) {
  int64_t B = H.shape()[0], T = H.shape()[1], U = H.shape()[2];
  double Sum = 0;
  for (int64_t Bi = 0; Bi < B; ++Bi)
    for (int64_t Ti = 0; Ti + 1 < T; ++Ti) {
      double Now = 0, Next = 0;
      for (int64_t Ui = 0; Ui < U; ++Ui) {
        double A = H.at((Bi * T + Ti) * U + Ui);
        double C = H.at((Bi * T + Ti + 1) * U + Ui);
        Now += A * A;
        Next += C * C;
      }
      Sum += (Next - Now) * (Next - Now);
    }
  return Sum / static_cast<double>(B * (T - 1));
}

recurrent::Regressor twoLayers() {
  return recurrent::Regressor({2, {3, "lstm"}, {3, "gru", "tanh"}, 2},
                              {.FloatType = DType::F64});
}

TEST(RecurrentPenalties, ValuesMatchTheFormulasOnEveryHiddenOutput) {
  recurrent::Regressor R = twoLayers();
  TensorMap Batch = {{"in", data({3, 6, 2}, 1)},
                     {"target", data({3, 6, 2}, 2)}};
  TensorMap Out = R.feed_forward(Batch.at("in"));
  const Tensor &H1 = Out.at("hid1:out"), &H2 = Out.at("hid2:out");

  Regularizers Reg{.RecurrentState = 0.3, .RecurrentNorm = 0.2};
  EXPECT_TRUE(Reg.penalties());
  TensorMap M = R.evaluate(Batch, Reg);
  double Mse = M.at("mse").at(0);
  double State = 0.3 * (stateOf(H1) + stateOf(H2)) / 2;
  double Norm = 0.2 * (normOf(H1) + normOf(H2)) / 2;
  EXPECT_GT(State, 1e-3);
  EXPECT_GT(Norm, 1e-4);
  EXPECT_NEAR(M.at("recurrent_state").at(0), State, 1e-12);
  EXPECT_NEAR(M.at("recurrent_norm").at(0), Norm, 1e-12);
  EXPECT_NEAR(M.at("loss").at(0), Mse + State + Norm, 1e-12);
  EXPECT_EQ(M.at("err").at(0), Mse);

  // Patterns choose outputs of any layer: the lstm's cell alone, or every
  // ":out" of the hidden layers by glob.
  Regularizers Cell{.RecurrentState = 1,
                    .RecurrentStatePattern = "hid1:cell",
                    .RecurrentNorm = 1,
                    .RecurrentNormPattern = "hid2:*"};
  M = R.evaluate(Batch, Cell);
  EXPECT_NEAR(M.at("recurrent_state").at(0), stateOf(Out.at("hid1:cell")),
              1e-12);
  // hid2 (gru) gives pre, hid, rate and out.
  double GruNorm = (normOf(Out.at("hid2:pre")) + normOf(Out.at("hid2:hid")) +
                    normOf(Out.at("hid2:rate")) + normOf(H2)) /
                   4;
  EXPECT_NEAR(M.at("recurrent_norm").at(0), GruNorm, 1e-12);
}

TEST(RecurrentPenalties, GradientsMatchFiniteDifferences) {
  recurrent::Regressor R = twoLayers();
  TensorMap Batch = {{"in", data({2, 4, 2}, 3)},
                     {"target", data({2, 4, 2}, 4)}};
  // The default outputs and a pattern with the lstm's cell and the gru's
  // gate.
  Regularizers Reg{.RecurrentState = 0.5,
                   .RecurrentNorm = 0.25,
                   .RecurrentNormPattern = "hid[12]:[cr]*"};
  GradCheckResult G = R.check_grad(Batch, Reg);
  EXPECT_TRUE(G.ok(1e-6)) << G.Worst << " " << G.MaxError;
  EXPECT_GT(R.evaluate(Batch, Reg).at("recurrent_norm").at(0), 0);
}

TEST(RecurrentPenalties, TrainingReportsThemAndOutputsMustBeSequences) {
  recurrent::Regressor R({2, {3, "rnn"}, 2});
  Dataset Train({{"in", data({8, 4, 2}, 6)}, {"target", data({8, 4, 2}, 7)}},
                {.BatchSize = 4});
  TrainOptions O;
  O.Reg.RecurrentState = 0.1;
  O.Reg.RecurrentNorm = 0.1;
  O.MaxUpdates = 1;
  O.ValidateEvery = 1;
  auto [TrainMon, ValidMon] = train(R, Train, nullptr, O);
  EXPECT_GT(TrainMon.at("recurrent_state"), 0);
  EXPECT_GT(ValidMon.at("recurrent_norm"), 0);

  TensorMap Flat = {{"in", data({2, 2}, 8)}, {"target", data({2, 2}, 9)}};
  Regressor F({2, 3, 2}, {.FloatType = DType::F64});
  EXPECT_THAT(errorOf([&] { F.evaluate(Flat, {.RecurrentState = 1}); }),
              HasSubstr("recurrent_state: output 'hid1:out' is f64[B,3], not "
                        "a sequence [B, T, units]"));
  TensorMap Seq = {{"in", data({2, 3, 2}, 8)}, {"target", data({2, 3, 2}, 9)}};
  recurrent::Regressor S({2, {3, "scrn"}, 2}, {.FloatType = DType::F64});
  EXPECT_THAT(errorOf([&] {
                S.evaluate(Seq, {.RecurrentNorm = 1,
                                 .RecurrentNormPattern = "hid1:rate"});
              }),
              HasSubstr("recurrent_norm: output 'hid1:rate' is f64[3], not a "
                        "sequence"));
  EXPECT_THAT(errorOf([&] {
                S.evaluate(Seq, {.RecurrentNorm = 1,
                                 .RecurrentNormPattern = "nothing*"});
              }),
              HasSubstr("recurrent_norm: no output matches 'nothing*'"));
  recurrent::Regressor NoHidden({2, 2});
  EXPECT_THAT(errorOf([&] {
                NoHidden.evaluate({{"in", data({1, 2, 2}, 1)},
                                   {"target", data({1, 2, 2}, 2)}},
                                  {.RecurrentState = 1});
              }),
              HasSubstr("recurrent_state: no hidden layer output"));
}

} // namespace
} // namespace netjit
