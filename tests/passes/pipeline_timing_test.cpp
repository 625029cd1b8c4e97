//===- pipeline_timing_test.cpp - Wall time of the default pipeline -------===//
//
// Reports, never asserts, how long the default pipeline takes: on the MLP
// classifier example (the budget is 10 ms), on MLPs of growing depth (up to
// 100 layers) and on random graphs of growing size (up to ~50,000 nodes),
// with the pass manager's --time-passes report for the largest of each. The
// sizes double, so linear growth shows as a constant time per node. Timing
// belongs to benchmarks; these tests only print (and check that the
// pipeline succeeds).
//
// The random graphs go up to NETJIT_PIPELINE_SCALING nodes (default
// 10,000; 50,000 takes about 10 s; 0 skips them).
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"
#include "random_graph.h"

#include "ir/builder.h"
#include "ir/parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace netjit {
namespace {

using namespace netjit::testing;

struct Timing {
  double MedianMs = 0, MinMs = 0;
  size_t NodesBefore = 0, NodesAfter = 0;
  std::string Report; ///< --time-passes of the last run
};

/// Runs the default pipeline on Reps copies of G (copying is not timed).
Timing timePipeline(const Graph &G, int Reps) {
  Timing T;
  T.NodesBefore = G.liveNodes().size();
  std::vector<double> Ms;
  for (int R = 0; R < Reps; ++R) {
    Graph H = cloneGraph(G);
    PassContext Ctx;
    PassManager PM = PassManager::parse(defaultPipeline());
    std::ostringstream Report;
    Instrumentation Instr;
    Instr.TimePasses = R + 1 == Reps;
    Instr.Out = &Report;
    auto Start = std::chrono::steady_clock::now();
    PM.run(H, Ctx, Instr);
    Ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - Start)
                     .count());
    T.NodesAfter = H.liveNodes().size();
    T.Report = Report.str();
  }
  std::sort(Ms.begin(), Ms.end());
  T.MedianMs = Ms[Ms.size() / 2];
  T.MinMs = Ms.front();
  return T;
}

void printTiming(const std::string &What, const Timing &T) {
  std::printf("[ timing   ] %-34s %7zu -> %7zu nodes  median %9.3f ms  min "
              "%9.3f ms  (%.2f us/node)\n",
              What.c_str(), T.NodesBefore, T.NodesAfter, T.MedianMs, T.MinMs,
              1000 * T.MedianMs / static_cast<double>(T.NodesBefore));
}

int largestGraph() {
  const char *E = std::getenv("NETJIT_PIPELINE_SCALING");
  return E ? std::atoi(E) : 10000;
}

/// An MLP of Layers relu layers of the given width (batch B, 10 classes),
/// the naive softmax cross-entropy at labels, and grads for every param.
Graph deepMlp(int Layers, int64_t Width) {
  Graph G("deep_mlp");
  Builder B(G);
  NodeId H = G.input("x", {DType::F32, {Dim::symbol("B"), Width}});
  NodeId Labels = G.input("labels", {DType::I64, {Dim::symbol("B")}});
  std::vector<NodeId> Params;
  for (int L = 0; L < Layers; ++L) {
    int64_t Out = L + 1 == Layers ? 10 : Width;
    NodeId W = G.param("w" + std::to_string(L), {DType::F32, {Width, Out}});
    NodeId Bias = G.param("b" + std::to_string(L), {DType::F32, {Out}});
    Params.insert(Params.end(), {W, Bias});
    H = B.binary(OpCode::Add, B.matmul(H, W), Bias);
    if (L + 1 < Layers)
      H = B.unary(OpCode::Relu, H);
  }
  NodeId LogP = B.unary(OpCode::Log, B.softmax(H, 1));
  NodeId Idx = B.reshape(Labels, {Dim::symbol("B"), 1});
  NodeId Loss =
      B.reduce(OpCode::Mean, B.unary(OpCode::Neg, B.gather(LogP, Idx, 1)));
  G.addOutput("loss", Loss);
  for (NodeId P : Params)
    G.addOutput("d." + G.node(P).Attributes.getString("name"), B.grad(Loss, P));
  return G;
}

/// A random graph of about Nodes nodes (a generator step makes ~4.7 nodes)
/// with at most 50 inputs, every value live, and the gradient of a
/// weighted sum of its values for every input.
Graph largeRandomGraph(int Nodes, uint64_t Seed) {
  RandomGraphOptions O;
  O.Steps = Nodes * 10 / 47;
  O.Probes = false;
  O.MaxInputs = 50;
  O.SumAll = true;
  RandomGraph RG = generateRandomGraph(Seed, O);
  return gradientGraph(costGraph(RG.G), RG.FloatInputs);
}

TEST(PipelineTiming, MlpClassifier) {
  if (!hasPass("autodiff"))
    GTEST_SKIP() << "autodiff is not registered yet";
  Graph G = parseGraphFile(std::string(NETJIT_SOURCE_DIR) +
                           "/examples/mlp_classifier_grad.nj");
  Timing T = timePipeline(G, 51);
  printTiming("mlp_classifier (budget 10 ms)", T);
  std::printf("%s", T.Report.c_str());
}

TEST(PipelineTiming, GrowsLinearly) {
  if (!hasPass("autodiff"))
    GTEST_SKIP() << "autodiff is not registered yet";
  Timing T;
  for (int Layers : {25, 50, 100}) {
    T = timePipeline(deepMlp(Layers, 64), 5);
    printTiming(std::to_string(Layers) + "-layer MLP", T);
  }
  std::printf("%s", T.Report.c_str());
  int Largest = largestGraph();
  if (Largest <= 0)
    return;
  std::vector<int> Sizes{Largest};
  while (Sizes.size() < 3 && Sizes.back() >= 2000)
    Sizes.push_back(Sizes.back() / 2);
  for (auto It = Sizes.rbegin(); It != Sizes.rend(); ++It) {
    T = timePipeline(largeRandomGraph(*It, 7), 1);
    printTiming("random graph, ~" + std::to_string(*It) + " nodes", T);
  }
  std::printf("%s", T.Report.c_str());
}

} // namespace
} // namespace netjit
