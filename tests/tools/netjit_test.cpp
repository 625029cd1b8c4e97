//===- netjit_test.cpp - The `netjit` command, run as a child process -----===//
//
// Each test runs the real executable and checks its stdout, its stderr and
// how it ended. The graphs and .npy inputs are in tests/data/tools; the
// expected numbers were computed with numpy by tests/data/tools/make_data.py
// (its printout is quoted next to each one), not taken from netjit's output.
// `run` is checked with both engines (--engine=jit, the default, and
// --engine=interp); `opt --emit` prints each stage of the JIT, and the
// assembly of a fused loss kernel must use the host's widest vector
// registers (from /proc/cpuinfo's flags).
//
//===----------------------------------------------------------------------===//
#include "tests/tools/run_netjit.h"

#include "runtime/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace netjit::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
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
  for (const char *Engine : {"--engine=jit", "--engine=interp"}) {
    CommandResult R =
        runNetjit({"run", data("affine.nj"), "--input", "x=" + data("x.npy"),
                   "--input", "w=" + data("w.npy"), Engine});
    expectSuccess(R);
    EXPECT_EQ(R.Out, "total = 1.875\ny : f32[2,2]\n") << Engine;
  }
}

TEST(NetjitTool, RunWritesOutputsAndUpdatedParams) {
  for (const char *Engine : {"jit", "interp"}) {
    SCOPED_TRACE(Engine);
    ScratchDir Dir;
    std::string Out = Dir.file("nested/out");
    CommandResult R =
        runNetjit({"run", data("affine.nj"), "--input=x=" + data("x.npy"),
                   "--input=w=" + data("w.npy"), "--output-dir", Out,
                   "--engine", Engine});
    expectSuccess(R);
    EXPECT_EQ(R.Out, "total = 1.875\ny : f32[2,2]\n");
    // make_data.py: affine y = [[5.25, -1.0], [-11.875, 9.5]]
    Tensor Y = readNpy(Out + "/y.npy");
    EXPECT_EQ(Y.typeStr(), "f32[2,2]");
    EXPECT_EQ(values(Y), (std::vector<double>{5.25, -1.0, -11.875, 9.5}));
    Tensor Total = readNpy(Out + "/total.npy");
    EXPECT_EQ(Total.typeStr(), "f32[]");
    EXPECT_EQ(Total.at(0), 1.875);
    // make_data.py: affine updated w = [[0.25, 1.0], [4.0, 0.5625],
    // [2.25, 9.0]]
    Tensor W = readNpy(Out + "/updated.w.npy");
    EXPECT_EQ(W.typeStr(), "f32[3,2]");
    EXPECT_EQ(values(W),
              (std::vector<double>{0.25, 1.0, 4.0, 0.5625, 2.25, 9.0}));
    EXPECT_FALSE(std::filesystem::exists(Out + "/w.npy"));
  }
}

TEST(NetjitTool, RunBindsSymbolicDims) {
  std::string V = "x=" + data("v.npy");
  for (const char *Engine : {"--engine=jit", "--engine=interp"}) {
    SCOPED_TRACE(Engine);
    CommandResult R = runNetjit(
        {"run", data("scaled.nj"), "--input", V, "--bind", "N=5", Engine});
    expectSuccess(R);
    // make_data.py: scaled (N=5) = 35.0; logsum = 2.0794415416798357 (3 ln 2)
    ASSERT_THAT(R.Out, StartsWith("scaled = 35\nlogsum = "));
    double LogSum = std::stod(R.Out.substr(R.Out.find("logsum = ") + 9));
    EXPECT_NEAR(LogSum, 2.0794415416798357, 1e-15);

    CommandResult Unbound =
        runNetjit({"run", data("scaled.nj"), "--input", V, Engine});
    EXPECT_EQ(Unbound.ExitCode, 1);
    EXPECT_THAT(Unbound.Err, StartsWith("netjit: error: "));
    EXPECT_THAT(Unbound.Err, HasSubstr("'N'"));
  }
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
  // An i32 array for an f32 input is an error, not a crash.
  for (const char *Engine : {"--engine=jit", "--engine=interp"}) {
    CommandResult Mistyped = runNetjit(
        {"run", F, "--input", "x=" + data("x_i32.npy"), "--input", W, Engine});
    EXPECT_EQ(Mistyped.Signal, 0);
    EXPECT_EQ(Mistyped.ExitCode, 1);
    EXPECT_THAT(Mistyped.Err, StartsWith("netjit: error: "));
    EXPECT_THAT(Mistyped.Err, HasSubstr("'x'")) << Engine;
  }
  expectError(runNetjit({"run", F, "--input", X, "--input", W, "--engine=gpu"}),
              2, "bad --engine 'gpu': expected jit or interp");
}

TEST(NetjitTool, CheckFiniteNamesTheFirstNonFiniteNode) {
  std::string F = data("scaled.nj");
  std::string V = "x=" + data("v_neg.npy"); // log(-2) is NaN
  for (const char *Engine : {"--engine=jit", "--engine=interp"}) {
    SCOPED_TRACE(Engine);
    CommandResult Plain =
        runNetjit({"run", F, "--input", V, "--bind", "N=1", Engine});
    expectSuccess(Plain);
    EXPECT_THAT(Plain.Out, HasSubstr("logsum = nan"));
    CommandResult Checked = runNetjit(
        {"run", F, "--input", V, "--bind", "N=1", "--check-finite", Engine});
    EXPECT_EQ(Checked.ExitCode, 1);
    EXPECT_EQ(Checked.Out, "");
    EXPECT_THAT(Checked.Err, StartsWith("netjit: error: "));
    EXPECT_THAT(Checked.Err, HasSubstr("'log'"));
  }
}

std::string example(const std::string &Name) {
  return std::string(NETJIT_SOURCE_DIR) + "/examples/" + Name;
}

std::vector<std::string> mlpXeRun(const std::string &Engine,
                                  const std::string &OutDir) {
  std::vector<std::string> Args = {"run", example("mlp_xe.nj"),
                                   "--engine=" + Engine, "--output-dir",
                                   OutDir};
  for (const char *Name : {"x", "labels", "w1", "b1", "w2", "b2"}) {
    Args.push_back("--input");
    Args.push_back(std::string(Name) + "=" + example("data/mlp_xe/") + Name +
                   ".npy");
  }
  return Args;
}

TEST(NetjitTool, JitAndInterpreterEnginesAgree) {
  ScratchDir Dir;
  CommandResult Jit = runNetjit(mlpXeRun("jit", Dir.file("jit")));
  CommandResult Interp = runNetjit(mlpXeRun("interp", Dir.file("interp")));
  expectSuccess(Jit);
  expectSuccess(Interp);
  // examples_test.cpp quotes numpy's float64 loss: 1.4958286627834767.
  for (const CommandResult *R : {&Jit, &Interp}) {
    ASSERT_THAT(R->Out, StartsWith("loss = "));
    EXPECT_NEAR(std::stod(R->Out.substr(7)), 1.4958286627834767, 1e-6);
  }
  Tensor A = readNpy(Dir.file("jit/logits.npy"));
  Tensor B = readNpy(Dir.file("interp/logits.npy"));
  ASSERT_EQ(A.typeStr(), "f32[8,3]");
  ASSERT_EQ(B.typeStr(), A.typeStr());
  // tanh is netjit's vector tanh (3 ulps) under the JIT and glibc's under
  // the interpreter; through a depth-8 product the logits agree to 1e-6.
  for (int64_t I = 0; I < A.numel(); ++I)
    EXPECT_NEAR(A.at(I), B.at(I), 1e-6 * (1 + std::fabs(B.at(I)))) << I;
  EXPECT_NEAR(readNpy(Dir.file("jit/loss.npy")).at(0),
              readNpy(Dir.file("interp/loss.npy")).at(0), 1e-6);
}

/// The single compile cache entry in Dir, or "" (with a failure).
std::string onlyEntry(const std::string &Dir) {
  std::vector<std::string> Entries;
  for (const auto &E : std::filesystem::directory_iterator(Dir))
    Entries.push_back(E.path().string());
  EXPECT_EQ(Entries.size(), 1u);
  return Entries.size() == 1 ? Entries[0] : "";
}

ino_t inode(const std::string &Path) {
  struct stat St {};
  EXPECT_EQ(::stat(Path.c_str(), &St), 0) << Path;
  return St.st_ino;
}

TEST(NetjitTool, RunReusesTheDiskCacheAcrossProcesses) {
  ScratchDir Dir;
  std::string Cache = Dir.file("cache");
  const char *Saved = std::getenv("NETJIT_CACHE_DIR");
  std::string Old = Saved ? Saved : "";
  ::setenv("NETJIT_CACHE_DIR", Cache.c_str(), 1);
  CommandResult First = runNetjit(mlpXeRun("jit", Dir.file("first")));
  expectSuccess(First);
  std::string Entry = onlyEntry(Cache);
  ASSERT_FALSE(Entry.empty());
  std::string Bytes = readFile(Entry);
  ino_t Inode = inode(Entry);

  // Another process loads the object: same results, the entry untouched
  // (a miss or a rejected entry would have replaced the file).
  CommandResult Second = runNetjit(mlpXeRun("jit", Dir.file("second")));
  expectSuccess(Second);
  EXPECT_EQ(Second.Out, First.Out);
  EXPECT_EQ(readFile(Dir.file("second/logits.npy")),
            readFile(Dir.file("first/logits.npy")));
  EXPECT_EQ(onlyEntry(Cache), Entry);
  EXPECT_EQ(inode(Entry), Inode);

  // A truncated entry is rebuilt and replaced by an identical one.
  writeFile(Entry, Bytes.substr(0, Bytes.size() / 3));
  CommandResult Third = runNetjit(mlpXeRun("jit", Dir.file("third")));
  expectSuccess(Third);
  EXPECT_EQ(Third.Out, First.Out);
  EXPECT_EQ(readFile(Entry), Bytes);
  if (Saved)
    ::setenv("NETJIT_CACHE_DIR", Old.c_str(), 1);
  else
    ::unsetenv("NETJIT_CACHE_DIR");
}

/// The widest vector registers of the host, from /proc/cpuinfo's flags.
std::string widestRegister() {
  std::ifstream In("/proc/cpuinfo");
  std::string Line;
  while (std::getline(In, Line))
    if (Line.rfind("flags", 0) == 0) {
      std::istringstream Words(Line.substr(Line.find(':') + 1));
      std::vector<std::string> Flags{std::istream_iterator<std::string>(Words),
                                     {}};
      auto Has = [&](const char *F) {
        return std::find(Flags.begin(), Flags.end(), F) != Flags.end();
      };
      return Has("avx512f") ? "zmm" : Has("avx2") ? "ymm" : "xmm";
    }
  return "xmm";
}

constexpr const char *kMseLoss = R"(graph @mse(%y: f32[N], %t: f32[N]) {
  %0 = sub(%y, %t) : f32[N]
  %1 = square(%0) : f32[N]
  %2 = mean(%1) {axes=[0], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[N]
  return loss = %2, dy = %3
}
)";

TEST(NetjitTool, OptEmitsEachStageOfTheJit) {
  ScratchDir Dir;
  std::string F = Dir.file("mse.nj");
  writeFile(F, kMseLoss);

  // The default is unchanged: the graph after the default pipeline.
  CommandResult Graph = runNetjit({"opt", F});
  expectSuccess(Graph);
  EXPECT_EQ(runNetjit({"opt", F, "--emit=graph"}).Out, Graph.Out);
  EXPECT_THAT(Graph.Out, Not(HasSubstr("kernel(")));

  // The fused graph holds the loss kernel and reads back.
  CommandResult Fused = runNetjit({"opt", F, "--emit=fused"});
  expectSuccess(Fused);
  EXPECT_THAT(Fused.Out, HasSubstr("= kernel("));
  writeFile(Dir.file("fused.nj"), Fused.Out);
  CommandResult Reprint = runNetjit({"print", Dir.file("fused.nj")});
  expectSuccess(Reprint);
  EXPECT_EQ(Reprint.Out, Fused.Out);

  // The emitted IR has plain loops; LLVM's O3 vectorizes them.
  CommandResult Llvm = runNetjit({"opt", F, "--emit", "llvm"});
  expectSuccess(Llvm);
  EXPECT_THAT(Llvm.Out, ::testing::ContainsRegex(
                            "define i32 @netjit_entry_[0-9a-f]{16}\\("));
  EXPECT_THAT(Llvm.Out, Not(HasSubstr("vector.body")));
  CommandResult Opt = runNetjit({"opt", F, "--emit=llvm-opt"});
  expectSuccess(Opt);
  EXPECT_THAT(Opt.Out, HasSubstr("vector.body"));
  EXPECT_THAT(Opt.Out, ::testing::ContainsRegex("<[0-9]+ x float>"));

  // The loss kernel's arithmetic runs on full-width registers.
  CommandResult Asm = runNetjit({"opt", F, "--emit=asm"});
  expectSuccess(Asm);
  std::string Reg = widestRegister();
  EXPECT_THAT(Asm.Out, ::testing::ContainsRegex(
                           "v(sub|mul|add|fmadd[0-9]+)ps\\s[^\\n]*%" + Reg))
      << "no packed float arithmetic on " << Reg;
}

TEST(NetjitTool, OptEmitErrors) {
  ScratchDir Dir;
  std::string F = Dir.file("mse.nj");
  writeFile(F, kMseLoss);
  expectError(runNetjit({"opt", F, "--emit=obj"}), 2,
              "bad --emit 'obj': expected graph, fused, llvm, llvm-opt or asm");
  expectError(runNetjit({"opt", F, "--emit=asm", "--time-passes"}), 2,
              "work with --emit=graph only");
  expectError(runNetjit({"opt", F, "--emit=asm", "--passes="}), 2,
              "--passes is empty");
  // Scans compile: the example RNN has LLVM IR.
  CommandResult Scan =
      runNetjit({"opt", example("rnn_scan.nj"), "--emit=llvm"});
  expectSuccess(Scan);
  EXPECT_THAT(Scan.Out, HasSubstr("define"));
  // A pipeline without `lower` leaves softmax_xent without a loop nest: the
  // graph runs on the interpreter, so it has a fused graph but no IR.
  std::string NoLower = "--passes=stabilize,autodiff";
  expectSuccess(
      runNetjit({"opt", example("mlp_xe.nj"), "--emit=fused", NoLower}));
  expectError(runNetjit({"opt", example("mlp_xe.nj"), "--emit=llvm", NoLower}),
              1, "runs on the interpreter");
}

} // namespace
} // namespace netjit::test
