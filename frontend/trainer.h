//===- trainer.h - Early-stopped training of a Network ---------------------===//
//
// theanets' training loop on compiled functions:
//
//   Dataset Train({{"in", X}, {"target", Y}}, {.BatchSize = 64});
//   TrainOptions O;                 // rmsprop, validate_every 10, patience 5
//   O.Algo = "adam";
//   O.Hyper["learning_rate"] = 1e-3;
//   auto [TrainMon, ValidMon] = train(Net, Train, &Valid, O);
//
// One compiled step function computes the objective, the monitors and every
// gradient, and applies the optimizer's updates to the parameters and its
// state in place (frontend/optimizers.h): a training step allocates
// nothing. Validation runs a second compiled function with the monitors
// only, without dropout or noise (theanets validates with them on; netjit
// does not, see docs/training.md).
//
// The loop: before the first epoch and after epochs validate_every,
// 2·validate_every, ... a validation pass compares the "loss" monitor with
// the best so far; it improves when best - loss > best·min_improvement (the
// first always does) and the parameters are copied aside. Training stops
// when more than `patience` validations have passed without improvement,
// after max_updates epochs, or after MaxSeconds, and the best parameters
// are restored (after one more validation if the last epochs were not
// validated). Monitor values are unweighted means over the epoch's batches.
//
// Datasets hold whole arrays keyed by the model's variables(); their rows
// are permuted once (by the seed) and cut into fixed contiguous batches whose
// order is reshuffled every epoch, so each step binds slices of the arrays
// without copying. A dataset can instead draw its batches from a callable
// (BatchSource), IterationSize of them per epoch (100 by default, as
// theanets), each checked like a dataset's arrays when it is drawn.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/models.h"
#include "frontend/optimizers.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace netjit {

/// Monitor values by name ("loss", "err", "acc", each loss and penalty,
/// user monitors "hid1:out<0.1", gradient norms "grad(hid1.w)").
using MonitorValues = std::map<std::string, double>;

struct DatasetOptions {
  int64_t BatchSize = 32;
  /// Batches per epoch; 0 = all of them.
  int64_t IterationSize = 0;
  /// Seeds the row permutation and the batch order.
  uint64_t Seed = 13;
  /// Permute the rows once when the dataset is built (theanets keeps the
  /// rows in order and only shuffles the batches).
  bool ShuffleRows = true;
  /// The dataset's name in error messages ("train", "valid").
  std::string Name = "data";
};

/// A callable that returns one batch per call: arrays keyed by the model's
/// variable names, with equal row counts.
using BatchSource = std::function<TensorMap()>;

/// Arrays of equal row counts, cut into batches, or batches from a callable.
class Dataset {
public:
  /// Checks that every array has the same number of rows (> 0) and finite
  /// float values; RuntimeError naming the array otherwise.
  Dataset(TensorMap Arrays, DatasetOptions Options = {});
  /// Batches drawn from Source (BatchSize and ShuffleRows do not apply).
  /// Draws one batch at once to check it.
  Dataset(BatchSource Source, DatasetOptions Options = {});

  int64_t rows() const { return Rows; }
  int64_t batchesPerEpoch() const;
  const TensorMap &arrays() const { return Arrays; }
  const DatasetOptions &options() const { return Options; }
  /// The row range [Begin, End) of each batch, in this epoch's order; the
  /// next epoch reshuffles. For a callable dataset every range is
  /// (-1, -1): draw() the batch.
  std::vector<std::pair<int64_t, int64_t>> nextEpoch();
  /// Converts an array in place to the dtype a graph reads it as (floats
  /// to the model's float type, integer labels to i32); RuntimeError when
  /// the kinds differ.
  void conform(const std::string &Name, DType T);

  /// The row's index in the arrays as given (before the permutation).
  int64_t originalRow(int64_t Row) const;

  /// For a callable dataset: replaces arrays() with the next batch.
  void draw();

  /// The first Fraction of the rows (after the permutation) stay here; the
  /// rest are returned as a new dataset with the same options.
  Dataset split(double Fraction, std::string Name);

private:
  TensorMap Arrays;
  DatasetOptions Options;
  int64_t Rows = 0;
  uint64_t Epochs = 0;
  /// Origin[r] = the given index of row r (empty: not permuted).
  std::vector<int64_t> Origin;
  BatchSource Source;
  void validate();
};

/// theanets' user monitors: outputs or params whose name matches Pattern
/// (a glob) report mean(value < level) for each level, as "<name><<level>".
struct MonitorSpec {
  std::string Pattern;
  std::vector<double> Levels;
};

/// What the loop reports after each epoch.
struct EpochReport {
  /// Epochs done (1 after the first); 0 for the validation before training.
  int64_t Epoch = 0;
  /// The training monitors of this epoch (empty for epoch 0).
  MonitorValues Train;
  /// Set on epochs that validated: the parameters after the epoch.
  std::optional<MonitorValues> Valid;
  bool Improved = false;
  double Seconds = 0;
};

struct TrainOptions {
  /// The optimizer (frontend/optimizers.h) and its hyper-parameters.
  std::string Algo = "rmsprop";
  HyperParams Hyper;
  Regularizers Reg;
  int64_t ValidateEvery = 10;
  int64_t Patience = 5;
  double MinImprovement = 0;
  /// Epochs; 0 = no limit.
  int64_t MaxUpdates = 0;
  /// Stop (and restore the best parameters) after this much training time;
  /// 0 = no limit.
  double MaxSeconds = 0;
  std::vector<MonitorSpec> Monitors;
  bool MonitorGradients = false;
  /// Save the model every SaveEvery epochs to SaveProgress ("{}" becomes
  /// the Unix time); 0 = never.
  int64_t SaveEvery = 0;
  std::string SaveProgress;
  /// Called after every epoch; returning false stops training (the best
  /// parameters are still restored).
  std::function<bool(const EpochReport &)> OnEpoch;
  /// Called after every training batch with (epoch, batch, batches).
  std::function<void(int64_t, int64_t, int64_t)> OnBatch;
};

namespace detail {
struct TrainerState;
} // namespace detail

/// theanets' itertrain: one epoch per next(). Compiles the step and
/// validation functions when constructed (errors for bad data or options
/// are thrown there). Valid may be null: the training set validates
/// (theanets' default, not a good one). The best parameters are restored
/// when next() returns false, or by finish().
class Trainer {
public:
  Trainer(Network &Net, Dataset &Train, Dataset *Valid, TrainOptions O);
  Trainer(Trainer &&) noexcept;
  ~Trainer();

  /// Runs one epoch (validating first when it is due); false once the loop
  /// has stopped.
  bool next();
  /// The report of the last epoch next() ran (before the first call: the
  /// validation of the initial parameters, epoch 0).
  const EpochReport &report() const;
  /// The best validation loss so far and the epoch it was seen at.
  double bestLoss() const;
  int64_t bestEpoch() const;
  /// Stops now and restores the best parameters (idempotent).
  void finish();
  /// Why the loop stopped ("patience", "max_updates", "max_seconds",
  /// "callback"); empty while it runs.
  const std::string &stopReason() const;

private:
  std::unique_ptr<detail::TrainerState> S;
};

/// Runs the loop to the end; returns the last (train, valid) monitors.
std::pair<MonitorValues, MonitorValues>
train(Network &Net, Dataset &Train, Dataset *Valid, const TrainOptions &O);

/// The monitors of the model on a whole dataset (no dropout or noise),
/// averaged over its batches, compiled.
MonitorValues evaluateDataset(const Network &Net, Dataset &Data,
                              const Regularizers &Reg = {},
                              const std::vector<MonitorSpec> &Monitors = {});

/// The training step's graph as built, after the pipeline (with its
/// kernels), and its LLVM IR (empty when it runs on the interpreter): what
/// `netjit train --ir-dir` writes.
struct StepDump {
  std::string Graph, Fused, LlvmIR;
};
StepDump dumpTrainingStep(const Network &Net, const TrainOptions &O);

} // namespace netjit
