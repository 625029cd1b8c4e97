//===- models.cpp - Regressor, Classifier and Autoencoder -----------------===//
//
// The model types differ in their defaults (output activation, loss, target)
// and their evaluation methods; graph building is shared (model_graph.cpp).
//
//===----------------------------------------------------------------------===//
#include "frontend/models.h"
#include "frontend/call_site.h"
#include "frontend/math.h"
#include "frontend/model_graph.h"

namespace netjit {

Regressor::Regressor(std::vector<LayerSpec> Layers, ModelOptions Options,
                     SourceLoc Loc)
    : Network(std::move(Layers), std::move(Options), Kind::Regressor, Loc) {}

Regressor::Regressor(std::vector<LayerSpec> Layers, ModelOptions Options,
                     SourceLoc Loc, bool Sequences)
    : Network(std::move(Layers), std::move(Options), Kind::Regressor, Loc,
              Sequences) {}

//===----------------------------------------------------------------------===//
// Classifier
//===----------------------------------------------------------------------===//

Classifier::Classifier(std::vector<LayerSpec> Layers, ModelOptions Options,
                       SourceLoc Loc)
    : Network(std::move(Layers), std::move(Options), Kind::Classifier, Loc) {}

Classifier::Classifier(std::vector<LayerSpec> Layers, ModelOptions Options,
                       SourceLoc Loc, bool Sequences)
    : Network(std::move(Layers), std::move(Options), Kind::Classifier, Loc,
              Sequences) {}

Tensor Classifier::predict(const Tensor &X) const {
  Function F("predict", Options.FloatType);
  ModelGraph G(*this, F);
  G.connect();
  F.output("labels", argmax(G.Outputs.at(outName()), -1));
  return run(F, TensorMap{{Layers[0]->name(), X}}).at("labels");
}

Tensor Classifier::predict_proba(const Tensor &X) const {
  return Network::predict(X);
}

Tensor Classifier::predict_logit(const Tensor &X) const {
  std::string Pre = Layers.back()->name() + ":pre";
  TensorMap Out = feed_forward(X);
  auto It = Out.find(Pre);
  if (It == Out.end())
    throw TypeError("predict_logit: the output layer has no '" + Pre + "'");
  return It->second;
}

namespace {

double accuracy(const Tensor &Predicted, const Tensor &Labels,
                const Tensor *W) {
  if (Predicted.shape() != Labels.shape())
    throw RuntimeError("score: labels " + Labels.typeStr() +
                       " do not match the predictions " +
                       Predicted.typeStr());
  if (W)
    check_weights(*W, Labels.shape(), "weights");
  double Hits = 0, Total = 0;
  for (int64_t I = 0; I < Labels.numel(); ++I) {
    double Wi = W ? W->at(I) : 1.0;
    Hits += Wi * (Predicted.at(I) == Labels.at(I));
    Total += Wi;
  }
  return Hits / Total;
}

} // namespace

double Classifier::score(const Tensor &X, const Tensor &Labels) const {
  return accuracy(predict(X), Labels, nullptr);
}

double Classifier::score(const Tensor &X, const Tensor &Labels,
                         const Tensor &W) const {
  return accuracy(predict(X), Labels, &W);
}

//===----------------------------------------------------------------------===//
// Autoencoder
//===----------------------------------------------------------------------===//

Autoencoder::Autoencoder(std::vector<LayerSpec> Layers, ModelOptions Options,
                         SourceLoc Loc)
    : Network(std::move(Layers), std::move(Options), Kind::Autoencoder, Loc) {
}

Autoencoder::Autoencoder(std::vector<LayerSpec> Layers, ModelOptions Options,
                         SourceLoc Loc, bool Sequences)
    : Network(std::move(Layers), std::move(Options), Kind::Autoencoder, Loc,
              Sequences) {}

std::string Autoencoder::codeOutput(std::string_view Name) const {
  if (Name.empty())
    return Layers[Layers.size() / 2]->name() + ":out";
  if (Name.find(':') != std::string_view::npos)
    return std::string(Name);
  return layer(Name).name() + ":out";
}

Tensor Autoencoder::encode(const Tensor &X, std::string_view Layer) const {
  std::string Code = codeOutput(Layer);
  TensorMap Out = feed_forward(X);
  auto It = Out.find(Code);
  if (It == Out.end())
    throw TypeError("encode: the model has no output '" + Code + "'");
  return It->second;
}

Tensor Autoencoder::decode(const Tensor &Code, std::string_view Layer) const {
  std::string Name = codeOutput(Layer);
  std::string LayerName = Name.substr(0, Name.find(':'));
  size_t Index = 0;
  while (Layers[Index]->name() != LayerName)
    ++Index;
  Function F("decode", Options.FloatType);
  ModelGraph G(*this, F);
  std::vector<DimSpec> Dims{DimSpec("B")};
  if (Recurrent)
    Dims.push_back(DimSpec("T"));
  for (int64_t D : Layers[Index]->shape())
    Dims.push_back(D);
  G.connect(Index + 1, {{Name, F.input("code", Dims)}});
  F.output(outName(), G.Outputs.at(outName()));
  return run(F, TensorMap{{"code", Code}}).at(outName());
}

double Autoencoder::score(const Tensor &X) const {
  return rSquared(X, predict(X), nullptr);
}

double Autoencoder::score(const Tensor &X, const Tensor &W) const {
  return rSquared(X, predict(X), &W);
}

} // namespace netjit
