//===- train_cases.cpp - Training a classifier on Fashion-MNIST -----------===//
//
// All sides start from the same parameters (netjit's Classifier draws them;
// Eigen and libtorch copy them) and see the same batches in the same order:
// they read the rows of netjit's training Dataset, permuted once by its
// seed, and take each epoch's batch order from a Dataset of the same size
// and seed. So they train the same model up to float rounding, and their
// test accuracies after an epoch must agree closely; a side that differs
// from the Eigen baseline by more than kAccuracyTolerance is a MISMATCH.
//
// The sides are interleaved by epochs (Eigen, netjit, libtorch, then the
// reverse order, ...), the samples are the epochs' wall times, and the row
// shows their median. netjit's epoch is timed from the call of
// Trainer::next() to its last training batch (OnBatch), so the validation
// pass the loop may run after the batches is not counted. libtorch starts
// another epoch only when one more as long as its last would keep its total
// within kTorchBudget seconds: with Debian's reference BLAS an epoch takes
// 15-30 s, so it trains one.
//
// The compile cache stays in memory (NETJIT_CACHE_DIR=off while the case
// runs): the benchmark leaves the user's disk cache alone.
//
//===----------------------------------------------------------------------===//
#include "bench/train_cases.h"

#include "bench/eigen_models.h"
#include "bench/problems.h"
#ifdef NETJIT_BENCH_HAVE_TORCH
#include "bench/torch_cases.h"
#endif

#include "frontend/trainer.h"
#include "ir/error.h"
#include "runtime/data_io.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace netjit::bench {
namespace {

using Clock = std::chrono::steady_clock;

/// Epochs of netjit and Eigen (the accuracy figures are after these).
constexpr int64_t kEpochs = 5;
/// libtorch's epochs stop before their total would pass this many seconds.
constexpr double kTorchBudget = 20;
/// Test accuracies after the first epoch may differ from Eigen's by this
/// much: float rounding in a different order moves a few hundred of the
/// 10000 test rows at most, a wrong gradient or optimizer far more.
constexpr double kAccuracyTolerance = 0.02;
/// What `netjit train` uses (tools/train_command.cpp).
constexpr int64_t kBatch = 64;
constexpr double kLearningRate = 5e-4;
constexpr uint64_t kSeed = 13;

double seconds(Clock::duration D) {
  return std::chrono::duration<double>(D).count();
}

/// Sets NETJIT_CACHE_DIR for the object's lifetime.
class CacheOff {
public:
  CacheOff() {
    if (const char *Old = std::getenv("NETJIT_CACHE_DIR"))
      Saved = Old;
    setenv("NETJIT_CACHE_DIR", "off", 1);
  }
  ~CacheOff() {
    if (Saved)
      setenv("NETJIT_CACHE_DIR", Saved->c_str(), 1);
    else
      unsetenv("NETJIT_CACHE_DIR");
  }

private:
  std::optional<std::string> Saved;
};

/// One side: Epoch trains one epoch and returns its seconds and mean batch
/// loss; Accuracy scores the test set with the current parameters.
struct Side {
  std::string Name, Note;
  std::function<std::pair<double, double>()> Epoch;
  std::function<double()> Accuracy;
  bool Capped = false;
  std::vector<double> Seconds;
  double Loss = NAN, FirstAccuracy = NAN;

  double trained() const {
    double S = 0;
    for (double X : Seconds)
      S += X;
    return S;
  }
  /// Whether it runs in round Round: always the first; a capped side then
  /// only when another epoch as long as its last one stays in the budget.
  bool runs(int64_t Round) const {
    return Round < kEpochs && (Round == 0 || !Capped ||
                               trained() + Seconds.back() <= kTorchBudget);
  }
};

/// A side's row; Base is the baseline (Eigen) side.
Row rowOf(const Side &S, const Side &Base, double Accuracy, double Flops) {
  Row R;
  R.Case = kTrainCase;
  R.Implementation = S.Name;
  R.Note = S.Note;
  R.Samples = S.Seconds;
  R.MedianSeconds = median(S.Seconds);
  std::vector<double> Ratios;
  for (size_t I = 0; I < S.Seconds.size() && I < Base.Seconds.size(); ++I)
    Ratios.push_back(S.Seconds[I] / Base.Seconds[I]);
  R.Ratio = median(Ratios);
  R.RatioMin = *std::min_element(Ratios.begin(), Ratios.end());
  R.RatioMax = *std::max_element(Ratios.begin(), Ratios.end());
  R.CallsPerBatch = 1;
  R.Batches = 1;
  R.Extras = {{"gflops", Flops / R.MedianSeconds / 1e9},
              {"epochs", static_cast<double>(S.Seconds.size())},
              {"train_loss", S.Loss},
              {"test_acc_1", S.FirstAccuracy},
              {"test_acc", Accuracy}};
  if (&S != &Base) {
    double Diff = std::fabs(S.FirstAccuracy - Base.FirstAccuracy);
    R.Extras.emplace_back("acc_1_diff", Diff);
    if (!(Diff <= kAccuracyTolerance)) {
      char Buf[128];
      std::snprintf(Buf, sizeof Buf,
                    "test accuracy after epoch 1 differs from %s's by %.4f",
                    Base.Name.c_str(), Diff);
      R.Mismatch = Buf;
    }
  }
  return R;
}

} // namespace

std::vector<Row> trainFashionMnist() {
  std::fprintf(stderr, "netjit-bench: %s\n", kTrainCase);
  CacheOff NoDiskCache;
  FashionMnist F;
  try {
    F = loadFashionMnist();
  } catch (const RuntimeError &E) {
    std::fprintf(stderr, "netjit-bench: %s skipped: %s\n", kTrainCase,
                 E.what());
    return {};
  }
  const int64_t Rows = F.TrainImages.shape()[0], In = F.TrainImages.shape()[1],
                TestRows = F.TestImages.shape()[0];

  // netjit: what `netjit train` runs, without the validation split (every
  // side trains on all rows) and validating only before the first and
  // after the last epoch, so the restored "best" parameters are the last.
  Classifier Net({static_cast<int>(In), 256, 10});
  DatasetOptions DO;
  DO.BatchSize = kBatch;
  DO.Seed = kSeed;
  DO.Name = "train";
  Dataset Train(
      {{"in", std::move(F.TrainImages)}, {"target", std::move(F.TrainLabels)}},
      DO);
  DatasetOptions TO;
  TO.BatchSize = 1000;
  TO.ShuffleRows = false;
  TO.Name = "test";
  Dataset Test({{"in", F.TestImages}, {"target", F.TestLabels}}, TO);
  TrainOptions T;
  T.Algo = "adam";
  T.Hyper["learning_rate"] = kLearningRate;
  T.ValidateEvery = kEpochs;
  T.MaxUpdates = kEpochs;
  T.Patience = 10;
  Clock::time_point LastBatch;
  T.OnBatch = [&](int64_t, int64_t Done, int64_t Total) {
    if (Done == Total)
      LastBatch = Clock::now();
  };

  // The others start from netjit's initial parameters.
  const HyperParams &H = Optimizer::defaults();
  TrainProblem P;
  P.In = In;
  P.Hidden = 256;
  P.Out = 10;
  P.LearningRate = kLearningRate;
  P.Beta1 = std::exp2(-1.0 / H.at("beta1_halflife"));
  P.Beta2 = std::exp2(-1.0 / H.at("beta2_halflife"));
  P.Epsilon = H.at("rms_regularizer");
  P.W1 = Net.find("hid1", "w").data<float>();
  P.B1 = Net.find("hid1", "b").data<float>();
  P.W2 = Net.find("out", "w").data<float>();
  P.B2 = Net.find("out", "b").data<float>();
  TrainLoop EigenLoop = eigenTrainLoop(P);
#ifdef NETJIT_BENCH_HAVE_TORCH
  TrainLoop TorchLoop = torchTrainLoop(P);
#endif
  Trainer Tr(Net, Train, &Test, T);

  // Train's arrays are permuted and conformed (f32 images, i32 labels) now.
  const float *X = Train.arrays().at("in").data<float>();
  const int32_t *Labels = Train.arrays().at("target").data<int32_t>();
  const float *TestX = F.TestImages.data<float>();
  const int32_t *TestLabels = F.TestLabels.data<int32_t>();
  auto OrderFor = [&] {
    DatasetOptions OO = DO;
    OO.ShuffleRows = false;
    return Dataset({{"row", Tensor(DType::F32, {Rows, 1})}}, OO);
  };
  auto LoopSide = [&](const char *Name, const char *Note, TrainLoop L) {
    auto Order = std::make_shared<Dataset>(OrderFor());
    Side S;
    S.Name = Name;
    S.Note = Note;
    S.Epoch = [=] {
      BatchList Batches = Order->nextEpoch();
      auto Start = Clock::now();
      double Loss = L.Epoch(X, Labels, Batches);
      return std::make_pair(seconds(Clock::now() - Start), Loss);
    };
    S.Accuracy = [=] { return L.Accuracy(TestX, TestLabels, TestRows); };
    return S;
  };

  std::vector<Side> Sides;
  Sides.push_back(LoopSide("eigen",
                           "hand-written Eigen forward, backward and adam "
                           "loop, -O3 -march=native (bench/eigen_models.cpp)",
                           EigenLoop));
  Side Nj;
  Nj.Name = "netjit";
  Nj.Note = "Trainer::next() of `netjit train`'s model and settings, one "
            "thread, compile cache in memory";
  Nj.Epoch = [&] {
    auto Start = Clock::now();
    Tr.next();
    return std::make_pair(seconds(LastBatch - Start),
                          Tr.report().Train.at("loss"));
  };
  Nj.Accuracy = [&] { return Net.score(F.TestImages, F.TestLabels); };
  Sides.push_back(std::move(Nj));
#ifdef NETJIT_BENCH_HAVE_TORCH
  Side Torch = LoopSide("libtorch",
                        "torch::nn::Linear + torch::optim::Adam eager loop, "
                        "1 thread; epochs while their total stays <= 20 s",
                        TorchLoop);
  Torch.Capped = true;
  Sides.push_back(std::move(Torch));
#endif

  for (int64_t Round = 0; Round < kEpochs; ++Round) {
    for (size_t K = 0; K < Sides.size(); ++K) {
      Side &S = Sides[Round % 2 ? Sides.size() - 1 - K : K];
      if (!S.runs(Round))
        continue;
      auto [Seconds, Loss] = S.Epoch();
      S.Seconds.push_back(Seconds);
      S.Loss = Loss;
      std::fprintf(stderr, "  %-8s epoch %lld: %.3f s, train loss %.4f\n",
                   S.Name.c_str(), static_cast<long long>(Round + 1), Seconds,
                   Loss);
    }
    if (Round == 0)
      for (Side &S : Sides)
        S.FirstAccuracy = S.Accuracy();
  }
  Tr.finish();

  double Flops = P.gemmFlopsPerRow() * static_cast<double>(Rows);
  std::vector<Row> Out;
  for (const Side &S : Sides)
    Out.push_back(rowOf(S, Sides[0],
                        S.Seconds.size() == 1 ? S.FirstAccuracy : S.Accuracy(),
                        Flops));
  return Out;
}

} // namespace netjit::bench
