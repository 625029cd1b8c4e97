//===- compiled_check.h - Comparing compiled calls with the interpreter ---===//
//
// Helpers for the compiled-function tests: random arguments for a graph,
// running a graph through CompiledFunction and through the reference
// interpreter on the same arguments, and comparing the two with an error
// model: an ulp bound per element (elementwise ops), plus a term relative to
// a magnitude tensor (Σ|terms| of a reduction, computed by the test) or to
// the largest reference value (composite graphs).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/compiled_function.h"
#include "ir/error.h"
#include "ir/graph.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "runtime/interpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace netjit::testing {

/// The mean softmax cross-entropy of logits z over N classes and its
/// gradient, the loss kernel several tests compile.
inline const char *kXentGraph = R"(graph @xent(%z: f32[B,N], %labels: i64[B]) {
  %0 = softmax_xent(%z, %labels) : f32[B]
  %1 = mean(%0) {axes=[0], keepdims=false} : f32[]
  %2 = grad(%1, %z) : f32[B,N]
  return loss = %1, dz = %2
})";

/// Floats uniform in [Lo, Hi], integers in [0, IntHi), bools fair coins.
inline Tensor randomTensor(const TensorType &T, const DimBindings &Bind,
                           std::mt19937_64 &Rng, double Lo = -2, double Hi = 2,
                           int64_t IntHi = 3) {
  Tensor Out(T.Dtype, evaluateShape(T.Dims, Bind));
  for (int64_t I = 0; I < Out.numel(); ++I) {
    if (isFloat(T.Dtype))
      Out.set(I, std::uniform_real_distribution<double>(Lo, Hi)(Rng));
    else if (isInteger(T.Dtype))
      Out.set(I, static_cast<double>(std::uniform_int_distribution<int64_t>(
                     0, IntHi - 1)(Rng)));
    else
      Out.set(I, static_cast<double>(Rng() & 1));
  }
  return Out;
}

inline TensorMap randomArgs(const Graph &G, const DimBindings &Bind,
                            uint64_t Seed, double Lo = -2, double Hi = 2,
                            int64_t IntHi = 3) {
  std::mt19937_64 Rng(Seed);
  TensorMap Args;
  for (NodeId A : G.arguments())
    Args.emplace(G.node(A).Attributes.getString("name"),
                 randomTensor(G.type(A), Bind, Rng, Lo, Hi, IntHi));
  return Args;
}

/// The distance between two floats of dtype T in units in the last place
/// of B (the reference): |A - B| / ulp(B), with ulp the spacing at |B|.
inline double ulpDistance(double A, double B, DType T) {
  if (A == B)
    return 0;
  if (std::isnan(A) || std::isnan(B))
    return std::isnan(A) && std::isnan(B)
               ? 0
               : std::numeric_limits<double>::infinity();
  if (std::isinf(A) || std::isinf(B))
    return std::numeric_limits<double>::infinity();
  double Ulp;
  if (T == DType::F32) {
    float F = static_cast<float>(std::fabs(B));
    Ulp = std::nextafter(F, std::numeric_limits<float>::infinity()) - F;
  } else {
    double D = std::fabs(B);
    Ulp = std::nextafter(D, std::numeric_limits<double>::infinity()) - D;
  }
  return std::fabs(A - B) / Ulp;
}

/// How close a compiled result must be to the interpreter's: within Ulps
/// ulps, or within Rel * Mag[i] when Mag is given, or within Norm * max|ref|.
struct Tolerance {
  double Ulps = 4;
  double Rel = 0;
  const Tensor *Mag = nullptr;
  double Norm = 0;
};

inline void expectClose(const Tensor &Got, const Tensor &Want,
                        const std::string &What, const Tolerance &Tol) {
  ASSERT_EQ(Got.dtype(), Want.dtype()) << What;
  ASSERT_EQ(Got.shape(), Want.shape()) << What;
  double MaxRef = 0;
  for (int64_t I = 0; I < Want.numel(); ++I)
    if (std::isfinite(Want.at(I)))
      MaxRef = std::max(MaxRef, std::fabs(Want.at(I)));
  int Failures = 0;
  for (int64_t I = 0; I < Want.numel() && Failures < 5; ++I) {
    double A = Got.at(I), B = Want.at(I);
    bool Ok;
    if (!isFloat(Want.dtype())) {
      Ok = A == B;
    } else {
      double Slack =
          Tol.Norm * MaxRef + (Tol.Mag ? Tol.Rel * Tol.Mag->at(I) : 0);
      Ok = ulpDistance(A, B, Want.dtype()) <= Tol.Ulps ||
           (std::isfinite(A) && std::isfinite(B) && std::fabs(A - B) <= Slack);
    }
    if (!Ok) {
      ++Failures;
      ADD_FAILURE() << What << "[" << I << "]: compiled " << A
                    << ", interpreter " << B << " ("
                    << ulpDistance(A, B, Want.dtype()) << " ulps)";
    }
  }
}

/// The interpreter's outputs and updated params for G on Args.
struct Reference {
  TensorMap Outputs, Params;
};

/// G after the default pipeline (grads expanded, nothing lowered or fused):
/// what the interpreter checks compiled code against.
inline Graph referenceGraph(const Graph &G) {
  Graph R = G.compact();
  PassContext Ctx;
  PassManager::parse(defaultPipeline()).run(R, Ctx);
  return R;
}

inline Reference interpret(const Graph &G, const TensorMap &Args,
                           const DimBindings &Bind = {}) {
  TensorMap Copy = Args;
  EvalOptions O;
  O.Bindings = Bind;
  Reference R;
  R.Outputs = evaluate(G, Copy, O);
  R.Params = std::move(Copy);
  return R;
}

/// Runs F on Args (every argument passed as a param, so updates land in a
/// copy); returns the outputs and the params after the call.
inline Reference runCompiled(const CompiledFunction &F, CallContext &Ctx,
                             const TensorMap &Args,
                             const DimBindings &Bind = {}) {
  Reference R;
  R.Params = Args;
  TensorMap None;
  R.Outputs = F.call(Ctx, None, R.Params, Bind);
  return R;
}

/// Compiles G, runs it and the interpreter on random arguments for each
/// binding, and compares every output and param with Tol.
inline void expectMatchesInterpreter(const Graph &G,
                                     const std::vector<DimBindings> &Binds,
                                     const Tolerance &Tol, uint64_t Seed = 1,
                                     double Lo = -2, double Hi = 2,
                                     int64_t IntHi = 3) {
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  Graph Ref = referenceGraph(G);
  CallContext Ctx = F.newContext();
  for (const DimBindings &B : Binds) {
    TensorMap Args = randomArgs(G, B, Seed++, Lo, Hi, IntHi);
    Reference Want = interpret(Ref, Args, B);
    Reference Got = runCompiled(F, Ctx, Args, B);
    std::string Where;
    for (const auto &[K, V] : B)
      Where += " " + K + "=" + std::to_string(V);
    for (const auto &[Name, T] : Want.Outputs)
      expectClose(Got.Outputs.at(Name), T, "output " + Name + Where, Tol);
    for (const auto &[Name, T] : Want.Params)
      expectClose(Got.Params.at(Name), T, "param " + Name + Where, Tol);
  }
}

/// Expects Fn to throw a RuntimeError whose message holds every Substring.
template <class Fn>
void expectRuntimeError(Fn &&F, const std::vector<std::string> &Substrings) {
  try {
    F();
    ADD_FAILURE() << "expected a RuntimeError";
  } catch (const RuntimeError &E) {
    for (const std::string &S : Substrings)
      EXPECT_THAT(E.what(), ::testing::HasSubstr(S));
  }
}

} // namespace netjit::testing
