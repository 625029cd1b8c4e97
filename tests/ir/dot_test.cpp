//===- dot_test.cpp - Graphviz export
//--------------------------------------===//
//
// The DOT text must be accepted by Graphviz's own `dot` (skipped where it is
// not installed) and carry the labels a reader looks for: the op with its
// attributes and type, arguments, outputs, updates and scan bodies.
//
//===----------------------------------------------------------------------===//
#include "ir/dot.h"
#include "ir/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace netjit;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const char *const Text =
    R"(graph @rnn(%xs: f32[T,B,3], %"h:0": f32[B,3], param %w: f32[3,3]) {
  %0 = scan(%"h:0", %xs, %w) {num_carry=1, num_seqs=1, reverse=false} : (f32[B,3], f32[T,B,3]) body(%h: f32[B,3], %x: f32[B,3], %v: f32[3,3]) {
    %0 = matmul(%h, %v) : f32[B,3]
    %1 = add(%0, %x) : f32[B,3]
    %2 = scan(%1) {length=2, num_carry=1, num_seqs=0, reverse=false} : (f32[B,3]) body(%g: f32[B,3]) {
      %0 = tanh(%g) : f32[B,3]
      return %0
    }
    %3 = result(%2) {index=0} : f32[B,3]
    return %3, %3
  }
  %1 = result(%0) {index=1} : f32[T,B,3]
  %2 = sum(%1) {axes=[0, 1, 2], keepdims=false} : f32[]
  %3 = constant() {value=[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]} : f32[13]
  %4 = neg(%w) : f32[3,3]
  return loss = %2, c = %3
  update %w = %4
}
)";

bool haveDot() { return std::system("command -v dot >/dev/null 2>&1") == 0; }

TEST(Dot, LabelsNodesArgumentsOutputsAndUpdates) {
  std::string Dot = toDot(parseGraph(Text));
  EXPECT_THAT(Dot, HasSubstr("digraph"));
  EXPECT_THAT(Dot,
              HasSubstr("%2 = sum\\n{axes=[0, 1, 2], keepdims=false}\\nf32[]"));
  EXPECT_THAT(
      Dot, HasSubstr("%0 = scan\\n{num_carry=1, num_seqs=1, reverse=false}\\n"
                     "(f32[B,3], f32[T,B,3])"));
  EXPECT_THAT(Dot,
              HasSubstr("label=\"%\\\"h:0\\\"\\nf32[B,3]\", shape=ellipse"));
  EXPECT_THAT(Dot, HasSubstr("label=\"param %w\\nf32[3,3]\", shape=ellipse"));
  EXPECT_THAT(Dot, HasSubstr("label=\"output loss\", shape=house"));
  EXPECT_THAT(Dot, HasSubstr("label=\"update\""));
  // A long value is cut to 37 characters and "..." (40 in all).
  EXPECT_THAT(Dot,
              HasSubstr("{value=[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0...}"));
  // Both scan bodies are clusters, the inner one inside the outer one.
  EXPECT_THAT(Dot, HasSubstr("subgraph cluster_b0 {"));
  EXPECT_THAT(Dot, HasSubstr("label=\"body of %0\""));
  EXPECT_THAT(Dot, HasSubstr("    subgraph cluster_b1 {"));
  EXPECT_THAT(Dot, HasSubstr("label=\"body of %2\""));
  EXPECT_THAT(Dot, HasSubstr("%0 = tanh\\nf32[B,3]"));
}

TEST(Dot, GraphvizAcceptsTheOutput) {
  if (!haveDot())
    GTEST_SKIP() << "Graphviz 'dot' is not installed";
  std::string Path = ::testing::TempDir() + "netjit_dot_test.dot";
  {
    std::ofstream Out(Path);
    Out << toDot(parseGraph(Text));
  }
  std::string Cmd = "dot -Tsvg '" + Path + "' -o /dev/null";
  EXPECT_EQ(std::system(Cmd.c_str()), 0) << Cmd;
  std::remove(Path.c_str());
}

TEST(Dot, EmptyGraph) {
  std::string Dot = toDot(parseGraph("graph @e() {\n  return\n}\n"));
  EXPECT_THAT(Dot, HasSubstr("label=\"@e\""));
  EXPECT_THAT(Dot, Not(HasSubstr("cluster")));
}

} // namespace
