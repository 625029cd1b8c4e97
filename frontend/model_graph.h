//===- model_graph.h - Building one graph from a model (internal) ---------===//
//
// ModelGraph connects a Network's layers into a Function: data inputs for
// the input layers, params for every parameter (with the shapes of their
// current values), the regularizers' noise and dropout on each layer's
// outputs as it is connected, then the losses (declaring their targets and
// weights) and the penalty terms. lossFunction, gradientFunction, the
// evaluation functions and Autoencoder::decode are all built with it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/model.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace netjit {

class ModelGraph : public LayerContext {
public:
  ModelGraph(const Network &N, Function &F, const Regularizers *R = nullptr);

  /// Connects layers From.. (all by default). Given holds outputs that are
  /// fed instead of computed (a code for decode).
  void connect(size_t From = 0, const std::map<std::string, Expr> &Given = {});

  struct Objective {
    Expr Total, Err, Acc;
    /// Each loss and each penalty term, by output name.
    std::vector<std::pair<std::string, Expr>> Terms;
  };
  /// Builds every loss (declaring targets and weights) and the penalties.
  Objective objective();
  /// Declares O's monitors as outputs of the function: "loss", "err",
  /// "acc" (classifiers) and each loss and penalty term by name.
  void outputMonitors(const Objective &O);
  /// Declares step <- step + 1 when the graph draws random numbers.
  void addStepUpdate();

  /// Every output name -> Expr, in connection order.
  std::vector<std::pair<std::string, Expr>> Ordered;
  std::map<std::string, Expr> Outputs;

  // LayerContext, in build mode.
  std::vector<int64_t> inputShape(size_t I) const override;
  InitStream &stream() override;
  DType floatType() const override;
  const Layer &layer(std::string_view Name) const override;
  std::vector<const Layer *> earlierLayers() const override;
  Expr input(size_t I) override;
  Expr dataInput(std::string_view Name,
                 const std::vector<int64_t> &Dims) override;
  Expr param(std::string_view FullName) override;
  void create(std::string_view Suffix, Tensor Initial) override;
  Expr get(std::string_view Suffix) override;
  bool sequences() const override;
  Expr output(std::string_view FullName) override;

private:
  void setOutput(const std::string &Name, const Expr &E);
  /// Noise then dropout on a layer's fresh output.
  Expr regularize(const std::string &Name, size_t LayerIndex, Expr X);
  Expr randomKey(const std::string &Site);
  /// A target or weights input, or TypeError naming the loss on a clash.
  Expr declareData(const std::string &Name, const TensorType &T,
                   const std::string &LossName);
  std::vector<std::pair<std::string, Expr>> penalties();

  const Network &N;
  Function &F;
  const Regularizers *R;
  const Layer *Current = nullptr;
  Expr StepParam;
};

/// T converted to dtype To (data for an argument of that dtype), or
/// RuntimeError naming the data when the kinds (float, integer) differ.
Tensor convertData(const Tensor &T, DType To, const std::string &Name);

/// R² = 1 - Σw(y-ŷ)² / Σw(y-ȳ)² (W may be null: all ones).
double rSquared(const Tensor &Y, const Tensor &Predicted, const Tensor *W);

/// The output name losses read for a name given by a user ("hid1" ->
/// "hid1:out").
std::string fullOutputName(std::string_view Name);

} // namespace netjit
