//===- regularizers.h - Penalty terms, dropout and noise ------------------===//
//
// theanets' regularizers. Penalties are terms added to the objective
// (each times its weight):
//   weight_l2 = (1/|Ω|) Σ_{W∈Ω} mean(W²), weight_l1 the same with |W|; Ω =
//     the parameters matching WeightPattern (a glob) with rank > 1;
//   hidden_l1 = (1/|H|) Σ_{h∈H} mean(|h|); H = the outputs matching
//     HiddenPattern, by default every hidden layer's ":out".
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
  double InputDropout = 0, HiddenDropout = 0, OutputDropout = 0;
  double InputNoise = 0, HiddenNoise = 0, OutputNoise = 0;
  /// Glob over output names ("hid*:out") -> dropout p or noise σ.
  std::map<std::string, double> Dropout = {}, Noise = {};

  /// Whether any dropout or noise is asked for (the graph draws randoms).
  bool random() const;
  /// Whether any penalty term is asked for.
  bool penalties() const { return WeightL1 || WeightL2 || HiddenL1; }
};

/// Whether Name matches the shell glob Pattern (*, ?, [...]).
bool globMatch(const std::string &Pattern, const std::string &Name);

} // namespace netjit
