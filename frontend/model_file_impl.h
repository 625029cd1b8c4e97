//===- model_file_impl.h - Internals shared by the model-file sources -----===//
//
// Internal to frontend/model_file*.cpp. A ModelDescription is a parsed,
// syntactically checked architecture text; buildModel turns it (and the
// parameter bytes, already sized against the file) into a Network.
// ModelFileAccess is the Network's friend that reads and sets what the
// public API does not expose: the kind, the options, the step counter and
// the parameter values.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/model_file.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace netjit::detail {

struct ModelFileAccess {
  static int kind(const Network &N) { return static_cast<int>(N.ModelKind); }
  static const ModelOptions &options(const Network &N) { return N.Options; }
  static int64_t step(const Network &N) { return N.Step; }
  static void setStep(Network &N, int64_t S) { N.Step = S; }
  static TensorMap &values(Network &N) { return N.Values; }
};

/// Network::Kind's values, in order, as the file spells them; a recurrent
/// model's kind is "recurrent_" and the name (format 2).
inline constexpr const char *kKindNames[] = {"network", "regressor",
                                             "classifier", "autoencoder"};
inline constexpr std::string_view kRecurrentPrefix = "recurrent_";

/// The first format version with recurrent kinds and the recurrent_*
/// regularizers; a writer uses it only for models that need it.
inline constexpr uint32_t kRecurrentFormatVersion = 2;

/// Every field of Regularizers, by its name in the file and the first
/// format version that has it.
struct RegNumber {
  const char *Name;
  double Regularizers::*Field;
  uint32_t Since = 1;
};
struct RegText {
  const char *Name;
  std::string Regularizers::*Field;
  uint32_t Since = 1;
};
inline const RegNumber kRegNumbers[] = {
    {"weight_l1", &Regularizers::WeightL1},
    {"weight_l2", &Regularizers::WeightL2},
    {"hidden_l1", &Regularizers::HiddenL1},
    {"contractive", &Regularizers::Contractive},
    {"input_dropout", &Regularizers::InputDropout},
    {"hidden_dropout", &Regularizers::HiddenDropout},
    {"output_dropout", &Regularizers::OutputDropout},
    {"input_noise", &Regularizers::InputNoise},
    {"hidden_noise", &Regularizers::HiddenNoise},
    {"output_noise", &Regularizers::OutputNoise},
    {"recurrent_state", &Regularizers::RecurrentState, 2},
    {"recurrent_norm", &Regularizers::RecurrentNorm, 2}};
inline const RegText kRegTexts[] = {
    {"weight_pattern", &Regularizers::WeightPattern},
    {"hidden_pattern", &Regularizers::HiddenPattern},
    {"contractive_pattern", &Regularizers::ContractivePattern},
    {"recurrent_state_pattern", &Regularizers::RecurrentStatePattern, 2},
    {"recurrent_norm_pattern", &Regularizers::RecurrentNormPattern, 2}};

/// Regularizers' fields by type; a field added there changes its size and
/// stops the build here until the tables above (and docs/model-file.md)
/// have it too.
struct RegularizersLayout {
  double WeightL1, WeightL2;
  std::string WeightPattern;
  double HiddenL1;
  std::string HiddenPattern;
  double Contractive;
  std::string ContractivePattern;
  double RecurrentState;
  std::string RecurrentStatePattern;
  double RecurrentNorm;
  std::string RecurrentNormPattern;
  double Numbers[6];
  std::map<std::string, double> Dropout, Noise;
};
static_assert(sizeof(Regularizers) == sizeof(RegularizersLayout),
              "Regularizers changed: update kRegNumbers/kRegTexts");
static_assert(std::size(kRegNumbers) == 12 && std::size(kRegTexts) == 5,
              "every double and string field of Regularizers has an entry");

struct LayerRecord {
  std::string Name, Form, Activation;
  std::optional<int64_t> Size;
  std::vector<std::string> Inputs;
  std::map<std::string, LayerSpec::Value> Options;
};

struct LossRecord {
  std::string Form, Output, Target;
  double Weight = 1;
  std::map<std::string, LossSpec::Value> Options;
};

struct ParamRecord {
  std::string Name;
  DType Type = DType::F32;
  std::vector<int64_t> Shape;
};

struct ModelDescription {
  /// The header's format version.
  uint32_t Version = 1;
  int Kind = 0;
  bool Recurrent = false;
  DType FloatType = DType::F32;
  bool Weighted = false;
  uint64_t Seed = 0;
  int64_t Step = 0;
  std::vector<LayerRecord> Layers;
  std::vector<LossRecord> Losses;
  Regularizers Regs;
  ModelMetadata Meta;
  std::vector<ParamRecord> Params;
};

/// The model D describes, with its parameters' values read from Data (whose
/// size is exactly what D.Params needs). RuntimeError naming Source when
/// the architecture does not build or its parameters differ from D's.
ModelFile buildModel(ModelDescription D, std::string_view Data,
                     std::string_view Source);

} // namespace netjit::detail
