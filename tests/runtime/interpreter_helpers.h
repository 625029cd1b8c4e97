//===- interpreter_helpers.h - Shared helpers of the interpreter tests ----===//
//
// Small conveniences for the interpreter tests: typed shapes, tensors from
// value lists, evaluating a graph and comparing values within a tolerance
// that fits the dtype (NaN matches NaN, infinities match exactly).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "ir/error.h"
#include "ir/graph.h"
#include "runtime/interpreter.h"
#include "runtime/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace netjit::test {

inline TensorType ty(DType T, std::vector<Dim> Dims) { return {T, Dims}; }

inline Tensor tensor(DType T, std::vector<int64_t> Shape,
                     std::vector<double> Values) {
  return Tensor::fromValues(T, std::move(Shape), Values);
}

inline std::vector<double> values(const Tensor &T) {
  std::vector<double> V;
  for (int64_t I = 0; I < T.numel(); ++I)
    V.push_back(T.at(I));
  return V;
}

/// The relative tolerance for results of dtype T computed by a few
/// correctly rounded (or 1-ulp) operations.
inline double tolerance(DType T) { return T == DType::F32 ? 3e-7 : 4e-16; }

/// Checks T's dtype, shape and values (within Tol, relative to the
/// magnitude, or absolutely below 1).
inline void expectValues(const Tensor &T, DType Dtype,
                         const std::vector<int64_t> &Shape,
                         const std::vector<double> &Expected, double Tol = -1) {
  if (Tol < 0)
    Tol = isFloat(Dtype) ? tolerance(Dtype) : 0;
  ASSERT_EQ(T.dtype(), Dtype) << T.typeStr();
  ASSERT_EQ(T.shape(), Shape) << T.typeStr();
  ASSERT_EQ(static_cast<size_t>(T.numel()), Expected.size());
  for (size_t I = 0; I < Expected.size(); ++I) {
    double Got = T.at(static_cast<int64_t>(I)), Want = Expected[I];
    if (std::isnan(Want)) {
      EXPECT_TRUE(std::isnan(Got)) << "element " << I << ": " << Got;
    } else if (std::isinf(Want)) {
      EXPECT_EQ(Got, Want) << "element " << I;
    } else {
      EXPECT_NEAR(Got, Want, Tol * std::max(1.0, std::abs(Want)))
          << "element " << I << " of " << T.typeStr();
    }
  }
}

/// Evaluates G on Args (by value) and returns the outputs.
inline TensorMap run(const Graph &G, TensorMap Args,
                     const EvalOptions &Options = {}) {
  return evaluate(G, Args, Options);
}

/// Evaluates G and returns the RuntimeError's message (failing the test
/// when there is none).
inline std::string evalError(const Graph &G, TensorMap Args,
                             const EvalOptions &Options = {}) {
  try {
    evaluate(G, Args, Options);
  } catch (const RuntimeError &E) {
    return E.what();
  }
  ADD_FAILURE() << "evaluation succeeded";
  return "";
}

/// "x0", "x1", ... (built with += to dodge a GCC 12 -Wrestrict false
/// positive on "x" + std::to_string(I)).
inline std::string argName(size_t I) {
  std::string S = "x";
  S += std::to_string(I);
  return S;
}

/// A graph with one output "y" = Op applied to fresh inputs "x0", "x1", ...
/// of the given types, with attributes A.
inline Graph opGraph(OpCode Op, const std::vector<TensorType> &Inputs,
                     Attrs A = {}) {
  Graph G;
  std::vector<NodeId> Ins;
  for (size_t I = 0; I < Inputs.size(); ++I)
    Ins.push_back(G.input(argName(I), Inputs[I]));
  G.addOutput("y", G.make(Op, Ins, std::move(A)));
  return G;
}

/// Evaluates opGraph(Op, ...) on the given tensors and returns "y".
inline Tensor applyOp(OpCode Op, const std::vector<Tensor> &Args,
                      Attrs A = {}) {
  std::vector<TensorType> Types;
  TensorMap Map;
  for (size_t I = 0; I < Args.size(); ++I) {
    std::vector<Dim> Dims(Args[I].shape().begin(), Args[I].shape().end());
    Types.push_back({Args[I].dtype(), Dims});
    Map[argName(I)] = Args[I];
  }
  Graph G = opGraph(Op, Types, std::move(A));
  return run(G, Map).at("y");
}

/// The RuntimeError message of applyOp.
inline std::string applyOpError(OpCode Op, const std::vector<Tensor> &Args,
                                Attrs A = {}) {
  try {
    applyOp(Op, Args, std::move(A));
  } catch (const RuntimeError &E) {
    return E.what();
  }
  ADD_FAILURE() << "evaluation of '" << opName(Op) << "' succeeded";
  return "";
}

} // namespace netjit::test
