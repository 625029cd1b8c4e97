//===- train_recurrent_test.cpp - `netjit train` on sequences and text ----===//
//
// Runs the real executable on recurrent models: a character-level gru
// classifier on tests/data/text/harbour.txt (--data text:PATH), whose saved
// model `eval` reads on the same text and `predict` runs on one-hot windows
// built here from the text and its alphabet (its sorted distinct bytes); and
// a recurrent classifier on .npy sequences [B,T,D] with labels [B,T] and 0/1
// weights [B,T] (--weights), with the recurrent penalties in its log.
//
//===----------------------------------------------------------------------===//
#include "tests/tools/run_netjit.h"

#include "runtime/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace netjit::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string TextFile =
    std::string(NETJIT_SOURCE_DIR) + "/tests/data/text/harbour.txt";

TEST(TrainRecurrent, ACharacterModelOnATextSavesEvaluatesAndPredicts) {
  ScratchDir D;
  std::string Text = readFile(TextFile);
  std::set<unsigned char> Bytes(Text.begin(), Text.end());
  std::string Alphabet(Bytes.begin(), Bytes.end());
  int64_t K = static_cast<int64_t>(Alphabet.size());
  std::string Ks = std::to_string(K);

  CommandResult R =
      runNetjit({"train", "--model", "recurrent-classifier", "--layers",
                 Ks + ",32:gru," + Ks, "--data", "text:" + TextFile,
                 "--max-epochs", "2", "--learning-rate", "0.02", "--batch-size",
                 "16", "--save", D.file("chars.njm")});
  ASSERT_EQ(R.ExitCode, 0) << R.Err;
  EXPECT_THAT(R.Out, HasSubstr("text " + TextFile + ": " +
                               std::to_string(Text.size()) +
                               " characters, an alphabet of " + Ks + ", " +
                               std::to_string((Text.size() - 31) / 30 + 1) +
                               " windows of 30 steps"));
  EXPECT_THAT(R.Out, HasSubstr("training recurrent-classifier " + Ks +
                               ",32:gru," + Ks));
  EXPECT_THAT(R.Out, HasSubstr("saved: " + D.file("chars.njm")));

  // eval reads the text with the alphabet stored in the model; a trained
  // model does better than uniform guessing (ln K nats per character).
  CommandResult E = runNetjit({"eval", D.file("chars.njm"), "--data",
                               "text:" + TextFile, "--steps", "40"});
  ASSERT_EQ(E.ExitCode, 0) << E.Err;
  double Xe = printed(E.Out, "xe");
  EXPECT_GT(Xe, 0);
  EXPECT_LT(Xe, std::log(static_cast<double>(K)) - 0.2);
  EXPECT_EQ(printed(E.Out, "err"), Xe);
  double Acc = printed(E.Out, "accuracy");
  EXPECT_GT(Acc, 1.0 / static_cast<double>(K));

  // predict on two one-hot windows of the text: a class (a character code)
  // per step, and probabilities that sum to 1 per step.
  const int64_t B = 2, T = 12;
  Tensor X(DType::F32, {B, T, K});
  for (int64_t Bi = 0; Bi < B; ++Bi)
    for (int64_t Ti = 0; Ti < T; ++Ti) {
      auto C = static_cast<unsigned char>(Text[100 * Bi + Ti]);
      X.set((Bi * T + Ti) * K + static_cast<int64_t>(Alphabet.find(C)), 1);
    }
  writeNpy(D.file("x.npy"), X);
  CommandResult P = runNetjit({"predict", D.file("chars.njm"), "--x",
                               D.file("x.npy"), "--output", D.file("p.npy")});
  ASSERT_EQ(P.ExitCode, 0) << P.Err;
  Tensor Codes = readNpy(D.file("p.npy"));
  ASSERT_EQ(Codes.shape(), (std::vector<int64_t>{B, T}));
  for (int64_t I = 0; I < Codes.numel(); ++I) {
    EXPECT_GE(Codes.at(I), 0);
    EXPECT_LT(Codes.at(I), static_cast<double>(K));
  }
  P = runNetjit({"predict", D.file("chars.njm"), "--x", D.file("x.npy"),
                 "--proba", "--output", D.file("proba.npy")});
  ASSERT_EQ(P.ExitCode, 0) << P.Err;
  Tensor Proba = readNpy(D.file("proba.npy"));
  ASSERT_EQ(Proba.shape(), (std::vector<int64_t>{B, T, K}));
  for (int64_t Row = 0; Row < B * T; ++Row) {
    double Sum = 0, Best = -1;
    int64_t Arg = 0;
    for (int64_t C = 0; C < K; ++C) {
      double V = Proba.at(Row * K + C);
      Sum += V;
      if (V > Best) {
        Best = V;
        Arg = C;
      }
    }
    EXPECT_NEAR(Sum, 1, 1e-5);
    EXPECT_EQ(Arg, Codes.at(Row)) << "step " << Row;
  }

  // The text's sizes must match the model's, and text is for recurrent
  // models.
  auto Expect = [](const CommandResult &C, int Code, const std::string &Want) {
    EXPECT_EQ(C.ExitCode, Code) << C.Err;
    EXPECT_THAT(C.Err, HasSubstr(Want));
  };
  Expect(runNetjit({"train", "--model", "recurrent-classifier", "--layers",
                    "12,8:gru,12", "--data", "text:" + TextFile}),
         2,
         "the text's alphabet has " + Ks +
             " characters, so the model's input "
             "and output layers need " +
             Ks + " units each");
  Expect(runNetjit({"train", "--layers", Ks + ",8," + Ks, "--data",
                    "text:" + TextFile}),
         2, "--data text: is sequence data; use a recurrent model");
  Expect(runNetjit(
             {"train", "--model", "recurrent-perceptron", "--layers", "2,2"}),
         2,
         "--model is classifier, regressor, autoencoder, "
         "recurrent-classifier");
  writeFile(D.file("short.txt"), "abcab");
  Expect(runNetjit({"eval", D.file("chars.njm"), "--data",
                    "text:" + D.file("short.txt")}),
         1, D.file("short.txt") + ": text: the text has 5 characters");
  writeFile(D.file("other.txt"), std::string(40, 'a') + "\x01");
  Expect(runNetjit({"eval", D.file("chars.njm"), "--data",
                    "text:" + D.file("other.txt")}),
         1,
         D.file("other.txt") + ": text: byte 0x01 at offset 40 is not in "
                               "the alphabet");
}

TEST(TrainRecurrent, SequencesWithWeightsAndTheRecurrentPenalties) {
  // Label at step t: whether x at step t-1 was positive (needs memory).
  // The last steps of every other sequence are padding with weight 0.
  ScratchDir D;
  const int64_t B = 48, T = 6;
  Tensor X(DType::F32, {B, T, 1}), Y(DType::I32, {B, T}), W(DType::F32, {B, T});
  for (int64_t I = 0; I < B * T; ++I) {
    X.set(I, std::sin(2.3 * static_cast<double>(I) + 0.4));
    bool Padding = (I / T) % 2 == 1 && I % T >= 4;
    W.set(I, Padding ? 0 : 1);
  }
  for (int64_t I = 0; I < B * T; ++I)
    Y.set(I, I % T > 0 && X.at(I - 1) > 0);
  writeNpy(D.file("x.npy"), X);
  writeNpy(D.file("y.npy"), Y);
  writeNpy(D.file("w.npy"), W);
  CommandResult R = runNetjit({"train",
                               "--model",
                               "recurrent-classifier",
                               "--layers",
                               "1,8:rnn:tanh,2",
                               "--x",
                               D.file("x.npy"),
                               "--y",
                               D.file("y.npy"),
                               "--weights",
                               D.file("w.npy"),
                               "--test-x",
                               D.file("x.npy"),
                               "--test-y",
                               D.file("y.npy"),
                               "--test-weights",
                               D.file("w.npy"),
                               "--learning-rate",
                               "0.05",
                               "--batch-size",
                               "16",
                               "--max-epochs",
                               "40",
                               "--valid-split",
                               "0",
                               "--recurrent-state",
                               "0.01",
                               "--recurrent-norm",
                               "0.001",
                               "--log",
                               D.file("log.csv"),
                               "--save",
                               D.file("seq.njm"),
                               "--quiet"});
  ASSERT_EQ(R.ExitCode, 0) << R.Err;
  double Acc = printed(R.Out, "test accuracy");
  EXPECT_GT(Acc, 0.9);
  std::string Log = readFile(D.file("log.csv"));
  EXPECT_THAT(Log, HasSubstr("train_recurrent_state"));
  EXPECT_THAT(Log, HasSubstr("train_recurrent_norm"));

  // eval of the weighted model needs the weights, and agrees with train.
  CommandResult E =
      runNetjit({"eval", D.file("seq.njm"), "--x", D.file("x.npy"), "--y",
                 D.file("y.npy"), "--weights", D.file("w.npy")});
  ASSERT_EQ(E.ExitCode, 0) << E.Err;
  EXPECT_DOUBLE_EQ(printed(E.Out, "accuracy"), Acc);
  CommandResult NoW = runNetjit({"eval", D.file("seq.njm"), "--x",
                                 D.file("x.npy"), "--y", D.file("y.npy")});
  EXPECT_EQ(NoW.ExitCode, 2);
  EXPECT_THAT(NoW.Err, HasSubstr("the model is weighted: give its weights "
                                 "with --weights FILE"));
  // A weighted model's test set needs weights too, checked before training.
  CommandResult NoTestW =
      runNetjit({"train", "--model", "recurrent-classifier", "--layers",
                 "1,4:rnn,2", "--x", D.file("x.npy"), "--y", D.file("y.npy"),
                 "--weights", D.file("w.npy"), "--test-x", D.file("x.npy"),
                 "--test-y", D.file("y.npy"), "--save", D.file("unused.njm")});
  EXPECT_EQ(NoTestW.ExitCode, 2);
  EXPECT_THAT(NoTestW.Err, HasSubstr("the test set needs weights too"));
  EXPECT_THAT(NoTestW.Out, ::testing::Not(HasSubstr("epoch")));
}

} // namespace
} // namespace netjit::test
