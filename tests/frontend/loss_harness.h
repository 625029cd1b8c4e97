//===- loss_harness.h - Builds and evaluates one loss on given data -------===//
#pragma once

#include "frontend/netjit.h"
#include "test_util.h"

#include <map>
#include <string>
#include <vector>

namespace netjit::test {

/// A loss on inputs holding fixed values: outputs (optionally the softmax of
/// an input), a target and weights; evaluates the loss and its gradients.
class LossHarness {
public:
  explicit LossHarness(DType T = DType::F64) : F("loss", T), Float(T) {}

  /// Declares the model output Name ("out" -> "out:out") as an input holding
  /// Value, or as softmax(z) of an input z holding Value. Returns the input.
  Expr output(const std::string &Name, const Tensor &Value,
              bool Softmax = false) {
    std::string Arg = (Softmax ? "z_" : "o_") + Name;
    Expr In = F.input(Arg, Float, dimsOf(Value));
    Outputs[Name + ":out"] = Softmax ? softmax(In) : In;
    Args[Arg] = cast(Value);
    return In;
  }
  void target(const Tensor &Value) { TargetValue = Value; }
  void weights(const Tensor &Value) {
    WeightValue = Value;
    HasWeights = true;
  }

  struct Result {
    double Value = 0;
    std::vector<Tensor> Grads;
    double Accuracy = 0;
  };

  /// Builds Spec on the outputs; gradients w.r.t. Wrt.
  Result run(const LossSpec &Spec, const std::vector<Expr> &Wrt = {}) {
    std::shared_ptr<Loss> L = makeLoss(Spec);
    return run(*L, Wrt);
  }
  Result run(const Loss &L, const std::vector<Expr> &Wrt = {}) {
    TensorMap A = Args;
    LossInputs In = inputs(L, A);
    Expr Value = L.build(In);
    TensorMap Got =
        evaluate(Value, Wrt, L.hasAccuracy() ? L.accuracy(In) : Expr(), A);
    Result R;
    R.Value = Got.at("loss").at(0);
    for (size_t I = 0; I < Wrt.size(); ++I)
      R.Grads.push_back(Got.at("g" + std::to_string(I)));
    if (L.hasAccuracy())
      R.Accuracy = Got.at("acc").at(0);
    return R;
  }

  /// The loss's inputs, with the target and weights declared and fed in A.
  LossInputs inputs(const Loss &L, TensorMap &A) {
    TensorType TT = L.targetType(LossInputs(Outputs, "out:out"));
    Expr T = F.input("target", TT.Dtype, dims(TT.Dims));
    A["target"] = isFloat(TT.Dtype) ? cast(TargetValue) : TargetValue;
    Expr W;
    if (HasWeights) {
      W = F.input("weights", Float, dimsOf(WeightValue));
      A["weights"] = cast(WeightValue);
    }
    return LossInputs(Outputs, "out:out", T, W);
  }

  /// Checks the loss's gradients w.r.t. Wrt by finite differences.
  GradCheckResult check(const LossSpec &Spec, const std::vector<Expr> &Wrt) {
    std::shared_ptr<Loss> L = makeLoss(Spec);
    TensorMap A = Args;
    LossInputs In = inputs(*L, A);
    return check_grad(L->build(In), Wrt, A);
  }

  Function F;

private:
  TensorMap evaluate(const Expr &Value, const std::vector<Expr> &Wrt,
                     const Expr &Acc, TensorMap &A) {
    Graph &G = F.graph();
    G.clearOutputs();
    F.output("loss", Value);
    for (size_t I = 0; I < Wrt.size(); ++I)
      F.output("g" + std::to_string(I), grad(Value, Wrt[I]));
    if (Acc.valid())
      F.output("acc", Acc);
    return F.run(A);
  }
  static std::vector<DimSpec> dimsOf(const Tensor &T) {
    return std::vector<DimSpec>(T.shape().begin(), T.shape().end());
  }
  static std::vector<DimSpec> dims(const Shape &S) {
    return std::vector<DimSpec>(S.begin(), S.end());
  }
  Tensor cast(const Tensor &T) const {
    Tensor Out(Float, T.shape());
    for (int64_t I = 0; I < T.numel(); ++I)
      Out.set(I, T.at(I));
    return Out;
  }

  DType Float;
  std::map<std::string, Expr> Outputs;
  TensorMap Args;
  Tensor TargetValue, WeightValue;
  bool HasWeights = false;
};

} // namespace netjit::test
