//===- scan_autodiff_test.cpp - Gradients through scan (BPTT) -------------===//
//
// The adjoint of scan against central finite differences in f64
// (gradcheck.h): a vanilla tanh RNN for T = 0, 1, 2, 7, forward and
// reverse, after autodiff alone and after the default pipeline; two carries
// (an LSTM cell); a constant used several times and passed twice; a scan
// with `length` and no sequence; losses that read only the final carry or
// only the stacked outputs; integer carries and sequences; nested scans; a
// grad request inside a scan body; and gradients of gradients through a
// scan. Truncated BPTT and the printed IR are in scan_bptt_test.cpp.
//
//===----------------------------------------------------------------------===//
#include "gradcheck.h"
#include "numeric_check.h"
#include "scan_graphs.h"

#include "ir/verifier.h"
#include "passes/autodiff.h"

#include <gtest/gtest.h>

#include <random>

using namespace netjit;
using namespace netjit::scantest;

namespace {

/// Values for every argument of G, uniform in [Lo, Hi] (integers in
/// [0, IntHi)), with the dims of Bind.
TensorMap argsFor(const Graph &G, const DimBindings &Bind, uint64_t Seed,
                  double Lo = -0.8, double Hi = 0.8, int64_t IntHi = 2) {
  return netjit::testing::randomArgs(G, Bind, Seed, Lo, Hi, IntHi);
}

/// The finite-difference options; Pipeline empty means autodiff alone.
gradcheck::Options options(std::string Pipeline = "") {
  gradcheck::Options O;
  O.Eps = 1e-6;
  O.RelTol = 1e-6;
  O.AbsTol = 1e-8;
  if (!Pipeline.empty())
    O.Expand = [Pipeline](Graph &G) {
      netjit::testing::runPipeline(G, Pipeline);
      verify(G);
    };
  else
    O.Expand = [](Graph &G) {
      PassContext Ctx;
      AutodiffPass().run(G, Ctx);
      verify(G);
    };
  return O;
}

int countScans(const Graph &G) {
  int N = 0;
  for (NodeId Id : G.liveNodes())
    N += G.node(Id).Op == OpCode::Scan;
  return N;
}

TEST(ScanAutodiff, VanillaRnnMatchesFiniteDifferences) {
  const std::vector<std::string> Wrt = {"w", "u", "b", "h0", "xs"};
  for (bool Reverse : {false, true})
    for (int64_t Steps : {0, 1, 2, 7}) {
      Graph G = rnnGraph(/*D=*/3, /*H=*/4, Reverse);
      TensorMap Args = argsFor(G, {{"B", 2}, {"T", Steps}}, 7 + Steps);
      for (std::string Pipeline :
           {"", "stabilize,autodiff,fix(simplify,cse),dce"})
        EXPECT_TRUE(
            gradcheck::checkGradients(G, "loss", Args, Wrt, options(Pipeline)))
            << "T=" << Steps << " reverse=" << Reverse << " pipeline '"
            << Pipeline << "'";
    }
}

TEST(ScanAutodiff, GradientGraphHasAForwardAndAReverseScan) {
  Graph G = rnnGraph(3, 4, /*Reverse=*/false);
  Builder Bd(G);
  NodeId Loss = gradcheck::outputNode(G, "loss");
  G.addOutput("gw", Bd.grad(Loss, G.findArgument("w")));
  G.addOutput("gu", Bd.grad(Loss, G.findArgument("u")));
  PassContext Ctx;
  AutodiffPass().run(G, Ctx);
  verify(G);
  // One forward scan stacking its incoming carries, one reverse scan shared
  // by both gradients (one sweep).
  EXPECT_EQ(countScans(G), 2);
  EXPECT_EQ(Ctx.Stats["autodiff.sweep"], 1);
  EXPECT_EQ(Ctx.Stats["autodiff.scan-stacked"], 1);
  int Reverse = 0;
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    if (N.Op != OpCode::Scan)
      continue;
    if (N.Attributes.getBool("reverse"))
      ++Reverse;
    else
      EXPECT_EQ(N.Results.size(), 3u); // h_T, hs, the incoming carries
  }
  EXPECT_EQ(Reverse, 1);
}


TEST(ScanAutodiff, LstmWithTwoCarries) {
  Graph G = lstmGraph(2, 3);
  for (int64_t Steps : {1, 4}) {
    TensorMap Args = argsFor(G, {{"B", 2}, {"T", Steps}}, 11 + Steps);
    EXPECT_TRUE(gradcheck::checkGradients(
        G, "loss", Args, {"c0", "h0", "xs", "wx", "wh", "b"}, options()))
        << "T=" << Steps;
  }
}

TEST(ScanAutodiff, ConstantUsedSeveralTimesAndPassedTwice) {
  // h' = tanh(h W + x W W + x V), with W passed as constants #0 and #1 of
  // the scan (the body reads #0 twice and #1 once).
  const int64_t H = 3;
  auto Body = std::make_shared<Graph>("body");
  Builder Bb(*Body);
  NodeId Hc = Body->input("h", f64({B, H}));
  NodeId X = Body->input("x", f64({B, H}));
  NodeId W1 = Body->input("w1", f64({H, H}));
  NodeId W2 = Body->input("w2", f64({H, H}));
  NodeId V = Body->input("v", f64({H, H}));
  NodeId Pre = Bb.binary(
      OpCode::Add, Bb.matmul(Hc, W1),
      Bb.binary(OpCode::Add, Bb.matmul(Bb.matmul(X, W1), W2), Bb.matmul(X, V)));
  NodeId Next = Bb.unary(OpCode::Tanh, Pre);
  Body->addOutput("", Next);
  Body->addOutput("", Next);
  Graph G;
  Builder Bd(G);
  NodeId W = G.param("w", f64({H, H}));
  NodeId Scan =
      makeScan(G,
               {G.input("h0", f64({B, H})), G.input("xs", f64({T, B, H})), W, W,
                G.param("v", f64({H, H}))},
               1, 1, false, Body);
  G.addOutput("loss", Bd.reduce(OpCode::Sum,
                                Bd.unary(OpCode::Square, Bd.result(Scan, 1))));
  TensorMap Args = argsFor(G, {{"B", 2}, {"T", 3}}, 5, -0.6, 0.6);
  EXPECT_TRUE(gradcheck::checkGradients(G, "loss", Args, {"w", "v", "h0", "xs"},
                                        options()));
}

/// lengthScan's graph whose loss reads only the final carry (Use 0), only
/// the stacked outputs (Use 1) or both.
Graph lengthScanLoss(bool Reverse, int Use) {
  LengthScan L = lengthScan(Reverse, /*Incoming=*/false);
  Builder Bd(L.G);
  L.G.addOutput("loss", Use == 0   ? L.Final
                        : Use == 1 ? L.Steps
                                   : Bd.binary(OpCode::Add, L.Final, L.Steps));
  return std::move(L.G);
}

TEST(ScanAutodiff, LengthWithoutSequences) {
  for (bool Reverse : {false, true})
    for (int Use : {0, 1, 2}) {
      Graph G = lengthScanLoss(Reverse, Use);
      gradcheck::Options O = options();
      O.Bindings = {{"L", 4}};
      TensorMap Args = argsFor(G, {{"B", 2}, {"L", 4}}, 3 + Use);
      EXPECT_TRUE(
          gradcheck::checkGradients(G, "loss", Args, {"h0", "w", "b"}, O))
          << "reverse=" << Reverse << " use=" << Use;
    }
}

TEST(ScanAutodiff, IntegerCarriesAndSequencesGetNoGradient) {
  // Carries: a step counter n (i64) and h; sequences: token ids (i64[T,B])
  // and weights xs; h' = tanh(one_hot(id) E + h U) * (1 + 0.1 n) + x;
  // outputs n', h', and sum(h') per step.
  const int64_t H = 3, V = 4;
  auto Body = std::make_shared<Graph>("body");
  Builder Bb(*Body);
  NodeId N = Body->input("n", {DType::I64, {}});
  NodeId Hc = Body->input("h", f64({B, H}));
  NodeId Id = Body->input("id", {DType::I64, {B}});
  NodeId X = Body->input("x", f64({B, H}));
  NodeId E = Body->input("e", f64({V, H}));
  NodeId U = Body->input("u", f64({H, H}));
  NodeId Emb = Bb.matmul(Bb.oneHot(Id, V, DType::F64), E);
  NodeId Scale = Bb.binary(OpCode::Add, Bb.scalar(1, DType::F64),
                           Bb.binary(OpCode::Mul, Bb.scalar(0.1, DType::F64),
                                     Bb.cast(N, DType::F64)));
  NodeId Next =
      Bb.binary(OpCode::Add,
                Bb.binary(OpCode::Mul,
                          Bb.unary(OpCode::Tanh, Bb.binary(OpCode::Add, Emb,
                                                           Bb.matmul(Hc, U))),
                          Scale),
                X);
  Body->addOutput("", Bb.binary(OpCode::Add, N, Bb.scalar(1, DType::I64)));
  Body->addOutput("", Next);
  Body->addOutput("", Bb.reduce(OpCode::Sum, Next, {1}));
  Graph G;
  Builder Bd(G);
  NodeId Scan = makeScan(
      G,
      {G.input("n0", {DType::I64, {}}), G.input("h0", f64({B, H})),
       G.input("ids", {DType::I64, {T, B}}), G.input("xs", f64({T, B, H})),
       G.param("e", f64({V, H})), G.param("u", f64({H, H}))},
      2, 2, true, Body);
  G.addOutput("loss",
              Bd.binary(OpCode::Add,
                        Bd.reduce(OpCode::Sum,
                                  Bd.unary(OpCode::Square, Bd.result(Scan, 2))),
                        Bd.reduce(OpCode::Sum, Bd.result(Scan, 1))));
  TensorMap Args = argsFor(G, {{"B", 2}, {"T", 3}}, 21, -0.8, 0.8, V);
  Args["n0"] = Tensor::scalar(2, DType::I64);
  EXPECT_TRUE(gradcheck::checkGradients(G, "loss", Args, {"h0", "xs", "e", "u"},
                                        options()));
}

TEST(ScanAutodiff, NestedScans) {
  // The outer step runs an inner scan of 2 steps over its carry:
  // g' = tanh(g W + x) twice, then h' = g * h + x; outputs h', h'.
  const int64_t H = 2;
  auto Inner = std::make_shared<Graph>("inner");
  {
    Builder Bi(*Inner);
    auto [Gc, X, W] = carrySeqConstInputs(*Inner, H, "g");
    NodeId Next =
        Bi.unary(OpCode::Tanh, Bi.binary(OpCode::Add, Bi.matmul(Gc, W), X));
    Inner->addOutput("", Next);
    Inner->addOutput("", Next);
  }
  auto Outer = std::make_shared<Graph>("outer");
  {
    Builder Bo(*Outer);
    auto [Hc, X, W] = carrySeqConstInputs(*Outer, H);
    NodeId S = makeScan(*Outer, {Hc, X, W}, 1, 0, false, Inner, Dim(2));
    NodeId Next =
        Bo.binary(OpCode::Add, Bo.binary(OpCode::Mul, Bo.result(S, 0), Hc), X);
    Outer->addOutput("", Next);
    Outer->addOutput("", Bo.reduce(OpCode::Sum, Bo.result(S, 1)));
  }
  Graph G;
  Builder Bd(G);
  NodeId Scan = carrySeqConstScan(G, Outer, H);
  G.addOutput("loss",
              Bd.binary(OpCode::Add, Bd.reduce(OpCode::Sum, Bd.result(Scan, 1)),
                        Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square,
                                                        Bd.result(Scan, 0)))));
  TensorMap Args = argsFor(G, {{"B", 2}, {"T", 3}}, 31);
  EXPECT_TRUE(
      gradcheck::checkGradients(G, "loss", Args, {"h0", "xs", "w"}, options()));
  EXPECT_TRUE(gradcheck::checkGradients(
      G, "loss", Args, {"h0", "xs", "w"},
      options("stabilize,autodiff,fix(simplify,cse),dce")));
}

TEST(ScanAutodiff, GradRequestInsideABodyIsExpanded) {
  // One step of gradient descent per scan step on e(h) = sum(tanh(h W)²):
  // h' = h - 0.1 * grad(e, h) + x, written with a grad request in the body.
  const int64_t H = 3;
  auto Body = std::make_shared<Graph>("descend");
  Builder Bb(*Body);
  auto [Hc, X, W] = carrySeqConstInputs(*Body, H);
  NodeId E = Bb.reduce(
      OpCode::Sum,
      Bb.unary(OpCode::Square, Bb.unary(OpCode::Tanh, Bb.matmul(Hc, W))));
  NodeId Next =
      Bb.binary(OpCode::Add,
                Bb.binary(OpCode::Sub, Hc,
                          Bb.binary(OpCode::Mul, Bb.scalar(0.1, DType::F64),
                                    Bb.grad(E, Hc))),
                X);
  Body->addOutput("", Next);
  Body->addOutput("", E);
  Graph G;
  Builder Bd(G);
  NodeId Scan = carrySeqConstScan(G, Body, H);
  G.addOutput("loss",
              Bd.binary(OpCode::Add, Bd.reduce(OpCode::Sum, Bd.result(Scan, 1)),
                        Bd.reduce(OpCode::Sum, Bd.result(Scan, 0))));
  // Expanded alone, the graph has no grad left, even in the body.
  Graph Expanded = G.compact();
  PassContext Ctx;
  EXPECT_TRUE(AutodiffPass().run(Expanded, Ctx));
  verify(Expanded);
  EXPECT_EQ(Ctx.Stats["autodiff.scan-body"], 1);
  EXPECT_EQ(Expanded.str().find("grad("), std::string::npos);
  // The gradient through it (a second derivative inside each step).
  TensorMap Args = argsFor(G, {{"B", 2}, {"T", 3}}, 41);
  EXPECT_TRUE(
      gradcheck::checkGradients(G, "loss", Args, {"h0", "xs", "w"}, options()));
}

TEST(ScanAutodiff, GradientOfGradient) {
  // loss2 = sum(dloss/dw ²): its gradient differentiates the reverse scan.
  for (bool Reverse : {false, true}) {
    Graph G = rnnGraph(2, 3, Reverse);
    Builder Bd(G);
    NodeId Gw = Bd.grad(gradcheck::outputNode(G, "loss"), G.findArgument("w"));
    G.addOutput("loss2", Bd.reduce(OpCode::Sum, Bd.unary(OpCode::Square, Gw)));
    TensorMap Args = argsFor(G, {{"B", 2}, {"T", 3}}, 51);
    gradcheck::Options O = options();
    O.RelTol = 1e-5;
    EXPECT_TRUE(gradcheck::checkGradients(G, "loss2", Args,
                                          {"w", "u", "b", "h0", "xs"}, O))
        << "reverse=" << Reverse;
  }
}

TEST(ScanAutodiff, UnusedResultsAndUnreachedOperands) {
  // A cost that reads nothing of the scan gives zeros, and its scan keeps
  // its body (no carries stacked).
  Graph G = rnnGraph(2, 3, false);
  Builder Bd(G);
  NodeId Other = G.param("other", f64({3}));
  NodeId Cost = Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, Other, Other));
  G.addOutput("gw", Bd.grad(Cost, G.findArgument("w")));
  G.addOutput("go", Bd.grad(Cost, Other));
  PassContext Ctx;
  AutodiffPass().run(G, Ctx);
  verify(G);
  EXPECT_EQ(Ctx.Stats["autodiff.scan-stacked"], 0);
  TensorMap Args = argsFor(G, {{"B", 1}, {"T", 2}}, 61);
  TensorMap Out = evaluate(G, Args);
  for (int64_t I = 0; I < Out.at("gw").numel(); ++I)
    EXPECT_EQ(Out.at("gw").at(I), 0.0);
}

} // namespace
