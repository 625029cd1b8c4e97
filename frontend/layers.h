//===- layers.h - The layers a model is made of ---------------------------===//
//
// Layer forms (as theanets): input; feedforward/ff (one or several inputs:
// pre = sum_i x_i W_i + b, out = act(pre)); classifier/softmax (feedforward
// with softmax); tied (pre = x W_partner^T + b, sharing the partner's
// weights); concatenate/concat (on the last axis); product/prod
// (elementwise); flatten/flat (to [B, -1]); reshape (to [B, shape...]); and
// the recurrent forms rnn, lstm, gru, mrnn, scrn, clockwork, bcrnn and
// bidirectional (frontend/recurrent.h), which need a recurrent model's sequence data.
//
// Names follow theanets: a layer's outputs are "<layer>:pre" and
// "<layer>:out"; its parameters "<layer>.w" (or "<layer>.w_<input layer>"
// with several inputs), "<layer>.b", and its activation's ("<layer>.leak").
// A layer is set up once (shapes resolved, parameters drawn) and connected
// once per graph built from the model.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/activations.h"
#include "frontend/layer_spec.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace netjit {

class Layer;

/// What a layer sees of its model while it is set up and connected.
class LayerContext : public LayerParams {
public:
  /// Setup: the non-batch dims of input I, the layer's random stream, and
  /// the model's float dtype.
  virtual std::vector<int64_t> inputShape(size_t I) const = 0;
  virtual InitStream &stream() = 0;
  virtual DType floatType() const = 0;
  /// Another layer of the model (a tied layer's partner); TypeError if none.
  virtual const Layer &layer(std::string_view Name) const = 0;
  /// The layers before this one, nearest first.
  virtual std::vector<const Layer *> earlierLayers() const = 0;
  /// Connect: input I, a data input of the graph, any parameter by name.
  virtual Expr input(size_t I) = 0;
  virtual Expr dataInput(std::string_view Name,
                         const std::vector<int64_t> &Dims) = 0;
  virtual Expr param(std::string_view FullName) = 0;
  /// Whether the model's data are sequences [B, T, ...] (a recurrent
  /// model), which recurrent layers need.
  virtual bool sequences() const { return false; }
  /// Connect: any output computed so far ("hid1:out"), e.g. a recurrent
  /// layer's h_0; TypeError when the graph has none.
  virtual Expr output(std::string_view FullName);
};

class Layer {
public:
  Layer(LayerSpec Spec, std::string Name, std::vector<std::string> Inputs);
  virtual ~Layer() = default;

  const std::string &name() const { return Name; }
  const LayerSpec &spec() const { return Spec; }
  /// The form as written, lower-cased ("feedforward", "tied", ...).
  virtual std::string form() const = 0;
  /// The output names it reads ("in:out").
  const std::vector<std::string> &inputs() const { return Inputs; }
  /// Its output dims without the batch; size() is the last one.
  const std::vector<int64_t> &shape() const { return Shape; }
  int64_t size() const { return Shape.empty() ? 0 : Shape.back(); }
  /// Its parameters' full names, own first, then its activation's.
  const std::vector<std::string> &params() const { return Params; }
  /// Its output suffixes, e.g. {"pre", "out"}.
  virtual std::vector<std::string> outputs() const { return {"out"}; }
  /// The activation, for layers that have one.
  const Activation *activation() const { return Act.get(); }
  /// For a layer computing pre = x·W + b from its single input x: W
  /// [n_in, n_out] in the graph C builds (a tied layer's is its partner's
  /// weights transposed). Invalid for every other layer. The contractive
  /// penalty builds the layer's Jacobian from it.
  virtual Expr inputWeights(LayerContext &C) const { return Expr(); }

  /// Resolves the shape and creates the parameters (once).
  void setup(LayerContext &C);
  /// Builds the layer's outputs (suffix -> Expr) in the current graph.
  virtual std::map<std::string, Expr> connect(LayerContext &C) const = 0;

protected:
  friend std::unique_ptr<Layer> makeLayer(const LayerSpec &, std::string,
                                          std::vector<std::string>,
                                          const std::string &);
  /// Sets Shape from the inputs' shapes and the spec.
  virtual void resolveShape(LayerContext &C) = 0;
  /// Creates the layer's own parameters (after its activation's draws).
  virtual void createParams(LayerContext &C) {}
  /// Creates a parameter through C and records it for params().
  void addParam(LayerContext &C, std::string_view Suffix, Tensor Initial);

  LayerSpec Spec;
  std::string Name;
  std::vector<std::string> Inputs;
  std::vector<int64_t> Shape;
  std::vector<std::string> Params;
  std::shared_ptr<Activation> Act;
};

/// The layer Spec describes. Name and Inputs are already resolved; Default
/// is the activation when Spec names none. Error for an unknown form.
std::unique_ptr<Layer> makeLayer(const LayerSpec &Spec, std::string Name,
                                 std::vector<std::string> Inputs,
                                 const std::string &DefaultActivation);

} // namespace netjit
