//===- exact_check.h - Golden and bit-exact checks for rewrite rules ------===//
//
// Helpers for the simplify, cse and dce tests: running one pass on IR text
// and comparing the printed result with the expected text, and evaluating a
// graph before and after a rewrite on random arguments that include the
// values rewrites get wrong (+-0.0, +-inf, NaN, +-1, huge), comparing the
// outputs bit for bit (any NaN matches any NaN: its sign and payload are not
// part of netjit's semantics) or within a stated tolerance.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass.h"
#include "runtime/interpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace netjit::testing {

/// How closely a rewritten graph must reproduce the original.
enum class Agreement {
  Bits, ///< identical bits, signed zeros included, on special values too
  Ulp,  ///< within 2 ulps (zeros of either sign equal), special values too
  Close ///< finite ordinary inputs only, 1e-6 + 1e-5 relative (FastMath)
};

struct ArgOptions {
  bool Specials = true; ///< mix +-0, +-inf, NaN, +-1, 1e30 into float inputs
  double FloatLo = -3, FloatHi = 3; ///< range of the ordinary float values
  int64_t IntLo = -50, IntHi = 50;
};

/// Random arguments for G (dims from Bind).
inline TensorMap exactArgs(const Graph &G, const DimBindings &Bind,
                           uint64_t Seed, const ArgOptions &O = {}) {
  const double Inf = std::numeric_limits<double>::infinity();
  const double Special[] = {0.0, -0.0, Inf,  -Inf, std::nan(""),
                            1.0, -1.0, 1e30, -1e30};
  std::mt19937_64 Rng(Seed);
  TensorMap Args;
  for (NodeId A : G.arguments()) {
    const Node &N = G.node(A);
    Tensor T(N.Type.Dtype, evaluateShape(N.Type.Dims, Bind));
    for (int64_t I = 0; I < T.numel(); ++I) {
      double V;
      if (isFloat(N.Type.Dtype))
        V = O.Specials && Rng() % 3 == 0
                ? Special[Rng() % std::size(Special)]
                : std::uniform_real_distribution<double>(O.FloatLo,
                                                         O.FloatHi)(Rng);
      else if (isInteger(N.Type.Dtype))
        V = static_cast<double>(
            std::uniform_int_distribution<int64_t>(O.IntLo, O.IntHi)(Rng));
      else
        V = static_cast<double>(Rng() & 1);
      T.set(I, V);
    }
    Args.emplace(N.Attributes.getString("name"), std::move(T));
  }
  return Args;
}

inline bool agrees(double A, double B, DType T, Agreement How) {
  if (std::isnan(A) || std::isnan(B))
    return std::isnan(A) && std::isnan(B);
  if (How == Agreement::Bits)
    return A == B && std::signbit(A) == std::signbit(B);
  if (std::isinf(A) || std::isinf(B) || A == B)
    return A == B;
  if (How == Agreement::Close)
    return std::fabs(A - B) <=
           1e-6 + 1e-5 * std::max(std::fabs(A), std::fabs(B));
  double Eps = T == DType::F32 ? 2.0 * std::numeric_limits<float>::epsilon()
                               : 2.0 * std::numeric_limits<double>::epsilon();
  return std::fabs(A - B) <= Eps * std::max(std::fabs(A), std::fabs(B));
}

/// Expects Before and After to compute agreeing outputs on Args.
inline void expectAgree(const Graph &Before, const Graph &After,
                        const TensorMap &Args, const DimBindings &Bind,
                        Agreement How) {
  TensorMap A1 = Args, A2 = Args;
  EvalOptions Opts;
  Opts.Bindings = Bind;
  TensorMap R1 = evaluate(Before, A1, Opts), R2 = evaluate(After, A2, Opts);
  ASSERT_EQ(R1.size(), R2.size());
  for (const auto &[Name, T] : R1) {
    const Tensor &U = R2.at(Name);
    ASSERT_EQ(T.shape(), U.shape()) << Name;
    ASSERT_EQ(T.dtype(), U.dtype()) << Name;
    for (int64_t I = 0; I < T.numel(); ++I) {
      if (!isFloat(T.dtype())) {
        size_t Size = dtypeSize(T.dtype());
        ASSERT_EQ(0, std::memcmp(static_cast<const char *>(T.raw()) + I * Size,
                                 static_cast<const char *>(U.raw()) + I * Size,
                                 Size))
            << Name << "[" << I << "]: " << T.at(I) << " vs " << U.at(I);
        continue;
      }
      ASSERT_TRUE(agrees(T.at(I), U.at(I), T.dtype(), How))
          << Name << "[" << I << "]: " << T.at(I) << " before, " << U.at(I)
          << " after";
    }
  }
}

/// Runs Before and After on several seeds and every binding in Binds.
inline void expectAgreeRandom(const Graph &Before, const Graph &After,
                              const std::vector<DimBindings> &Binds,
                              Agreement How, ArgOptions O = {}, int Seeds = 8) {
  if (How == Agreement::Close)
    O.Specials = false;
  for (const DimBindings &Bind : Binds)
    for (int Seed = 0; Seed < Seeds; ++Seed) {
      TensorMap Args = exactArgs(Before, Bind, Seed, O);
      expectAgree(Before, After, Args, Bind, How);
      if (::testing::Test::HasFatalFailure())
        return;
    }
}

/// Parses Text, runs P on it with the given options, verifies the result,
/// and returns it printed; Changed and Ctx report what the pass said.
template <class PassT>
std::string runOn(const std::string &Text, bool FastMath,
                  bool *Changed = nullptr, PassContext *CtxOut = nullptr,
                  Graph *Out = nullptr) {
  Graph G = parseGraph(Text);
  PassContext Ctx;
  Ctx.Options.FastMath = FastMath;
  PassT P;
  bool C = P.run(G, Ctx);
  verify(G);
  if (Changed)
    *Changed = C;
  if (CtxOut)
    *CtxOut = Ctx;
  std::string S = printGraph(G);
  if (Out)
    *Out = std::move(G);
  return S;
}

} // namespace netjit::testing
