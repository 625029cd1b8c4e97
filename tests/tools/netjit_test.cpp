//===- netjit_test.cpp - The `netjit` command, run as a child process -----===//
//
// Each test runs the real executable and checks its stdout, its stderr and
// how it ended. The graphs and .npy inputs are in tests/data/tools; the
// expected numbers were computed with numpy by tests/data/tools/make_data.py
// (its printout is quoted next to each one), not taken from netjit's output.
//
//===----------------------------------------------------------------------===//
#include "tests/tools/run_netjit.h"

#include "runtime/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace netjit::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string data(const std::string &Name) {
  return std::string(NETJIT_SOURCE_DIR) + "/tests/data/tools/" + Name;
}

void expectSuccess(const CommandResult &R) {
  EXPECT_EQ(R.Signal, 0);
  EXPECT_EQ(R.ExitCode, 0) << R.Err;
  EXPECT_EQ(R.Err, "");
}

/// An error: the exit code, nothing on stdout, and exactly one stderr line
/// `netjit: error: ...` containing Want.
void expectError(const CommandResult &R, int Code, const std::string &Want) {
  EXPECT_EQ(R.Signal, 0);
  EXPECT_EQ(R.ExitCode, Code) << R.Err;
  EXPECT_THAT(R.Err, StartsWith("netjit: error: "));
  EXPECT_THAT(R.Err, HasSubstr(Want));
  EXPECT_EQ(std::count(R.Err.begin(), R.Err.end(), '\n'), 1) << R.Err;
}

std::vector<double> values(const Tensor &T) {
  std::vector<double> V;
  for (int64_t I = 0; I < T.numel(); ++I)
    V.push_back(T.at(I));
  return V;
}

TEST(NetjitTool, VersionAndHelp) {
  CommandResult V = runNetjit({"--version"});
  expectSuccess(V);
  EXPECT_THAT(V.Out,
              ::testing::MatchesRegex("netjit [0-9]+\\.[0-9]+\\.[0-9]+\n"));

  CommandResult H = runNetjit({"--help"});
  expectSuccess(H);
  EXPECT_THAT(H.Out, StartsWith("usage: netjit"));
  for (const char *Cmd : {"print", "dot", "run"}) {
    CommandResult C = runNetjit({Cmd, "--help"});
    expectSuccess(C);
    EXPECT_THAT(C.Out, StartsWith(std::string("usage: netjit ") + Cmd)) << Cmd;
    EXPECT_EQ(runNetjit({"help", Cmd}).Out, C.Out) << Cmd;
    EXPECT_EQ(runNetjit({Cmd, "-h"}).Out, C.Out) << Cmd;
  }
}

TEST(NetjitTool, UsageErrorsExitTwo) {
  CommandResult None = runNetjit({});
  EXPECT_EQ(None.ExitCode, 2);
  EXPECT_THAT(None.Err, HasSubstr("netjit: error: no command given"));
  expectError(runNetjit({"frobnicate"}), 2, "unknown command 'frobnicate'");
  expectError(runNetjit({"--frob"}), 2, "unknown option '--frob'");
  expectError(runNetjit({"print"}), 2, "'print' takes one FILE, got 0");
  expectError(runNetjit({"dot", data("affine.nj"), data("scaled.nj")}), 2,
              "takes one FILE");
  expectError(runNetjit({"run", data("affine.nj"), "--frob"}), 2,
              "unknown option '--frob' for 'run'");
  expectError(runNetjit({"run", "--check-finite"}), 2, "'run' needs a FILE");
  expectError(runNetjit({"run", data("affine.nj"), "--input"}), 2,
              "option '--input' needs a value");
  expectError(runNetjit({"run", data("affine.nj"), "--input", "x"}), 2,
              "bad --input 'x': expected NAME=PATH.npy");
  expectError(runNetjit({"run", data("affine.nj"), "--input",
                         "x=" + data("x.npy"), "--input=x=" + data("x.npy")}),
              2, "--input 'x' given twice");
}

TEST(NetjitTool, BadBindIsAUsageError) {
  std::string F = data("scaled.nj");
  std::string V = "x=" + data("v.npy");
  expectError(runNetjit({"run", F, "--input", V, "--bind", "N=abc"}), 2,
              "bad --bind 'N=abc'");
  expectError(runNetjit({"run", F, "--input", V, "--bind", "N"}), 2,
              "bad --bind 'N': expected SYM=N");
  expectError(runNetjit({"run", F, "--input", V, "--bind", "N=-1"}), 2,
              "non-negative integer");
  expectError(runNetjit({"run", F, "--input", V, "--bind", "N=5x"}), 2,
              "bad --bind 'N=5x'");
  expectError(runNetjit({"run", F, "--input", V, "--bind=N=1", "--bind=N=2"}),
              2, "--bind 'N' given twice");
}

TEST(NetjitTool, FileErrorsExitOne) {
  expectError(runNetjit({"print", "/no/such/graph.nj"}), 1,
              "'/no/such/graph.nj': no such file");
  expectError(runNetjit({"dot", NETJIT_SOURCE_DIR}), 1, "is a directory");
  // Malformed IR: the error names the file, the line and the column.
  expectError(runNetjit({"print", data("malformed.nj")}), 1,
              data("malformed.nj") + ":3:");
  expectError(runNetjit({"run", data("malformed.nj")}), 1, "mull");
  // Binary garbage is a parse error, never a crash.
  CommandResult Bin = runNetjit({"print", data("x.npy")});
  EXPECT_EQ(Bin.Signal, 0);
  EXPECT_EQ(Bin.ExitCode, 1);
  EXPECT_THAT(Bin.Err, StartsWith("netjit: error: " + data("x.npy") + ":"));
  // Errors from stdin are labelled <stdin>.
  expectError(runNetjit({"print", "-"}, data("malformed.nj")), 1, "<stdin>:3:");
}

TEST(NetjitTool, PrintRoundTripsOwnGraphs) {
  for (const char *Name : {"affine.nj", "scaled.nj"}) {
    SCOPED_TRACE(Name);
    CommandResult First = runNetjit({"print", data(Name)});
    expectSuccess(First);
    EXPECT_THAT(First.Out, StartsWith("graph @"));
    ScratchDir Dir;
    writeFile(Dir.file("printed.nj"), First.Out);
    CommandResult Second = runNetjit({"print", Dir.file("printed.nj")});
    expectSuccess(Second);
    EXPECT_EQ(Second.Out, First.Out);
    // The same text read from stdin prints the same.
    EXPECT_EQ(runNetjit({"print", "-"}, Dir.file("printed.nj")).Out, First.Out);
  }
}

TEST(NetjitTool, DotRendersWithGraphviz) {
  CommandResult R = runNetjit({"dot", data("affine.nj")});
  expectSuccess(R);
  EXPECT_THAT(R.Out, HasSubstr("digraph"));
  ScratchDir Dir;
  writeFile(Dir.file("g.dot"), R.Out);
  CommandResult Svg =
      runProgram({"dot", "-Tsvg", Dir.file("g.dot"), "-o", Dir.file("g.svg")});
  ASSERT_EQ(Svg.ExitCode, 0) << "graphviz `dot` failed or is missing "
                                "(scripts/setup.sh installs it): "
                             << Svg.Err;
  EXPECT_THAT(readFile(Dir.file("g.svg")), HasSubstr("<svg"));
  EXPECT_THAT(readFile(Dir.file("g.svg")), HasSubstr("matmul"));
}

TEST(NetjitTool, RunPrintsScalarsAndTypes) {
  // make_data.py: affine total = 1.875 (x @ w summed, x f32[2,3]).
  CommandResult R =
      runNetjit({"run", data("affine.nj"), "--input", "x=" + data("x.npy"),
                 "--input", "w=" + data("w.npy")});
  expectSuccess(R);
  EXPECT_EQ(R.Out, "total = 1.875\ny : f32[2,2]\n");
}

TEST(NetjitTool, RunWritesOutputsAndUpdatedParams) {
  ScratchDir Dir;
  std::string Out = Dir.file("nested/out");
  CommandResult R =
      runNetjit({"run", data("affine.nj"), "--input=x=" + data("x.npy"),
                 "--input=w=" + data("w.npy"), "--output-dir", Out});
  expectSuccess(R);
  EXPECT_EQ(R.Out, "total = 1.875\ny : f32[2,2]\n");
  // make_data.py: affine y = [[5.25, -1.0], [-11.875, 9.5]]
  Tensor Y = readNpy(Out + "/y.npy");
  EXPECT_EQ(Y.typeStr(), "f32[2,2]");
  EXPECT_EQ(values(Y), (std::vector<double>{5.25, -1.0, -11.875, 9.5}));
  Tensor Total = readNpy(Out + "/total.npy");
  EXPECT_EQ(Total.typeStr(), "f32[]");
  EXPECT_EQ(Total.at(0), 1.875);
  // make_data.py: affine updated w = [[0.25, 1.0], [4.0, 0.5625], [2.25, 9.0]]
  Tensor W = readNpy(Out + "/updated.w.npy");
  EXPECT_EQ(W.typeStr(), "f32[3,2]");
  EXPECT_EQ(values(W),
            (std::vector<double>{0.25, 1.0, 4.0, 0.5625, 2.25, 9.0}));
  EXPECT_FALSE(std::filesystem::exists(Out + "/w.npy"));
}

TEST(NetjitTool, RunBindsSymbolicDims) {
  std::string V = "x=" + data("v.npy");
  CommandResult R =
      runNetjit({"run", data("scaled.nj"), "--input", V, "--bind", "N=5"});
  expectSuccess(R);
  // make_data.py: scaled (N=5) = 35.0; logsum = 2.0794415416798357 (3 ln 2)
  ASSERT_THAT(R.Out, StartsWith("scaled = 35\nlogsum = "));
  double LogSum = std::stod(R.Out.substr(R.Out.find("logsum = ") + 9));
  EXPECT_NEAR(LogSum, 2.0794415416798357, 1e-15);

  CommandResult Unbound = runNetjit({"run", data("scaled.nj"), "--input", V});
  EXPECT_EQ(Unbound.ExitCode, 1);
  EXPECT_THAT(Unbound.Err, StartsWith("netjit: error: "));
  EXPECT_THAT(Unbound.Err, HasSubstr("'N'"));
}

TEST(NetjitTool, RunReportsMissingAndBadInputs) {
  std::string F = data("affine.nj");
  std::string X = "x=" + data("x.npy"), W = "w=" + data("w.npy");
  expectError(runNetjit({"run", F, "--input", X}), 1,
              "missing --input for param 'w' (f32[3,2])");
  expectError(
      runNetjit({"run", F, "--input", X, "--input", W, "--input",
                 "z=" + data("x.npy")}),
      1, "the graph has no input or param named 'z' (its arguments: x, w)");
  expectError(runNetjit({"run", F, "--input", "x=/no/such.npy", "--input", W}),
              1, "/no/such.npy");
  // An i32 array for an f32 input is the interpreter's error, not a crash.
  CommandResult Mistyped =
      runNetjit({"run", F, "--input", "x=" + data("x_i32.npy"), "--input", W});
  EXPECT_EQ(Mistyped.Signal, 0);
  EXPECT_EQ(Mistyped.ExitCode, 1);
  EXPECT_THAT(Mistyped.Err, StartsWith("netjit: error: "));
}

TEST(NetjitTool, CheckFiniteNamesTheFirstNonFiniteNode) {
  std::string F = data("scaled.nj");
  std::string V = "x=" + data("v_neg.npy"); // log(-2) is NaN
  CommandResult Plain = runNetjit({"run", F, "--input", V, "--bind", "N=1"});
  expectSuccess(Plain);
  EXPECT_THAT(Plain.Out, HasSubstr("logsum = nan"));
  CommandResult Checked =
      runNetjit({"run", F, "--input", V, "--bind", "N=1", "--check-finite"});
  EXPECT_EQ(Checked.ExitCode, 1);
  EXPECT_THAT(Checked.Err, StartsWith("netjit: error: "));
  EXPECT_THAT(Checked.Err, HasSubstr("'log'"));
}

} // namespace
} // namespace netjit::test
