//===- model.cpp - Network: building layers, parameters and losses --------===//
//
// The constructor turns the LayerSpec list into layers (naming them "in",
// "hid1", ..., "out", wiring each to the previous layer's ":out" unless told
// otherwise), sets each layer up in order through ModelSetup (which resolves
// shapes against the earlier layers and stores the parameters it draws), then
// adds the model's loss. Every loss is built into a graph as it is added, so
// a loss the model cannot use is an error at that call.
//
//===----------------------------------------------------------------------===//
#include "frontend/call_site.h"
#include "frontend/model_graph.h"

#include <algorithm>
#include <optional>
#include <set>

namespace netjit {

/// LayerContext in setup mode: shapes from earlier layers, parameter values
/// stored into the network.
class ModelSetup : public LayerContext {
public:
  explicit ModelSetup(Network &N) : N(N) {}

  void setup(Layer &L) {
    Current = &L;
    Stream.emplace(N.Options.Seed, L.name());
    L.setup(*this);
  }

  std::vector<int64_t> inputShape(size_t I) const override {
    const std::string &In = Current->inputs().at(I);
    return layer(In.substr(0, In.find(':'))).shape();
  }
  InitStream &stream() override { return *Stream; }
  DType floatType() const override { return N.Options.FloatType; }
  bool sequences() const override { return N.Recurrent; }
  const Layer &layer(std::string_view Name) const override {
    for (const auto &L : N.Layers)
      if (L->name() == Name)
        return *L;
    throw TypeError("layer '" + Current->name() + "' refers to '" +
                    std::string(Name) + "', which is not an earlier layer");
  }
  std::vector<const Layer *> earlierLayers() const override {
    std::vector<const Layer *> Out;
    for (auto It = N.Layers.rbegin(); It != N.Layers.rend(); ++It)
      Out.push_back(It->get());
    return Out;
  }
  void create(std::string_view Suffix, Tensor Initial) override {
    std::string Full = Current->name() + "." + std::string(Suffix);
    if (N.Values.count(Full))
      throw TypeError("parameter '" + Full + "' is created twice (an "
                      "activation composed with itself?)");
    N.Values[Full] = std::move(Initial);
  }
  Expr input(size_t) override { return unused("input"); }
  Expr dataInput(std::string_view, const std::vector<int64_t> &) override {
    return unused("dataInput");
  }
  Expr param(std::string_view) override { return unused("param"); }
  Expr get(std::string_view) override { return unused("get"); }

private:
  static Expr unused(const char *What) {
    NJ_CHECK(false, What << "() while setting a layer up");
    return {};
  }
  Network &N;
  const Layer *Current = nullptr;
  std::optional<InitStream> Stream;
};

namespace {

const char *kindName(int K) {
  static const char *Names[] = {"Network", "Regressor", "Classifier",
                                "Autoencoder"};
  return Names[K];
}

std::string joined(const std::vector<std::string> &Xs) {
  std::string Out;
  for (const std::string &X : Xs)
    Out += (Out.empty() ? "" : ", ") + X;
  return Out;
}

} // namespace

Network::Network(std::vector<LayerSpec> Specs, ModelOptions O, SourceLoc Loc)
    : Network(std::move(Specs), std::move(O), Kind::Network, Loc) {}

Network::Network(std::vector<LayerSpec> Specs, ModelOptions O, Kind K,
                 SourceLoc Loc, bool Sequences)
    : ModelKind(K), Options(std::move(O)), Recurrent(Sequences) {
  std::string What = kindName(static_cast<int>(K));
  if (Sequences)
    What = "recurrent::" + What;
  detail::guarded(What, Loc, [&] {
    if (Specs.size() < 2)
      throw TypeError("a model needs at least an input and an output layer, "
                      "got " + std::to_string(Specs.size()) + " layer(s)");
    ModelSetup Setup(*this);
    std::vector<std::string> Known;
    for (size_t I = 0; I < Specs.size(); ++I) {
      LayerSpec S = Specs[I];
      bool Last = I + 1 == Specs.size();
      std::string Name = !S.Name.empty() ? S.Name
                         : I == 0        ? "in"
                         : Last          ? "out"
                                         : "hid" + std::to_string(I);
      if (I == 0 && S.Form.empty())
        S.Form = "input";
      if (I == 0 && S.Form != "input")
        throw TypeError("the first layer must be an input layer, got form '" +
                        S.Form + "'");
      for (const auto &L : Layers)
        if (L->name() == Name)
          throw TypeError("two layers are named '" + Name + "'");
      std::vector<std::string> Inputs;
      for (const std::string &In : S.Inputs)
        Inputs.push_back(fullOutputName(In));
      if (Inputs.empty() && I > 0)
        Inputs.push_back(Layers.back()->name() + ":out");
      for (const std::string &In : Inputs)
        if (std::find(Known.begin(), Known.end(), In) == Known.end())
          throw TypeError("layer '" + Name + "' reads '" + In +
                          "', which no earlier layer gives (outputs so far: " +
                          joined(Known) + ")");
      std::string Act = !Last                ? "relu"
                        : K == Kind::Classifier ? "softmax"
                                                : "linear";
      std::unique_ptr<Layer> L = makeLayer(S, Name, Inputs, Act);
      Setup.setup(*L);
      for (const std::string &Out : L->outputs())
        Known.push_back(Name + ":" + Out);
      for (const std::string &P : L->params())
        ParamOrder.push_back(P);
      Layers.push_back(std::move(L));
    }
    if (K == Kind::Autoencoder && Layers.back()->shape() != Layers[0]->shape())
      throw TypeError("an autoencoder's output size (" +
                      std::to_string(Layers.back()->size()) +
                      ") must equal its input size (" +
                      std::to_string(Layers[0]->size()) + ")");
    LossSpec Loss = Options.Loss;
    if (Loss.Form.empty() && !Loss.Object)
      Loss.Form = K == Kind::Classifier ? "xe" : "mse";
    add_loss(Loss, Loc);
  });
}

const Layer &Network::layer(std::string_view Name) const {
  std::vector<std::string> Names;
  for (const auto &L : Layers) {
    if (L->name() == Name)
      return *L;
    Names.push_back(L->name());
  }
  throw TypeError("the model has no layer '" + std::string(Name) +
                  "' (layers: " + joined(Names) + ")");
}

Tensor &Network::find(std::string_view LayerName, std::string_view Param) {
  const Layer &L = layer(LayerName);
  std::string Full(Param);
  if (Full.find('.') == std::string::npos)
    Full = L.name() + "." + Full;
  auto It = Values.find(Full);
  if (It == Values.end() ||
      std::find(L.params().begin(), L.params().end(), Full) == L.params().end())
    throw TypeError("layer '" + L.name() + "' has no parameter '" +
                    std::string(Param) + "' (parameters: " +
                    joined(L.params()) + ")");
  return It->second;
}

Tensor &Network::find(size_t Index, std::string_view Param) {
  if (Index >= Layers.size())
    throw TypeError("the model has no layer #" + std::to_string(Index) +
                    " (it has " + std::to_string(Layers.size()) + ")");
  return find(Layers[Index]->name(), Param);
}

std::vector<std::string> Network::variables() const {
  Function F = lossFunction();
  std::vector<std::string> Names;
  for (NodeId A : F.graph().arguments())
    if (F.graph().node(A).Op == OpCode::Input)
      Names.push_back(F.graph().node(A).Attributes.getString("name"));
  return Names;
}

std::string Network::defaultTarget() const {
  return ModelKind == Kind::Autoencoder ? Layers[0]->name() : "target";
}

void Network::add_loss(const LossSpec &Spec, SourceLoc Loc) {
  detail::guarded("add_loss", Loc, [&] {
    Losses.push_back(makeLoss(Spec));
    try {
      (void)lossFunction();
    } catch (...) {
      Losses.pop_back();
      throw;
    }
  });
}

void Network::set_loss(const LossSpec &Spec, SourceLoc Loc) {
  detail::guarded("set_loss", Loc, [&] {
    std::vector<std::shared_ptr<Loss>> Old = std::move(Losses);
    Losses.clear();
    try {
      add_loss(Spec, Loc);
    } catch (...) {
      Losses = std::move(Old);
      throw;
    }
  });
}

} // namespace netjit
