//===- model_file.h - Saving and loading trained models -------------------===//
//
// A model file holds everything needed to rebuild a Network exactly: its
// kind (Regressor, Classifier, Autoencoder, their recurrent:: variants, or
// a plain Network), its layer specs, its options (weighted, seed, float
// type), its losses with their weights and options, the random step
// counter, and every parameter's value; optionally the regularizers it was
// trained with and free-form metadata. docs/model-file.md specifies the format: a versioned binary
// header, the architecture as text, the raw parameters and a CRC-32.
//
//   saveModel(Net, "net.njm", Regs);
//   std::unique_ptr<Network> Back = loadModel("net.njm");
//   // Back->predict(X) equals Net.predict(X) bit for bit.
//
// Saving is atomic (a temporary file renamed over the target), so a crash
// leaves the previous file intact. Loading checks everything before it
// builds the model; a truncated or corrupt file, a newer format version, an
// unknown layer form, activation or loss name, or parameters that do not
// match the architecture are RuntimeErrors naming the file and the problem.
// Losses are stored by name and rebuilt through the registry
// (frontend/losses.h), so a custom loss must be registered under the same
// name before its model is loaded; its options round-trip, any other state
// of a loss object does not.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/models.h"
#include "frontend/regularizers.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace netjit {

/// Free-form text stored with a model (what it was trained on, for how
/// long, ...).
using ModelMetadata = std::map<std::string, std::string>;

/// The newest format version this netjit reads. It writes the lowest
/// version that holds a model: 1, or 2 for a recurrent model or the
/// recurrent regularizers (docs/model-file.md).
inline constexpr uint32_t kModelFormatVersion = 2;

/// The contents of a model file.
struct ModelFile {
  /// A Regressor, Classifier, Autoencoder, one of their recurrent::
  /// variants, or a Network, as it was saved.
  std::unique_ptr<Network> Net;
  Regularizers Regs;
  ModelMetadata Metadata;
};

/// The file's bytes for Net (and the regularizers and metadata to keep).
std::string serializeModel(const Network &Net, const Regularizers &R = {},
                           const ModelMetadata &Metadata = {});
/// Writes serializeModel's bytes to Path atomically; RuntimeError naming
/// Path when it cannot.
void saveModel(const Network &Net, const std::string &Path,
               const Regularizers &R = {}, const ModelMetadata &Metadata = {});

/// Rebuilds a model from a file's bytes; RuntimeError starting with Source
/// for anything malformed.
ModelFile parseModelFile(std::string_view Bytes,
                         std::string_view Source = "<memory>");
ModelFile readModelFile(const std::string &Path);
/// The model alone (readModelFile(Path).Net).
std::unique_ptr<Network> loadModel(const std::string &Path);

} // namespace netjit
