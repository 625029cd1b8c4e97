//===- model_file_util.h - Helpers of the model-file tests ----------------===//
//
// Deterministic inputs, bit-exact comparisons, and edited(): a model file
// whose architecture text is changed with its sizes and CRC-32 repaired, so
// the change reaches the parser.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/model_file.h"
#include "runtime/interpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <zlib.h>

namespace netjit::test {

/// Deterministic inputs in [-1, 1].
inline Tensor inputs(int64_t Rows, int64_t Cols, DType T = DType::F32) {
  std::vector<double> V;
  for (int64_t I = 0; I < Rows * Cols; ++I)
    V.push_back(std::sin(0.7 * static_cast<double>(I) + 0.3));
  return Tensor::fromValues(T, {Rows, Cols}, V);
}

inline void expectSameBits(const Tensor &A, const Tensor &B,
                           const std::string &What) {
  ASSERT_EQ(A.typeStr(), B.typeStr()) << What;
  EXPECT_EQ(std::memcmp(A.raw(), B.raw(), A.nbytes()), 0) << What;
}

inline void expectSameOutputs(const TensorMap &A, const TensorMap &B) {
  ASSERT_EQ(A.size(), B.size());
  for (const auto &[Name, T] : A)
    expectSameBits(T, B.at(Name), Name);
}

inline uint64_t le(const std::string &B, size_t At, size_t Bytes) {
  uint64_t V = 0;
  for (size_t I = 0; I < Bytes; ++I)
    V |= uint64_t(static_cast<uint8_t>(B[At + I])) << (8 * I);
  return V;
}

inline void putLe(std::string &Out, uint64_t V, size_t Bytes) {
  for (size_t I = 0; I < Bytes; ++I)
    Out += static_cast<char>((V >> (8 * I)) & 0xff);
}

/// File with its architecture text edited and its sizes and CRC-32 fixed,
/// so the edit reaches the parser. Version overrides the header's.
inline std::string edited(const std::string &File,
                          const std::function<std::string(std::string)> &Edit,
                          std::optional<uint32_t> Version = std::nullopt) {
  if (!Version)
    Version = static_cast<uint32_t>(le(File, 8, 4));
  uint64_t TextSize = le(File, 24, 8);
  std::string Text = Edit(File.substr(32, TextSize));
  std::string Params = File.substr(32 + TextSize, File.size() - 36 - TextSize);
  std::string Out = File.substr(0, 8);
  putLe(Out, *Version, 4);
  putLe(Out, 0, 4);
  putLe(Out, 32 + Text.size() + Params.size() + 4, 8);
  putLe(Out, Text.size(), 8);
  Out += Text + Params;
  putLe(Out,
        crc32(0, reinterpret_cast<const Bytef *>(Out.data()),
              static_cast<uInt>(Out.size())),
        4);
  return Out;
}

/// S with the first From replaced by To (a test failure when there is
/// none).
inline std::string replaced(std::string S, const std::string &From,
                            const std::string &To) {
  size_t At = S.find(From);
  EXPECT_NE(At, std::string::npos) << "no '" << From << "' in\n" << S;
  if (At != std::string::npos)
    S.replace(At, From.size(), To);
  return S;
}

} // namespace netjit::test
