//===- trainer_test.cpp - Datasets, the training loop, early stopping -----===//
//
// The early-stopping test crafts its validation curve: a 1→1 linear
// regressor trained on y = 2x but validated on y = x. Gradient descent moves
// the weight from near 0 towards 2, so the validation loss falls until the
// weight passes 1 and rises after; the loop must stop on patience and
// restore the weight of the best validation.
//
//===----------------------------------------------------------------------===//
#include "frontend/trainer.h"
#include "test_util.h"

#include <cmath>
#include <set>

namespace netjit {
namespace {

using test::errorOf;
using test::tensor;
using ::testing::HasSubstr;

Tensor column(std::vector<double> V) {
  int64_t N = static_cast<int64_t>(V.size());
  return tensor({N, 1}, std::move(V));
}

TEST(Dataset, BatchesCoverEveryRowOnceAndReshuffle) {
  std::vector<double> X(10);
  for (int I = 0; I < 10; ++I)
    X[static_cast<size_t>(I)] = I;
  Dataset D({{"in", column(X)}}, {.BatchSize = 4, .Seed = 5});
  EXPECT_EQ(D.rows(), 10);
  EXPECT_EQ(D.batchesPerEpoch(), 3);
  // The rows are permuted once: all values are still there.
  std::multiset<double> Seen;
  for (int64_t I = 0; I < 10; ++I)
    Seen.insert(D.arrays().at("in").at(I));
  EXPECT_EQ(Seen, std::multiset<double>(X.begin(), X.end()));
  auto First = D.nextEpoch(), Second = D.nextEpoch();
  for (const auto &Epoch : {First, Second}) {
    std::set<int64_t> Rows;
    for (auto [B, E] : Epoch)
      for (int64_t R = B; R < E; ++R)
        EXPECT_TRUE(Rows.insert(R).second);
    EXPECT_EQ(Rows.size(), 10u);
  }
  // Fixed batches: the same three slices, one of them short.
  std::set<std::pair<int64_t, int64_t>> A(First.begin(), First.end()),
      B(Second.begin(), Second.end());
  EXPECT_EQ(A, B);
  EXPECT_TRUE(A.count({8, 10}));
  // The same seed gives the same permutation.
  Dataset Again({{"in", column(X)}}, {.BatchSize = 4, .Seed = 5});
  for (int64_t I = 0; I < 10; ++I)
    EXPECT_EQ(Again.arrays().at("in").at(I), D.arrays().at("in").at(I));
}

TEST(Dataset, SplitKeepsRowsTogether) {
  Dataset D({{"in", column({0, 1, 2, 3, 4, 5, 6, 7, 8, 9})},
             {"target", column({0, 10, 20, 30, 40, 50, 60, 70, 80, 90})}},
            {.BatchSize = 2});
  Dataset V = D.split(0.8, "valid");
  EXPECT_EQ(D.rows(), 8);
  EXPECT_EQ(V.rows(), 2);
  EXPECT_EQ(V.options().Name, "valid");
  // Rows remember where they came from (for error messages).
  std::set<int64_t> Origins;
  for (const Dataset *P : {&D, &V})
    for (int64_t I = 0; I < P->rows(); ++I) {
      EXPECT_EQ(P->originalRow(I), P->arrays().at("in").at(I));
      Origins.insert(P->originalRow(I));
    }
  EXPECT_EQ(Origins.size(), 10u);
  for (const Dataset *P : {&D, &V})
    for (int64_t I = 0; I < P->rows(); ++I)
      EXPECT_EQ(P->arrays().at("target").at(I),
                10 * P->arrays().at("in").at(I));
}

TEST(Dataset, BadDataIsNamed) {
  EXPECT_THAT(errorOf([] {
                Dataset({{"in", column({1, 2, 3})},
                         {"target", column({1, 2})}},
                        {.Name = "train"});
              }),
              HasSubstr("dataset 'train': array 'target' has 2 rows but "
                        "'in' has 3"));
  EXPECT_THAT(errorOf([] {
                Dataset({{"in", column({1, std::nan(""), 3})}});
              }),
              HasSubstr("array 'in' holds nan at flat index 1"));
  EXPECT_THAT(errorOf([] { Dataset({{"in", tensor({0, 3}, {})}}); }),
              HasSubstr("is empty (0 rows)"));
  EXPECT_THAT(errorOf([] { Dataset({{"in", column({1})}}, {.BatchSize = 0}); }),
              HasSubstr("batch_size must be at least 1"));
}

/// A 1→1 linear regressor with its weight set to W and bias 0.
Regressor line(double W) {
  Regressor Net({1, 1}, {.FloatType = DType::F64});
  Net.find("out", "w").set(0, W);
  Net.find("out", "b").set(0, 0);
  return Net;
}

TEST(Trainer, EarlyStoppingRestoresTheBestParameters) {
  Regressor Net = line(0.1);
  std::vector<double> X = {-1, -0.5, 0.5, 1};
  auto Times = [&](double K) {
    std::vector<double> Y;
    for (double V : X)
      Y.push_back(K * V);
    return Y;
  };
  Dataset Train({{"in", column(X)}, {"target", column(Times(2))}},
                {.BatchSize = 4, .ShuffleRows = false});
  Dataset Valid({{"in", column(X)}, {"target", column(Times(1))}},
                {.BatchSize = 4, .ShuffleRows = false});
  TrainOptions O;
  O.Algo = "sgd";
  O.Hyper["learning_rate"] = 0.2;
  O.ValidateEvery = 1;
  O.Patience = 2;
  std::vector<double> WeightAtValidation, Losses;
  O.OnEpoch = [&](const EpochReport &R) {
    EXPECT_TRUE(R.Valid.has_value());
    Losses.push_back(R.Valid->at("loss"));
    WeightAtValidation.push_back(Net.find("out", "w").at(0));
    return true;
  };
  O.OnBatch = [&](int64_t, int64_t, int64_t) {};
  Trainer T(Net, Train, &Valid, O);
  // Epoch 0 validates the initial weight; each later one the weight after
  // the epoch.
  ASSERT_TRUE(T.report().Valid.has_value());
  EXPECT_EQ(T.report().Epoch, 0);
  Losses.insert(Losses.begin(), T.report().Valid->at("loss"));
  WeightAtValidation.insert(WeightAtValidation.begin(),
                            Net.find("out", "w").at(0));
  while (T.next()) {
  }
  EXPECT_EQ(T.stopReason(), "patience");
  // Independently: validation loss = mean((w - 1)² x²) with b = 0 staying 0
  // (the data is symmetric), and the best is the validation with w nearest 1.
  size_t Best = 0;
  for (size_t I = 0; I < Losses.size(); ++I) {
    double W = WeightAtValidation[I];
    double Expected = 0;
    for (double V : X)
      Expected += (W - 1) * (W - 1) * V * V / X.size();
    EXPECT_NEAR(Losses[I], Expected, 1e-12) << "validation " << I << " w " << W;
    if (Losses[I] < Losses[Best])
      Best = I;
  }
  ASSERT_GT(Best, 0u);
  ASSERT_LT(Best + 2, Losses.size()) << "the curve must turn up";
  EXPECT_EQ(T.bestEpoch(), static_cast<int64_t>(Best));
  EXPECT_DOUBLE_EQ(T.bestLoss(), Losses[Best]);
  EXPECT_EQ(Net.find("out", "w").at(0), WeightAtValidation[Best]);
}

/// The line's weight and bias after three sgd steps (learning rate 0.05, one
/// batch of all rows) from w = 0.5, b = 0 on mean((w x + b - y)²), by hand.
std::pair<double, double> sgdLine(const std::vector<double> &X,
                                  const std::vector<double> &Y) {
  double W = 0.5, B = 0;
  for (int Step = 0; Step < 3; ++Step) {
    double GW = 0, GB = 0;
    for (size_t I = 0; I < X.size(); ++I) {
      double R = W * X[I] + B - Y[I];
      GW += 2 * R * X[I] / 3;
      GB += 2 * R / 3;
    }
    W -= 0.05 * GW;
    B -= 0.05 * GB;
  }
  return {W, B};
}

TEST(Trainer, SgdStepsMatchHandComputedUpdates) {
  // One batch per epoch: w ← w - lr·∂/∂w mean((w x + b - y)²).
  Regressor Net = line(0.5);
  std::vector<double> X = {1, 2, 3}, Y = {1, 1, 2};
  Dataset Train({{"in", column(X)}, {"target", column(Y)}},
                {.BatchSize = 3, .ShuffleRows = false});
  TrainOptions O;
  O.Algo = "sgd";
  O.Hyper["learning_rate"] = 0.05;
  O.MaxUpdates = 3;
  train(Net, Train, nullptr, O);
  auto [W, B] = sgdLine(X, Y);
  // Three epochs ran; the last validation (on the training set) is the best,
  // since each step lowers this convex loss, so nothing is rolled back.
  EXPECT_NEAR(Net.find("out", "w").at(0), W, 1e-12);
  EXPECT_NEAR(Net.find("out", "b").at(0), B, 1e-12);
}

TEST(Trainer, CallableDatasetsDrawEveryBatch) {
  // The same batch from a callable, one per epoch: the same sgd steps as
  // SgdStepsMatchHandComputedUpdates, and the callable is called for each.
  Regressor Net = line(0.5);
  int Calls = 0;
  Dataset Train(
      [&] {
        ++Calls;
        return TensorMap{{"in", column({1, 2, 3})},
                         {"target", column({1, 1, 2})}};
      },
      {.IterationSize = 1});
  EXPECT_EQ(Calls, 1); // drawn once to check it
  EXPECT_EQ(Train.batchesPerEpoch(), 1);
  TrainOptions O;
  O.Algo = "sgd";
  O.Hyper["learning_rate"] = 0.05;
  O.MaxUpdates = 3;
  O.ValidateEvery = 2;
  auto [TrainMon, ValidMon] = train(Net, Train, nullptr, O);
  // 3 training batches, validations at epochs 0 and 2 and a final one at 3.
  EXPECT_EQ(Calls, 1 + 3 + 3);
  std::vector<double> X = {1, 2, 3}, Y = {1, 1, 2};
  auto [W, B] = sgdLine(X, Y);
  EXPECT_NEAR(Net.find("out", "w").at(0), W, 1e-12);
  // The final validation (epoch 3 is not a multiple of 2) is reported.
  ASSERT_TRUE(ValidMon.count("loss"));
  double Loss = 0;
  for (size_t I = 0; I < X.size(); ++I)
    Loss += (W * X[I] + B - Y[I]) * (W * X[I] + B - Y[I]) / 3;
  EXPECT_NEAR(ValidMon.at("loss"), Loss, 1e-12);
  EXPECT_THAT(errorOf([] {
                Dataset D([] { return TensorMap{{"in", column({})}}; },
                          {.Name = "gen"});
              }),
              HasSubstr("dataset 'gen' is empty"));
}

TEST(Trainer, ClassifierLearnsSeparableData) {
  // Two Gaussian blobs; class = which side of x0 + x1 = 0.
  std::vector<double> X, L;
  for (int I = 0; I < 400; ++I) {
    double A = std::sin(I * 12.9898) * 43758.5453;
    double Bv = std::sin(I * 78.233) * 12345.6789;
    double U = A - std::floor(A) - 0.5, V = Bv - std::floor(Bv) - 0.5;
    X.push_back(U);
    X.push_back(V);
    L.push_back(U + V > 0 ? 1 : 0);
  }
  Classifier Net({2, 8, 2});
  Dataset Train({{"in", tensor({400, 2}, X)},
                 {"target", tensor({400}, L, DType::I32)}},
                {.BatchSize = 32});
  Dataset Valid = Train.split(0.75, "valid");
  TrainOptions O;
  O.Algo = "adam";
  O.Hyper["learning_rate"] = 0.05;
  O.ValidateEvery = 1;
  O.MaxUpdates = 40;
  auto [TrainMon, ValidMon] = train(Net, Train, &Valid, O);
  EXPECT_GT(ValidMon.at("acc"), 0.95);
  EXPECT_GT(Net.score(Valid.arrays().at("in"), Valid.arrays().at("target")),
            0.95);
  EXPECT_TRUE(TrainMon.count("loss") && TrainMon.count("err"));
}

TEST(Trainer, MonitorsReportFractionsAndGradientNorms) {
  Regressor Net({2, 3, 1}, {.FloatType = DType::F64});
  Dataset Data({{"in", tensor({4, 2}, {1, -1, 0.5, 2, -3, 0.25, 0, 1})},
                {"target", tensor({4, 1}, {1, 0, -1, 2})}},
               {.BatchSize = 4, .ShuffleRows = false});
  MonitorValues M = evaluateDataset(Net, Data, {}, {{"hid1:out", {0.1, 1}}});
  TensorMap Out = Net.feed_forward(Data.arrays().at("in"));
  const Tensor &H = Out.at("hid1:out");
  for (double Level : {0.1, 1.0}) {
    double Count = 0;
    for (int64_t I = 0; I < H.numel(); ++I)
      Count += H.at(I) < Level;
    std::string Key = std::string("hid1:out<") + (Level == 1 ? "1" : "0.1");
    ASSERT_TRUE(M.count(Key)) << Key;
    EXPECT_DOUBLE_EQ(M.at(Key), Count / H.numel());
  }
  EXPECT_THAT(errorOf([&] {
                evaluateDataset(Net, Data, {}, {{"nothing*", {1}}});
              }),
              HasSubstr("monitor pattern 'nothing*' matches no output"));
}

TEST(Trainer, BadDataAndOptionsAreNamed) {
  Classifier Net({2, 3});
  auto Make = [](Tensor X, Tensor Y) {
    return Dataset({{"in", std::move(X)}, {"target", std::move(Y)}},
                   {.Name = "train"});
  };
  TrainOptions O;
  O.MaxUpdates = 1;
  {
    Dataset D = Make(tensor({2, 2}, {1, 2, 3, 4}),
                     tensor({2}, {0, 3}, DType::I32));
    EXPECT_THAT(errorOf([&] { train(Net, D, nullptr, O); }),
                HasSubstr("dataset 'train': label 3 in row 1 of 'target' is "
                          "outside [0, 3)"));
  }
  {
    Dataset D = Make(tensor({2, 2}, {1, 2, 3, 4}), tensor({2}, {0, 1}));
    EXPECT_THAT(errorOf([&] { train(Net, D, nullptr, O); }),
                HasSubstr("expected i32 values, got f32"));
  }
  {
    Dataset D = Make(tensor({2, 3}, {1, 2, 3, 4, 5, 6}),
                     tensor({2}, {0, 1}, DType::I32));
    EXPECT_THAT(errorOf([&] { train(Net, D, nullptr, O); }),
                HasSubstr("'in'"));
  }
  {
    Dataset D({{"x", tensor({2, 2}, {1, 2, 3, 4})}}, {.Name = "train"});
    EXPECT_THAT(errorOf([&] { train(Net, D, nullptr, O); }),
                HasSubstr("dataset 'train' has no array 'in' (the model "
                          "reads: in, target)"));
  }
  {
    Dataset D = Make(tensor({2, 2}, {1, 2, 3, 4}),
                     tensor({2}, {0, 1}, DType::I32));
    TrainOptions Bad = O;
    Bad.Algo = "adamw";
    EXPECT_THAT(errorOf([&] { train(Net, D, nullptr, Bad); }),
                HasSubstr("adamw"));
    Bad = O;
    Bad.ValidateEvery = 0;
    EXPECT_THAT(errorOf([&] { train(Net, D, nullptr, Bad); }),
                HasSubstr("validate_every must be at least 1"));
  }
}

} // namespace
} // namespace netjit
