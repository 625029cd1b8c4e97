//===- grad.h - Gradients and the finite-difference gradient check --------===//
//
// grad(cost, wrt) adds a gradient request to the graph, as Theano's grad: a
// `grad` node that the autodiff pass expands when the graph is optimized, so
// gradients compose (a gradient of a gradient works).
//
// check_grad compares a graph's gradients with central finite differences,
// in f64 whatever the graph's float type (an f32 graph is converted), and
// reports the largest error: this is how users test custom losses.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace netjit {

/// dCost/dWrt, of Wrt's type. Cost must be a float scalar and Wrt a float
/// Expr of the same graph and dtype.
Expr grad(const Expr &Cost, const Expr &Wrt,
          SourceLoc Loc = SourceLoc::current());
/// One gradient per entry of Wrt.
std::vector<Expr> grad(const Expr &Cost, const std::vector<Expr> &Wrt,
                       SourceLoc Loc = SourceLoc::current());

struct GradCheckOptions {
  /// The finite-difference step, scaled by max(1, |x|) per element.
  double Eps = 1e-6;
  /// Values of symbolic dims the arguments do not determine.
  DimBindings Bindings;
  /// Print one line per checked argument to Out (std::cerr when null).
  bool Print = false;
  std::ostream *Out = nullptr;
};

/// The outcome: per element, error = |analytic - numeric| / max(1, |numeric|).
struct GradCheckResult {
  double MaxError = 0;
  /// Where MaxError occurs, e.g. "w[3]", with both values.
  std::string Worst;
  double Analytic = 0, Numeric = 0;
  /// How many elements were compared.
  size_t Checked = 0;
  bool ok(double Tolerance = 1e-6) const { return MaxError <= Tolerance; }
};

/// Checks dCost/dWrt for every Wrt (inputs or params of Cost's graph, float)
/// at the point Values (every argument Cost needs, by name). Random ops draw
/// the same numbers in every evaluation, so noisy graphs can be checked too.
GradCheckResult check_grad(const Expr &Cost, const std::vector<Expr> &Wrt,
                           const TensorMap &Values,
                           const GradCheckOptions &Options = {},
                           SourceLoc Loc = SourceLoc::current());

/// A copy of G with every f32 value (arguments, constants, casts, random
/// draws) made f64: the graph check_grad differentiates.
Graph promoteToF64(const Graph &G);

} // namespace netjit
