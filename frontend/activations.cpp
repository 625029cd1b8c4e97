//===- activations.cpp - Layer activation functions -----------------------===//
//
// Plain activations are one Expr formula each; the parameterised ones create
// their per-unit parameters (0.1 * |N(0,1)|, or N(0,1) for maxout) in setup.
// Piecewise formulas guard the branch not taken (elu evaluates expm1 on
// min(x, 0)), so no inf reaches a gradient through a select.
//
//===----------------------------------------------------------------------===//
#include "frontend/activations.h"
#include "frontend/array.h"
#include "frontend/math.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>

namespace netjit {

namespace {

using Formula = std::function<Expr(const Expr &)>;

/// An activation without parameters.
class Plain : public Activation {
public:
  Plain(std::string Name, Formula F) : Name(std::move(Name)), F(std::move(F)) {}
  std::string name() const override { return Name; }
  Expr apply(const Expr &X, LayerParams &) const override { return F(X); }
  bool elementwise() const override {
    return Name != "softmax" && Name.rfind("norm:", 0) != 0;
  }

private:
  std::string Name;
  Formula F;
};

Expr normStd(const Expr &X) { return stddev(X, {-1}, true) + 1e-8; }

const std::map<std::string, Formula> &plainFormulas() {
  static const std::map<std::string, Formula> Table = {
      {"linear", [](const Expr &X) { return X; }},
      {"sigmoid", [](const Expr &X) { return sigmoid(X); }},
      {"logistic", [](const Expr &X) { return sigmoid(X); }},
      {"tanh", [](const Expr &X) { return tanh(X); }},
      {"softmax", [](const Expr &X) { return softmax(X); }},
      {"relu", [](const Expr &X) { return relu(X); }},
      {"rect:max", [](const Expr &X) { return relu(X); }},
      {"rect:min", [](const Expr &X) { return minimum(X, 1.0); }},
      {"rect:minmax", [](const Expr &X) { return clip(X, 0.0, 1.0); }},
      {"softplus", [](const Expr &X) { return softplus(X); }},
      {"norm:mean", [](const Expr &X) { return X - mean(X, {-1}, true); }},
      {"norm:max",
       [](const Expr &X) { return X / (max(abs(X), {-1}, true) + 1e-8); }},
      {"norm:std", [](const Expr &X) { return X / normStd(X); }},
      {"norm:z",
       [](const Expr &X) { return (X - mean(X, {-1}, true)) / normStd(X); }},
  };
  return Table;
}

/// A per-unit vector initialised 0.1 * |N(0, 1)|.
Tensor smallPositive(int64_t Size, InitStream &S, DType T) {
  return fillTensor({Size}, T, [&] { return 0.1 * std::fabs(S.normal()); });
}

/// relu(x) + e^leak * (x - |x|) / 2.
class PRelu : public Activation {
public:
  explicit PRelu(std::string Name) : Name(std::move(Name)) {}
  std::string name() const override { return Name; }
  void setup(int64_t Size, LayerParams &P, InitStream &S,
             DType T) const override {
    P.create("leak", smallPositive(Size, S, T));
  }
  Expr apply(const Expr &X, LayerParams &P) const override {
    return relu(X) + exp(P.get("leak")) * minimum(X, 0.0);
  }

private:
  std::string Name;
};

/// e^gain * (x + |x|) / 2 + e^leak * (x - |x|) / 2.
class LgRelu : public Activation {
public:
  explicit LgRelu(std::string Name) : Name(std::move(Name)) {}
  std::string name() const override { return Name; }
  void setup(int64_t Size, LayerParams &P, InitStream &S,
             DType T) const override {
    P.create("gain", smallPositive(Size, S, T));
    P.create("leak", smallPositive(Size, S, T));
  }
  Expr apply(const Expr &X, LayerParams &P) const override {
    return exp(P.get("gain")) * relu(X) + exp(P.get("leak")) * minimum(X, 0.0);
  }

private:
  std::string Name;
};

/// x for x >= 0, e^gain * (e^x - 1) otherwise.
class Elu : public Activation {
public:
  std::string name() const override { return "elu"; }
  void setup(int64_t Size, LayerParams &P, InitStream &S,
             DType T) const override {
    P.create("gain", smallPositive(Size, S, T));
  }
  Expr apply(const Expr &X, LayerParams &P) const override {
    Expr Negative = exp(P.get("gain")) * expm1(minimum(X, 0.0));
    return where(X >= 0.0, X, Negative);
  }
};

/// max_k (x * slope[:, k] + intercept[:, k]) per unit.
class Maxout : public Activation {
public:
  explicit Maxout(int64_t K) : K(K) {}
  std::string name() const override { return "maxout:" + std::to_string(K); }
  void setup(int64_t Size, LayerParams &P, InitStream &S,
             DType T) const override {
    P.create("slope", fillTensor({Size, K}, T, [&] { return S.normal(); }));
    P.create("intercept",
             fillTensor({Size, K}, T, [&] { return S.normal(); }));
  }
  Expr apply(const Expr &X, LayerParams &P) const override {
    std::vector<DimSpec> Dims(X.shape().begin(), X.shape().end());
    Dims.push_back(1);
    Expr Pieces = reshape(X, Dims) * P.get("slope") + P.get("intercept");
    return max(Pieces, {-1});
  }

private:
  int64_t K;
};

/// a+b+c: c(b(a(x))).
class Composed : public Activation {
public:
  explicit Composed(std::vector<std::shared_ptr<Activation>> Parts)
      : Parts(std::move(Parts)) {}
  std::string name() const override {
    std::string N;
    for (const auto &A : Parts)
      N += (N.empty() ? "" : "+") + A->name();
    return N;
  }
  void setup(int64_t Size, LayerParams &P, InitStream &S,
             DType T) const override {
    for (const auto &A : Parts)
      A->setup(Size, P, S, T);
  }
  Expr apply(const Expr &X, LayerParams &P) const override {
    Expr Y = X;
    for (const auto &A : Parts)
      Y = A->apply(Y, P);
    return Y;
  }
  bool elementwise() const override {
    return std::all_of(Parts.begin(), Parts.end(),
                       [](const auto &A) { return A->elementwise(); });
  }

private:
  std::vector<std::shared_ptr<Activation>> Parts;
};

[[noreturn]] void unknown(std::string_view Name) {
  std::string Known;
  for (const auto &[N, F] : plainFormulas())
    Known += N + ", ";
  throw Error("unknown activation '" + std::string(Name) + "' (known: " +
              Known + "prelu, leaky-relu, lgrelu, leaky-gain-relu, elu, "
                      "maxout:K, and a+b compositions)");
}

std::shared_ptr<Activation> makeOne(std::string_view Raw) {
  std::string Name(Raw);
  std::transform(Name.begin(), Name.end(), Name.begin(),
                 [](unsigned char C) { return std::tolower(C); });
  auto It = plainFormulas().find(Name);
  if (It != plainFormulas().end())
    return std::make_shared<Plain>(Name, It->second);
  if (Name == "prelu" || Name == "leaky-relu")
    return std::make_shared<PRelu>(Name);
  if (Name == "lgrelu" || Name == "leaky-gain-relu")
    return std::make_shared<LgRelu>(Name);
  if (Name == "elu")
    return std::make_shared<Elu>();
  if (Name.rfind("maxout:", 0) == 0) {
    std::string K = Name.substr(7);
    if (K.empty() || K.size() > 6 ||
        !std::all_of(K.begin(), K.end(), ::isdigit) || std::stoi(K) < 1)
      throw Error("activation '" + std::string(Raw) +
                  "': maxout needs a piece count >= 1, as in maxout:3");
    return std::make_shared<Maxout>(std::stoi(K));
  }
  unknown(Raw);
}

} // namespace

std::shared_ptr<Activation> makeActivation(std::string_view Name) {
  std::vector<std::shared_ptr<Activation>> Parts;
  size_t Start = 0;
  while (true) {
    size_t Plus = Name.find('+', Start);
    std::string_view Part = Name.substr(Start, Plus - Start);
    if (Part.empty())
      unknown(Name);
    Parts.push_back(makeOne(Part));
    if (Plus == std::string_view::npos)
      break;
    Start = Plus + 1;
  }
  if (Parts.size() == 1)
    return Parts[0];
  return std::make_shared<Composed>(std::move(Parts));
}

} // namespace netjit
