//===- step_loss.h - The seed's custom Step loss, as a C++ user writes it -===//
//
// theanets' documentation defines a custom loss `Step`: the fraction of the
// outputs above zero, with a weighted branch. Here it is in the Expr API,
// registered under "step"; "unweighted_step" is the same loss without a
// weighted branch (a weighted model must refuse it).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/netjit.h"

#include <mutex>

namespace netjit::test {

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

class UnweightedStep : public Loss {
public:
  using Loss::Loss;
  Expr compute(const LossInputs &In) const override {
    return mean(cast(In.output() > 0.0, In.output().dtype()));
  }
};

/// Registers both (once per process).
inline void registerStepLosses() {
  static std::once_flag Once;
  std::call_once(Once, [] {
    registerLoss<Step>("step");
    registerLoss<UnweightedStep>("unweighted_step");
  });
}

} // namespace netjit::test
