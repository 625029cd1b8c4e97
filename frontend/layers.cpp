//===- layers.cpp - The layer forms ----------------------------------------===//
//
// Each form resolves its output shape from its inputs' shapes, creates its
// parameters through the model's LayerContext (which owns their values) and
// connects itself into a graph from its inputs' Exprs.
//
//===----------------------------------------------------------------------===//
#include "frontend/layers.h"
#include "frontend/array.h"
#include "frontend/math.h"
#include "frontend/recurrent_layers.h"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace netjit {

namespace {

std::string shapeText(const std::vector<int64_t> &S) {
  std::string Out = "[";
  for (size_t I = 0; I < S.size(); ++I)
    Out += (I ? "," : "") + std::to_string(S[I]);
  return Out + "]";
}

/// Records the activation's parameters while forwarding them to the model.
class Recorder : public LayerParams {
public:
  Recorder(LayerContext &C) : C(C) {}
  void create(std::string_view Suffix, Tensor Initial) override {
    Suffixes.emplace_back(Suffix);
    C.create(Suffix, std::move(Initial));
  }
  Expr get(std::string_view Suffix) override { return C.get(Suffix); }
  LayerContext &C;
  std::vector<std::string> Suffixes;
};

} // namespace

Expr LayerContext::output(std::string_view FullName) {
  throw TypeError("no output '" + std::string(FullName) +
                  "' is available here");
}

Layer::Layer(LayerSpec Spec, std::string Name, std::vector<std::string> Inputs)
    : Spec(std::move(Spec)), Name(std::move(Name)), Inputs(std::move(Inputs)) {}

void Layer::addParam(LayerContext &C, std::string_view Suffix,
                     Tensor Initial) {
  Params.push_back(Name + "." + std::string(Suffix));
  C.create(Suffix, std::move(Initial));
}

void Layer::setup(LayerContext &C) {
  resolveShape(C);
  if (size() <= 0)
    throw TypeError("layer '" + Name + "' (" + form() + ") has size " +
                    std::to_string(size()) + "; sizes must be positive");
  // theanets draws the activation's parameters first and lists them last.
  Recorder R(C);
  if (Act)
    Act->setup(size(), R, C.stream(), C.floatType());
  createParams(C);
  for (const std::string &S : R.Suffixes)
    Params.push_back(Name + "." + S);
  Spec.checkAllUsed(Name);
}

namespace {

//===----------------------------------------------------------------------===//
// input, feedforward, classifier, tied
//===----------------------------------------------------------------------===//

class InputLayer : public Layer {
public:
  using Layer::Layer;
  std::string form() const override { return "input"; }
  std::map<std::string, Expr> connect(LayerContext &C) const override {
    return {{"out", C.dataInput(Name, Shape)}};
  }

protected:
  void resolveShape(LayerContext &C) override {
    Shape = Spec.ints("shape");
    if (Shape.empty() && Spec.Size)
      Shape = {*Spec.Size};
    if (Shape.empty())
      throw TypeError("input layer '" + Name + "' needs a size or a shape");
  }
};

class Feedforward : public Layer {
public:
  using Layer::Layer;
  std::string form() const override { return "feedforward"; }
  std::vector<std::string> outputs() const override { return {"pre", "out"}; }
  std::map<std::string, Expr> connect(LayerContext &C) const override {
    Expr Pre = matmul(C.input(0), C.get(weightName(0)));
    for (size_t I = 1; I < Inputs.size(); ++I)
      Pre = Pre + matmul(C.input(I), C.get(weightName(I)));
    Pre = Pre + C.get("b");
    return {{"pre", Pre}, {"out", Act->apply(Pre, C)}};
  }
  Expr inputWeights(LayerContext &C) const override {
    return Inputs.size() == 1 ? C.param(Name + ".w") : Expr();
  }

protected:
  void resolveShape(LayerContext &C) override {
    if (!Spec.Size)
      throw TypeError("layer '" + Name + "' (" + form() + ") needs a size");
    Shape = C.inputShape(0);
    Shape.back() = *Spec.Size;
  }
  void createParams(LayerContext &C) override {
    for (size_t I = 0; I < Inputs.size(); ++I)
      addParam(C, weightName(I),
               initWeights(Spec, weightName(I), C.inputShape(I).back(),
                           size(), C.stream(), C.floatType()));
    addParam(C, "b", initBias(Spec, "b", size(), C.stream(), C.floatType()));
  }
  /// "w", or "w_<input layer>" with several inputs.
  std::string weightName(size_t I) const {
    if (Inputs.size() == 1)
      return "w";
    std::string In = Inputs[I];
    if (In.size() > 4 && In.substr(In.size() - 4) == ":out")
      In.resize(In.size() - 4);
    return "w_" + In;
  }
};

class Classifier : public Feedforward {
public:
  using Feedforward::Feedforward;
  std::string form() const override { return "classifier"; }
};

class Tied : public Layer {
public:
  using Layer::Layer;
  std::string form() const override { return "tied"; }
  std::vector<std::string> outputs() const override { return {"pre", "out"}; }
  std::map<std::string, Expr> connect(LayerContext &C) const override {
    Expr W = C.param(Partner + ".w");
    Expr Pre = matmul(C.input(0), transpose(W)) + C.get("b");
    return {{"pre", Pre}, {"out", Act->apply(Pre, C)}};
  }
  Expr inputWeights(LayerContext &C) const override {
    return transpose(C.param(Partner + ".w"));
  }

protected:
  void resolveShape(LayerContext &C) override {
    Partner = Spec.text("partner", "");
    if (Partner.empty())
      Partner = findPartner(C);
    const Layer &P = C.layer(Partner);
    const auto &PP = P.params();
    if (std::find(PP.begin(), PP.end(), Partner + ".w") == PP.end())
      throw TypeError("tied layer '" + Name + "': its partner '" + Partner +
                      "' has no weights '" + Partner +
                      ".w' (it must be a feedforward layer with one input)");
    std::vector<int64_t> In = C.inputShape(0);
    int64_t Rows = C.inputShape(0).back(); // checked against the partner
    std::vector<int64_t> PartnerIn = C.layer(inputLayer(P)).shape();
    if (Rows != P.size())
      throw TypeError("tied layer '" + Name + "' reads size " +
                      std::to_string(Rows) + " but its partner '" + Partner +
                      "' has size " + std::to_string(P.size()));
    Shape = In;
    Shape.back() = PartnerIn.back();
    if (Spec.Size && *Spec.Size != Shape.back())
      throw TypeError("tied layer '" + Name + "' has size " +
                      std::to_string(*Spec.Size) + " but its partner '" +
                      Partner + "' has input size " +
                      std::to_string(Shape.back()));
  }
  void createParams(LayerContext &C) override {
    addParam(C, "b", initBias(Spec, "b", size(), C.stream(), C.floatType()));
  }

private:
  /// theanets' rule: walking back from the nearest layer with a count that
  /// starts at 1, a tied layer adds 1 and any other subtracts 1; the
  /// partner is where the count reaches 0.
  std::string findPartner(LayerContext &C) const {
    int Count = 1;
    for (const Layer *L : C.earlierLayers()) {
      Count += L->form() == "tied" ? 1 : -1;
      if (Count == 0)
        return L->name();
    }
    throw TypeError("tied layer '" + Name + "' has no partner to tie to");
  }
  static std::string inputLayer(const Layer &L) {
    const std::string &In = L.inputs().at(0);
    return In.substr(0, In.find(':'));
  }
  std::string Partner;
};

//===----------------------------------------------------------------------===//
// concatenate, product, flatten, reshape
//===----------------------------------------------------------------------===//

class Concatenate : public Layer {
public:
  using Layer::Layer;
  std::string form() const override { return "concatenate"; }
  std::map<std::string, Expr> connect(LayerContext &C) const override {
    std::vector<Expr> Xs;
    for (size_t I = 0; I < Inputs.size(); ++I)
      Xs.push_back(C.input(I));
    return {{"out", concatenate(Xs, -1)}};
  }

protected:
  void resolveShape(LayerContext &C) override {
    Shape = C.inputShape(0);
    for (size_t I = 1; I < Inputs.size(); ++I) {
      std::vector<int64_t> S = C.inputShape(I);
      if (S.size() != Shape.size() ||
          !std::equal(S.begin(), S.end() - 1, Shape.begin()))
        throw TypeError("layer '" + Name + "' (concatenate): input '" +
                        Inputs[I] + "' has shape " + shapeText(S) +
                        ", incompatible with " + shapeText(C.inputShape(0)));
      Shape.back() += S.back();
    }
    checkSize();
  }
  void checkSize() const {
    if (Spec.Size && *Spec.Size != size())
      throw TypeError("layer '" + Name + "' (" + form() + ") has size " +
                      std::to_string(*Spec.Size) + " but its inputs give " +
                      std::to_string(size()));
  }
};

class Product : public Concatenate {
public:
  using Concatenate::Concatenate;
  std::string form() const override { return "product"; }
  std::map<std::string, Expr> connect(LayerContext &C) const override {
    Expr Y = C.input(0);
    for (size_t I = 1; I < Inputs.size(); ++I)
      Y = Y * C.input(I);
    return {{"out", Y}};
  }

protected:
  void resolveShape(LayerContext &C) override {
    Shape = C.inputShape(0);
    for (size_t I = 1; I < Inputs.size(); ++I)
      if (C.inputShape(I) != Shape)
        throw TypeError("layer '" + Name + "' (product): input '" +
                        Inputs[I] + "' has shape " +
                        shapeText(C.inputShape(I)) + ", not " +
                        shapeText(Shape));
    checkSize();
  }
};

class Reshape : public Concatenate {
public:
  using Concatenate::Concatenate;
  std::string form() const override { return Flat ? "flatten" : "reshape"; }
  std::map<std::string, Expr> connect(LayerContext &C) const override {
    std::vector<DimSpec> Dims{DimSpec(C.input(0).dim(0))};
    Dims.insert(Dims.end(), Shape.begin(), Shape.end());
    return {{"out", reshape(C.input(0), Dims)}};
  }
  bool Flat = false;

protected:
  void resolveShape(LayerContext &C) override {
    std::vector<int64_t> In = C.inputShape(0);
    int64_t N = std::accumulate(In.begin(), In.end(), int64_t(1),
                                std::multiplies<>());
    Shape = Flat ? std::vector<int64_t>{N} : Spec.ints("shape");
    if (Shape.empty())
      throw TypeError("reshape layer '" + Name + "' needs a 'shape' option");
    int64_t M = std::accumulate(Shape.begin(), Shape.end(), int64_t(1),
                                std::multiplies<>());
    if (M != N)
      throw TypeError("reshape layer '" + Name + "': shape " +
                      shapeText(Shape) + " does not hold the " +
                      std::to_string(N) + " values of its input " +
                      shapeText(In));
    checkSize();
  }
};

} // namespace

std::unique_ptr<Layer> makeLayer(const LayerSpec &Spec, std::string Name,
                                 std::vector<std::string> Inputs,
                                 const std::string &DefaultActivation) {
  std::string Form = Spec.Form.empty() ? "feedforward" : Spec.Form;
  std::transform(Form.begin(), Form.end(), Form.begin(),
                 [](unsigned char C) { return std::tolower(C); });
  std::string ActName =
      Spec.Activation.empty() ? DefaultActivation : Spec.Activation;
  std::unique_ptr<Layer> L;
  bool HasActivation = true;
  if (Form == "input") {
    L = std::make_unique<InputLayer>(Spec, Name, std::vector<std::string>{});
    HasActivation = false;
  } else if (Form == "feedforward" || Form == "ff") {
    L = std::make_unique<Feedforward>(Spec, Name, Inputs);
  } else if (Form == "classifier" || Form == "softmax") {
    L = std::make_unique<Classifier>(Spec, Name, Inputs);
    ActName = "softmax";
  } else if (Form == "tied") {
    L = std::make_unique<Tied>(Spec, Name, Inputs);
  } else if (Form == "concatenate" || Form == "concat") {
    L = std::make_unique<Concatenate>(Spec, Name, Inputs);
    HasActivation = false;
  } else if (Form == "product" || Form == "prod") {
    L = std::make_unique<Product>(Spec, Name, Inputs);
    HasActivation = false;
  } else if (Form == "flatten" || Form == "flat" || Form == "reshape") {
    auto R = std::make_unique<Reshape>(Spec, Name, Inputs);
    R->Flat = Form != "reshape";
    L = std::move(R);
    HasActivation = false;
  } else if (isRecurrentForm(Form)) {
    // lstm has no activation; bidirectional hands its own to its workers.
    L = makeRecurrentLayer(Form, Spec, Name, Inputs, DefaultActivation);
    HasActivation = Form != "lstm" && Form != "bidirectional";
  } else {
    throw TypeError("layer '" + Name + "': unknown form '" + Spec.Form +
                    "' (known: input, feedforward, ff, classifier, softmax, "
                    "tied, concatenate, concat, product, prod, flatten, flat, "
                    "reshape, rnn, lstm, gru, mrnn, scrn, clockwork, bcrnn, "
                    "bidirectional)");
  }
  if (!HasActivation && !Spec.Activation.empty() && Form != "bidirectional")
    throw TypeError("layer '" + Name + "' (" + L->form() +
                    ") takes no activation, got '" + Spec.Activation + "'");
  if (HasActivation)
    L->Act = makeActivation(ActName);
  return L;
}

} // namespace netjit
