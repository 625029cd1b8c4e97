//===- model_options.cpp - Model and data options shared by commands ------===//
#include "tools/model_options.h"
#include "frontend/recurrent.h"
#include "runtime/data_io.h"
#include "runtime/npy.h"

#include <cmath>

namespace netjit::tool {

namespace {

double parseNumber(const std::string &Value, std::string_view Option) {
  try {
    size_t Used = 0;
    double V = std::stod(Value, &Used);
    if (Used == Value.size() && std::isfinite(V))
      return V;
  } catch (const std::exception &) {
  }
  throw UsageError("option '" + std::string(Option) +
                   "' needs a number, got '" + Value + "'");
}

std::vector<std::string> splitOn(const std::string &S, char Sep) {
  std::vector<std::string> Out;
  size_t Start = 0;
  while (true) {
    size_t At = S.find(Sep, Start);
    Out.push_back(S.substr(Start, At - Start));
    if (At == std::string::npos)
      return Out;
    Start = At + 1;
  }
}

bool matches(const std::string &A, std::string_view Name) {
  return A == Name || A.starts_with(std::string(Name) + "=");
}

} // namespace

std::vector<LayerSpec> parseLayers(const std::string &Text) {
  std::vector<LayerSpec> Out;
  for (const std::string &Item : splitOn(Text, ',')) {
    std::vector<std::string> Parts = splitOn(Item, ':');
    int Size = 0;
    try {
      size_t Used = 0;
      Size = std::stoi(Parts[0], &Used);
      if (Used != Parts[0].size() || Size < 1)
        throw std::invalid_argument("size");
    } catch (const std::exception &) {
      throw UsageError("--layers: '" + Item +
                       "' does not start with a positive layer size (the "
                       "forms are N, N:ACT, N:FORM, N:FORM:ACT)");
    }
    if (Parts.size() > 3)
      throw UsageError("--layers: '" + Item + "' has more than 3 parts");
    LayerSpec L(Size);
    if (Parts.size() == 2) {
      if (isLayerForm(Parts[1]))
        L.form(Parts[1]);
      else
        L.activation(Parts[1]);
    } else if (Parts.size() == 3) {
      L.form(Parts[1]);
      L.activation(Parts[2]);
    }
    Out.push_back(std::move(L));
  }
  if (Out.size() < 2)
    throw UsageError("--layers needs at least an input and an output layer, "
                     "got '" + Text + "'");
  return Out;
}

bool parseModelOption(ArgList Args, size_t &I, ModelChoice &M) {
  const std::string &A = Args[I];
  if (matches(A, "--model")) {
    M.Kind = optionValue(Args, I, "--model");
    std::string_view Base = M.Kind;
    if (Base.starts_with("recurrent-"))
      Base.remove_prefix(10);
    if (Base != "classifier" && Base != "regressor" && Base != "autoencoder")
      throw UsageError("--model is classifier, regressor, autoencoder, "
                       "recurrent-classifier, recurrent-regressor or "
                       "recurrent-autoencoder, got '" + M.Kind + "'");
  } else if (matches(A, "--layers")) {
    M.LayerText = optionValue(Args, I, "--layers");
    M.Layers = parseLayers(M.LayerText);
  } else if (matches(A, "--loss")) {
    std::string L = optionValue(Args, I, "--loss");
    size_t Colon = L.rfind(':');
    double W = 1;
    if (Colon != std::string::npos) {
      W = parseNumber(L.substr(Colon + 1), "--loss");
      L = L.substr(0, Colon);
    }
    M.Losses.emplace_back(L, W);
  } else if (A == "--weighted") {
    M.Weighted = true;
  } else if (matches(A, "--seed")) {
    double S = parseNumber(optionValue(Args, I, "--seed"), "--seed");
    if (S < 0 || S != std::floor(S))
      throw UsageError("--seed needs a non-negative integer");
    M.Seed = static_cast<uint64_t>(S);
  } else {
    return false;
  }
  return true;
}

bool parseRegularizerOption(ArgList Args, size_t &I, Regularizers &R) {
  const std::pair<const char *, double *> Table[] = {
      {"--weight-l1", &R.WeightL1},
      {"--weight-l2", &R.WeightL2},
      {"--hidden-l1", &R.HiddenL1},
      {"--contractive", &R.Contractive},
      {"--input-dropout", &R.InputDropout},
      {"--hidden-dropout", &R.HiddenDropout},
      {"--input-noise", &R.InputNoise},
      {"--hidden-noise", &R.HiddenNoise},
      {"--recurrent-state", &R.RecurrentState},
      {"--recurrent-norm", &R.RecurrentNorm}};
  for (auto [Name, Field] : Table)
    if (matches(Args[I], Name)) {
      *Field = parseNumber(optionValue(Args, I, Name), Name);
      return true;
    }
  return false;
}

std::unique_ptr<Network> makeModel(const ModelChoice &M) {
  ModelOptions O;
  O.Weighted = M.Weighted;
  O.Seed = M.Seed;
  if (!M.Losses.empty())
    O.Loss = LossSpec(M.Losses[0].first).weight(M.Losses[0].second);
  std::unique_ptr<Network> Net;
  if (M.Kind == "classifier")
    Net = std::make_unique<Classifier>(M.Layers, O);
  else if (M.Kind == "regressor")
    Net = std::make_unique<Regressor>(M.Layers, O);
  else if (M.Kind == "autoencoder")
    Net = std::make_unique<Autoencoder>(M.Layers, O);
  else if (M.Kind == "recurrent-classifier")
    Net = std::make_unique<recurrent::Classifier>(M.Layers, O);
  else if (M.Kind == "recurrent-regressor")
    Net = std::make_unique<recurrent::Regressor>(M.Layers, O);
  else
    Net = std::make_unique<recurrent::Autoencoder>(M.Layers, O);
  for (size_t I = 1; I < M.Losses.size(); ++I)
    Net->add_loss(LossSpec(M.Losses[I].first).weight(M.Losses[I].second));
  return Net;
}

Tensor readArray(const std::string &Path) {
  if (Path.ends_with(".npy"))
    return readNpy(Path);
  if (Path.ends_with(".csv"))
    return readCsv(Path);
  return readIdx(Path);
}

std::string textDataPath(const std::string &Data) {
  if (Data == "text:")
    throw UsageError("--data text: needs a file: --data text:PATH");
  return Data.starts_with("text:") ? Data.substr(5) : std::string();
}

TensorMap textData(const recurrent::Text &T, const std::string &Path,
                   const Network &Net, int64_t Steps, int64_t Stride) {
  int K = T.alphabetSize();
  bool Auto = dynamic_cast<const Autoencoder *>(&Net) != nullptr;
  bool Labels = dynamic_cast<const Classifier *>(&Net) != nullptr;
  if (!Net.recurrent())
    throw UsageError("--data text: is sequence data; use a recurrent model "
                     "(--model recurrent-classifier, recurrent-regressor or "
                     "recurrent-autoencoder)");
  int64_t In = Net.layers().front()->size(), Out = Net.layers().back()->size();
  if (In != K || Out != K)
    throw UsageError("the text's alphabet has " + std::to_string(K) +
                     " characters, so the model's input and output layers "
                     "need " + std::to_string(K) + " units each (--layers " +
                     std::to_string(K) + ",...," + std::to_string(K) +
                     "), not " + std::to_string(In) + " and " +
                     std::to_string(Out));
  TensorMap M;
  try {
    M = T.classifier_windows(Steps, Stride, Net.floatType());
  } catch (const RuntimeError &E) {
    throw RuntimeError(Path + ": " + E.what());
  }
  if (Auto) {
    M.erase("target");
  } else if (!Labels) {
    // A regressor predicts the next character's one-hot row.
    const Tensor &Codes = M.at("target");
    Tensor Rows(Net.floatType(), {Codes.shape()[0], Codes.shape()[1], K});
    for (int64_t I = 0; I < Codes.numel(); ++I)
      Rows.set(I * K + static_cast<int64_t>(Codes.at(I)), 1);
    M["target"] = std::move(Rows);
  }
  return M;
}

} // namespace netjit::tool
