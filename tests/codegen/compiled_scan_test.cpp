//===- compiled_scan_test.cpp - Scans compiled to native loops ------------===//
//
// Scans run in compiled code as a loop over the call-time trip count whose
// body is a fused function of its own. Each test compiles a recurrent
// graph, checks that it did not fall back to the interpreter, and compares
// every output (losses, final and stacked carries, gradients from the
// autodiff's forward and reverse scans) with the interpreter on the graph
// after the default pipeline, over trip counts 0, 1, 2, 7 and 33 and odd
// batches: a vanilla RNN forward and reverse, an LSTM (two carries), a GRU
// in f32, length-only scans, sequences and constants in every role, a nested
// scan, an error inside a body, one function serving T = 10 and T = 1000
// without recompiling, and a scan reloaded from the disk cache.
// NETJIT_SCAN_BENCH=1 prints the time of an RNN's loss and gradients at
// T = 10, 100 and 1000.
//
//===----------------------------------------------------------------------===//
#include "codegen/compile_cache.h"
#include "compiled_check.h"

#include "../passes/scan_graphs.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace netjit {
namespace {

using namespace netjit::testing;
using scantest::B;
using scantest::f64;
using scantest::lstmGraph;
using scantest::makeScan;
using scantest::T;

/// Adds grad(loss, a) as output "d_a" for each named argument.
void addGradients(Graph &G, const std::vector<std::string> &Wrt) {
  Builder Bd(G);
  NodeId Loss = G.outputs()[0].Value;
  for (const std::string &A : Wrt)
    G.addOutput("d_" + A, Bd.grad(Loss, G.findArgument(A)));
}

/// Binds B and T (or L) over the trip counts of the issue.
std::vector<DimBindings> tripCounts(const std::string &Sym,
                                    std::vector<int64_t> Batches = {1, 3, 5}) {
  std::vector<DimBindings> Out;
  size_t I = 0;
  for (int64_t Steps : {0, 1, 2, 7, 33})
    Out.push_back({{"B", Batches[I++ % Batches.size()]}, {Sym, Steps}});
  return Out;
}

const Tolerance F64Tol{16, 0, nullptr, 1e-11};

TEST(CompiledScan, VanillaRnnForwardAndReverseWithGradients) {
  for (bool Reverse : {false, true}) {
    Graph G = scantest::rnnGraph(3, 5, Reverse);
    addGradients(G, {"h0", "xs", "w", "u", "b"});
    SCOPED_TRACE(Reverse ? "reverse" : "forward");
    expectMatchesInterpreter(G, tripCounts("T"), F64Tol, 3, -0.8, 0.8);
  }
}

TEST(CompiledScan, GradientGraphRunsBothScansCompiled) {
  Graph G = scantest::rnnGraph(3, 5, false);
  addGradients(G, {"w"});
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  int Forward = 0, Reverse = 0;
  for (NodeId Id : F.fusedGraph().liveNodes()) {
    const Node &N = F.fusedGraph().node(Id);
    if (N.Op != OpCode::Scan)
      continue;
    ++(N.Attributes.getBool("reverse") ? Reverse : Forward);
    // Each body went through the codegen passes: its work is in kernels.
    bool HasKernel = false;
    for (NodeId B : N.Body->liveNodes())
      HasKernel = HasKernel || N.Body->node(B).Op == OpCode::Kernel;
    EXPECT_TRUE(HasKernel) << printGraph(*N.Body);
  }
  EXPECT_EQ(Forward, 1);
  EXPECT_EQ(Reverse, 1);
  // One body function per scan, no loop unrolled by the emitter.
  EXPECT_THAT(F.llvmIR(), ::testing::HasSubstr("@s"));
}


TEST(CompiledScan, LstmWithTwoCarriesAndGradients) {
  Graph G = lstmGraph(3, 4, /*StateOutputs=*/true);
  addGradients(G, {"c0", "h0", "xs", "wx", "wh", "b"});
  expectMatchesInterpreter(G, tripCounts("T"), F64Tol, 5, -0.8, 0.8);
}

/// A GRU cell in f32: z = σ(x Wz + h Uz), r = σ(x Wr + h Ur),
/// n = tanh(x Wn + (r h) Un), h' = (1 - z) n + z h; the loss is the mean
/// square of every state.
Graph gruGraph(int64_t D, int64_t H) {
  auto F32 = [](Shape S) { return TensorType{DType::F32, std::move(S)}; };
  auto Body = std::make_shared<Graph>("gru");
  Builder Bb(*Body);
  NodeId Hc = Body->input("h", F32({B, H}));
  NodeId X = Body->input("x", F32({B, D}));
  std::vector<NodeId> W, U;
  for (const char *G : {"z", "r", "n"}) {
    W.push_back(Body->input(std::string("w") + G, F32({D, H})));
    U.push_back(Body->input(std::string("u") + G, F32({H, H})));
  }
  auto Pre = [&](int K, NodeId Hin) {
    return Bb.binary(OpCode::Add, Bb.matmul(X, W[K]), Bb.matmul(Hin, U[K]));
  };
  NodeId Z = Bb.unary(OpCode::Sigmoid, Pre(0, Hc));
  NodeId R = Bb.unary(OpCode::Sigmoid, Pre(1, Hc));
  NodeId N = Bb.unary(OpCode::Tanh, Pre(2, Bb.binary(OpCode::Mul, R, Hc)));
  NodeId One = Bb.make(OpCode::Broadcast, {Body->scalar(1.0)},
                       Attrs{{"shape", std::vector<Dim>{B, Dim(H)}}});
  NodeId Next = Bb.binary(
      OpCode::Add, Bb.binary(OpCode::Mul, Bb.binary(OpCode::Sub, One, Z), N),
      Bb.binary(OpCode::Mul, Z, Hc));
  Body->addOutput("", Next);
  Body->addOutput("", Next);

  Graph G("gru");
  Builder Bd(G);
  std::vector<NodeId> Ops = {G.input("h0", F32({B, H})),
                             G.input("xs", F32({T, B, D}))};
  for (const char *Gt : {"z", "r", "n"}) {
    Ops.push_back(G.param(std::string("w") + Gt, F32({D, H})));
    Ops.push_back(G.param(std::string("u") + Gt, F32({H, H})));
  }
  NodeId Scan = makeScan(G, Ops, 1, 1, false, Body);
  NodeId Sq = Bd.unary(OpCode::Square, Bd.result(Scan, 1));
  G.addOutput("loss", Bd.make(OpCode::Mean, {Sq},
                              Attrs{{"axes", std::vector<int64_t>{0, 1, 2}},
                                    {"keepdims", false}}));
  return G;
}

TEST(CompiledScan, GruInF32WithGradients) {
  Graph G = gruGraph(4, 6);
  addGradients(G, {"h0", "xs", "wz", "uz", "wr", "ur", "wn", "un"});
  expectMatchesInterpreter(G, tripCounts("T", {3, 7}),
                           Tolerance{16, 0, nullptr, 2e-5}, 9, -0.7, 0.7);
}

/// lengthScan's graph with the incoming h as a third per-step output; the
/// loss reads both the final carry and the stacked outputs.
Graph lengthScanOutputs(bool Reverse) {
  scantest::LengthScan L = scantest::lengthScan(Reverse, /*Incoming=*/true);
  Graph &G = L.G;
  Builder Bd(G);
  G.addOutput("loss", Bd.binary(OpCode::Add, L.Final, L.Steps));
  G.addOutput("h", Bd.result(L.Scan, 0));
  G.addOutput("ys", Bd.result(L.Scan, 1));
  G.addOutput("incoming", Bd.result(L.Scan, 2));
  return std::move(L.G);
}

TEST(CompiledScan, LengthOnlyScans) {
  for (bool Reverse : {false, true}) {
    Graph G = lengthScanOutputs(Reverse);
    addGradients(G, {"h0", "w", "b"});
    SCOPED_TRACE(Reverse ? "reverse" : "forward");
    expectMatchesInterpreter(G, tripCounts("L"), F64Tol, 7, -0.8, 0.8);
  }
}

/// Two sequences read in both directions, three carries (one passed
/// through unchanged, one integer step counter), a graph constant and an
/// argument passed as two constants, outputs that are a carry argument, a
/// constant and a sequence element, and a final carry nothing reads.
Graph mixedRoles(bool Reverse) {
  auto Body = std::make_shared<Graph>("body");
  Builder Bb(*Body);
  NodeId Acc = Body->input("acc", f64({B, 2}));
  NodeId Keep = Body->input("keep", f64({2}));
  NodeId Count = Body->input("count", {DType::I64, {}});
  NodeId X = Body->input("x", f64({B, 2}));
  NodeId Y = Body->input("y", f64({2}));
  NodeId K1 = Body->input("k1", f64({2, 2}));
  NodeId K2 = Body->input("k2", f64({2, 2}));
  NodeId C = Body->input("c", f64({2}));
  NodeId Row = [&] {
    return Bb.make(OpCode::Broadcast, {Bb.binary(OpCode::Add, Y, C)},
                   Attrs{{"shape", std::vector<Dim>{B, Dim(2)}}});
  }();
  NodeId Next = Bb.binary(OpCode::Add, Bb.matmul(Acc, K1),
                          Bb.binary(OpCode::Mul, Bb.matmul(X, K2), Row));
  NodeId Inc = Bb.binary(OpCode::Add, Count, Body->scalar(1, DType::I64));
  for (NodeId V : {Bb.unary(OpCode::Tanh, Next), Keep, Inc, Acc, C, X,
                   Bb.make(OpCode::Cast, {Count}, {{"dtype", DType::F64}})})
    Body->addOutput("", V);
  Graph G;
  Builder Bd(G);
  NodeId W = G.param("w", f64({2, 2}));
  double Values[] = {0.25, -1.5};
  Bytes Raw;
  Raw.Data.resize(sizeof Values);
  std::memcpy(Raw.Data.data(), Values, sizeof Values);
  NodeId Const = G.constant(f64({2}), Raw);
  NodeId Scan =
      makeScan(G,
               {G.input("acc0", f64({B, 2})), G.input("keep0", f64({2})),
                G.input("n0", {DType::I64, {}}), G.input("xs", f64({T, B, 2})),
                G.input("ys", f64({T, 2})), W, W, Const},
               3, 2, Reverse, Body);
  const char *Names[] = {"acc", "keep",   "n",     "incoming",
                         "cs",  "xs_out", "counts"};
  for (size_t I = 0; I < 7; ++I)
    if (I != 1) // the unchanged carry's final value is dead
      G.addOutput(Names[I], Bd.result(Scan, I));
  return G;
}

TEST(CompiledScan, SequencesCarriesAndConstantsInEveryRole) {
  for (bool Reverse : {false, true}) {
    SCOPED_TRACE(Reverse ? "reverse" : "forward");
    expectMatchesInterpreter(mixedRoles(Reverse), tripCounts("T", {1, 4, 5}),
                             F64Tol, 11, -1, 1);
  }
}

TEST(CompiledScan, NestedScan) {
  // The outer body runs an inner scan over a length of L steps on its
  // carry: h' = tanh(tanh^L(h) U + x).
  auto Inner = std::make_shared<Graph>("inner");
  {
    Builder Bb(*Inner);
    NodeId H = Inner->input("h", f64({B, 3}));
    NodeId Next = Bb.unary(OpCode::Tanh, H);
    Inner->addOutput("", Next);
  }
  auto Outer = std::make_shared<Graph>("outer");
  {
    Builder Bb(*Outer);
    auto [H, X, U] = scantest::carrySeqConstInputs(*Outer, 3, "h", "u");
    NodeId S = makeScan(*Outer, {H}, 1, 0, false, Inner, Dim::symbol("L"));
    NodeId Next = Bb.unary(
        OpCode::Tanh, Bb.binary(OpCode::Add, Bb.matmul(Bb.result(S, 0), U), X));
    Outer->addOutput("", Next);
    Outer->addOutput("", Next);
  }
  Graph G;
  Builder Bd(G);
  NodeId S = scantest::carrySeqConstScan(G, Outer, 3, "u");
  G.addOutput("loss", Bd.reduce(OpCode::Sum, Bd.result(S, 1)));
  G.addOutput("h", Bd.result(S, 0));
  addGradients(G, {"h0", "u"});
  std::vector<DimBindings> Binds;
  for (DimBindings Bind : tripCounts("T")) {
    Bind["L"] = Bind["T"] % 4;
    Binds.push_back(Bind);
  }
  expectMatchesInterpreter(G, Binds, F64Tol, 13, -1, 1);
}

TEST(CompiledScan, IndexErrorInABodyNamesTheScan) {
  auto Body = std::make_shared<Graph>("body");
  Builder Bb(*Body);
  NodeId H = Body->input("h", f64({B, 4}));
  NodeId Label = Body->input("label", {DType::I32, {B}});
  NodeId Hot = Bb.make(OpCode::OneHot, {Label},
                       Attrs{{"depth", int64_t{4}}, {"dtype", DType::F64}});
  NodeId Next = Bb.binary(OpCode::Add, H, Hot);
  Body->addOutput("", Next);
  Graph G;
  Builder Bd(G);
  NodeId S = makeScan(
      G, {G.input("h0", f64({B, 4})), G.input("labels", {DType::I32, {T, B}})},
      1, 1, false, Body);
  G.addOutput("h", Bd.result(S, 0));
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  CallContext Ctx = F.newContext();
  Tensor H0(DType::F64, {2, 4});
  Tensor Labels(DType::I32, {3, 2});
  for (int64_t I = 0; I < 6; ++I)
    Labels.set(I, I == 4 ? 9 : I % 4);
  TensorMap Args{{"h0", H0}, {"labels", Labels}}, None;
  expectRuntimeError([&] { F.call(Ctx, Args, None); },
                     {"body of scan", "one_hot", "9"});
  Labels.set(4, 1);
  Args.at("labels") = Labels;
  TensorMap Out = F.call(Ctx, Args, None);
  TensorMap Want = evaluate(G, Args);
  expectClose(Out.at("h"), Want.at("h"), "h", Tolerance{0});
}

/// The RNN's loss and gradients in f32 (B rows, H units, D inputs).
Graph rnnLossAndGradients(int64_t D, int64_t H) {
  Graph G("rnn");
  Builder Bd(G);
  NodeId S = scantest::rnnScan(G, DType::F32, D, H, /*Reverse=*/false);
  G.addOutput("loss",
              Bd.make(OpCode::Mean, {Bd.unary(OpCode::Square, Bd.result(S, 1))},
                      Attrs{{"axes", std::vector<int64_t>{0, 1, 2}},
                            {"keepdims", false}}));
  addGradients(G, {"w", "u", "b"});
  return G;
}

TEST(CompiledScan, OneFunctionServesAnyTripCount) {
  Graph G = rnnLossAndGradients(5, 8);
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  uint64_t Compiles = compileCacheStats().Compiles;
  size_t IRSize = F.llvmIR().size();
  Graph Ref = referenceGraph(G);
  CallContext Ctx = F.newContext();
  for (int64_t Steps : {10, 1000, 3}) {
    DimBindings Bind{{"B", 3}, {"T", Steps}};
    TensorMap Args = randomArgs(G, Bind, 17 + Steps, -0.5, 0.5);
    Reference Want = interpret(Ref, Args, Bind);
    Reference Got = runCompiled(F, Ctx, Args, Bind);
    for (const auto &[Name, V] : Want.Outputs)
      expectClose(Got.Outputs.at(Name), V, Name + " T=" + std::to_string(Steps),
                  Tolerance{16, 0, nullptr, 1e-5});
  }
  EXPECT_EQ(compileCacheStats().Compiles, Compiles);
  EXPECT_EQ(F.llvmIR().size(), IRSize);
}

TEST(CompiledScan, DiskCacheReloadsAScan) {
  std::string Dir = ::testing::TempDir() + "netjit_scan_cache_" +
                    std::to_string(::getpid());
  CompileOptions O;
  O.CacheDir = Dir;
  Graph G = rnnLossAndGradients(3, 4);
  DimBindings Bind{{"B", 3}, {"T", 5}};
  TensorMap Args = randomArgs(G, Bind, 23, -0.5, 0.5);
  CompiledFunction First = CompiledFunction::compile(G, O);
  ASSERT_FALSE(First.usesInterpreter()) << First.interpreterReason();
  CallContext C1 = First.newContext();
  Reference Want = runCompiled(First, C1, Args, Bind);
  clearCompileCache();
  uint64_t DiskHits = compileCacheStats().DiskHits;
  CompiledFunction Again = CompiledFunction::compile(G, O);
  EXPECT_EQ(compileCacheStats().DiskHits, DiskHits + 1);
  ASSERT_FALSE(Again.usesInterpreter());
  EXPECT_EQ(Again.llvmIR(), First.llvmIR());
  CallContext C2 = Again.newContext();
  Reference Got = runCompiled(Again, C2, Args, Bind);
  for (const auto &[Name, V] : Want.Outputs)
    expectClose(Got.Outputs.at(Name), V, Name, Tolerance{0});
  std::filesystem::remove_all(Dir);
}

/// NETJIT_SCAN_BENCH=1: the RNN's loss and gradients (B=32, H=64, D=64) at
/// T = 10, 100 and 1000, median of several calls each.
TEST(CompiledScan, StepTimeWhenAsked) {
  const char *Env = std::getenv("NETJIT_SCAN_BENCH");
  if (!Env || std::string(Env) != "1")
    GTEST_SKIP() << "set NETJIT_SCAN_BENCH=1 to time the RNN";
  Graph G = rnnLossAndGradients(64, 64);
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  CallContext Ctx = F.newContext();
  for (int64_t Steps : {10, 100, 1000}) {
    DimBindings Bind{{"B", 32}, {"T", Steps}};
    TensorMap Args = randomArgs(G, Bind, 1, -0.2, 0.2), None;
    std::vector<double> Times;
    for (int Rep = 0; Rep < (Steps < 1000 ? 41 : 11); ++Rep) {
      auto Start = std::chrono::steady_clock::now();
      F.call(Ctx, None, Args, Bind);
      Times.push_back(std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - Start)
                          .count());
    }
    std::sort(Times.begin(), Times.end());
    double Median = Times[Times.size() / 2];
    std::printf("rnn loss+grad B=32 H=64 T=%lld: %.1f us (%.2f us/step)\n",
                static_cast<long long>(Steps), Median, Median / Steps);
  }
}

} // namespace
} // namespace netjit
