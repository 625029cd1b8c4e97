//===- regularizers.h - Penalty terms, dropout and noise ------------------===//
//
// theanets' regularizers. Penalties are terms added to the objective
// (each times its weight):
//   weight_l2 = (1/|Ω|) Σ_{W∈Ω} mean(W²), weight_l1 the same with |W|; Ω =
//     the parameters matching WeightPattern (a glob) with rank > 1;
//   hidden_l1 = (1/|H|) Σ_{h∈H} mean(|h|); H = the outputs matching
//     HiddenPattern, by default every hidden layer's ":out";
//   contractive = (1/|H|) Σ_{h∈H} mean over rows of ‖∂h/∂x‖²_F, the
//     squared Frobenius norm of the Jacobian of each hidden layer w.r.t.
//     its own input x (Rifai et al. 2011); H = the layers whose ":out"
//     matches ContractivePattern (by default every hidden layer). For
//     h = act(x·W + b) with an elementwise act it is Σ_j act'(pre_j)²
//     Σ_i W_ij² per row, act' taken by autodiff, so it costs one more
//     derivative, not one per input unit. Every layer in H must be a
//     feedforward or tied layer with one input and an elementwise
//     activation (not softmax, not norm:*), else TypeError when the graph
//     is built. It uses the layer's own map, before its dropout or noise.
//     theanets instead penalizes Σ_x mean((∂ mean(h)/∂x)²) over the model's
//     data inputs x: the gradient of one scalar, not the Jacobian.
//   recurrent_state = (1/|H|) Σ_{h∈H} recurrent::recurrent_state(h), the
//     mean of (h[:,t+1] - h[:,t])² over the batch, the T-1 successive pairs
//     and the units; recurrent_norm the same with recurrent::recurrent_norm,
//     the mean of (‖h[:,t+1]‖² - ‖h[:,t]‖²)² (squared, as theanets'
//     documentation says; frontend/recurrent.h). H = the outputs matching
//     RecurrentStatePattern / RecurrentNormPattern (globs over every
//     layer's output names, "hid1:cell"; by default every hidden layer's
//     ":out"); each must be a sequence [B, T, units], so these are for
//     recurrent models (TypeError naming the output otherwise).
// Dropout and noise change the graph right after a layer is connected, on
// its ":out": input_* on the input layers, hidden_* on the hidden layers,
// output_* on the last layer, and Dropout/Noise map globs over output names
// to p or σ. Noise is y = x + σ·N(0,1); dropout is y = x·m/(1-p) with
// m ~ Bernoulli(1-p) (inverted dropout). The unmodified value stays
// available as "<name>-prenoise" / "<name>-predrop".
//
// Every random site draws under its own key: a hash of the model seed and
// the site in the high 32 bits, the model's step counter (a param updated
// by the graph, +1 per call) in the low 32, so no two sites and no two
// steps share a draw.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <map>
#include <string>

namespace netjit {

struct Regularizers {
  double WeightL1 = 0, WeightL2 = 0;
  std::string WeightPattern = "*";
  double HiddenL1 = 0;
  /// A glob over output names; empty means every hidden layer's ":out".
  std::string HiddenPattern = "";
  double Contractive = 0;
  /// A glob over output names; empty means every hidden layer's ":out".
  std::string ContractivePattern = "";
  double RecurrentState = 0;
  /// A glob over output names; empty means every hidden layer's ":out".
  std::string RecurrentStatePattern = "";
  double RecurrentNorm = 0;
  /// A glob over output names; empty means every hidden layer's ":out".
  std::string RecurrentNormPattern = "";
  double InputDropout = 0, HiddenDropout = 0, OutputDropout = 0;
  double InputNoise = 0, HiddenNoise = 0, OutputNoise = 0;
  /// Glob over output names ("hid*:out") -> dropout p or noise σ.
  std::map<std::string, double> Dropout = {}, Noise = {};

  /// Whether any dropout or noise is asked for (the graph draws randoms).
  bool random() const;
  /// Whether any penalty term is asked for.
  bool penalties() const {
    return WeightL1 || WeightL2 || HiddenL1 || Contractive ||
           RecurrentState || RecurrentNorm;
  }
};

/// Whether Name matches the shell glob Pattern (*, ?, [...]).
bool globMatch(const std::string &Pattern, const std::string &Name);

} // namespace netjit
