//===- opt_test.cpp - `netjit opt`, run as a child process ----------------===//
//
// The opt subcommand: the default pipeline and --passes, the instruments
// (--print-after, --print-changed, --time-passes) on stderr with the graph
// alone on stdout, usage errors, and an end-to-end check that the optimized
// graph runs and gives the numbers numpy computes (quoted next to them).
//
//===----------------------------------------------------------------------===//
#include "tests/tools/run_netjit.h"

#include "runtime/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace netjit::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string data(const std::string &Name) {
  return std::string(NETJIT_SOURCE_DIR) + "/tests/data/tools/" + Name;
}

std::string example(const std::string &Name) {
  return std::string(NETJIT_SOURCE_DIR) + "/examples/" + Name;
}

void expectSuccess(const CommandResult &R) {
  EXPECT_EQ(R.Signal, 0);
  EXPECT_EQ(R.ExitCode, 0) << R.Err;
}

void expectError(const CommandResult &R, int Code, const std::string &Want) {
  EXPECT_EQ(R.Signal, 0);
  EXPECT_EQ(R.ExitCode, Code) << R.Err;
  EXPECT_EQ(R.Out, "");
  EXPECT_THAT(R.Err, StartsWith("netjit: error: "));
  EXPECT_THAT(R.Err, HasSubstr(Want));
  EXPECT_EQ(std::count(R.Err.begin(), R.Err.end(), '\n'), 1) << R.Err;
}

TEST(NetjitOpt, Help) {
  CommandResult H = runNetjit({"opt", "--help"});
  expectSuccess(H);
  EXPECT_THAT(H.Out, StartsWith("usage: netjit opt"));
  EXPECT_EQ(runNetjit({"help", "opt"}).Out, H.Out);
  EXPECT_THAT(runNetjit({"--help"}).Out, HasSubstr("opt FILE"));
}

TEST(NetjitOpt, DefaultPipelineFusesAndExpandsGradients) {
  CommandResult R = runNetjit({"opt", example("mlp_classifier_grad.nj")});
  expectSuccess(R);
  EXPECT_EQ(R.Err, "");
  EXPECT_THAT(R.Out, StartsWith("graph @mlp_classifier("));
  EXPECT_THAT(R.Out, HasSubstr("softmax_xent("));
  EXPECT_THAT(R.Out, HasSubstr("one_hot("));
  EXPECT_THAT(R.Out, Not(HasSubstr(" log(")));
  EXPECT_THAT(R.Out, Not(HasSubstr("grad(")));
  // The output is a graph in canonical form: it prints back to itself.
  ScratchDir Dir;
  writeFile(Dir.file("opt.nj"), R.Out);
  EXPECT_EQ(runNetjit({"print", Dir.file("opt.nj")}).Out, R.Out);
  // And stdin works as for the other commands.
  EXPECT_EQ(runNetjit({"opt", "-"}, example("mlp_classifier_grad.nj")).Out,
            R.Out);
}

TEST(NetjitOpt, PassesSelectsThePipeline) {
  CommandResult R =
      runNetjit({"opt", data("opt_softplus.nj"), "--passes=stabilize"});
  expectSuccess(R);
  EXPECT_THAT(R.Out, HasSubstr("softplus(%0)"));
  EXPECT_THAT(R.Out, HasSubstr("grad(")); // no autodiff in this pipeline
  CommandResult None = runNetjit({"opt", data("opt_softplus.nj"), "--passes="});
  expectSuccess(None);
  EXPECT_EQ(None.Out, runNetjit({"print", data("opt_softplus.nj")}).Out);
}

TEST(NetjitOpt, InstrumentsWriteToStderr) {
  std::string F = data("opt_softplus.nj");
  CommandResult Print = runNetjit({"opt", F, "--print-after=stabilize"});
  expectSuccess(Print);
  EXPECT_THAT(Print.Err, StartsWith("// ----- IR after stabilize -----\n"));
  EXPECT_THAT(Print.Err, HasSubstr("softplus("));
  EXPECT_THAT(Print.Out, Not(HasSubstr("-----")));

  CommandResult Changed = runNetjit({"opt", F, "--print-changed"});
  expectSuccess(Changed);
  EXPECT_THAT(Changed.Err, HasSubstr("IR after stabilize -----\n"));
  EXPECT_THAT(Changed.Err, HasSubstr("IR after autodiff -----\n"));

  CommandResult Time = runNetjit({"opt", F, "--time-passes"});
  expectSuccess(Time);
  EXPECT_THAT(Time.Err, HasSubstr("pass timing"));
  EXPECT_THAT(Time.Err, HasSubstr("stabilize.softplus"));
  EXPECT_EQ(Time.Out, runNetjit({"opt", F}).Out);
}

TEST(NetjitOpt, UsageErrorsExitTwo) {
  std::string F = data("opt_softplus.nj");
  expectError(runNetjit({"opt"}), 2, "'opt' needs a FILE");
  expectError(runNetjit({"opt", F, F}), 2, "'opt' takes one FILE");
  expectError(runNetjit({"opt", F, "--frob"}), 2,
              "unknown option '--frob' for 'opt'");
  expectError(runNetjit({"opt", F, "--passes=stabilize,frob"}), 2,
              "unknown pass 'frob'");
  expectError(runNetjit({"opt", F, "--passes=fix(simplify"}), 2,
              "expected ')'");
  expectError(runNetjit({"opt", F, "--print-after=frob"}), 2,
              "--print-after: unknown pass 'frob'");
  expectError(runNetjit({"opt", F, "--passes"}), 2, "needs a value");
  expectError(runNetjit({"opt", "/no/such/graph.nj"}), 1, "no such file");
  expectError(runNetjit({"opt", data("malformed.nj")}), 1,
              data("malformed.nj") + ":3:");
}

TEST(NetjitOpt, OptimizedGraphRunsToNumpysNumbers) {
  ScratchDir Dir;
  CommandResult Opt = runNetjit({"opt", data("opt_softplus.nj")});
  expectSuccess(Opt);
  writeFile(Dir.file("opt.nj"), Opt.Out);
  CommandResult Run = runNetjit(
      {"run", Dir.file("opt.nj"), "--input=x=" + data("x.npy"),
       "--input=w=" + data("w.npy"), "--output-dir", Dir.file("out")});
  expectSuccess(Run);
  // numpy, from x.npy and w.npy in f64: z = x @ w,
  // loss = sum(logaddexp(0, z)) = 15.06857729697908,
  // dw = x.T @ sigmoid(z) = [[0.99478161, 0.51892271],
  //   [1.98953886, -2.46189262], [-0.49736209, 3.8652299]].
  Tensor Loss = readNpy(Dir.file("out/loss.npy"));
  EXPECT_NEAR(Loss.at(0), 15.06857729697908, 1e-5);
  Tensor Dw = readNpy(Dir.file("out/dw.npy"));
  std::vector<double> Want{0.99478161,  0.51892271,  1.98953886,
                           -2.46189262, -0.49736209, 3.8652299};
  ASSERT_EQ(Dw.numel(), 6);
  for (int64_t I = 0; I < 6; ++I)
    EXPECT_NEAR(Dw.at(I), Want[I], 1e-6) << "dw[" << I << "]";
}

} // namespace
} // namespace netjit::test
