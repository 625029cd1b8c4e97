//===- model_options.h - Model and data options shared by commands --------===//
//
// `netjit train` builds a model from these options (--model, --layers,
// --loss, --weighted, --seed) and regularizer flags; train, eval and
// predict read arrays from the same file formats, and train and eval
// character data sets ("--data text:PATH") the same way.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/models.h"
#include "frontend/text_data.h"
#include "tools/commands.h"

#include <memory>
#include <string>
#include <vector>

namespace netjit::tool {

struct ModelChoice {
  /// classifier, regressor, autoencoder, or one of them after "recurrent-".
  std::string Kind = "classifier";
  std::vector<LayerSpec> Layers;
  /// --layers as given, for messages.
  std::string LayerText;
  /// (name, weight) in order; empty means the model's default loss.
  std::vector<std::pair<std::string, double>> Losses;
  bool Weighted = false;
  uint64_t Seed = 13;

  bool autoencoder() const { return Kind.ends_with("autoencoder"); }
};

/// Parses "784,256:relu,10": N, N:ACT, N:FORM or N:FORM:ACT per layer.
std::vector<LayerSpec> parseLayers(const std::string &Text);

/// Consumes a model option at Args[I] (--model, --layers, --loss,
/// --weighted, --seed); false when Args[I] is not one.
bool parseModelOption(ArgList Args, size_t &I, ModelChoice &M);
/// Consumes a regularizer option (--weight-l1, --weight-l2, --hidden-l1,
/// --contractive, --input-dropout, --hidden-dropout, --input-noise,
/// --hidden-noise, --recurrent-state, --recurrent-norm); false when Args[I]
/// is not one.
bool parseRegularizerOption(ArgList Args, size_t &I, Regularizers &R);

/// The model the options describe (TypeError for bad layers or losses).
std::unique_ptr<Network> makeModel(const ModelChoice &M);

/// An array from .npy, .csv, or an IDX file (gzipped or not), by content
/// and extension.
Tensor readArray(const std::string &Path);

/// PATH for a --data value "text:PATH" (a character data set); empty for
/// any other value, UsageError for "text:" alone.
std::string textDataPath(const std::string &Data);

/// A text's windows of Steps characters every Stride (0: Steps) as a model
/// of that kind reads them (frontend/text_data.h): one-hot inputs "in",
/// and as "target" the next characters' codes (a classifier), their one-hot
/// rows (a regressor), or nothing (an autoencoder). UsageError unless the
/// model is recurrent and its input and output layers have one unit per
/// alphabet character; RuntimeError naming Path (the text's file) when the
/// text is too short for one window.
TensorMap textData(const recurrent::Text &T, const std::string &Path,
                   const Network &Net, int64_t Steps, int64_t Stride);

} // namespace netjit::tool
