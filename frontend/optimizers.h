//===- optimizers.h - Optimizers as graph code in the training step -------===//
//
// theanets trains with the optimizers of its companion package downhill;
// netjit has the same algorithms, by the same names and hyper-parameters, but
// builds each one as graph code: addUpdates() adds the optimizer's state as
// params of the training Function and declares, for every parameter, the
// update Param <- new value plus the state updates. The whole step (loss,
// gradients, update) is then one compiled call, and since every update reads
// the values from before the call (Theano's semantics), the formulas below
// are written with the previous state on the right.
//
// For each parameter θ with gradient g, first clipping: with
// max_gradient_elem > 0, g <- clip(g, ±limit) (it takes precedence);
// otherwise with max_gradient_norm > 0, g <- g·min(1, limit/‖g‖₂) (the norm of
// this parameter's gradient alone). Then the algorithm gives a step u
// (state starts at 0 unless stated; γ = 2^(-1/rms_halflife), ε =
// rms_regularizer, β_i = 2^(-1/beta<i>_halflife)):
//   sgd       u = lr·g
//   nag       sgd with nesterov forced on (a no-op unless momentum > 0)
//   rmsprop   f <- γf + (1-γ)g;  s <- γs + (1-γ)g²;  u = lr·g / √(s - f² + ε)
//   adadelta  s <- γs + (1-γ)g²;  u = g·√(x + ε) / √(s + ε);
//             x <- γx + (1-γ)u²  (lr unused)
//   adam      t <- t+1;  m <- β₁m + (1-β₁)g;  s <- β₂s + (1-β₂)g²;
//             u = lr·(m / (1-β₁ᵗ)) / (√(s / (1-β₂ᵗ)) + ε)
//   adagrad   s <- s + g²;  u = lr·g / √(s + ε)
//   rprop     δ = step·(inc if g·g' > 0, dec if < 0, else 1), clipped to
//             [min, max]; where the sign flipped, g <- 0; u = sign(g)·δ;
//             store step <- δ and g' <- g (step starts at lr)
//   esgd      D <- γD + (1-γ)(Hv)², v ~ N(0, 1) drawn anew every step;
//             u = lr·g / (√D + ε)
// Finally, with momentum μ > 0: v <- μv - u (nesterov: v <- μ²v - (1+μ)u)
// and θ <- θ + v; without momentum θ <- θ - u.
//
// esgd's Hv is the Hessian of the (unclipped) loss w.r.t. θ alone times v,
// a gradient of a gradient: grad(sum(grad(Loss, θ)·v), θ). Its draws use
// netjit's counter-based random ops under a key made of a hash of the
// parameter's name (high 32 bits) and the step counter "opt:t" (low 32),
// so each parameter and each step draws its own v.
//
// State params are named "opt:<param>:<slot>" (slots: velocity, mean_grad,
// mean_sq_grad, mean_sq_step, sum_sq_grad, prev_grad, step, curvature) plus
// the i64 scalar step counter "opt:t" (adam and esgd); initialState() gives
// their starting values.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace netjit {

/// Hyper-parameters by theanets/downhill name: learning_rate, momentum,
/// nesterov (0/1), max_gradient_norm, max_gradient_elem, rms_halflife,
/// rms_regularizer, beta1_halflife, beta2_halflife, rprop_increase,
/// rprop_decrease, rprop_min_step, rprop_max_step. Unknown names are an error
/// listing the valid ones.
using HyperParams = std::map<std::string, double>;

class Optimizer {
public:
  /// "sgd", "nag", "rmsprop", "adam", "adadelta", "adagrad", "rprop",
  /// "esgd" (case-insensitive). An unknown name, or an unknown or
  /// out-of-range hyper-parameter, is a TypeError listing the valid ones.
  static std::unique_ptr<Optimizer>
  create(std::string_view Algo, const HyperParams &Hyper = {},
         SourceLoc Loc = SourceLoc::current());
  /// Every algorithm name, and every hyper-parameter with its default.
  static const std::vector<std::string> &algorithms();
  static const HyperParams &defaults();

  virtual ~Optimizer();
  Optimizer(const Optimizer &) = delete;
  Optimizer &operator=(const Optimizer &) = delete;

  const std::string &name() const { return Name; }
  /// The value of every hyper-parameter (defaults filled in).
  const HyperParams &hyperParams() const { return Hyper; }
  /// One hyper-parameter's value (TypeError for an unknown name).
  double hyperParam(std::string_view Key) const;

  /// Adds to F: the optimizer's state as params (named
  /// "opt:<param>:<slot>", plus scalars like "opt:t"), and for each
  /// (Params[i], Grads[i]) the update Param <- new value, plus the state
  /// updates. Params are F's float params; Grads[i] has Params[i]'s type;
  /// Loss is the scalar objective (esgd differentiates it twice; the other
  /// algorithms ignore it). Clipping and momentum/nesterov are applied
  /// here for every algorithm. TypeError for bad arguments.
  void addUpdates(Function &F, const Expr &Loss,
                  const std::vector<Expr> &Params,
                  const std::vector<Expr> &Grads);

  /// The initial values of every state param added by the last addUpdates
  /// (zeros; rprop's step starts at learning_rate; opt:t at 0), by name;
  /// shapes and dtypes from ParamValues (TypeError when one is missing).
  TensorMap initialState(const TensorMap &ParamValues) const;
  /// The names of the state params added by the last addUpdates.
  std::vector<std::string> stateNames() const;

protected:
  Optimizer(std::string Name, HyperParams Hyper);

  /// What an algorithm sees of one parameter while building its step.
  struct Site {
    Function &F;
    const Expr &Loss;
    const Expr &Param;
    std::string ParamName;
  };
  /// The step u for one parameter from its (clipped) gradient G; without
  /// momentum the update is θ <- θ - u. Adds the state it needs through
  /// state() and F.update().
  virtual Expr step(Site &S, const Expr &G) = 0;

  /// A state param "opt:<param>:<Slot>" of the parameter's type, starting
  /// at Init (the algorithm declares its update).
  Expr state(Site &S, std::string_view Slot, double Init = 0);
  /// The i64 scalar step counter "opt:t" (its value before this step);
  /// addUpdates declares t <- t + 1 once when an algorithm asked for it.
  Expr counter(Function &F);

private:
  struct StateParam {
    std::string Name;
    std::string Param; // empty: the i64 scalar counter
    double Init;
  };
  std::string Name;
  HyperParams Hyper;
  std::vector<StateParam> State;
  Expr Counter;
};

} // namespace netjit
