//===- random_graph_impl.h - The random graph generator's internals -------===//
//
// Shared by random_graph.cpp (building blocks and plain op steps) and
// random_graph_patterns.cpp (layout steps and the stabilize/simplify
// patterns). Not for use outside the generator.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "random_graph.h"

#include "ir/builder.h"
#include "ir/error.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace netjit::testing {

/// Interval bounds on the elements of a value.
struct Bounds {
  double Lo = -2, Hi = 2;
  double mag() const { return std::max(std::fabs(Lo), std::fabs(Hi)); }
};

/// A pool entry: an f64 node and bounds on its elements.
struct Value {
  NodeId Id;
  Bounds Bd;
};

/// The largest size a symbolic dim is bound to.
constexpr double kMaxDim = 3;
constexpr size_t kMaxRank = 4;

inline double sigmoid(double X) { return 1 / (1 + std::exp(-X)); }
inline double softplus(double X) {
  return std::log1p(std::exp(-std::fabs(X))) + std::max(X, 0.0);
}

class Generator {
public:
  Generator(uint64_t Seed, const RandomGraphOptions &Opts)
      : Rng(Seed), Opts(Opts), B(R.G) {}
  RandomGraph run();

  // Building blocks (random_graph.cpp).
  size_t pick(size_t N) {
    return std::uniform_int_distribution<size_t>(0, N - 1)(Rng);
  }
  bool coin(double P = 0.5) { return std::bernoulli_distribution(P)(Rng); }
  const TensorType &type(const Value &V) const { return R.G.type(V.Id); }
  Dim randomDim();
  Shape randomShape();
  std::vector<int64_t> randomAxes(size_t Rank);
  /// The largest element count of the given axes of S under any binding.
  static double maxSize(const Shape &S, const std::vector<int64_t> &Axes);
  static uint32_t familyOf(OpCode Op);
  Value input(const Shape &S);
  NodeId labels(const Shape &Rows);
  Value fill(double C, const Shape &S);
  Value unary(OpCode Op, Value X, Bounds Bd);
  Value binary(OpCode Op, Value X, Value Y);
  /// X itself if its bound is at most Max, else tanh(X).
  Value tame(Value X, double Max);
  /// A value >= 0.05 made from X (X itself when it already is).
  Value positive(Value X);
  Value partner(Value X, bool AllowSelf);
  /// Registers P as the distance from the kink of the op at Kink.
  void probe(NodeId P, NodeId Kink);
  void probeExtreme(Value X, const std::vector<int64_t> &Axes, bool IsMax,
                    NodeId Kink);

  // Steps.
  Value unaryStep(Value X);
  Value binaryStep(Value X);
  Value reduceStep(Value X);
  Value softmaxStep(Value X);
  Value matmulStep(Value X);
  // random_graph_patterns.cpp
  Value layoutStep(Value X);
  Value stabilizePattern(Value X);
  Value simplifyPattern(Value X);
  Value crossEntropy(Value X);
  Value nearMiss(Value X);

private:
  std::mt19937_64 Rng;
  RandomGraphOptions Opts;
  RandomGraph R;
  Builder B;
  std::vector<Value> Pool;
  std::vector<std::pair<NodeId, NodeId>> Probes; // probe, kink op
  /// Inputs by type, for reuse past Opts.MaxInputs.
  std::map<std::string, NodeId> InputsByType;
  /// An input of type T named Prefix + a number, or a reused one.
  NodeId declareInput(const std::string &Prefix,
                      std::vector<std::string> &Names, const TensorType &T);
  /// Whether each node of the graph is used by one of Outs.
  std::vector<bool> usedBy(const std::vector<NodeId> &Outs) const;
};

} // namespace netjit::testing
