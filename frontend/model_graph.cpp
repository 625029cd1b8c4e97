//===- model_graph.cpp - Building one graph from a model ------------------===//
//
// See model_graph.h. Also Network::lossFunction and gradientFunction, which
// are thin wrappers around ModelGraph.
//
//===----------------------------------------------------------------------===//
#include "frontend/model_graph.h"
#include "frontend/array.h"
#include "frontend/grad.h"
#include "frontend/init.h"
#include "frontend/math.h"
#include "frontend/recurrent.h"
#include "ir/dot.h"
#include "ir/printer.h"

#include <cstdlib>
#include <cstring>
#include <set>

namespace netjit {

std::string fullOutputName(std::string_view Name) {
  std::string Full(Name);
  if (Full.find(':') == std::string::npos)
    Full += ":out";
  return Full;
}

ModelGraph::ModelGraph(const Network &N, Function &F, const Regularizers *R)
    : N(N), F(F), R(R) {}

void ModelGraph::setOutput(const std::string &Name, const Expr &E) {
  if (!Outputs.count(Name))
    Ordered.emplace_back(Name, E);
  else
    for (auto &[K, V] : Ordered)
      if (K == Name)
        V = E;
  Outputs[Name] = E;
}

void ModelGraph::connect(size_t From, const std::map<std::string, Expr> &Given) {
  for (const auto &[Name, E] : Given)
    setOutput(Name, E);
  for (size_t I = From; I < N.Layers.size(); ++I) {
    Current = N.Layers[I].get();
    std::map<std::string, Expr> Outs = Current->connect(*this);
    for (const std::string &Suffix : Current->outputs()) {
      std::string Name = Current->name() + ":" + Suffix;
      setOutput(Name, regularize(Name, I, Outs.at(Suffix)));
    }
  }
  Current = nullptr;
}

//===----------------------------------------------------------------------===//
// Noise and dropout
//===----------------------------------------------------------------------===//

namespace {

/// p or σ for an output: the first matching glob, else the per-kind value.
double amount(const std::map<std::string, double> &Globs,
              const std::string &Name, double Input, double Hidden,
              double Output, bool IsOut, size_t Index, size_t Last,
              bool IsInput) {
  for (const auto &[Pattern, V] : Globs)
    if (globMatch(Pattern, Name))
      return V;
  if (!IsOut)
    return 0;
  if (IsInput)
    return Input;
  return Index == Last ? Output : Hidden;
}

} // namespace

Expr ModelGraph::randomKey(const std::string &Site) {
  if (!StepParam.valid())
    StepParam = F.param("step", DType::I64, {});
  int64_t High = static_cast<int64_t>(fnv1a(Site, N.Options.Seed) << 32);
  Bytes B;
  B.Data.resize(sizeof(int64_t));
  std::memcpy(B.Data.data(), &High, sizeof(High));
  Expr Base(F.graphPtr(),
            F.graph().constant(TensorType{DType::I64, {}}, std::move(B)));
  return StepParam + Base;
}

Expr ModelGraph::regularize(const std::string &Name, size_t Index, Expr X) {
  if (!R)
    return X;
  bool IsOut = Name.size() > 4 && Name.substr(Name.size() - 4) == ":out";
  bool IsInput = N.Layers[Index]->form() == "input";
  size_t Last = N.Layers.size() - 1;
  double Sigma = amount(R->Noise, Name, R->InputNoise, R->HiddenNoise,
                        R->OutputNoise, IsOut, Index, Last, IsInput);
  double P = amount(R->Dropout, Name, R->InputDropout, R->HiddenDropout,
                    R->OutputDropout, IsOut, Index, Last, IsInput);
  if (Sigma < 0 || !(P >= 0 && P < 1))
    throw TypeError("regularizers on '" + Name + "': noise must be >= 0 and "
                    "dropout in [0, 1), got " + std::to_string(Sigma) +
                    " and " + std::to_string(P));
  std::vector<DimSpec> Dims(X.shape().begin(), X.shape().end());
  if (Sigma > 0) {
    setOutput(Name + "-prenoise", X);
    X = X + random_normal(randomKey(Name + "/noise"), X.dtype(), Dims) * Sigma;
  }
  if (P > 0) {
    setOutput(Name + "-predrop", X);
    Expr Keep = random_uniform(randomKey(Name + "/dropout"), X.dtype(), Dims) >= P;
    X = where(Keep, X * (1 / (1 - P)), 0.0);
  }
  return X;
}

void ModelGraph::outputMonitors(const Objective &O) {
  F.output("loss", O.Total);
  F.output("err", O.Err);
  if (O.Acc.valid())
    F.output("acc", O.Acc);
  for (const auto &[Name, Term] : O.Terms)
    F.output(Name, Term);
}

void ModelGraph::addStepUpdate() {
  if (StepParam.valid())
    F.update(StepParam, StepParam + 1.0);
}

//===----------------------------------------------------------------------===//
// Losses and penalties
//===----------------------------------------------------------------------===//

Expr ModelGraph::declareData(const std::string &Name, const TensorType &T,
                             const std::string &LossName) {
  NodeId Existing = F.graph().findArgument(Name);
  if (Existing.valid()) {
    const Node &E = F.graph().node(Existing);
    if (E.Op != OpCode::Input || E.Type != T)
      throw TypeError("loss '" + LossName + "' needs its data '" + Name +
                      "' as " + T.str() + ", but the model already reads '" +
                      Name + "' as " + E.Type.str() +
                      "; give the loss its own target with "
                      "LossSpec::target(\"...\")");
    return Expr(F.graphPtr(), Existing);
  }
  return F.input(Name, T.Dtype, std::vector<DimSpec>(T.Dims.begin(), T.Dims.end()));
}

ModelGraph::Objective ModelGraph::objective() {
  if (N.Losses.empty())
    throw TypeError("the model has no loss (add one with add_loss)");
  Objective O;
  std::set<std::string> Used{"loss", "err", "acc"};
  for (size_t I = 0; I < N.Losses.size(); ++I) {
    const Loss &L = *N.Losses[I];
    std::string Out = L.outputName().empty() ? N.outName()
                                             : fullOutputName(L.outputName());
    TensorType TT = L.targetType(LossInputs(Outputs, Out));
    std::string Target =
        L.targetName().empty() ? N.defaultTarget() : L.targetName();
    Expr T = declareData(Target, TT, L.name()), W;
    if (N.Options.Weighted)
      W = declareData(Target == N.defaultTarget() ? "weights"
                                                  : Target + "_weights",
                      TensorType{N.Options.FloatType, TT.Dims}, L.name());
    LossInputs In(Outputs, Out, T, W);
    Expr V = L.build(In);
    std::string Name = L.name();
    for (int K = 2; Used.count(Name); ++K)
      Name = L.name() + "_" + std::to_string(K);
    Used.insert(Name);
    O.Terms.emplace_back(Name, V);
    Expr Weighted = L.weight() == 1 ? V : V * L.weight();
    O.Total = I == 0 ? Weighted : O.Total + Weighted;
    if (I == 0) {
      O.Err = V;
      if (L.hasAccuracy())
        O.Acc = L.accuracy(In);
    }
  }
  for (auto &[Name, Term] : penalties()) {
    O.Terms.emplace_back(Name, Term);
    O.Total = O.Total + Term;
  }
  return O;
}

namespace {

/// A layer output as the layer computed it, before the regularizers' noise
/// and dropout (noise comes first, so "-prenoise" is the original).
Expr unmodified(const ModelGraph &G, const std::string &Name) {
  for (const char *Suffix : {"-prenoise", "-predrop", ""}) {
    auto It = G.Outputs.find(Name + Suffix);
    if (It != G.Outputs.end())
      return It->second;
  }
  throw TypeError("contractive: the graph does not compute '" + Name + "'");
}

/// The mean over rows of ‖∂h/∂x‖²_F for a hidden layer h = act(x·W + b).
/// With an elementwise act, a row's Jacobian is diag(act'(pre))·Wᵀ, whose
/// squared norm is Σ_j act'(pre_j)² Σ_i W_ij²: one extra derivative of the
/// activation instead of one per input unit. grad(sum(h), pre) is exactly
/// act'(pre) because unit j depends on pre_j alone. The penalty stays a
/// graph of ordinary ops and grad nodes, so training differentiates it.
Expr contractiveTerm(ModelGraph &G, const Layer &L) {
  std::string Head = "contractive: hidden layer '" + L.name() + "' (" +
                     L.form() + ") ";
  std::string Fix = "; choose the layers with ContractivePattern";
  Expr W = L.inputWeights(G);
  if (!W.valid() && L.activation() && L.inputs().size() > 1)
    throw TypeError(Head + "reads " + std::to_string(L.inputs().size()) +
                    " inputs; the penalty needs the Jacobian w.r.t. a "
                    "single input" + Fix);
  if (!W.valid() || !L.activation())
    throw TypeError(Head + "does not compute act(x·W + b) from one input, "
                    "so it has no Jacobian the penalty can use" + Fix);
  if (!L.activation()->elementwise())
    throw TypeError(Head + "has the activation '" + L.activation()->name() +
                    "', which mixes the units of a row; the penalty needs "
                    "an elementwise activation" + Fix);
  Expr Pre = unmodified(G, L.name() + ":pre");
  Expr Slope = grad(sum(unmodified(G, L.name() + ":out")), Pre);
  Expr ColumnNorms = sum(square(W), {0});
  // mean over every element times the units = the sum per row, averaged.
  return mean(square(Slope) * ColumnNorms) * static_cast<double>(L.size());
}

} // namespace

std::vector<std::pair<std::string, Expr>> ModelGraph::penalties() {
  std::vector<std::pair<std::string, Expr>> Out;
  if (!R)
    return Out;
  auto Average = [](const auto &Xs, auto Fn) {
    Expr Sum = Fn(Xs[0]);
    for (size_t I = 1; I < Xs.size(); ++I)
      Sum = Sum + Fn(Xs[I]);
    return Sum * (1.0 / static_cast<double>(Xs.size()));
  };
  std::vector<Expr> Weights;
  for (const std::string &P : N.ParamOrder)
    if (N.Values.at(P).rank() > 1 && globMatch(R->WeightPattern, P))
      Weights.push_back(param(P));
  if (R->WeightL2 && !Weights.empty())
    Out.emplace_back("weight_l2",
                     Average(Weights, [](const Expr &W) {
                       return mean(square(W));
                     }) * R->WeightL2);
  if (R->WeightL1 && !Weights.empty())
    Out.emplace_back("weight_l1", Average(Weights, [](const Expr &W) {
                                    return mean(abs(W));
                                  }) * R->WeightL1);
  // The hidden layers whose ":out" matches Pattern (all of them when empty).
  auto Hidden = [&](const char *Term, const std::string &Pattern) {
    std::vector<const Layer *> Hs;
    for (size_t I = 1; I + 1 < N.Layers.size(); ++I) {
      std::string Name = N.Layers[I]->name() + ":out";
      if (Pattern.empty() || globMatch(Pattern, Name))
        Hs.push_back(N.Layers[I].get());
    }
    if (Hs.empty())
      throw TypeError(std::string(Term) + ": no hidden output matches '" +
                      Pattern + "'");
    return Hs;
  };
  if (R->HiddenL1)
    Out.emplace_back("hidden_l1",
                     Average(Hidden("hidden_l1", R->HiddenPattern),
                             [&](const Layer *L) {
                               return mean(abs(Outputs.at(L->name() + ":out")));
                             }) *
                         R->HiddenL1);
  if (R->Contractive)
    Out.emplace_back("contractive",
                     Average(Hidden("contractive", R->ContractivePattern),
                             [&](const Layer *L) {
                               return contractiveTerm(*this, *L);
                             }) *
                         R->Contractive);
  // The sequence outputs matching Pattern: any layer's output names (an
  // lstm's "hid1:cell" too), every hidden layer's ":out" when empty.
  auto Sequences = [&](const char *Term, const std::string &Pattern) {
    std::vector<Expr> Hs;
    for (size_t I = 0; I < N.Layers.size(); ++I)
      for (const std::string &Suffix : N.Layers[I]->outputs()) {
        std::string Name = N.Layers[I]->name() + ":" + Suffix;
        bool Default = I > 0 && I + 1 < N.Layers.size() && Suffix == "out";
        if (Pattern.empty() ? !Default : !globMatch(Pattern, Name))
          continue;
        Expr H = Outputs.at(Name);
        if (H.rank() != 3)
          throw TypeError(std::string(Term) + ": output '" + Name + "' is " +
                          H.type().str() +
                          ", not a sequence [B, T, units]; the penalty is "
                          "for a recurrent model's sequence outputs (choose "
                          "them with its pattern)");
        Hs.push_back(H);
      }
    if (Hs.empty())
      throw TypeError(std::string(Term) + ": no " +
                      (Pattern.empty() ? std::string("hidden layer output")
                                       : "output matches '" + Pattern + "'"));
    return Hs;
  };
  auto SequencePenalty = [&](const char *Term, double Weight,
                             const std::string &Pattern, auto Penalty) {
    if (Weight)
      Out.emplace_back(Term,
                       Average(Sequences(Term, Pattern), Penalty) * Weight);
  };
  SequencePenalty("recurrent_state", R->RecurrentState,
                  R->RecurrentStatePattern,
                  [](const Expr &H) { return recurrent::recurrent_state(H); });
  SequencePenalty("recurrent_norm", R->RecurrentNorm, R->RecurrentNormPattern,
                  [](const Expr &H) { return recurrent::recurrent_norm(H); });
  return Out;
}

//===----------------------------------------------------------------------===//
// LayerContext in build mode
//===----------------------------------------------------------------------===//

std::vector<int64_t> ModelGraph::inputShape(size_t I) const {
  NJ_CHECK(false, "inputShape() while building a graph");
  return {};
}
InitStream &ModelGraph::stream() {
  NJ_CHECK(false, "stream() while building a graph");
  std::abort();
}
DType ModelGraph::floatType() const { return N.Options.FloatType; }
const Layer &ModelGraph::layer(std::string_view Name) const {
  return N.layer(Name);
}
std::vector<const Layer *> ModelGraph::earlierLayers() const { return {}; }
void ModelGraph::create(std::string_view, Tensor) {
  NJ_CHECK(false, "create() while building a graph");
}

Expr ModelGraph::input(size_t I) {
  const std::string &Name = Current->inputs().at(I);
  auto It = Outputs.find(Name);
  if (It == Outputs.end())
    throw TypeError("layer '" + Current->name() + "' reads '" + Name +
                    "', which this graph does not compute");
  return It->second;
}

bool ModelGraph::sequences() const { return N.Recurrent; }

Expr ModelGraph::output(std::string_view FullName) {
  auto It = Outputs.find(std::string(FullName));
  if (It == Outputs.end())
    throw TypeError("layer '" + Current->name() + "' reads '" +
                    std::string(FullName) +
                    "', which this graph does not compute");
  return It->second;
}

Expr ModelGraph::dataInput(std::string_view Name,
                           const std::vector<int64_t> &Dims) {
  // A recurrent model's data are batch-major sequences [B, T, ...].
  std::vector<DimSpec> Full{DimSpec("B")};
  if (N.Recurrent)
    Full.push_back(DimSpec("T"));
  Full.insert(Full.end(), Dims.begin(), Dims.end());
  return F.input(Name, N.Options.FloatType, Full);
}

Expr ModelGraph::param(std::string_view FullName) {
  auto It = N.Values.find(FullName);
  NJ_CHECK(It != N.Values.end(), "no parameter " << FullName);
  const std::vector<int64_t> &S = It->second.shape();
  return F.param(FullName, It->second.dtype(),
                 std::vector<DimSpec>(S.begin(), S.end()));
}

Expr ModelGraph::get(std::string_view Suffix) {
  return param(Current->name() + "." + std::string(Suffix));
}

//===----------------------------------------------------------------------===//
// The model's graphs
//===----------------------------------------------------------------------===//

Function Network::lossFunction(const Regularizers &R) const {
  Function F("loss", Options.FloatType);
  ModelGraph G(*this, F, &R);
  G.connect();
  ModelGraph::Objective O = G.objective();
  G.outputMonitors(O);
  for (const auto &[Name, E] : G.Ordered)
    F.output(Name, E);
  G.addStepUpdate();
  return F;
}

Function Network::gradientFunction(const Regularizers &R) const {
  Function F("loss_grad", Options.FloatType);
  ModelGraph G(*this, F, &R);
  G.connect();
  ModelGraph::Objective O = G.objective();
  G.outputMonitors(O);
  for (const std::string &P : ParamOrder)
    F.output("grad(" + P + ")", grad(O.Total, G.param(P)));
  G.addStepUpdate();
  return F;
}

std::string Network::ir(GraphStage Stage, const Regularizers &R) const {
  switch (Stage) {
  case GraphStage::Loss:
    return lossFunction(R).str();
  case GraphStage::Gradient:
    return gradientFunction(R).str();
  case GraphStage::Optimized:
    return printGraph(gradientFunction(R).optimized());
  }
  return "";
}

std::string Network::dot(GraphStage Stage, const Regularizers &R) const {
  switch (Stage) {
  case GraphStage::Loss:
    return lossFunction(R).dot();
  case GraphStage::Gradient:
    return gradientFunction(R).dot();
  case GraphStage::Optimized:
    return toDot(gradientFunction(R).optimized());
  }
  return "";
}

} // namespace netjit
