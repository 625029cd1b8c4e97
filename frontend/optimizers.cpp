//===- optimizers.cpp - Optimizers as graph code in the training step -----===//
//
// See optimizers.h for the formulas. The base class checks the
// hyper-parameters and arguments, clips each gradient, asks the algorithm
// (one small subclass each) for the step u, then applies momentum. Every
// state update is an elementwise expression of the old state and the
// gradient, so the fuser turns each parameter's update into one kernel
// that writes the state and the parameter in place.
//
//===----------------------------------------------------------------------===//
#include "frontend/optimizers.h"
#include "frontend/array.h"
#include "frontend/call_site.h"
#include "frontend/grad.h"
#include "frontend/init.h"
#include "frontend/math.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

namespace netjit {

namespace {

std::string joined(const std::vector<std::string> &Names) {
  std::string Out;
  for (const std::string &N : Names)
    Out += (Out.empty() ? "" : ", ") + N;
  return Out;
}

std::string numberStr(double V) {
  char Buf[32];
  std::snprintf(Buf, sizeof(Buf), "%g", V);
  return Buf;
}

/// The decay factor with the given half-life: 2^(-1/h).
double decay(double HalfLife) { return std::exp2(-1.0 / HalfLife); }

/// The moving average Old·Decay + Sample·(1 - Decay).
Expr ema(const Expr &Old, const Expr &Sample, double Decay) {
  return Old * Decay + Sample * (1 - Decay);
}

/// Checks every hyper-parameter's range; Algo names the optimizer.
void checkRanges(const std::string &Algo, const HyperParams &H) {
  auto Fail = [&](const std::string &Key, const std::string &Want) {
    throw TypeError("optimizer '" + Algo + "': " + Key + " must be " + Want +
                    ", got " + numberStr(H.at(Key)));
  };
  auto Positive = [&](const char *Key) {
    double V = H.at(Key);
    if (!(V > 0) || !std::isfinite(V))
      Fail(Key, "a finite number > 0");
  };
  auto NonNegative = [&](const char *Key) {
    double V = H.at(Key);
    if (!(V >= 0) || !std::isfinite(V))
      Fail(Key, "a finite number >= 0");
  };
  for (const char *K : {"learning_rate", "rms_halflife", "beta1_halflife",
                        "beta2_halflife", "rprop_increase", "rprop_decrease"})
    Positive(K);
  for (const char *K : {"max_gradient_norm", "max_gradient_elem",
                        "rms_regularizer", "rprop_min_step", "rprop_max_step"})
    NonNegative(K);
  double Mu = H.at("momentum");
  if (!(Mu >= 0 && Mu < 1))
    Fail("momentum", "in [0, 1)");
  double Nesterov = H.at("nesterov");
  if (Nesterov != 0 && Nesterov != 1)
    Fail("nesterov", "0 or 1");
  if (H.at("rprop_min_step") > H.at("rprop_max_step"))
    Fail("rprop_min_step",
         "<= rprop_max_step (" + numberStr(H.at("rprop_max_step")) + ")");
}

//===----------------------------------------------------------------------===//
// The algorithms
//===----------------------------------------------------------------------===//

class Sgd : public Optimizer {
public:
  using Optimizer::Optimizer;

protected:
  Expr step(Site &S, const Expr &G) override {
    return G * hyperParam("learning_rate");
  }
};

class RmsProp : public Optimizer {
public:
  using Optimizer::Optimizer;

protected:
  Expr step(Site &S, const Expr &G) override {
    double Gamma = decay(hyperParam("rms_halflife"));
    Expr F = state(S, "mean_grad"), Sq = state(S, "mean_sq_grad");
    Expr NewF = ema(F, G, Gamma);
    Expr NewSq = ema(Sq, square(G), Gamma);
    S.F.update(F, NewF);
    S.F.update(Sq, NewSq);
    return G * hyperParam("learning_rate") /
           sqrt(NewSq - square(NewF) + hyperParam("rms_regularizer"));
  }
};

class AdaDelta : public Optimizer {
public:
  using Optimizer::Optimizer;

protected:
  Expr step(Site &S, const Expr &G) override {
    double Gamma = decay(hyperParam("rms_halflife")),
           Eps = hyperParam("rms_regularizer");
    Expr Sq = state(S, "mean_sq_grad"), X = state(S, "mean_sq_step");
    Expr NewSq = ema(Sq, square(G), Gamma);
    Expr U = G * sqrt(X + Eps) / sqrt(NewSq + Eps);
    S.F.update(Sq, NewSq);
    S.F.update(X, ema(X, square(U), Gamma));
    return U;
  }
};

class Adam : public Optimizer {
public:
  using Optimizer::Optimizer;

protected:
  Expr step(Site &S, const Expr &G) override {
    double B1 = decay(hyperParam("beta1_halflife")),
           B2 = decay(hyperParam("beta2_halflife"));
    // The bias corrections are scalars, computed once per step.
    Expr T = cast(counter(S.F) + 1.0, G.dtype());
    Expr C1 = 1.0 - power(B1, T), C2 = 1.0 - power(B2, T);
    Expr M = state(S, "mean_grad"), Sq = state(S, "mean_sq_grad");
    Expr NewM = ema(M, G, B1);
    Expr NewSq = ema(Sq, square(G), B2);
    S.F.update(M, NewM);
    S.F.update(Sq, NewSq);
    return NewM / C1 * hyperParam("learning_rate") /
           (sqrt(NewSq / C2) + hyperParam("rms_regularizer"));
  }
};

class AdaGrad : public Optimizer {
public:
  using Optimizer::Optimizer;

protected:
  Expr step(Site &S, const Expr &G) override {
    Expr Sq = state(S, "sum_sq_grad");
    Expr NewSq = Sq + square(G);
    S.F.update(Sq, NewSq);
    return G * hyperParam("learning_rate") /
           sqrt(NewSq + hyperParam("rms_regularizer"));
  }
};

class RProp : public Optimizer {
public:
  using Optimizer::Optimizer;

protected:
  Expr step(Site &S, const Expr &G) override {
    Expr Prev = state(S, "prev_grad");
    Expr Step = state(S, "step", hyperParam("learning_rate"));
    Expr Test = G * Prev;
    Expr Flipped = Test < 0.0;
    Expr Factor = where(
        Test > 0.0, hyperParam("rprop_increase"),
        where(Flipped, hyperParam("rprop_decrease"), S.F.scalar(1, G.dtype())));
    Expr NewStep = clip(Step * Factor, hyperParam("rprop_min_step"),
                        hyperParam("rprop_max_step"));
    // Where the sign flipped the gradient counts as 0: no move this step,
    // and the next step sees no sign change.
    Expr Kept = where(Flipped, 0.0, G);
    S.F.update(Prev, Kept);
    S.F.update(Step, NewStep);
    return sign(Kept) * NewStep;
  }
};

class Esgd : public Optimizer {
public:
  using Optimizer::Optimizer;

protected:
  Expr step(Site &S, const Expr &G) override {
    if (!S.Loss.valid() || S.Loss.rank() != 0 || S.Loss.dtype() != G.dtype())
      throw TypeError("optimizer 'esgd' needs the loss, a scalar of the "
                      "parameters' dtype, for its Hessian-vector products");
    double Gamma = decay(hyperParam("rms_halflife"));
    int64_t High =
        static_cast<int64_t>(fnv1a("netjit/esgd/" + S.ParamName) << 32);
    Tensor Base(DType::I64, {});
    std::memcpy(Base.raw(), &High, sizeof(High));
    Expr Key = counter(S.F) + S.F.constant(Base);
    std::vector<DimSpec> Dims(S.Param.shape().begin(), S.Param.shape().end());
    Expr V = random_normal(Key, G.dtype(), Dims);
    Expr Hv = grad(sum(grad(S.Loss, S.Param) * V), S.Param);
    Expr D = state(S, "curvature");
    Expr NewD = ema(D, square(Hv), Gamma);
    S.F.update(D, NewD);
    return G * hyperParam("learning_rate") /
           (sqrt(NewD) + hyperParam("rms_regularizer"));
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Optimizer
//===----------------------------------------------------------------------===//

const std::vector<std::string> &Optimizer::algorithms() {
  static const std::vector<std::string> Names{
      "sgd", "nag", "rmsprop", "adam", "adadelta", "adagrad", "rprop", "esgd"};
  return Names;
}

const HyperParams &Optimizer::defaults() {
  static const HyperParams D{
      {"learning_rate", 1e-4},   {"momentum", 0},
      {"nesterov", 0},           {"max_gradient_norm", 0},
      {"max_gradient_elem", 0},  {"rms_halflife", 14},
      {"rms_regularizer", 1e-8}, {"beta1_halflife", 7},
      {"beta2_halflife", 69},    {"rprop_increase", 1.01},
      {"rprop_decrease", 0.99},  {"rprop_min_step", 0},
      {"rprop_max_step", 100}};
  return D;
}

std::unique_ptr<Optimizer> Optimizer::create(std::string_view Algo,
                                             const HyperParams &Hyper,
                                             SourceLoc Loc) {
  return detail::guarded("Optimizer::create", Loc, [&] {
    std::string Name(Algo);
    std::transform(Name.begin(), Name.end(), Name.begin(),
                   [](unsigned char C) { return std::tolower(C); });
    const std::vector<std::string> &Names = algorithms();
    if (std::find(Names.begin(), Names.end(), Name) == Names.end())
      throw TypeError("unknown optimizer '" + std::string(Algo) +
                      "'; the optimizers are " + joined(Names));
    HyperParams H = defaults();
    for (const auto &[Key, Value] : Hyper) {
      if (!H.count(Key)) {
        std::vector<std::string> Keys;
        for (const auto &[K, V] : defaults())
          Keys.push_back(K);
        throw TypeError("optimizer '" + Name + "': unknown hyper-parameter '" +
                        Key + "'; the hyper-parameters are " + joined(Keys));
      }
      H[Key] = Value;
    }
    if (Name == "nag")
      H["nesterov"] = 1;
    checkRanges(Name, H);
    std::unique_ptr<Optimizer> O;
    if (Name == "sgd" || Name == "nag")
      O.reset(new Sgd(Name, H));
    else if (Name == "rmsprop")
      O.reset(new RmsProp(Name, H));
    else if (Name == "adam")
      O.reset(new Adam(Name, H));
    else if (Name == "adadelta")
      O.reset(new AdaDelta(Name, H));
    else if (Name == "adagrad")
      O.reset(new AdaGrad(Name, H));
    else if (Name == "rprop")
      O.reset(new RProp(Name, H));
    else
      O.reset(new Esgd(Name, H));
    return O;
  });
}

Optimizer::Optimizer(std::string Name, HyperParams Hyper)
    : Name(std::move(Name)), Hyper(std::move(Hyper)) {}

Optimizer::~Optimizer() = default;

double Optimizer::hyperParam(std::string_view Key) const {
  auto It = Hyper.find(std::string(Key));
  if (It == Hyper.end())
    throw TypeError("optimizer '" + Name + "' has no hyper-parameter '" +
                    std::string(Key) + "'");
  return It->second;
}

Expr Optimizer::state(Site &S, std::string_view Slot, double Init) {
  std::string Full = "opt:" + S.ParamName + ":" + std::string(Slot);
  std::vector<DimSpec> Dims(S.Param.shape().begin(), S.Param.shape().end());
  Expr P = S.F.param(Full, S.Param.dtype(), Dims);
  State.push_back({Full, S.ParamName, Init});
  return P;
}

Expr Optimizer::counter(Function &F) {
  if (!Counter.valid()) {
    Counter = F.param("opt:t", DType::I64, {});
    State.push_back({"opt:t", "", 0});
  }
  return Counter;
}

void Optimizer::addUpdates(Function &F, const Expr &Loss,
                           const std::vector<Expr> &Params,
                           const std::vector<Expr> &Grads) {
  const std::string Where = "optimizer '" + Name + "': addUpdates: ";
  if (Params.size() != Grads.size())
    throw TypeError(Where + std::to_string(Params.size()) + " params but " +
                    std::to_string(Grads.size()) + " gradients");
  if (Loss.valid() && Loss.graphPtr() != F.graphPtr())
    throw TypeError(Where + "the loss is not an Expr of this Function");
  State.clear();
  Counter = Expr();
  double Mu = hyperParam("momentum"),
         ElemLimit = hyperParam("max_gradient_elem"),
         NormLimit = hyperParam("max_gradient_norm");
  bool Nesterov = hyperParam("nesterov") != 0;
  for (size_t I = 0; I < Params.size(); ++I) {
    const Expr &P = Params[I];
    if (!P.valid() || P.graphPtr() != F.graphPtr() ||
        P.graph().node(P.id()).Op != OpCode::Param)
      throw TypeError(Where + "Params[" + std::to_string(I) +
                      "] is not a param of this Function");
    std::string ParamName = P.graph().node(P.id()).Attributes.getString("name");
    if (!isFloat(P.dtype()))
      throw TypeError(Where + "param '" + ParamName + "' is " + P.type().str() +
                      "; only float params can be trained");
    if (!Grads[I].valid() || Grads[I].graphPtr() != F.graphPtr() ||
        !(Grads[I].type() == P.type()))
      throw TypeError(
          Where + "the gradient of '" + ParamName + "' must be " +
          "an Expr of this Function of type " + P.type().str() +
          (Grads[I].valid() ? ", got " + Grads[I].type().str() : ""));
    Expr G = Grads[I];
    if (ElemLimit > 0)
      G = clip(G, -ElemLimit, ElemLimit);
    else if (NormLimit > 0)
      G = G * minimum(1.0, NormLimit / sqrt(sum(square(G))));
    Site S{F, Loss, P, ParamName};
    Expr U = step(S, G);
    if (Mu > 0) {
      Expr V = state(S, "velocity");
      Expr NewV = Nesterov ? V * (Mu * Mu) - U * (1 + Mu) : V * Mu - U;
      F.update(V, NewV);
      F.update(P, P + NewV);
    } else {
      F.update(P, P - U);
    }
  }
  if (Counter.valid())
    F.update(Counter, Counter + 1.0);
}

TensorMap Optimizer::initialState(const TensorMap &ParamValues) const {
  TensorMap Out;
  for (const StateParam &SP : State) {
    if (SP.Param.empty()) {
      Out.emplace(SP.Name, Tensor::scalar(SP.Init, DType::I64));
      continue;
    }
    auto It = ParamValues.find(SP.Param);
    if (It == ParamValues.end())
      throw TypeError("optimizer '" + Name +
                      "': initialState needs the value "
                      "of parameter '" +
                      SP.Param + "' (for '" + SP.Name + "')");
    Tensor T(It->second.dtype(), It->second.shape());
    if (SP.Init != 0)
      for (int64_t E = 0; E < T.numel(); ++E)
        T.set(E, SP.Init);
    Out.emplace(SP.Name, std::move(T));
  }
  return Out;
}

std::vector<std::string> Optimizer::stateNames() const {
  std::vector<std::string> Out;
  for (const StateParam &SP : State)
    Out.push_back(SP.Name);
  return Out;
}

} // namespace netjit
