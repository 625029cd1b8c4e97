//===- random_graph.h - Seeded random well-typed graphs for the passes ----===//
//
// A generator of random f64 graphs over the elementwise, reduction, layout,
// matmul and softmax-family ops, with symbolic dims B and N (bound to sizes
// including 1), for the random-graph test of the passes. Operands are kept in
// each op's domain by tracking interval bounds on every value: a log gets a
// positive argument (exp(x), square(x) + c, sigmoid(x), ...), an exp an
// argument of magnitude <= 4, a divisor one away from 0. The generator also
// writes the naive patterns stabilize lifts (log(softmax(x)), exp(x) - 1,
// the cross-entropy of a softmax at integer labels, ...) and the identities
// simplify removes (x * 1, neg(neg(x)), transpose of a transpose, ...).
//
// Ops with kinks (relu, abs, maximum, minimum, max, min) report "probe"
// outputs: the distance of their operands from the kink, which a gradient
// check needs to keep away from zero.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netjit::testing {

/// Op families of a random graph, for per-family gradient tolerances.
enum OpFamily : uint32_t {
  kFamilyLinear = 1u << 0,    // add, sub, mul, neg, square, sum, layout, matmul
  kFamilySmooth = 1u << 1,    // exp, log, div, tanh, softmax, logsumexp, ...
  kFamilyPiecewise = 1u << 2, // relu, abs, maximum, minimum, max, min
};

struct RandomGraphOptions {
  /// Generation steps; a step adds one op or a small pattern of a few ops.
  int Steps = 10;
  /// Add the kink probes as outputs named "probe.N".
  bool Probes = true;
  /// Past this many f64 (or label) inputs, a new input of a type already
  /// declared reuses that input (for large graphs with few arguments).
  size_t MaxInputs = SIZE_MAX;
  /// One output "out.0", the sum of every value's elements, so that every
  /// generated node is live (for large graphs).
  bool SumAll = false;
};

struct RandomGraph {
  /// Outputs "out.N" (f64) and, when asked, the probes "probe.N".
  Graph G;
  /// Names of the f64 inputs (differentiable) and i64 label inputs (values
  /// must be drawn in [0, 2): every labelled axis has at least 2 classes).
  std::vector<std::string> FloatInputs, LabelInputs;
  /// Bindings of B and N to try (sizes 1, 2 and 3).
  std::vector<DimBindings> Bindings;
  /// OpFamily bits of the ops the graph uses.
  uint32_t Families = 0;
};

/// A random graph; the same seed always gives the same graph.
RandomGraph generateRandomGraph(uint64_t Seed,
                                const RandomGraphOptions &Options = {});

/// A copy of G without its "probe.N" outputs (and the nodes only they use).
Graph withoutProbes(const Graph &G);

/// A copy of G through its text form.
Graph cloneGraph(const Graph &G);

/// A copy of G whose one output "cost" is the sum over its outputs out.k of
/// sum(out.k * w.k), with each weight w.k a new input (so no gradient
/// vanishes by symmetry, as the gradient of sum(softmax(x)) would).
Graph costGraph(const Graph &G);

/// A copy of Cost (a graph with the one output "cost") with an output
/// "d.X" = grad(cost, X) for each argument X in Wrt.
Graph gradientGraph(const Graph &Cost, const std::vector<std::string> &Wrt);

/// Adds, for every output "NAME" of G, an output "mag.NAME": a first-order
/// bound on the rounding error of each element in units of the unit
/// roundoff, at least the element's magnitude. It is Σ|terms| through sums,
/// matmuls and reductions, and grows by |f'(x)|·mag(x) through each op f
/// (random_graph_magnitude.cpp). The random-graph test's tolerance for a
/// value v is 1e-10·|v| + 1e-12·mag(v).
void addMagnitudeOutputs(Graph &G);

} // namespace netjit::testing
