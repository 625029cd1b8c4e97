//===- text_data_test.cpp - recurrent::Text and a character model ---------===//
//
// The text helper's alphabet, codes and windows against the text itself,
// its errors, and a character-level gru classifier trained through the
// library's train() on tests/data/text/harbour.txt (4.7 KB of English prose
// written for netjit, in the public domain): its cross-entropy per held-out
// character, in nats, must fall below the text's unigram entropy (2.86),
// the entropy of the best model that ignores context, computed here from
// the character counts, by 0.5 nats. (8 epochs of 211 windows of 25 steps
// take about a second and reach about 1.9 nats.)
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "test_util.h"

#include <cmath>
#include <map>

namespace netjit {
namespace {

using test::errorOf;
using ::testing::HasSubstr;

const std::string TextFile =
    std::string(NETJIT_SOURCE_DIR) + "/tests/data/text/harbour.txt";

TEST(Text, AlphabetCodesAndOneHot) {
  recurrent::Text T("banana bread");
  EXPECT_EQ(T.alphabet(), " abdenr");
  EXPECT_EQ(T.alphabetSize(), 7);
  EXPECT_EQ(T.encode("bad"), (std::vector<int64_t>{2, 1, 3}));
  EXPECT_EQ(T.decode(std::vector<int64_t>{6, 4, 5, 0}), "ren ");
  EXPECT_EQ(T.decode(T.encode(T.text())), T.text());
  Tensor Codes = test::tensor({2, 2}, {5, 1, 5, 1}, DType::I64);
  EXPECT_EQ(T.decode(Codes), "nana");

  Tensor H = T.one_hot("dab", DType::F64);
  ASSERT_EQ(H.shape(), (std::vector<int64_t>{1, 3, 7}));
  std::vector<double> Want(21, 0);
  Want[0 * 7 + 3] = Want[1 * 7 + 1] = Want[2 * 7 + 2] = 1;
  test::expectValues(H, Want, 0);

  // A given alphabet keeps its order; bytes outside it are errors.
  recurrent::Text G("abba", std::string("ba\n"));
  EXPECT_EQ(G.encode("ab\n"), (std::vector<int64_t>{1, 0, 2}));
  EXPECT_THAT(errorOf([] { recurrent::Text("abc", std::string("ab")); }),
              HasSubstr("byte 'c' at offset 2 is not in the alphabet"));
  EXPECT_THAT(errorOf([] { recurrent::Text("abc", std::string("abca")); }),
              HasSubstr("the alphabet holds 'a' twice"));
  EXPECT_THAT(errorOf([&] { T.encode("bag\x01"); }),
              HasSubstr("cannot encode byte 'g' at offset 2"));
  EXPECT_THAT(errorOf([&] {
                T.decode(std::vector<int64_t>{1, 7});
              }),
              HasSubstr("cannot decode code 7 at index 1: the alphabet has 7 "
                        "characters"));
  EXPECT_THAT(errorOf([&] { T.decode(test::tensor({1}, {1})); }),
              HasSubstr("decode reads integer codes, got f32[1]"));
  EXPECT_THAT(errorOf([] { recurrent::Text(""); }),
              HasSubstr("the text is empty"));
  EXPECT_THAT(errorOf([] { recurrent::Text::fromFile("/nonexistent/t.txt"); }),
              HasSubstr("/nonexistent/t.txt: cannot open for reading"));
}

TEST(Text, WindowsAreOneHotInputsLabelledWithTheNextCharacters) {
  recurrent::Text T("the cat sat on the mat");
  for (int64_t Stride : {0, 3, 5}) {
    const int64_t Steps = 5, Step = Stride ? Stride : Steps;
    TensorMap W = T.classifier_windows(Steps, Stride);
    const Tensor &In = W.at("in"), &Labels = W.at("target");
    // Windows start at 0, Step, ... while a window and its next character
    // fit in the 22 characters.
    int64_t N = (22 - 1 - Steps) / Step + 1;
    EXPECT_EQ(T.windowCount(Steps, Stride), N);
    ASSERT_EQ(In.shape(), (std::vector<int64_t>{N, Steps, T.alphabetSize()}));
    ASSERT_EQ(Labels.typeStr(), "i32[" + std::to_string(N) + ",5]");
    for (int64_t K = 0; K < N; ++K) {
      std::string Read, Next;
      for (int64_t S = 0; S < Steps; ++S) {
        int64_t Hot = -1;
        double Sum = 0;
        for (int64_t C = 0; C < T.alphabetSize(); ++C) {
          double V = In.at((K * Steps + S) * T.alphabetSize() + C);
          Sum += V;
          if (V == 1)
            Hot = C;
        }
        EXPECT_EQ(Sum, 1);
        Read += T.alphabet()[static_cast<size_t>(Hot)];
        Next += T.alphabet()[static_cast<size_t>(Labels.at(K * Steps + S))];
      }
      EXPECT_EQ(Read, T.text().substr(static_cast<size_t>(K * Step), 5));
      EXPECT_EQ(Next, T.text().substr(static_cast<size_t>(K * Step + 1), 5));
    }
  }
  EXPECT_THAT(errorOf([&] { T.classifier_windows(22); }),
              HasSubstr("the text has 22 characters; a window of 22 steps and "
                        "its next characters need 23"));
  EXPECT_THAT(errorOf([&] { T.classifier_windows(0); }),
              HasSubstr("windows need steps >= 1 and a stride >= 1"));
  EXPECT_THAT(errorOf([&] { T.classifier_windows(3, -1); }),
              HasSubstr("got steps 3 and stride -1"));
}

/// The entropy in nats of the text's character frequencies.
double unigramEntropy(const std::string &S) {
  std::map<char, double> Counts;
  for (char C : S)
    ++Counts[C];
  double H = 0, N = static_cast<double>(S.size());
  for (const auto &[C, K] : Counts)
    H -= K / N * std::log(K / N);
  return H;
}

TEST(Text, ACharacterModelBeatsTheUnigramEntropy) {
  recurrent::Text Book = recurrent::Text::fromFile(TextFile);
  int K = Book.alphabetSize();
  double Unigram = unigramEntropy(Book.text());
  // English letters carry about 4.1 bits (2.85 nats) each on their own.
  ASSERT_NEAR(Unigram, 2.856, 0.01);

  Dataset Train(Book.classifier_windows(25, 20), {.BatchSize = 32});
  Dataset Valid = Train.split(0.9, "valid");
  recurrent::Classifier C({K, {32, "gru", "tanh"}, K});
  TrainOptions O;
  O.Algo = "adam";
  O.Hyper["learning_rate"] = 0.02;
  O.ValidateEvery = 1;
  O.Patience = 100;
  O.MaxUpdates = 8;
  MonitorValues Before = evaluateDataset(C, Valid);
  // An untrained model is close to uniform over the alphabet: ln K nats.
  EXPECT_NEAR(Before.at("xe"), std::log(K), 0.1);
  train(C, Train, &Valid, O);
  MonitorValues After = evaluateDataset(C, Valid);
  EXPECT_EQ(After.at("err"), After.at("xe"));
  EXPECT_LT(After.at("xe"), Unigram - 0.5)
      << "cross-entropy per held-out character " << After.at("xe")
      << " nats; unigram entropy " << Unigram;

  // The model samples text in its alphabet.
  Tensor Sample = C.predict_sequence(Book.encode("The "), 40);
  EXPECT_EQ(Book.decode(Sample).size(), 40u);
}

} // namespace
} // namespace netjit
