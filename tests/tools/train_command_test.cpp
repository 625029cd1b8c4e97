//===- train_command_test.cpp - `netjit train`, eval, predict and ir ------===//
//
// Runs the real executable on a small synthetic problem: 3 classes of 4-D
// points, class = which of three fixed directions a point is most aligned
// with (a linear problem a 4→16→3 classifier learns). The test accuracy
// printed by `train` must be high, must equal what `eval` prints for the
// saved model, and must equal the accuracy of `predict`'s output computed
// here from the labels.
//
//===----------------------------------------------------------------------===//
#include "tests/tools/run_netjit.h"

#include "runtime/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace netjit::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

/// Points and labels; Shift moves the sampling so test differs from train.
void makeData(const std::string &X, const std::string &Y, int64_t N,
              double Shift) {
  Tensor Pts(DType::F32, {N, 4});
  Tensor Labels(DType::I32, {N});
  const double Dir[3][4] = {{1, 0, 0.5, 0}, {0, 1, 0, -0.5}, {-1, -1, 0.3, 1}};
  for (int64_t I = 0; I < N; ++I) {
    double Best = -1e9;
    int Cls = 0;
    double P[4];
    for (int K = 0; K < 4; ++K)
      P[K] = std::sin(1.7 * (I + Shift) * (K + 1) + K);
    for (int C = 0; C < 3; ++C) {
      double Dot = 0;
      for (int K = 0; K < 4; ++K)
        Dot += P[K] * Dir[C][K];
      if (Dot > Best) {
        Best = Dot;
        Cls = C;
      }
    }
    for (int K = 0; K < 4; ++K)
      Pts.set(I * 4 + K, P[K]);
    Labels.set(I, Cls);
  }
  writeNpy(X, Pts);
  writeNpy(Y, Labels);
}

class TrainCommand : public ::testing::Test {
protected:
  void SetUp() override {
    makeData(D.file("x.npy"), D.file("y.npy"), 600, 0);
    makeData(D.file("tx.npy"), D.file("ty.npy"), 200, 0.5);
  }
  std::vector<std::string> trainArgs() const {
    return {"train",          "--layers",     "4,16:tanh,3",
            "--x",            D.file("x.npy"), "--y",
            D.file("y.npy"),  "--test-x",     D.file("tx.npy"),
            "--test-y",       D.file("ty.npy"), "--learning-rate",
            "0.01",           "--max-epochs", "25",
            "--batch-size",   "32",           "--save",
            D.file("m.njm")};
  }
  ScratchDir D;
};

TEST_F(TrainCommand, TrainsSavesAndTheSavedModelAgrees) {
  std::vector<std::string> Args = trainArgs();
  Args.insert(Args.end(), {"--log", D.file("log.csv"), "--plot",
                           D.file("curves.svg"), "--ir-dir", D.file("ir")});
  CommandResult R = runNetjit(Args);
  ASSERT_EQ(R.ExitCode, 0) << R.Err;
  EXPECT_EQ(R.Err, ""); // no terminal: no progress bar
  EXPECT_THAT(R.Out, HasSubstr("epoch   1  train: loss "));
  EXPECT_THAT(R.Out, HasSubstr("saved: " + D.file("m.njm") + "\n"));
  double Acc = printed(R.Out, "test accuracy");
  EXPECT_GE(Acc, 0.9);

  // The log has a row per epoch (0 = before training) and the columns.
  std::string Log = readFile(D.file("log.csv"));
  EXPECT_THAT(Log, StartsWith("epoch,seconds,"));
  EXPECT_THAT(Log, HasSubstr("train_loss"));
  EXPECT_THAT(Log, HasSubstr("valid_acc"));
  EXPECT_THAT(readFile(D.file("curves.svg")), StartsWith("<svg "));
  for (const char *F : {"loss.nj", "gradient.nj", "optimized.nj", "step.nj",
                        "step.fused.nj", "step.ll", "loss.dot"})
    EXPECT_TRUE(std::filesystem::exists(D.file("ir") + "/" + F)) << F;
  // The dumps are IR text that parses back.
  CommandResult P = runNetjit({"print", D.file("ir") + "/step.fused.nj"});
  EXPECT_EQ(P.ExitCode, 0) << P.Err;
  EXPECT_THAT(P.Out, HasSubstr("kernel"));

  // eval of the saved model prints the same test accuracy.
  CommandResult E = runNetjit({"eval", D.file("m.njm"), "--x",
                               D.file("tx.npy"), "--y", D.file("ty.npy")});
  ASSERT_EQ(E.ExitCode, 0) << E.Err;
  EXPECT_DOUBLE_EQ(printed(E.Out, "accuracy"), Acc);
  EXPECT_THAT(E.Out, HasSubstr("loss = "));

  // eval's loss is train's test loss; no penalty here.
  EXPECT_NEAR(printed(E.Out, "loss"), printed(R.Out, "test loss"), 1e-5);
  EXPECT_NEAR(printed(E.Out, "loss"), printed(E.Out, "xe"), 1e-6);

  // predict writes class indices; their accuracy is the same figure.
  CommandResult Pr = runNetjit({"predict", D.file("m.njm"), "--x",
                                D.file("tx.npy"), "--output",
                                D.file("p.npy")});
  ASSERT_EQ(Pr.ExitCode, 0) << Pr.Err;
  Tensor Pred = readNpy(D.file("p.npy")), Labels = readNpy(D.file("ty.npy"));
  ASSERT_EQ(Pred.numel(), 200);
  double Right = 0;
  for (int64_t I = 0; I < 200; ++I)
    Right += Pred.at(I) == Labels.at(I);
  EXPECT_NEAR(Right / 200, Acc, 5e-5);

  CommandResult Ir = runNetjit({"ir", D.file("m.njm"), "--stage", "fused"});
  EXPECT_EQ(Ir.ExitCode, 0) << Ir.Err;
  EXPECT_THAT(Ir.Out, HasSubstr("kernel"));
  CommandResult Dot =
      runNetjit({"ir", D.file("m.njm"), "--stage", "loss", "--format", "dot"});
  EXPECT_THAT(Dot.Out, StartsWith("digraph"));
}

TEST_F(TrainCommand, SavedPenaltiesCountInTestAndEvalLoss) {
  // The loss monitor is the objective: the losses plus the regularizers'
  // penalties. train's test loss and eval's loss of the saved model both
  // include the weight penalty the model was trained (and saved) with.
  std::vector<std::string> Args = trainArgs();
  Args.insert(Args.end(), {"--weight-l2", "0.05", "--max-epochs", "3"});
  CommandResult R = runNetjit(Args);
  ASSERT_EQ(R.ExitCode, 0) << R.Err;
  CommandResult E = runNetjit({"eval", D.file("m.njm"), "--x",
                               D.file("tx.npy"), "--y", D.file("ty.npy")});
  ASSERT_EQ(E.ExitCode, 0) << E.Err;
  double Loss = printed(E.Out, "loss"), Xe = printed(E.Out, "xe"),
         Penalty = printed(E.Out, "weight_l2");
  EXPECT_GT(Penalty, 1e-4); // 0.05 times the mean squared weight
  EXPECT_NEAR(Loss, Xe + Penalty, 1e-5 * Loss);
  EXPECT_NEAR(printed(R.Out, "test loss"), Loss, 1e-5 * Loss);
}

TEST_F(TrainCommand, BadArgumentsAndDataAreNamed) {
  auto Expect = [](const CommandResult &R, int Code, const std::string &Want) {
    EXPECT_EQ(R.ExitCode, Code) << R.Err;
    EXPECT_THAT(R.Err, StartsWith("netjit: error: "));
    EXPECT_THAT(R.Err, HasSubstr(Want));
  };
  std::vector<std::string> A = trainArgs();
  A[2] = "4,x,3";
  Expect(runNetjit(A), 2, "--layers: 'x' does not start with a positive");
  A = trainArgs();
  A.insert(A.end(), {"--optimizer", "adamw"});
  Expect(runNetjit(A), 1, "adamw");
  A = trainArgs();
  A.push_back("--frobnicate");
  Expect(runNetjit(A), 2, "unknown option '--frobnicate' for 'train'");
  Expect(runNetjit({"train", "--layers", "4,3"}), 2, "needs --data or --x");

  // Labels outside the classifier's 3 classes.
  Tensor Bad = readNpy(D.file("y.npy"));
  Bad.set(17, 7);
  writeNpy(D.file("bad_y.npy"), Bad);
  A = trainArgs();
  A[6] = D.file("bad_y.npy");
  Expect(runNetjit(A), 1, "label 7 in row 17 of 'target' is outside [0, 3)");

  // NaN in the inputs.
  Tensor X = readNpy(D.file("x.npy"));
  X.set(9, std::nan(""));
  writeNpy(D.file("nan_x.npy"), X);
  A = trainArgs();
  A[4] = D.file("nan_x.npy");
  Expect(runNetjit(A), 1, "array 'in' holds nan at flat index 9");

  // Inputs of the wrong width.
  writeNpy(D.file("wide.npy"), Tensor(DType::F32, {600, 5}));
  A = trainArgs();
  A[4] = D.file("wide.npy");
  Expect(runNetjit(A), 1, "'in'");

  // Not a model file.
  writeFile(D.file("junk.njm"), "this is not a model\n");
  Expect(runNetjit({"eval", D.file("junk.njm"), "--x", D.file("tx.npy"),
                    "--y", D.file("ty.npy")}),
         1, "junk.njm");
  Expect(runNetjit({"predict", D.file("m.njm")}), 2, "needs --x");
}

} // namespace
} // namespace netjit::test
