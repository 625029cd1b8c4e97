//===- examples_test.cpp - `netjit` on every graph in examples/ -----------===//
//
// Every examples/*.nj prints to a fixed point and renders with Graphviz, and
// `netjit run` on the MLP classifier gives the loss numpy computes from the
// same .npy files.
//
//===----------------------------------------------------------------------===//
#include "tests/tools/run_netjit.h"

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

std::string examplesDir() {
  return std::string(NETJIT_SOURCE_DIR) + "/examples";
}

std::vector<std::string> exampleGraphs() {
  std::vector<std::string> Files;
  for (const auto &E : std::filesystem::directory_iterator(examplesDir()))
    if (E.path().extension() == ".nj")
      Files.push_back(E.path().string());
  std::sort(Files.begin(), Files.end());
  return Files;
}

TEST(NetjitExamples, PrintRoundTripsEveryExample) {
  std::vector<std::string> Files = exampleGraphs();
  ASSERT_FALSE(Files.empty()) << "no .nj files in " << examplesDir();
  for (const std::string &F : Files) {
    SCOPED_TRACE(F);
    CommandResult First = runNetjit({"print", F});
    ASSERT_EQ(First.ExitCode, 0) << First.Err;
    EXPECT_THAT(First.Out, StartsWith("graph @"));
    ScratchDir Dir;
    writeFile(Dir.file("printed.nj"), First.Out);
    CommandResult Second = runNetjit({"print", Dir.file("printed.nj")});
    ASSERT_EQ(Second.ExitCode, 0) << Second.Err;
    EXPECT_EQ(Second.Out, First.Out);
  }
}

TEST(NetjitExamples, DotOfEveryExampleRenders) {
  for (const std::string &F : exampleGraphs()) {
    SCOPED_TRACE(F);
    CommandResult R = runNetjit({"dot", F});
    ASSERT_EQ(R.ExitCode, 0) << R.Err;
    ScratchDir Dir;
    writeFile(Dir.file("g.dot"), R.Out);
    CommandResult Svg = runProgram(
        {"dot", "-Tsvg", Dir.file("g.dot"), "-o", Dir.file("g.svg")});
    ASSERT_EQ(Svg.ExitCode, 0)
        << "graphviz `dot` failed or is missing: " << Svg.Err;
    EXPECT_THAT(readFile(Dir.file("g.svg")), HasSubstr("</svg>"));
  }
}

TEST(NetjitExamples, MlpCrossEntropyLossMatchesNumpy) {
  std::string Data = examplesDir() + "/data/mlp_xe/";
  std::vector<std::string> Args = {"run", examplesDir() + "/mlp_xe.nj"};
  for (const char *Name : {"x", "labels", "w1", "b1", "w2", "b2"}) {
    Args.push_back("--input");
    Args.push_back(std::string(Name) + "=" + Data + Name + ".npy");
  }
  CommandResult R = runNetjit(Args);
  ASSERT_EQ(R.ExitCode, 0) << R.Err;
  ASSERT_THAT(R.Out, StartsWith("loss = "));
  EXPECT_THAT(R.Out, HasSubstr("\nlogits : f32[8,3]\n"));
  double Loss = std::stod(R.Out.substr(7));
  // Computed in float64 from the same files with:
  //   /usr/bin/python3 -c "import numpy as np; d='examples/data/mlp_xe/';
  //   L={k:np.load(d+k+'.npy') for k in ['x','labels','w1','b1','w2','b2']};
  //   h=np.tanh(L['x'].astype(np.float64)@L['w1']+L['b1']);
  //   z=h@L['w2']+L['b2']; s=z-z.max(1,keepdims=True);
  //   s=s-np.log(np.exp(s).sum(1,keepdims=True));
  //   print(repr(-s[np.arange(len(z)),L['labels']].mean()))"
  // -> 1.4958286627834767. netjit computes in f32: allow a few ulps.
  EXPECT_NEAR(Loss, 1.4958286627834767, 1e-6);
}

} // namespace
} // namespace netjit::test
