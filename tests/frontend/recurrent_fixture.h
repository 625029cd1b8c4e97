//===- recurrent_fixture.h - The data make_data.py's expectations use -----===//
//
// tests/data/recurrent/make_data.py computes the expected values in
// recurrent_expected.h from parameters and inputs given by formulas; these
// are the same formulas, so the recurrent tests can build identical models,
// and a check of a model's outputs against those expectations.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/interpreter.h"
#include "runtime/tensor.h"
#include "test_util.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace netjit::test {

/// Batch, steps and input width of make_data.py's sequences.
constexpr int64_t RecB = 2, RecT = 5, RecD = 3;

/// The formula make_data.py fills parameter number K with.
inline Tensor formula(const std::vector<int64_t> &Shape, int K) {
  Tensor Out(DType::F64, Shape);
  for (int64_t I = 0; I < Out.numel(); ++I)
    Out.set(I, 0.4 * std::sin(0.7 * I + 1.1 * K));
  return Out;
}

/// make_data.py's input x [B, T, D], its first Steps steps.
inline Tensor sequenceInputs(int64_t Steps = RecT) {
  Tensor Out(DType::F64, {RecB, Steps, RecD});
  for (int64_t Bi = 0; Bi < RecB; ++Bi)
    for (int64_t Ti = 0; Ti < Steps; ++Ti)
      for (int64_t Di = 0; Di < RecD; ++Di) {
        int64_t I = (Bi * RecT + Ti) * RecD + Di; // the index in the T = 5 data
        Out.set((Bi * Steps + Ti) * RecD + Di,
                std::sin(0.5 * I) + 0.3 * std::cos(1.7 * I));
      }
  return Out;
}

/// Steps [0, Steps) of a [B, T, n] expectation.
inline std::vector<double> firstSteps(const std::vector<double> &V,
                                      int64_t Steps) {
  int64_t N = static_cast<int64_t>(V.size()) / (RecB * RecT);
  std::vector<double> Out;
  for (int64_t Bi = 0; Bi < RecB; ++Bi)
    for (int64_t I = 0; I < Steps * N; ++I)
      Out.push_back(V[Bi * RecT * N + I]);
  return Out;
}

/// Expects Out to hold each named output of Expected with its values
/// (within 1e-12); a missing output is a fatal failure.
inline void expectNamedOutputs(
    const TensorMap &Out,
    const std::vector<std::pair<std::string, std::vector<double>>> &Expected) {
  for (const auto &[Name, Values] : Expected) {
    SCOPED_TRACE(Name);
    ASSERT_TRUE(Out.count(Name));
    expectValues(Out.at(Name), Values, 1e-12);
  }
}

} // namespace netjit::test
