//===- custom_loss.cpp - Writing, registering and testing your own loss ---===//
//
// theanets' `Step` loss (the fraction of outputs above zero) in C++: derive
// from Loss, write the loss with Expr operations (and a weighted branch, so
// weighted models can use it), register it under a name, and use it by name
// like a built-in loss. A smooth custom loss is then checked against finite
// differences with check_grad.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"

#include <iostream>

using namespace netjit;

class Step : public Loss {
public:
  using Loss::Loss;
  Expr compute(const LossInputs &In) const override {
    return mean(cast(In.output() > 0.0, In.output().dtype()));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    Expr Above = cast(In.output() > 0.0, In.output().dtype());
    return sum(In.weights() * Above) / sum(In.weights());
  }
};

/// log(cosh(o - t)): smooth, so its gradient can be checked.
class LogCosh : public Loss {
public:
  using Loss::Loss;
  Expr compute(const LossInputs &In) const override {
    Expr E = In.output() - In.target();
    return mean(softplus(E * 2.0) - E - 0.6931471805599453);
  }
  Expr computeWeighted(const LossInputs &In) const override {
    Expr E = In.output() - In.target();
    return weighted_mean(softplus(E * 2.0) - E - 0.6931471805599453,
                         In.weights());
  }
};

int main() {
  registerLoss<Step>("step");
  registerLoss<LogCosh>("logcosh", {"log_cosh"});

  Tensor X(DType::F32, {4, 5}), Y(DType::F32, {4, 7});
  for (int64_t I = 0; I < X.numel(); ++I)
    X.set(I, (I % 6) / 3.0 - 0.8);

  Regressor Net({5, 6, 7}, {.Loss = "step"});
  std::cout << "step: "
            << Net.evaluate({{"in", X}, {"target", Y}}).at("loss").at(0)
            << "\n";

  Regressor Weighted({5, 6, 7}, {.Loss = "step", .Weighted = true});
  Tensor W(DType::F32, {4, 7});
  for (int64_t I = 0; I < W.numel(); ++I)
    W.set(I, I < 14 ? 1.0 : 0.0); // only the first two rows count
  std::cout << "weighted step: "
            << Weighted.evaluate({{"in", X}, {"target", Y}, {"weights", W}})
                   .at("loss")
                   .at(0)
            << "\n";

  // Check the custom loss's gradients (in f64) before training with it.
  Regressor Smooth({5, {6, "tanh"}, 7},
                   {.Loss = "LogCosh", .FloatType = DType::F64});
  GradCheckResult R = Smooth.check_grad({{"in", X}, {"target", Y}});
  std::cout << "logcosh gradient check: max error " << R.MaxError << " over "
            << R.Checked << " values: " << (R.ok() ? "ok" : "WRONG") << "\n";
  return R.ok() ? 0 : 1;
}
