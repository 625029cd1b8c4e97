//===- model.h - Network: layers, losses, parameters and their graphs -----===//
//
// The base of Regressor, Classifier and Autoencoder (frontend/models.h). A
// Network owns its layers (built from a LayerSpec list: the first item is
// the input layer "in", the middle ones "hid1", "hid2", ... with relu by
// default, the last "out" with the model's output activation), its
// parameters' values (drawn from one seed, a stream per layer), and its
// losses (a list in insertion order, each with a mutable weight).
//
// Graphs are built from the current state on demand: lossFunction() has
// the objective "loss" = Σ weight·loss + Σ regularizers, "err" (the first
// loss alone), "acc" for classification, one output per loss and per
// penalty, and every layer output ("hid1:out"); gradientFunction() has the
// loss, err, acc and "grad(<param>)" for every parameter; ir()/dot() print
// either, or the gradient graph after the optimization pipeline.
//
// Evaluation (feed_forward, predict, score, evaluate) runs through one
// internal function (frontend/evaluate.h). Data is a TensorMap keyed by
// variables(): the input layers ("in"), then each loss's target ("target")
// and weights ("weights").
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/grad.h"
#include "frontend/layers.h"
#include "frontend/losses.h"
#include "frontend/regularizers.h"

#include <memory>
#include <string>
#include <vector>

namespace netjit {

namespace detail {
struct TrainerState;
struct ModelFileAccess;
} // namespace detail

struct ModelOptions {
  /// A loss name, spec or object; "" picks the model's default.
  LossSpec Loss = LossSpec("");
  /// Whether every loss reads weights (same shape as its target).
  bool Weighted = false;
  /// The one seed every layer's initial parameters derive from.
  uint64_t Seed = 13;
  DType FloatType = DType::F32;
};

enum class GraphStage { Loss, Gradient, Optimized };

class Network {
public:
  /// A model with a linear output layer and the mse loss by default.
  explicit Network(std::vector<LayerSpec> Layers, ModelOptions Options = {},
                   SourceLoc Loc = SourceLoc::current());
  virtual ~Network() = default;
  Network(Network &&) = default;

  const std::vector<std::unique_ptr<Layer>> &layers() const { return Layers; }
  /// A layer by name; TypeError listing the names when there is none.
  const Layer &layer(std::string_view Name) const;
  /// Every parameter, in layer order (each layer's own, then its
  /// activation's).
  const std::vector<std::string> &params() const { return ParamOrder; }
  /// A parameter's value, by layer (name or index) and parameter name
  /// ("w", or the full "hid1.w"); TypeError when there is none.
  Tensor &find(std::string_view Layer, std::string_view Param);
  Tensor &find(size_t Layer, std::string_view Param);
  /// Every parameter's value by full name.
  const TensorMap &paramValues() const { return Values; }
  DType floatType() const { return Options.FloatType; }
  bool weighted() const { return Options.Weighted; }
  /// Whether the data are sequences [B, T, ...] (a recurrent model).
  bool recurrent() const { return Recurrent; }
  /// The names of the data a batch holds, in order.
  std::vector<std::string> variables() const;

  /// Appends a loss (name, spec or object); it is built at once, so a bad
  /// loss is an error here.
  void add_loss(const LossSpec &Spec, SourceLoc Loc = SourceLoc::current());
  /// Replaces every loss with one.
  void set_loss(const LossSpec &Spec, SourceLoc Loc = SourceLoc::current());
  /// The losses in insertion order; weights may be changed at any time.
  const std::vector<std::shared_ptr<Loss>> &losses() const { return Losses; }

  Function lossFunction(const Regularizers &R = {}) const;
  Function gradientFunction(const Regularizers &R = {}) const;
  /// IR text or Graphviz DOT of a stage's graph.
  std::string ir(GraphStage Stage, const Regularizers &R = {}) const;
  std::string dot(GraphStage Stage, const Regularizers &R = {}) const;

  /// Every named output for the inputs (X feeds the single input layer).
  TensorMap feed_forward(const Tensor &X, const Regularizers &R = {}) const;
  TensorMap feed_forward(const TensorMap &Inputs,
                         const Regularizers &R = {}) const;
  /// The last layer's output (a classifier's: the most probable class).
  virtual Tensor predict(const Tensor &X) const;
  /// R² = 1 - Σw(y-ŷ)² / Σw(y-ȳ)², ȳ the mean of y (weights default to 1).
  /// (Classifier and Autoencoder have their own score.)
  double score(const Tensor &X, const Tensor &Y) const;
  double score(const Tensor &X, const Tensor &Y, const Tensor &W) const;
  /// The monitors of lossFunction (loss, err, acc, each loss) on a batch;
  /// checks the data first (check_weights for the weights).
  TensorMap evaluate(const TensorMap &Batch, const Regularizers &R = {}) const;
  /// Compares the objective's gradient w.r.t. every parameter with finite
  /// differences on a batch (in f64; see frontend/grad.h).
  GradCheckResult check_grad(const TensorMap &Batch,
                             const Regularizers &R = {}) const;

protected:
  enum class Kind { Network, Regressor, Classifier, Autoencoder };
  /// Sequences: a recurrent model, whose data are [B, T, ...].
  Network(std::vector<LayerSpec> Layers, ModelOptions Options, Kind K,
          SourceLoc Loc, bool Sequences = false);
  /// The default target name for losses that do not name one.
  std::string defaultTarget() const;
  /// Runs a graph on the batch plus the parameters.
  TensorMap run(const Function &F, const TensorMap &Batch) const;
  std::string outName() const { return Layers.back()->name() + ":out"; }

  Kind ModelKind;
  ModelOptions Options;
  bool Recurrent = false;
  std::vector<std::unique_ptr<Layer>> Layers;
  std::vector<std::string> ParamOrder;
  TensorMap Values;             // parameter values by full name
  mutable int64_t Step = 0;     // the random-key step counter
  std::vector<std::shared_ptr<Loss>> Losses;

  friend class ModelGraph;
  friend class ModelSetup;
  friend struct detail::TrainerState;
  friend struct detail::ModelFileAccess; // frontend/model_file.cpp
};

} // namespace netjit
