//===- losses_builtin.cpp - The built-in losses -----------------------------===//
//
// mse, mae, xe, hinge, kl, gll and mmd, with the formulas of docs/losses.md.
// Notation: o = the output read, t = target, w = weights, "rows" = every
// index but the last axis.
//
// Weighted branches keep the three weighting invariants with a double
// select: the inputs of each term are replaced where w == 0 (by values that
// make the term finite), and weighted_mean selects the kept terms again. The
// first select makes the gradient reaching o exactly zero there even when
// the original term would be inf or NaN (log 0, padding garbage). When o is
// softmax(z) and the mask is per row, the select goes on z inside the
// softmax, so the stabilize pass still fuses log(softmax) into
// softmax_xent.
//
//===----------------------------------------------------------------------===//
#include "frontend/array.h"
#include "frontend/losses.h"
#include "frontend/math.h"

#include <cmath>
#include <numbers>

namespace netjit {

using LossAdder = std::function<void(std::string_view, LossFactory,
                                     const std::vector<std::string> &)>;

namespace {

/// X's dims but the last.
std::vector<DimSpec> rowsOf(const Expr &X) {
  if (X.rank() == 0)
    throw TypeError("the output must have rank >= 1, got " + X.type().str());
  return std::vector<DimSpec>(X.shape().begin(), X.shape().end() - 1);
}

/// X as a matrix: [rows, last].
Expr asMatrix(const Expr &X) {
  Shape Rows(X.shape().begin(), X.shape().end() - 1);
  return reshape(X, {numElements(Rows), X.dim(-1)});
}

/// Labels [...] as a column [..., 1] for take_along_axis.
Expr column(const Expr &T) {
  std::vector<DimSpec> Dims(T.shape().begin(), T.shape().end());
  Dims.push_back(1);
  return reshape(T, Dims);
}

/// The logits z when O is softmax(z) over its last axis.
std::optional<Expr> softmaxLogits(const Expr &O) {
  const Node &N = O.graph().node(O.id());
  if (N.Op != OpCode::Softmax ||
      N.Attributes.getInt("axis") != static_cast<int64_t>(O.rank()) - 1)
    return std::nullopt;
  return Expr(O.graphPtr(), N.Inputs[0]);
}

/// Class probabilities O with the rows where RowMask is false made safe:
/// softmax(where(m, z, 0)) when O = softmax(z), else where(m, O, 1).
Expr maskRows(const Expr &O, const Expr &RowMask) {
  Expr M = column(RowMask);
  if (std::optional<Expr> Z = softmaxLogits(O))
    return softmax(where(M, *Z, 0.0));
  return where(M, O, 1.0);
}

/// Labels in [0, K) where the weights are zero (padding may hold -1).
Expr maskLabels(const Expr &T, const Expr &RowMask) {
  return where(RowMask, T, 0.0);
}

//===----------------------------------------------------------------------===//
// Regression losses
//===----------------------------------------------------------------------===//

class MeanSquaredError : public Loss {
public:
  using Loss::Loss;
  Expr compute(const LossInputs &In) const override {
    return mean(square(In.output() - In.target()));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    Expr M = In.weights() > 0.0;
    Expr E = where(M, In.output(), 0.0) - where(M, In.target(), 0.0);
    return weighted_mean(square(E), In.weights());
  }
};

class MeanAbsoluteError : public Loss {
public:
  using Loss::Loss;
  Expr compute(const LossInputs &In) const override {
    return mean(abs(In.output() - In.target()));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    Expr M = In.weights() > 0.0;
    Expr E = where(M, In.output(), 0.0) - where(M, In.target(), 0.0);
    return weighted_mean(abs(E), In.weights());
  }
};

//===----------------------------------------------------------------------===//
// Classification losses: integer labels on the rows of the output
//===----------------------------------------------------------------------===//

class ClassificationLoss : public Loss {
public:
  using Loss::Loss;
  TensorType targetType(const LossInputs &In) const override {
    return TensorType{DType::I32, makeShape(rowsOf(In.output()))};
  }
  bool hasAccuracy() const override { return true; }
  /// [argmax(o) == t], weighted like the loss.
  Expr accuracy(const LossInputs &In) const override {
    const Expr &O = In.output();
    Expr Hit = cast(argmax(O, -1) == cast(In.target(), DType::I64), O.dtype());
    return In.weighted() ? weighted_mean(Hit, In.weights()) : mean(Hit);
  }
  Expr compute(const LossInputs &In) const override {
    return mean(terms(In.output(), In.target()));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    Expr M = In.weights() > 0.0;
    return weighted_mean(terms(maskRows(In.output(), M),
                               maskLabels(In.target(), M)),
                         In.weights());
  }

protected:
  /// The per-row loss terms, shaped like the labels.
  virtual Expr terms(const Expr &O, const Expr &T) const = 0;
};

/// -log o[t], written so the stabilize pass makes it softmax_xent(z, t).
class CrossEntropy : public ClassificationLoss {
public:
  using ClassificationLoss::ClassificationLoss;

protected:
  Expr terms(const Expr &O, const Expr &T) const override {
    return reshape(-log(take_along_axis(O, column(T), -1)), rowsOf(O));
  }
};

/// max(0, margin + max_{k != t} o_k - o_t) (Crammer-Singer).
class Hinge : public ClassificationLoss {
public:
  explicit Hinge(const LossSpec &Spec)
      : ClassificationLoss(Spec), Margin(Spec.number("margin", 1.0)) {}

protected:
  Expr terms(const Expr &O, const Expr &T) const override {
    Expr Right = take_along_axis(O, column(T), -1);
    Expr IsLabel = one_hot(T, O.dim(-1), O.dtype()) > 0.5;
    Expr Rival = max(where(IsLabel, -INFINITY, O), {-1}, /*KeepDims=*/true);
    return reshape(maximum(Rival + Margin - Right, 0.0), rowsOf(O));
  }

private:
  double Margin;
};

//===----------------------------------------------------------------------===//
// Distribution losses
//===----------------------------------------------------------------------===//

/// KL(t || o) per element: t log t - t log o, with 0 log 0 = 0.
class KullbackLeibler : public Loss {
public:
  using Loss::Loss;
  Expr compute(const LossInputs &In) const override {
    return mean(terms(In.output(), In.target()));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    Expr M = In.weights() > 0.0;
    Expr K = terms(In.output(), where(M, In.target(), 0.0));
    return weighted_mean(where(M, K, 0.0), In.weights());
  }

private:
  static Expr terms(const Expr &O, const Expr &T) {
    if (std::optional<Expr> Z = softmaxLogits(O))
      return xlogy(T, T) - T * log_softmax(*Z);
    return xlogy(T, T) - xlogy(T, O);
  }
};

/// The diagonal-Gaussian negative log-likelihood of the target under the
/// outputs mean_name (the mean) and covar_name (the variance).
class GaussianLogLikelihood : public Loss {
public:
  explicit GaussianLogLikelihood(const LossSpec &Spec)
      : Loss(Spec), MeanName(Spec.text("mean_name", "mean")),
        CovarName(Spec.text("covar_name", "covar")),
        CovarEps(Spec.number("covar_eps", 1e-3)) {}
  TensorType targetType(const LossInputs &In) const override {
    return In.output(MeanName).type();
  }
  Expr compute(const LossInputs &In) const override {
    return mean(sum(terms(In.output(MeanName), In.output(CovarName),
                          In.target()),
                    {-1}));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    Expr M = In.weights() > 0.0;
    const Expr &Mu = In.output(MeanName);
    Expr L = terms(where(M, Mu, 0.0), where(M, In.output(CovarName), 1.0),
                   where(M, In.target(), 0.0));
    return weighted_mean(L, In.weights()) * dim_size(Mu, -1, Mu.dtype());
  }

private:
  Expr terms(const Expr &Mu, const Expr &Covar, const Expr &T) const {
    Expr V = abs(Covar) + CovarEps;
    double Log2Pi = std::log(2 * std::numbers::pi);
    return (log(V) + square(T - Mu) / V + Log2Pi) * 0.5;
  }
  std::string MeanName, CovarName;
  double CovarEps;
};

/// Biased MMD² with the Gaussian kernel exp(-|a - b|² / kernel).
class MaximumMeanDiscrepancy : public Loss {
public:
  explicit MaximumMeanDiscrepancy(const LossSpec &Spec)
      : Loss(Spec), Kernel(Spec.number("kernel", 1.0)) {}
  Expr compute(const LossInputs &In) const override {
    Expr O = asMatrix(In.output()), T = asMatrix(In.target());
    return mean(gram(T, T)) - mean(gram(T, O)) * 2.0 + mean(gram(O, O));
  }
  Expr computeWeighted(const LossInputs &In) const override {
    // Row weights r_i = mean of the row's weights; pair weights r_i r_j.
    Expr R = reshape(mean(In.weights(), {-1}), {-1});
    Expr M = reshape(R > 0.0, {-1, 1});
    Expr O = where(M, asMatrix(In.output()), 0.0);
    Expr T = where(M, asMatrix(In.target()), 0.0);
    Expr P = reshape(R, {-1, 1}) * reshape(R, {1, -1});
    return weighted_mean(gram(T, T), P) - weighted_mean(gram(T, O), P) * 2.0 +
           weighted_mean(gram(O, O), P);
  }

private:
  /// K(a_i, b_j) for every pair of rows: [N, D] x [N, D] -> [N, N].
  Expr gram(const Expr &A, const Expr &B) const {
    Expr Diff = reshape(A, {A.dim(0), 1, A.dim(1)}) -
                reshape(B, {1, B.dim(0), B.dim(1)});
    return exp(sum(square(Diff), {-1}) * (-1.0 / Kernel));
  }
  double Kernel;
};

template <class L> LossFactory factory() {
  return [](const LossSpec &S) { return std::make_shared<L>(S); };
}

} // namespace

void registerBuiltinLosses(const LossAdder &Add) {
  Add("mse", factory<MeanSquaredError>(), {"meansquarederror"});
  Add("mae", factory<MeanAbsoluteError>(), {"meanabsoluteerror"});
  Add("xe", factory<CrossEntropy>(), {"crossentropy"});
  Add("hinge", factory<Hinge>(), {});
  Add("kl", factory<KullbackLeibler>(), {"kld", "kullbackleiblerdivergence"});
  Add("gll", factory<GaussianLogLikelihood>(), {"gaussianloglikelihood"});
  Add("mmd", factory<MaximumMeanDiscrepancy>(), {"maximummeandiscrepancy"});
}

} // namespace netjit
