//===- text_data.h - Character data for recurrent models ------------------===//
//
// theanets' recurrent.Text: a text, its alphabet, and the windows a
// character-level recurrent classifier trains on.
//
//   recurrent::Text Book = recurrent::Text::fromFile("book.txt");
//   int K = Book.alphabetSize();
//   recurrent::Classifier C({K, {64, "gru"}, K});
//   Dataset Train(Book.classifier_windows(30), {.BatchSize = 16});
//   train(C, Train, nullptr, O);
//   Tensor Codes = C.predict_sequence(Book.encode("The "), 200);
//   std::string Sample = Book.decode(Codes);
//
// A text is bytes: its alphabet is the distinct bytes it holds, in
// increasing order (or an alphabet given, e.g. a saved model's), and a
// character's code is its index in the alphabet. A multi-byte UTF-8
// character is several codes. Unlike theanets there is no unknown-character
// code and no min_count: every byte of the text is in the alphabet, and
// encoding a byte outside it is an error.
//
// classifier_windows(Steps, Stride) cuts the text into windows of Steps
// characters starting every Stride characters (Stride = Steps by default:
// no overlap; a smaller stride overlaps them). Window k reads the
// characters [k·Stride, k·Stride + Steps) one-hot and is labelled with the
// next characters [k·Stride + 1, k·Stride + Steps + 1): the data of a
// recurrent::Classifier, {"in": [N, Steps, |alphabet|], "target": i32
// [N, Steps]}. theanets' classifier_batches drew random windows per batch;
// a Dataset of fixed windows reshuffles them every epoch instead. The
// one-hot inputs take alphabetSize() floats per character of every window
// (a 1 MB text with 100 characters and no overlap: 400 MB in f32), so cut a
// large text into parts or use a larger stride.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/interpreter.h" // TensorMap
#include "runtime/tensor.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netjit::recurrent {

class Text {
public:
  /// The text and its alphabet: Content's distinct bytes in increasing
  /// order, or Alphabet (distinct bytes, holding every byte of Content).
  /// RuntimeError for an empty text, a byte outside Alphabet (naming it and
  /// its offset) or a repeated alphabet byte.
  explicit Text(std::string Content,
                std::optional<std::string> Alphabet = std::nullopt);
  /// The bytes of the file at Path (RuntimeError naming Path when it cannot
  /// be read, or is empty or outside Alphabet).
  static Text fromFile(const std::string &Path,
                       std::optional<std::string> Alphabet = std::nullopt);

  const std::string &text() const { return Content; }
  const std::string &alphabet() const { return Alphabet; }
  int alphabetSize() const { return static_cast<int>(Alphabet.size()); }

  /// The codes of S's bytes; RuntimeError naming a byte outside the
  /// alphabet.
  std::vector<int64_t> encode(std::string_view S) const;
  /// The bytes of codes (an integer tensor of any shape, read in order);
  /// RuntimeError for a code outside [0, alphabetSize()).
  std::string decode(const std::vector<int64_t> &Codes) const;
  std::string decode(const Tensor &Codes) const;
  /// S one-hot as one sequence: [1, |S|, alphabetSize()] of FloatType, the
  /// input a recurrent model predicts from.
  Tensor one_hot(std::string_view S, DType FloatType = DType::F32) const;
  /// {"in": one-hot windows [N, Steps, alphabetSize()] of FloatType,
  /// "target": the next characters' codes, i32 [N, Steps]}; see above.
  /// Stride 0 means Steps. RuntimeError when Steps or Stride is below 1 or
  /// the text has fewer than Steps + 1 characters.
  TensorMap classifier_windows(int64_t Steps, int64_t Stride = 0,
                               DType FloatType = DType::F32) const;
  /// How many windows classifier_windows(Steps, Stride) gives.
  int64_t windowCount(int64_t Steps, int64_t Stride = 0) const;

private:
  std::string Content, Alphabet;
  /// Code[b] = the code of byte b, or -1 outside the alphabet.
  int Code[256];
};

} // namespace netjit::recurrent
