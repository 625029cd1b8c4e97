//===- gradcheck.h - Finite-difference gradient checks --------------------===//
//
// A reusable checker in the style of ggml's test-backend-ops: the analytic
// gradient (grad requests added to a copy of the graph, expanded, evaluated
// by the reference interpreter) against central differences of the cost
// (evaluated by the same interpreter, in f64), elementwise within
// AbsTol + RelTol * max(|analytic|, |numeric|).
//
// The cost may itself contain grad requests (second derivatives): every
// graph is expanded before it is evaluated, by Options::Expand (the
// autodiff pass by default; pass a pipeline to check gradients after
// stabilize or simplify).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "passes/autodiff.h"
#include "runtime/interpreter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace netjit::gradcheck {

struct Options {
  /// The central-difference step (x ± Eps).
  double Eps = 1e-6;
  double RelTol = 1e-6;
  double AbsTol = 1e-8;
  /// Values of symbolic dims the arguments do not determine.
  DimBindings Bindings;
  /// Expands the grad requests of a graph; the autodiff pass when empty.
  std::function<void(Graph &)> Expand;
};

/// Expands G's grad requests with O.Expand (or the autodiff pass).
inline void expand(Graph &G, const Options &O) {
  if (O.Expand) {
    O.Expand(G);
    return;
  }
  PassContext Ctx;
  AutodiffPass().run(G, Ctx);
}

/// The node of G's output named Name; throws std::invalid_argument.
inline NodeId outputNode(const Graph &G, std::string_view Name) {
  for (const Output &O : G.outputs())
    if (O.Name == Name)
      return O.Value;
  throw std::invalid_argument("no output named '" + std::string(Name) + "'");
}

/// Evaluates the output Name of an expanded graph at Args.
inline Tensor evalOutput(const Graph &Expanded, std::string_view Name,
                         TensorMap Args, const Options &O = {}) {
  EvalOptions E;
  E.Bindings = O.Bindings;
  TensorMap Out = evaluate(Expanded, Args, E);
  auto It = Out.find(Name);
  if (It == Out.end())
    throw std::invalid_argument("no output named '" + std::string(Name) + "'");
  return It->second;
}

/// Central differences of the scalar output Cost of an expanded graph
/// w.r.t. the argument Arg, one entry per element of Arg (dividing by the
/// actual distance between the perturbed values, which matters for f32).
inline Tensor numericGradient(const Graph &Expanded, std::string_view Cost,
                              const TensorMap &Args, std::string_view Arg,
                              const Options &O = {}) {
  TensorMap Work = Args;
  auto It = Work.find(Arg);
  if (It == Work.end())
    throw std::invalid_argument("no argument named '" + std::string(Arg) + "'");
  Tensor &X = It->second;
  Tensor Result(X.dtype(), X.shape());
  for (int64_t I = 0; I < X.numel(); ++I) {
    double V = X.at(I);
    X.set(I, V + O.Eps);
    double Up = X.at(I), FUp = evalOutput(Expanded, Cost, Work, O).at(0);
    X.set(I, V - O.Eps);
    double Down = X.at(I), FDown = evalOutput(Expanded, Cost, Work, O).at(0);
    X.set(I, V);
    Result.set(I, (FUp - FDown) / (Up - Down));
  }
  return Result;
}

/// dCost/dArg for each argument named in Wrt, by autodiff: grad requests
/// added as outputs "grad:<arg>" of a copy of G, expanded, evaluated.
inline TensorMap analyticGradients(const Graph &G, std::string_view Cost,
                                   const TensorMap &Args,
                                   const std::vector<std::string> &Wrt,
                                   const Options &O = {}) {
  Graph Copy = G.compact();
  Builder B(Copy);
  NodeId C = outputNode(Copy, Cost);
  for (const std::string &W : Wrt) {
    NodeId A = Copy.findArgument(W);
    if (!A.valid())
      throw std::invalid_argument("no argument named '" + W + "'");
    Copy.addOutput("grad:" + W, B.grad(C, A));
  }
  expand(Copy, O);
  EvalOptions E;
  E.Bindings = O.Bindings;
  TensorMap Work = Args;
  TensorMap Out = evaluate(Copy, Work, E);
  TensorMap Grads;
  for (const std::string &W : Wrt)
    Grads[W] = Out.at("grad:" + W);
  return Grads;
}

/// Elementwise |Actual - Expected| <= AbsTol + RelTol * max(|Actual|,
/// |Expected|), with equal shapes; NaN matches only NaN.
inline ::testing::AssertionResult allClose(const Tensor &Actual,
                                           const Tensor &Expected,
                                           double RelTol, double AbsTol) {
  if (Actual.shape() != Expected.shape())
    return ::testing::AssertionFailure()
           << "shape " << Actual.typeStr() << " vs expected "
           << Expected.typeStr();
  std::ostringstream Bad;
  int64_t NumBad = 0;
  for (int64_t I = 0; I < Actual.numel(); ++I) {
    double A = Actual.at(I), E = Expected.at(I);
    bool Ok =
        (std::isnan(A) && std::isnan(E)) ||
        std::abs(A - E) <= AbsTol + RelTol * std::max(std::abs(A), std::abs(E));
    if (!Ok && NumBad++ < 8)
      Bad << "\n  [" << I << "] " << A << " vs expected " << E << " (diff "
          << A - E << ")";
  }
  if (NumBad == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << NumBad << " of " << Actual.numel()
                                       << " elements differ:" << Bad.str();
}

/// Checks dCost/dArg for every argument named in Wrt against central
/// differences of the (expanded) cost.
inline ::testing::AssertionResult
checkGradients(const Graph &G, std::string_view Cost, const TensorMap &Args,
               const std::vector<std::string> &Wrt, const Options &O = {}) {
  TensorMap Analytic = analyticGradients(G, Cost, Args, Wrt, O);
  Graph Expanded = G.compact();
  expand(Expanded, O);
  for (const std::string &W : Wrt) {
    Tensor Numeric = numericGradient(Expanded, Cost, Args, W, O);
    ::testing::AssertionResult R =
        allClose(Analytic.at(W), Numeric, O.RelTol, O.AbsTol);
    if (!R)
      return ::testing::AssertionFailure()
             << "d" << Cost << "/d" << W << ": " << R.message();
  }
  return ::testing::AssertionSuccess();
}

} // namespace netjit::gradcheck
