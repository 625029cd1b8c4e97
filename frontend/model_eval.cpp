//===- model_eval.cpp - Running a model's graphs on data ------------------===//
//
// Data enters here: float data is converted to the model's float type and
// integer labels to i32, missing data is named, weights are checked
// (check_weights) against their target, and the graph runs through
// evaluateGraph with the parameter values (and the random step counter,
// which a graph that draws randoms advances).
//
//===----------------------------------------------------------------------===//
#include "frontend/evaluate.h"
#include "frontend/model_graph.h"

namespace netjit {

/// T converted to dtype To, or RuntimeError when the kinds differ.
Tensor convertData(const Tensor &T, DType To, const std::string &Name) {
  if (T.dtype() == To)
    return T;
  if (isFloat(T.dtype()) != isFloat(To) || T.dtype() == DType::Bool)
    throw RuntimeError("data '" + Name + "': expected " +
                       std::string(dtypeName(To)) + " values, got " +
                       T.typeStr());
  Tensor Out(To, T.shape());
  for (int64_t I = 0; I < T.numel(); ++I)
    Out.set(I, T.at(I));
  return Out;
}

namespace {

std::string names(const Graph &G) {
  std::string Out;
  for (NodeId A : G.arguments())
    if (G.node(A).Op == OpCode::Input)
      Out += (Out.empty() ? "" : ", ") +
             G.node(A).Attributes.getString("name");
  return Out;
}

} // namespace

TensorMap Network::run(const Function &F, const TensorMap &Batch) const {
  const Graph &G = F.graph();
  TensorMap Args;
  for (NodeId A : G.arguments()) {
    const Node &N = G.node(A);
    const std::string &Name = N.Attributes.getString("name");
    if (N.Op == OpCode::Param) {
      Args[Name] = Name == "step" && !Values.count(Name)
                       ? Tensor::scalar(static_cast<double>(Step), DType::I64)
                       : Values.at(Name);
      continue;
    }
    auto It = Batch.find(Name);
    if (It == Batch.end())
      throw RuntimeError("missing data '" + Name + "' (this graph reads: " +
                         names(G) + ")");
    Args[Name] = convertData(It->second, N.Type.Dtype, Name);
  }
  for (const auto &[Name, T] : Args)
    if (Name == "weights" || Name.ends_with("_weights")) {
      std::string Target =
          Name == "weights" ? defaultTarget() : Name.substr(0, Name.size() - 8);
      if (Args.count(Target))
        check_weights(T, Args.at(Target).shape(), Name);
    }
  TensorMap Out = evaluateGraph(G, Args);
  if (Args.count("step") && !Values.count("step"))
    Step = static_cast<int64_t>(Args.at("step").at(0));
  return Out;
}

TensorMap Network::feed_forward(const TensorMap &Inputs,
                                const Regularizers &R) const {
  Function F("feed_forward", Options.FloatType);
  ModelGraph G(*this, F, &R);
  G.connect();
  for (const auto &[Name, E] : G.Ordered)
    F.output(Name, E);
  G.addStepUpdate();
  return run(F, Inputs);
}

TensorMap Network::feed_forward(const Tensor &X, const Regularizers &R) const {
  return feed_forward(TensorMap{{Layers[0]->name(), X}}, R);
}

Tensor Network::predict(const Tensor &X) const {
  Function F("predict", Options.FloatType);
  ModelGraph G(*this, F);
  G.connect();
  F.output(outName(), G.Outputs.at(outName()));
  return run(F, TensorMap{{Layers[0]->name(), X}}).at(outName());
}

TensorMap Network::evaluate(const TensorMap &Batch,
                            const Regularizers &R) const {
  // Only the monitors, not every layer output.
  Function F("evaluate", Options.FloatType);
  ModelGraph G(*this, F, &R);
  G.connect();
  ModelGraph::Objective O = G.objective();
  G.outputMonitors(O);
  G.addStepUpdate();
  return run(F, Batch);
}

GradCheckResult Network::check_grad(const TensorMap &Batch,
                                   const Regularizers &R) const {
  Function F = lossFunction(R);
  std::vector<Expr> Wrt;
  for (const std::string &P : ParamOrder)
    Wrt.push_back(F.argument(P));
  TensorMap Args;
  for (NodeId A : F.graph().arguments()) {
    const std::string &Name = F.graph().node(A).Attributes.getString("name");
    if (Values.count(Name))
      Args[Name] = Values.at(Name);
    else if (Name == "step")
      Args[Name] = Tensor::scalar(static_cast<double>(Step), DType::I64);
    else if (Batch.count(Name))
      Args[Name] = Batch.at(Name);
  }
  return ::netjit::check_grad(F.outputExpr("loss"), Wrt, Args);
}

double rSquared(const Tensor &Y, const Tensor &Predicted, const Tensor *W) {
  if (Y.shape() != Predicted.shape())
    throw RuntimeError("score: targets " + Y.typeStr() +
                       " do not match the predictions " +
                       Predicted.typeStr());
  if (W)
    check_weights(*W, Y.shape(), "weights");
  double Mean = 0;
  for (int64_t I = 0; I < Y.numel(); ++I)
    Mean += Y.at(I);
  Mean /= static_cast<double>(std::max<int64_t>(1, Y.numel()));
  double Residual = 0, Total = 0;
  for (int64_t I = 0; I < Y.numel(); ++I) {
    double Wi = W ? W->at(I) : 1.0;
    double E = Y.at(I) - Predicted.at(I), D = Y.at(I) - Mean;
    Residual += Wi * E * E;
    Total += Wi * D * D;
  }
  return 1 - Residual / Total;
}

double Network::score(const Tensor &X, const Tensor &Y) const {
  return rSquared(Y, predict(X), nullptr);
}

double Network::score(const Tensor &X, const Tensor &Y,
                      const Tensor &W) const {
  return rSquared(Y, predict(X), &W);
}

} // namespace netjit
