//===- losses.cpp - The Loss base, loss specs and the registry ------------===//
//
// The registry maps lower-cased names to factories. The built-in losses
// (losses_builtin.cpp) are registered the first time the registry is used,
// so they exist before any user registration and cannot be dropped by a
// static link.
//
//===----------------------------------------------------------------------===//
#include "frontend/losses.h"
#include "frontend/array.h"
#include "frontend/call_site.h"
#include "frontend/math.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>

namespace netjit {

//===----------------------------------------------------------------------===//
// LossSpec and LossInputs
//===----------------------------------------------------------------------===//

LossSpec &LossSpec::option(std::string Key, Value V) {
  Options[std::move(Key)] = std::move(V);
  return *this;
}

double LossSpec::number(std::string_view Key, double Default) const {
  Used.insert(std::string(Key));
  auto It = Options.find(std::string(Key));
  if (It == Options.end())
    return Default;
  if (const double *D = std::get_if<double>(&It->second))
    return *D;
  throw TypeError("loss '" + Form + "': option '" + std::string(Key) +
                  "' must be a number");
}

std::string LossSpec::text(std::string_view Key, std::string Default) const {
  Used.insert(std::string(Key));
  auto It = Options.find(std::string(Key));
  if (It == Options.end())
    return Default;
  if (const std::string *S = std::get_if<std::string>(&It->second))
    return *S;
  throw TypeError("loss '" + Form + "': option '" + std::string(Key) +
                  "' must be a string");
}

void LossSpec::checkAllUsed() const {
  for (const auto &[Key, V] : Options)
    if (!Used.count(Key)) {
      std::string Known;
      for (const std::string &U : Used)
        Known += (Known.empty() ? "" : ", ") + U;
      throw TypeError("loss '" + Form + "' has no option '" + Key + "'" +
                      (Known.empty() ? " (it takes none)"
                                     : " (options: " + Known + ")"));
    }
}

LossInputs::LossInputs(std::map<std::string, Expr> Outputs,
                       std::string OutputName, Expr Target, Expr Weights)
    : Outputs(std::move(Outputs)), OutputName(std::move(OutputName)),
      Target(std::move(Target)), Weights(std::move(Weights)) {}

const Expr &LossInputs::output(std::string_view Name) const {
  std::string Full(Name);
  if (Full.find(':') == std::string::npos)
    Full += ":out";
  auto It = Outputs.find(Full);
  if (It != Outputs.end())
    return It->second;
  std::string Known;
  for (const auto &[N, E] : Outputs)
    Known += (Known.empty() ? "" : ", ") + N;
  throw TypeError("the model has no output '" + Full + "' (outputs: " +
                  Known + ")");
}

const Expr &LossInputs::target() const {
  if (!Target.valid())
    throw TypeError("the loss has no target yet");
  return Target;
}

const Expr &LossInputs::weights() const {
  if (!Weights.valid())
    throw TypeError("the model is not weighted: there are no weights");
  return Weights;
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

Loss::Loss(const LossSpec &Spec)
    : Name(Spec.Form), OutputName(Spec.OutputName),
      TargetName(Spec.TargetName), Weight(Spec.Weight),
      Options(Spec.Options) {
  std::transform(Name.begin(), Name.end(), Name.begin(),
                 [](unsigned char C) { return std::tolower(C); });
}

Expr Loss::computeWeighted(const LossInputs &In) const {
  throw TypeError("loss '" + Name +
                  "' has no weighted branch, so a weighted model cannot use "
                  "it: override computeWeighted()");
}

TensorType Loss::targetType(const LossInputs &In) const {
  return In.output().type();
}

Expr Loss::accuracy(const LossInputs &In) const {
  throw TypeError("loss '" + Name + "' is not a classification loss: it has "
                                    "no accuracy");
}

Expr Loss::build(const LossInputs &In) const {
  Expr L = In.weighted() ? computeWeighted(In) : compute(In);
  if (!L.valid() || L.rank() != 0 || !isFloat(L.dtype()))
    throw TypeError("loss '" + Name + "' must give a float scalar, got " +
                    (L.valid() ? L.type().str() : "an empty Expr"));
  return L;
}

//===----------------------------------------------------------------------===//
// The registry
//===----------------------------------------------------------------------===//

using LossAdder = std::function<void(std::string_view, LossFactory,
                                     const std::vector<std::string> &)>;
void registerBuiltinLosses(const LossAdder &Add); // losses_builtin.cpp

namespace {

std::string lower(std::string_view S) {
  std::string Out(S);
  std::transform(Out.begin(), Out.end(), Out.begin(),
                 [](unsigned char C) { return std::tolower(C); });
  return Out;
}

struct Registry {
  std::mutex Lock;
  std::map<std::string, LossFactory> Factories;

  void add(std::string_view Name, LossFactory Make,
           const std::vector<std::string> &Aliases) {
    std::lock_guard<std::mutex> Guard(Lock);
    std::vector<std::string> Keys{lower(Name)};
    for (const std::string &A : Aliases)
      Keys.push_back(lower(A));
    for (const std::string &K : Keys)
      if (K.empty() || Factories.count(K))
        throw Error("loss name '" + K + "' is " +
                    (K.empty() ? "empty" : "already registered"));
    for (const std::string &K : Keys)
      Factories[K] = Make;
  }
};

/// The registry, with the built-in losses added on first use.
Registry &registry() {
  static Registry R;
  static std::once_flag Builtins;
  std::call_once(Builtins, [] {
    registerBuiltinLosses([](std::string_view Name, LossFactory Make,
                             const std::vector<std::string> &Aliases) {
      R.add(Name, std::move(Make), Aliases);
    });
  });
  return R;
}

} // namespace

void registerLoss(std::string_view Name, LossFactory Make,
                  const std::vector<std::string> &Aliases) {
  registry().add(Name, std::move(Make), Aliases);
}

std::shared_ptr<Loss> makeLoss(const LossSpec &Spec, SourceLoc Loc) {
  return detail::guarded("loss", Loc, [&] {
    if (Spec.Object)
      return Spec.Object;
    Registry &R = registry();
    LossFactory Make;
    {
      std::lock_guard<std::mutex> Guard(R.Lock);
      auto It = R.Factories.find(lower(Spec.Form));
      if (It == R.Factories.end()) {
        std::string Known;
        for (const auto &[K, F] : R.Factories)
          Known += (Known.empty() ? "" : ", ") + K;
        throw Error("unknown loss '" + Spec.Form + "' (known: " + Known + ")");
      }
      Make = It->second;
    }
    std::shared_ptr<Loss> L = Make(Spec);
    Spec.checkAllUsed();
    return L;
  });
}

std::vector<std::string> lossNames() {
  Registry &R = registry();
  std::lock_guard<std::mutex> Guard(R.Lock);
  std::vector<std::string> Names;
  for (const auto &[K, F] : R.Factories)
    Names.push_back(K);
  return Names;
}

Expr weighted_mean(const Expr &Terms, const Expr &Weights, SourceLoc Loc) {
  return detail::guarded("weighted_mean", Loc, [&] {
    Expr W = broadcast_to(Weights, std::vector<DimSpec>(Terms.shape().begin(),
                                                        Terms.shape().end()));
    Expr Kept = where(W > 0.0, W * Terms, 0.0);
    return sum(Kept) / sum(W);
  });
}

void check_weights(const Tensor &Weights,
                   const std::vector<int64_t> &TargetShape,
                   std::string_view Name) {
  auto Str = [](const std::vector<int64_t> &S) {
    std::string Out = "[";
    for (size_t I = 0; I < S.size(); ++I)
      Out += (I ? "," : "") + std::to_string(S[I]);
    return Out + "]";
  };
  std::string What = "'" + std::string(Name) + "': ";
  if (Weights.shape() != TargetShape)
    throw RuntimeError(What + "weights of shape " + Str(Weights.shape()) +
                       " do not match the target's shape " +
                       Str(TargetShape));
  double Sum = 0;
  for (int64_t I = 0; I < Weights.numel(); ++I) {
    double V = Weights.at(I);
    if (!(V >= 0))
      throw RuntimeError(What + "weight " + std::to_string(V) +
                         " at index " + std::to_string(I) +
                         " is negative or NaN (weights must be >= 0)");
    Sum += V;
  }
  if (!(Sum > 0) || !std::isfinite(Sum))
    throw RuntimeError(What + "the weights sum to " + std::to_string(Sum) +
                       " (they must have a positive, finite sum)");
}

} // namespace netjit
