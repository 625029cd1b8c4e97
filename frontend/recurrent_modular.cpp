//===- recurrent_modular.cpp - clockwork and bcrnn ------------------------===//
//
// The two recurrent forms whose units form modules: theanets' clockwork
// (each module updates on its own period) and bcrnn (each module leaks
// towards its candidate at its own fixed rate). Both mask hh
// block-triangularly, so a module hears itself and the slower modules only.
//
//===----------------------------------------------------------------------===//
#include "frontend/recurrent_base.h"
#include "ir/graph.h"

#include <cstring>

namespace netjit::recurrent_detail {

namespace {

//===----------------------------------------------------------------------===//
// clockwork and bcrnn: modules of units under a block-triangular mask
//===----------------------------------------------------------------------===//

/// The common part of the two modular forms: rnn's parameters, and
/// theanets' mask on hh, under which a module hears itself and the slower
/// (later) modules only. The mask is applied to hh once, outside the loop.
class ModularRnn : public RecurrentLayer {
public:
  using RecurrentLayer::RecurrentLayer;
  std::vector<std::string> outputs() const override { return {"pre", "out"}; }

protected:
  /// Checks that Modules (an option's value) splits the layer evenly.
  void setModules(int64_t Modules, const char *Option) {
    if (size() % Modules != 0)
      throw TypeError("layer '" + Name + "' (" + form() + ") has size " +
                      std::to_string(size()) + ", which the " +
                      std::to_string(Modules) + " modules of its '" + Option +
                      "' do not divide evenly");
    Width = size() / Modules;
  }
  void createParams(LayerContext &C) override { addRnnParams(C); }
  /// A constant of X's graph in the layer's float type, Value(i) per entry.
  template <typename F>
  static Expr constantLike(const Expr &X, std::vector<int64_t> Shape,
                           F &&Value) {
    Tensor V(X.dtype(), std::move(Shape));
    for (int64_t I = 0; I < V.numel(); ++I)
      V.set(I, Value(I));
    netjit::Shape S;
    for (int64_t D : V.shape())
      S.push_back(Dim(D));
    Bytes B;
    B.Data.resize(V.nbytes());
    if (!B.Data.empty())
      std::memcpy(B.Data.data(), V.raw(), B.Data.size());
    return Expr(X.graphPtr(),
                X.graph().constant(TensorType{V.dtype(), S}, std::move(B)));
  }
  /// hh ⊙ mask, mask[r, c] = 1 when unit r's module is c's or a later one.
  Expr maskedHh(LayerContext &C, const Expr &X) const {
    int64_t N = size();
    return C.get("hh") * constantLike(X, {N, N}, [&](int64_t I) {
             return (I / N) / Width >= (I % N) / Width ? 1.0 : 0.0;
           });
  }
  int64_t Width = 0; // units per module
};

/// clockwork: module i updates its pre only at the scan steps t (0-based,
/// in processing order) where t mod periods[i] = 0, and holds it otherwise.
class Clockwork : public ModularRnn {
public:
  using ModularRnn::ModularRnn;
  std::string form() const override { return "clockwork"; }

protected:
  void resolveShape(LayerContext &C) override {
    ModularRnn::resolveShape(C);
    Periods = Spec.ints("periods");
    if (Periods.empty())
      throw TypeError("layer '" + Name +
                      "' (clockwork) needs 'periods', a list "
                      "of positive integers (one per module)");
    for (int64_t P : Periods)
      if (P < 1)
        throw TypeError("layer '" + Name +
                        "' (clockwork): every period must be "
                        ">= 1, got " +
                        std::to_string(P));
    std::sort(Periods.begin(), Periods.end());
    setModules(static_cast<int64_t>(Periods.size()), "periods");
  }
  std::map<std::string, Expr> run(LayerContext &C,
                                  const Expr &X) const override {
    int64_t N = size();
    Expr Hh = maskedHh(C, X);
    // The step count is a carry of its own ([n], each unit's t mod period)
    // because T is known only when the graph runs.
    Expr Period = constantLike(
        X, {N}, [&](int64_t I) { return double(Periods[I / Width]); });
    Expr Phase0 = constantLike(X, {N}, [](int64_t) { return 0.0; });
    Expr H0 = initial(C, X, "h_0");
    std::vector<Expr> R = loop(
        [&](ScanBody &S) {
          BodyParams P(C, S);
          Expr Phase = S.carry(2);
          Expr Cand = S.element(0) + matmul(S.carry(1), S.capture(Hh));
          Expr Pre = where(equal(Phase, 0.0), Cand, S.carry(0));
          Expr H = Act->apply(Pre, P);
          Expr Next = Phase + 1.0;
          Next = where(equal(Next, S.capture(Period)), 0.0, Next);
          return std::vector<Expr>{Pre, H, Next, Pre, H};
        },
        {H0, H0, Phase0}, {project(C, X, "xh", "b")});
    return stepOutputs(R, 3);
  }

private:
  std::vector<int64_t> Periods; // ascending
};

/// bcrnn: pre leaks towards the candidate at a fixed rate per module,
/// ρ = 1 - logspace(-1e-4, -6, M): module 0 follows the input almost at
/// once, the last one barely moves.
class Bcrnn : public ModularRnn {
public:
  using ModularRnn::ModularRnn;
  std::string form() const override { return "bcrnn"; }

protected:
  void resolveShape(LayerContext &C) override {
    ModularRnn::resolveShape(C);
    if (!Spec.has("num_modules"))
      throw TypeError("layer '" + Name +
                      "' (bcrnn) needs 'num_modules', a "
                      "positive integer");
    double M = Spec.number("num_modules", 0);
    if (M < 1 || M != std::floor(M) || M > static_cast<double>(size()))
      throw TypeError("layer '" + Name +
                      "' (bcrnn): 'num_modules' must be an "
                      "integer in [1, size], got " +
                      std::to_string(M));
    Modules = static_cast<int64_t>(M);
    setModules(Modules, "num_modules");
  }
  std::map<std::string, Expr> run(LayerContext &C,
                                  const Expr &X) const override {
    int64_t N = size();
    Expr Hh = maskedHh(C, X);
    // numpy's logspace: 10^(start + i·(stop - start)/(M - 1)).
    auto Exponent = [&](int64_t I) {
      return Modules == 1 ? -1e-4
                          : -1e-4 + double(I / Width) * (-6 + 1e-4) /
                                        double(Modules - 1);
    };
    auto RhoAt = [&](int64_t I) { return 1 - std::pow(10.0, Exponent(I)); };
    Expr Rho = constantLike(X, {N}, RhoAt);
    // 1 - ρ from ρ itself, not simplified to 10^exponent.
    Expr Leak = constantLike(X, {N}, [&](int64_t I) { return 1 - RhoAt(I); });
    Expr H0 = initial(C, X, "h_0");
    std::vector<Expr> R = loop(
        [&](ScanBody &S) {
          BodyParams P(C, S);
          Expr Cand = S.element(0) + matmul(S.carry(1), S.capture(Hh));
          Expr Pre = S.capture(Rho) * S.carry(0) + S.capture(Leak) * Cand;
          Expr H = Act->apply(Pre, P);
          return std::vector<Expr>{Pre, H, Pre, H};
        },
        {H0, H0}, {project(C, X, "xh", "b")});
    return stepOutputs(R, 2);
  }

private:
  int64_t Modules = 0;
};
} // namespace

std::unique_ptr<Layer> makeModularLayer(const std::string &Form,
                                        const LayerSpec &Spec, std::string Name,
                                        std::vector<std::string> Inputs) {
  if (Form == "clockwork")
    return std::make_unique<Clockwork>(Spec, std::move(Name),
                                       std::move(Inputs));
  NJ_CHECK(Form == "bcrnn", "not a modular recurrent form: " << Form);
  return std::make_unique<Bcrnn>(Spec, std::move(Name), std::move(Inputs));
}

} // namespace netjit::recurrent_detail
