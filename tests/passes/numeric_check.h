//===- numeric_check.h - Evaluating graphs before and after a pass --------===//
//
// Helpers shared by the pass tests: random arguments for a graph (floats in
// a range, integer labels in [0, IntHi)), running a registered pass or
// pipeline, and comparing two graphs' outputs through the reference
// interpreter, which is the oracle every rewrite is checked against.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "runtime/interpreter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <string_view>

namespace netjit::testing {

/// Whether a pass of this name is registered (autodiff lands separately).
inline bool hasPass(std::string_view Name) {
  auto Names = registeredPasses();
  return std::find(Names.begin(), Names.end(), Name) != Names.end();
}

/// Runs a pipeline (registry names, PassManager::parse syntax) on G.
inline bool runPipeline(Graph &G, std::string_view Pipeline,
                        PassContext *Ctx = nullptr) {
  PassContext Local;
  PassManager PM = PassManager::parse(Pipeline);
  Instrumentation Instr;
  Instr.CheckChangedReport = true; // catch a pass that misreports a change
  return PM.run(G, Ctx ? *Ctx : Local, Instr);
}

/// A value for every input and param of G: floats uniform in [Lo, Hi],
/// integers uniform in [0, IntHi), bools fair coins. Dims come from Bind.
inline TensorMap randomArgs(const Graph &G, const DimBindings &Bind,
                            uint64_t Seed, double Lo = -2, double Hi = 2,
                            int64_t IntHi = 2) {
  std::mt19937_64 Rng(Seed);
  TensorMap Args;
  for (NodeId A : G.arguments()) {
    const Node &N = G.node(A);
    Tensor T(N.Type.Dtype, evaluateShape(N.Type.Dims, Bind));
    for (int64_t I = 0; I < T.numel(); ++I) {
      if (isFloat(N.Type.Dtype))
        T.set(I, std::uniform_real_distribution<double>(Lo, Hi)(Rng));
      else if (isInteger(N.Type.Dtype))
        T.set(I, static_cast<double>(std::uniform_int_distribution<int64_t>(
                     0, IntHi - 1)(Rng)));
      else
        T.set(I, static_cast<double>(Rng() & 1));
    }
    Args.emplace(N.Attributes.getString("name"), std::move(T));
  }
  return Args;
}

/// |A - B| <= Abs + Rel * max(|A|, |B|); NaNs match NaNs, infinities match
/// infinities of the same sign.
inline bool closeEnough(double A, double B, double Rel, double Abs) {
  if (std::isnan(A) || std::isnan(B))
    return std::isnan(A) && std::isnan(B);
  if (std::isinf(A) || std::isinf(B))
    return A == B;
  return std::fabs(A - B) <= Abs + Rel * std::max(std::fabs(A), std::fabs(B));
}

/// Expects two tensors to agree elementwise; names the first mismatch.
inline void expectTensorsClose(const Tensor &A, const Tensor &B,
                               const std::string &What, double Rel,
                               double Abs) {
  ASSERT_EQ(A.shape(), B.shape()) << What;
  for (int64_t I = 0; I < A.numel(); ++I)
    ASSERT_TRUE(closeEnough(A.at(I), B.at(I), Rel, Abs))
        << What << "[" << I << "]: " << A.at(I) << " vs " << B.at(I);
}

/// Evaluates Before and After on the same arguments and expects every output
/// to agree within the tolerances.
inline void expectSameValues(const Graph &Before, const Graph &After,
                             const TensorMap &Args, double Rel = 1e-12,
                             double Abs = 1e-12, const DimBindings &Bind = {}) {
  TensorMap A1 = Args, A2 = Args;
  EvalOptions Opts;
  Opts.Bindings = Bind;
  TensorMap R1 = evaluate(Before, A1, Opts), R2 = evaluate(After, A2, Opts);
  ASSERT_EQ(R1.size(), R2.size());
  for (const auto &[Name, T] : R1) {
    ASSERT_TRUE(R2.count(Name)) << Name;
    expectTensorsClose(T, R2.at(Name), Name, Rel, Abs);
  }
}

/// Whether every element of every output is finite.
inline bool allFinite(const TensorMap &Outs) {
  for (const auto &[Name, T] : Outs)
    for (int64_t I = 0; I < T.numel(); ++I)
      if (!std::isfinite(T.at(I)))
        return false;
  return true;
}

/// Whether some node of G (live) has the op.
inline bool hasOp(const Graph &G, OpCode Op) {
  for (NodeId Id : G.liveNodes())
    if (G.node(Id).Op == Op)
      return true;
  return false;
}

/// A graph parsed from text, and the same graph after a pipeline ran on it.
struct PassRun {
  Graph Before;
  Graph After;
  PassContext Ctx;
  bool Changed = false;
  /// The hit count of a rule ("stabilize.softplus"), 0 when it never fired.
  int64_t hits(const std::string &Key) const {
    auto It = Ctx.Stats.find(Key);
    return It == Ctx.Stats.end() ? 0 : It->second;
  }
};

/// Parses Text, runs Pipeline on a copy and verifies the result.
inline PassRun runOnText(std::string_view Pipeline, std::string_view Text) {
  PassRun R{parseGraph(Text), parseGraph(Text), {}, false};
  R.Changed = runPipeline(R.After, Pipeline, &R.Ctx);
  verify(R.After);
  return R;
}

/// Checks a rewrite numerically for B = 1 and B = 3 and three seeds (inputs
/// in [Lo, Hi], integer labels in [0, IntHi)).
inline void expectSameNumbers(const PassRun &R, double Lo = -3, double Hi = 3,
                              int64_t IntHi = 4, double Tol = 1e-12) {
  for (int64_t B : {1, 3}) {
    DimBindings Bind{{"B", B}};
    for (uint64_t Seed = 1; Seed <= 3; ++Seed) {
      SCOPED_TRACE("B=" + std::to_string(B) + " seed=" + std::to_string(Seed));
      expectSameValues(R.Before, R.After,
                       randomArgs(R.Before, Bind, Seed, Lo, Hi, IntHi), Tol,
                       Tol, Bind);
    }
  }
}

/// Expects Pipeline to leave the graph of Text alone, report no change and
/// count no rule.
inline void expectUnchanged(std::string_view Pipeline, std::string_view Text) {
  PassRun R = runOnText(Pipeline, Text);
  EXPECT_FALSE(R.Changed);
  EXPECT_EQ(printGraph(R.After), printGraph(R.Before));
  EXPECT_TRUE(R.Ctx.Stats.empty());
}

} // namespace netjit::testing
