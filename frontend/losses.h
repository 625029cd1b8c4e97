//===- losses.h - Losses, their options and the registry of loss names ----===//
//
// A Loss turns a model's named outputs, a target and (for weighted models)
// weights into a scalar Expr. The built-in losses (docs/losses.md has every
// formula) are registered under their theanets names, case-insensitively:
// mse/meansquarederror, mae/meanabsoluteerror, xe/crossentropy, hinge,
// kl/kld/kullbackleiblerdivergence, gll/gaussianloglikelihood and
// mmd/maximummeandiscrepancy. A user's loss derives from Loss, writes
// compute() (and computeWeighted() for weighted models) with Expr ops, and is
// registered under a name; it is then usable by name everywhere.
//
// The weighting invariants every built-in loss keeps (and weighted_mean
// gives a custom one): all-ones weights give the unweighted value; scaling
// every weight changes nothing; a zero weight removes an element from the
// value and gives it a gradient of exactly zero, even where its term is inf
// or NaN.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace netjit {

class Loss;

/// Which loss to build and how: LossSpec("hinge").option("margin", 0.5).
class LossSpec {
public:
  using Value = std::variant<double, std::string>;
  LossSpec(const char *Form) : Form(Form) {}       // NOLINT: "mse" converts
  LossSpec(std::string Form) : Form(std::move(Form)) {} // NOLINT
  /// A loss object used as it is (its own weight and options apply).
  LossSpec(std::shared_ptr<Loss> Object) : Object(std::move(Object)) {} // NOLINT

  /// The loss's factor in the model's objective (default 1).
  LossSpec &weight(double W) { Weight = W; return *this; }
  /// The output the loss reads ("out" means "out:out"; default: the model's).
  LossSpec &output(std::string Name) { OutputName = std::move(Name); return *this; }
  /// The name of the loss's target input (default: the model's target,
  /// "target", or the input itself for an autoencoder).
  LossSpec &target(std::string Name) { TargetName = std::move(Name); return *this; }
  /// A loss-specific option: margin, kernel, mean_name, covar_name, ...
  LossSpec &option(std::string Key, Value V);

  std::string Form;
  double Weight = 1;
  std::string OutputName, TargetName;
  std::map<std::string, Value> Options;
  std::shared_ptr<Loss> Object;

  /// Option readers for loss constructors; reading marks the key as used.
  double number(std::string_view Key, double Default) const;
  std::string text(std::string_view Key, std::string Default) const;
  /// TypeError naming any option no reader asked for.
  void checkAllUsed() const;

private:
  mutable std::set<std::string, std::less<>> Used;
};

/// What a loss sees when it is built.
class LossInputs {
public:
  LossInputs(std::map<std::string, Expr> Outputs, std::string OutputName,
             Expr Target = {}, Expr Weights = {});
  /// The output the loss reads.
  const Expr &output() const { return output(OutputName); }
  /// Any named output ("hid1:out"; a name without ':' gets ":out").
  const Expr &output(std::string_view Name) const;
  const Expr &target() const;
  bool weighted() const { return Weights.valid(); }
  /// The weights (TypeError when the model is not weighted).
  const Expr &weights() const;
  const std::map<std::string, Expr> &outputs() const { return Outputs; }

private:
  std::map<std::string, Expr> Outputs;
  std::string OutputName;
  Expr Target, Weights;
};

/// The base of every loss.
class Loss {
public:
  explicit Loss(const LossSpec &Spec);
  virtual ~Loss() = default;

  /// The name the loss was built under ("mse").
  const std::string &name() const { return Name; }
  /// The factor of this loss in the objective; mutable at any time.
  double weight() const { return Weight; }
  void setWeight(double W) { Weight = W; }
  /// The output it reads and its target's name ("" = the model's default).
  const std::string &outputName() const { return OutputName; }
  const std::string &targetName() const { return TargetName; }
  /// The options it was built with (LossSpec::option), which a model
  /// file stores to rebuild the loss by name.
  const std::map<std::string, LossSpec::Value> &options() const {
    return Options;
  }

  /// The loss value, unweighted.
  virtual Expr compute(const LossInputs &In) const = 0;
  /// The loss value with In.weights(); the default throws TypeError (a
  /// weighted model cannot use a loss without a weighted branch).
  virtual Expr computeWeighted(const LossInputs &In) const;
  /// The target's type for these outputs: the output's type by default;
  /// int labels for classification losses.
  virtual TensorType targetType(const LossInputs &In) const;
  /// Accuracy (weighted when In is), for classification losses only.
  virtual bool hasAccuracy() const { return false; }
  virtual Expr accuracy(const LossInputs &In) const;

  /// compute or computeWeighted, as In says.
  Expr build(const LossInputs &In) const;

private:
  std::string Name, OutputName, TargetName;
  double Weight;
  std::map<std::string, LossSpec::Value> Options;
};

using LossFactory = std::function<std::shared_ptr<Loss>(const LossSpec &)>;

/// Registers a loss under Name and Aliases (case-insensitive). Registering
/// a taken name is an Error.
void registerLoss(std::string_view Name, LossFactory Make,
                  const std::vector<std::string> &Aliases = {});
template <class L>
void registerLoss(std::string_view Name,
                  const std::vector<std::string> &Aliases = {}) {
  registerLoss(
      Name, [](const LossSpec &S) { return std::make_shared<L>(S); }, Aliases);
}
/// Builds the loss Spec names; Error for an unknown name or option.
std::shared_ptr<Loss> makeLoss(const LossSpec &Spec,
                               SourceLoc Loc = SourceLoc::current());
/// Every registered name, sorted.
std::vector<std::string> lossNames();

/// Σ w·term / Σ w with only the elements where w > 0 taking part (a select:
/// zero-weight terms may be inf or NaN and get an exactly zero gradient).
/// Weights broadcast to Terms' shape.
Expr weighted_mean(const Expr &Terms, const Expr &Weights,
                   SourceLoc Loc = SourceLoc::current());

/// Checks weights fed for a target of shape TargetShape, at the data
/// boundary: the same shape, no negative or NaN weight, a positive sum.
/// Throws RuntimeError naming Name and the problem.
void check_weights(const Tensor &Weights,
                   const std::vector<int64_t> &TargetShape,
                   std::string_view Name = "weights");

} // namespace netjit
