//===- models.h - Regressor, Classifier and Autoencoder -------------------===//
//
// The three model types of theanets:
//
//   Regressor Net({10, 20, 3}, {.Loss = "mae"});
//   Classifier C({784, {256, "tanh"}, 10}, {.Weighted = true});
//   Autoencoder A({5, 3, 5}, {.Weighted = true});
//
// Regressor: float targets shaped like the output, linear output layer,
// mse by default. Classifier: i32 labels [B], softmax output layer, xe by
// default, predict = argmax, score = (weighted) accuracy. Autoencoder: the
// target is the input itself (so its data is only "in", plus "weights"),
// linear output, mse, encode/decode through the middle layer.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/model.h"

namespace netjit {

class Regressor : public Network {
public:
  explicit Regressor(std::vector<LayerSpec> Layers, ModelOptions Options = {},
                     SourceLoc Loc = SourceLoc::current());

protected:
  /// Sequences: the recurrent variant (frontend/recurrent.h).
  Regressor(std::vector<LayerSpec> Layers, ModelOptions Options,
            SourceLoc Loc, bool Sequences);
};

class Classifier : public Network {
public:
  explicit Classifier(std::vector<LayerSpec> Layers, ModelOptions Options = {},
                      SourceLoc Loc = SourceLoc::current());
  /// The most probable class per row (i64 [B]).
  Tensor predict(const Tensor &X) const override;
  /// The output layer's probabilities and pre-activations.
  Tensor predict_proba(const Tensor &X) const;
  Tensor predict_logit(const Tensor &X) const;
  /// The accuracy of predict(X) against Labels, weighted by W when given.
  double score(const Tensor &X, const Tensor &Labels) const;
  double score(const Tensor &X, const Tensor &Labels, const Tensor &W) const;

protected:
  Classifier(std::vector<LayerSpec> Layers, ModelOptions Options,
             SourceLoc Loc, bool Sequences);
};

class Autoencoder : public Network {
public:
  explicit Autoencoder(std::vector<LayerSpec> Layers,
                       ModelOptions Options = {},
                       SourceLoc Loc = SourceLoc::current());
  /// The code: the output of Layer (a layer or output name; the middle
  /// layer, layers[size/2], by default).
  Tensor encode(const Tensor &X, std::string_view Layer = "") const;
  /// The reconstruction from a code given at Layer (default as encode).
  Tensor decode(const Tensor &Code, std::string_view Layer = "") const;
  /// R² of the reconstruction of X, weighted by W when given.
  double score(const Tensor &X) const;
  double score(const Tensor &X, const Tensor &W) const;

protected:
  Autoencoder(std::vector<LayerSpec> Layers, ModelOptions Options,
              SourceLoc Loc, bool Sequences);

private:
  /// The output name encode/decode use for Layer.
  std::string codeOutput(std::string_view Layer) const;
};

} // namespace netjit
