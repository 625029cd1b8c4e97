//===- test_util.h - Helpers shared by the frontend tests ------------------===//
#pragma once

#include "runtime/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace netjit::test {

/// Deterministic pseudo-random data in [-1, 1) (a small LCG).
inline Tensor data(std::vector<int64_t> Shape, uint32_t Seed,
                   DType Ty = DType::F64) {
  Tensor Out(Ty, Shape);
  uint32_t S = Seed;
  for (int64_t I = 0; I < Out.numel(); ++I) {
    S = S * 1664525u + 1013904223u;
    Out.set(I, (S >> 8) / double(1 << 24) * 2 - 1);
  }
  return Out;
}

/// A tensor from a flat list of values.
inline Tensor tensor(std::vector<int64_t> Shape, std::vector<double> Values,
                     DType T = DType::F32) {
  return Tensor::fromValues(T, std::move(Shape), Values);
}

/// Every element of T, as doubles.
inline std::vector<double> values(const Tensor &T) {
  std::vector<double> Out;
  for (int64_t I = 0; I < T.numel(); ++I)
    Out.push_back(T.at(I));
  return Out;
}

/// Expects T to hold Expected (within Tol, relative to max(1, |expected|)).
inline void expectValues(const Tensor &T, const std::vector<double> &Expected,
                         double Tol = 1e-6) {
  ASSERT_EQ(T.numel(), static_cast<int64_t>(Expected.size())) << T.typeStr();
  for (size_t I = 0; I < Expected.size(); ++I)
    EXPECT_NEAR(T.at(static_cast<int64_t>(I)), Expected[I],
                Tol * std::max(1.0, std::fabs(Expected[I])))
        << "element " << I;
}

/// Runs Fn and returns the message of the netjit::Error it throws ("" and a
/// test failure when it throws nothing).
template <class F> std::string errorOf(F &&Fn) {
  try {
    Fn();
  } catch (const std::exception &E) {
    return E.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

} // namespace netjit::test
