//===- scan_bptt_test.cpp - Truncated BPTT and the printed gradient scans -===//
//
// `bptt_limit=K` against the RNN unrolled by hand with the truncation
// spelled as stop_gradient (scan_graphs.h), forward and reverse, for limits
// below, at and above the trip count, with T symbolic (the reverse scan
// counts its steps) and static (a limit >= T is dropped). The gradient
// graph of a tiny RNN, after the default pipeline, is compared with the
// reviewed golden text tests/passes/golden/rnn_scan_grad.nj (a forward scan
// that stacks its incoming carries and a reverse scan), parses back to the
// same text and evaluates to the same values; so does a truncated one. The
// rest of the pass pipeline (lower, fuse) accepts the gradient scans.
//
// Set NETJIT_UPDATE_GOLDEN=1 to rewrite the golden file after a deliberate
// change; review the diff before committing it.
//
//===----------------------------------------------------------------------===//
#include "gradcheck.h"
#include "numeric_check.h"
#include "scan_graphs.h"

#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

using namespace netjit;
using namespace netjit::scantest;
using ::testing::HasSubstr;

namespace {

const std::vector<std::string> kWrt = {"w", "u", "b", "h0", "xs"};

TEST(ScanBptt, TruncationMatchesStopGradientUnrolled) {
  const int64_t D = 3, H = 4, Steps = 7, Batch = 2;
  for (bool Reverse : {false, true})
    for (int64_t Limit : {1, 3, 6, 7, 10}) {
      Graph Scan = rnnGraph(D, H, Reverse, Limit);
      Graph Hand = unrolledRnn(D, H, Reverse, Steps, Batch, Limit);
      TensorMap Args = netjit::testing::randomArgs(
          Scan, {{"B", Batch}, {"T", Steps}}, 100 + Limit, -0.8, 0.8);
      TensorMap Got = gradcheck::analyticGradients(Scan, "loss", Args, kWrt);
      TensorMap Want = gradcheck::analyticGradients(Hand, "loss", Args, kWrt);
      for (const std::string &W : kWrt)
        EXPECT_TRUE(gradcheck::allClose(Got.at(W), Want.at(W), 1e-12, 1e-14))
            << "d/d" << W << " reverse=" << Reverse << " limit=" << Limit;
      // The truncation changes gradients, never values.
      TensorMap A1 = Args, A2 = Args;
      EXPECT_NEAR(evaluate(Scan, A1).at("loss").at(0),
                  evaluate(Hand, A2).at("loss").at(0), 1e-12);
    }
}

TEST(ScanBptt, TruncationChangesTheGradientOnlyBelowTheTripCount) {
  const std::vector<std::string> Wrt = {"u"};
  Graph Full = rnnGraph(2, 3, false);
  TensorMap Args =
      netjit::testing::randomArgs(Full, {{"B", 1}, {"T", 5}}, 3, -0.8, 0.8);
  Tensor G0 = gradcheck::analyticGradients(Full, "loss", Args, Wrt).at("u");
  Tensor G5 =
      gradcheck::analyticGradients(rnnGraph(2, 3, false, 5), "loss", Args, Wrt)
          .at("u");
  Tensor G2 =
      gradcheck::analyticGradients(rnnGraph(2, 3, false, 2), "loss", Args, Wrt)
          .at("u");
  EXPECT_TRUE(gradcheck::allClose(G5, G0, 0, 0));
  EXPECT_FALSE(gradcheck::allClose(G2, G0, 1e-6, 0));
}

TEST(ScanBptt, StaticTripCountWithinTheLimitNeedsNoCounter) {
  // With T = 3 known and bptt_limit=5, the reverse scan is the plain one.
  auto Body = std::make_shared<Graph>("body");
  Builder Bb(*Body);
  NodeId Hc = Body->input("h", f64({2}));
  NodeId X = Body->input("x", f64({2}));
  NodeId Next = Bb.unary(OpCode::Tanh, Bb.binary(OpCode::Mul, Hc, X));
  Body->addOutput("", Next);
  Body->addOutput("", Next);
  for (int64_t Limit : {0, 5}) {
    Graph G;
    Builder Bd(G);
    NodeId H0 = G.input("h0", f64({2}));
    NodeId S = makeScan(G, {H0, G.input("xs", f64({3, 2}))}, 1, 1, false, Body,
                        std::nullopt, Limit);
    G.addOutput("g", Bd.grad(Bd.reduce(OpCode::Sum, Bd.result(S, 1)), H0));
    PassContext Ctx;
    AutodiffPass().run(G, Ctx);
    EXPECT_EQ(G.str().find("i64"), std::string::npos) << "limit " << Limit;
  }
}

TEST(ScanBptt, LimitMustBePositive) {
  auto Body = std::make_shared<Graph>("body");
  Body->addOutput("", Body->input("h", f64({2})));
  Graph G;
  try {
    makeScan(G, {G.input("h0", f64({2}))}, 1, 0, false, Body, Dim(3), -1);
    FAIL() << "expected a TypeError";
  } catch (const TypeError &E) {
    EXPECT_THAT(E.what(),
                HasSubstr("attribute 'bptt_limit' must be at least 1, got -1"));
  }
}

std::string sourcePath(const std::string &Rel) {
  return std::string(NETJIT_SOURCE_DIR) + "/" + Rel;
}

const char *const kGolden = "tests/passes/golden/rnn_scan_grad.nj";

const char *const kTinyRnn =
    R"(graph @tiny_rnn(%xs: f64[T,1,2], %h0: f64[1,2], param %w: f64[2,2]) {
  %0 = scan(%h0, %xs, %w) {num_carry=1, num_seqs=1, reverse=false} : (f64[1,2], f64[T,1,2]) body(%h: f64[1,2], %x: f64[1,2], %w: f64[2,2]) {
    %0 = matmul(%h, %w) : f64[1,2]
    %1 = add(%0, %x) : f64[1,2]
    %2 = tanh(%1) : f64[1,2]
    return %2, %2
  }
  %1 = result(%0) {index=1} : f64[T,1,2]
  %2 = square(%1) : f64[T,1,2]
  %3 = sum(%2) {axes=[0, 1, 2], keepdims=false} : f64[]
  %4 = grad(%3, %w) : f64[2,2]
  return loss = %3, gw = %4
}
)";

/// The golden file without its leading `//` comment block.
std::string goldenText() {
  std::ifstream In(sourcePath(kGolden));
  std::string Line, Text;
  bool Header = true;
  while (std::getline(In, Line)) {
    if (Header && (Line.rfind("//", 0) == 0 || Line.empty()))
      continue;
    Header = false;
    Text += Line + "\n";
  }
  return Text;
}

/// Prints G, parses the text back, and checks that it prints the same and
/// evaluates to the same outputs at Args.
void expectRoundTrip(const Graph &G, TensorMap Args) {
  std::string Text = printGraph(G);
  Graph Parsed = parseGraph(Text);
  verify(Parsed);
  EXPECT_EQ(printGraph(Parsed), Text);
  TensorMap A1 = Args, A2 = Args;
  TensorMap Want = evaluate(G, A1), Got = evaluate(Parsed, A2);
  for (const auto &[Name, V] : Want)
    EXPECT_TRUE(gradcheck::allClose(Got.at(Name), V, 0, 0)) << Name;
}

TEST(ScanBptt, TinyRnnGradientMatchesGoldenAndRoundTrips) {
  Graph G = parseGraph(kTinyRnn);
  Graph Source = G.compact();
  netjit::testing::runPipeline(G, defaultPipeline());
  verify(G);
  std::string Got = printGraph(G);
  if (std::getenv("NETJIT_UPDATE_GOLDEN")) {
    std::ofstream Out(sourcePath(kGolden));
    Out << "// The default pipeline's output for the tiny RNN of\n"
        << "// tests/passes/scan_bptt_test.cpp (kTinyRnn): a forward scan "
           "that\n"
        << "// also stacks its incoming carries, then the reverse scan of\n"
        << "// back-propagation through time. Regenerate with\n"
        << "// NETJIT_UPDATE_GOLDEN=1 and review the diff by hand.\n"
        << Got;
  }
  EXPECT_EQ(Got, goldenText());
  // One forward and one reverse scan.
  EXPECT_THAT(Got, HasSubstr("{num_carry=1, num_seqs=1, reverse=false} : "
                             "(f64[1,2], f64[T,1,2], f64[T,1,2])"));
  EXPECT_THAT(Got, HasSubstr("reverse=true"));
  TensorMap Args = netjit::testing::randomArgs(G, {{"T", 4}}, 9, -0.8, 0.8);
  expectRoundTrip(G, Args);
  EXPECT_TRUE(gradcheck::checkGradients(Source.compact(), "loss", Args, {"w"}));
}

TEST(ScanBptt, TruncatedGradientRoundTrips) {
  Graph G = rnnGraph(2, 3, true, 2);
  Builder Bd(G);
  NodeId Loss = gradcheck::outputNode(G, "loss");
  for (const std::string &W : kWrt)
    G.addOutput("g" + W, Bd.grad(Loss, G.findArgument(W)));
  netjit::testing::runPipeline(G, defaultPipeline());
  verify(G);
  EXPECT_THAT(printGraph(G), HasSubstr("bptt_limit=2"));
  expectRoundTrip(
      G, netjit::testing::randomArgs(G, {{"B", 2}, {"T", 4}}, 8, -0.8, 0.8));
}

TEST(ScanBptt, LowerAndFuseAcceptTheGradientScans) {
  Graph G = rnnGraph(3, 4, false);
  Builder Bd(G);
  NodeId Loss = gradcheck::outputNode(G, "loss");
  for (const std::string &W : kWrt)
    G.addOutput("g" + W, Bd.grad(Loss, G.findArgument(W)));
  Graph Plain = G.compact();
  netjit::testing::runPipeline(Plain, "autodiff");
  netjit::testing::runPipeline(G,
                               std::string(defaultPipeline()) + ",lower,fuse");
  verify(G);
  TensorMap Args =
      netjit::testing::randomArgs(G, {{"B", 2}, {"T", 3}}, 4, -0.8, 0.8);
  TensorMap A1 = Args, A2 = Args;
  TensorMap Want = evaluate(Plain, A1), Got = evaluate(G, A2);
  for (const auto &[Name, V] : Want)
    EXPECT_TRUE(gradcheck::allClose(Got.at(Name), V, 1e-12, 1e-14)) << Name;
}

} // namespace
