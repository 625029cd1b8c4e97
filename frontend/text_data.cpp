//===- text_data.cpp - Character data for recurrent models ----------------===//
//
// See text_data.h. Codes are looked up in a 256-entry table; windows are
// written straight into their one-hot and label tensors.
//
//===----------------------------------------------------------------------===//
#include "frontend/text_data.h"

#include "ir/error.h"
#include "runtime/data_io.h"

#include <algorithm>
#include <cstdio>

namespace netjit::recurrent {

namespace {

/// A byte as a reader sees it: 'a', or 0x0a for one that does not print.
std::string byteStr(unsigned char C) {
  char Buf[16];
  if (C >= 0x20 && C < 0x7f)
    std::snprintf(Buf, sizeof Buf, "'%c'", C);
  else
    std::snprintf(Buf, sizeof Buf, "0x%02x", C);
  return Buf;
}

} // namespace

Text::Text(std::string TheContent, std::optional<std::string> TheAlphabet)
    : Content(std::move(TheContent)) {
  if (Content.empty())
    throw RuntimeError("text: the text is empty");
  std::fill(std::begin(Code), std::end(Code), -1);
  if (TheAlphabet) {
    Alphabet = std::move(*TheAlphabet);
    for (size_t I = 0; I < Alphabet.size(); ++I) {
      auto B = static_cast<unsigned char>(Alphabet[I]);
      if (Code[B] >= 0)
        throw RuntimeError("text: the alphabet holds " + byteStr(B) + " twice");
      Code[B] = static_cast<int>(I);
    }
    for (size_t I = 0; I < Content.size(); ++I)
      if (Code[static_cast<unsigned char>(Content[I])] < 0)
        throw RuntimeError(
            "text: byte " + byteStr(static_cast<unsigned char>(Content[I])) +
            " at offset " + std::to_string(I) + " is not in the alphabet");
    return;
  }
  bool Seen[256] = {};
  for (char C : Content)
    Seen[static_cast<unsigned char>(C)] = true;
  for (int B = 0; B < 256; ++B)
    if (Seen[B]) {
      Code[B] = static_cast<int>(Alphabet.size());
      Alphabet += static_cast<char>(B);
    }
}

Text Text::fromFile(const std::string &Path,
                    std::optional<std::string> Alphabet) {
  std::string Bytes = readFileBytes(Path);
  try {
    return Text(std::move(Bytes), std::move(Alphabet));
  } catch (const RuntimeError &E) {
    throw RuntimeError(Path + ": " + E.what());
  }
}

std::vector<int64_t> Text::encode(std::string_view S) const {
  std::vector<int64_t> Out;
  Out.reserve(S.size());
  for (size_t I = 0; I < S.size(); ++I) {
    int C = Code[static_cast<unsigned char>(S[I])];
    if (C < 0)
      throw RuntimeError("text: cannot encode byte " +
                         byteStr(static_cast<unsigned char>(S[I])) +
                         " at offset " + std::to_string(I) +
                         ": it is not in the alphabet");
    Out.push_back(C);
  }
  return Out;
}

std::string Text::decode(const std::vector<int64_t> &Codes) const {
  std::string Out;
  Out.reserve(Codes.size());
  for (size_t I = 0; I < Codes.size(); ++I) {
    int64_t C = Codes[I];
    if (C < 0 || C >= alphabetSize())
      throw RuntimeError("text: cannot decode code " + std::to_string(C) +
                         " at index " + std::to_string(I) +
                         ": the alphabet has " +
                         std::to_string(alphabetSize()) + " characters");
    Out += Alphabet[static_cast<size_t>(C)];
  }
  return Out;
}

std::string Text::decode(const Tensor &Codes) const {
  if (!isInteger(Codes.dtype()))
    throw RuntimeError("text: decode reads integer codes, got " +
                       Codes.typeStr());
  std::vector<int64_t> V(static_cast<size_t>(Codes.numel()));
  for (int64_t I = 0; I < Codes.numel(); ++I)
    V[static_cast<size_t>(I)] = static_cast<int64_t>(Codes.at(I));
  return decode(V);
}

Tensor Text::one_hot(std::string_view S, DType FloatType) const {
  std::vector<int64_t> Codes = encode(S);
  int64_t K = alphabetSize();
  Tensor Out(FloatType, {1, static_cast<int64_t>(Codes.size()), K});
  for (size_t I = 0; I < Codes.size(); ++I)
    Out.set(static_cast<int64_t>(I) * K + Codes[I], 1);
  return Out;
}

int64_t Text::windowCount(int64_t Steps, int64_t Stride) const {
  if (Stride == 0)
    Stride = Steps;
  if (Steps < 1 || Stride < 1)
    throw RuntimeError("text: windows need steps >= 1 and a stride >= 1, "
                       "got steps " +
                       std::to_string(Steps) + " and stride " +
                       std::to_string(Stride));
  auto Length = static_cast<int64_t>(Content.size());
  if (Length < Steps + 1)
    throw RuntimeError("text: the text has " + std::to_string(Length) +
                       " characters; a window of " + std::to_string(Steps) +
                       " steps and its next characters need " +
                       std::to_string(Steps + 1));
  return (Length - 1 - Steps) / Stride + 1;
}

TensorMap Text::classifier_windows(int64_t Steps, int64_t Stride,
                                   DType FloatType) const {
  if (!isFloat(FloatType))
    throw RuntimeError("text: one-hot inputs are f32 or f64, not " +
                       std::string(dtypeName(FloatType)));
  int64_t N = windowCount(Steps, Stride);
  if (Stride == 0)
    Stride = Steps;
  int64_t K = alphabetSize();
  Tensor In(FloatType, {N, Steps, K}), Labels(DType::I32, {N, Steps});
  for (int64_t W = 0; W < N; ++W)
    for (int64_t T = 0; T < Steps; ++T) {
      size_t At = static_cast<size_t>(W * Stride + T);
      In.set((W * Steps + T) * K +
                 Code[static_cast<unsigned char>(Content[At])],
             1);
      Labels.set(W * Steps + T,
                 Code[static_cast<unsigned char>(Content[At + 1])]);
    }
  return {{"in", std::move(In)}, {"target", std::move(Labels)}};
}

} // namespace netjit::recurrent
