//===- fuse_random_test.cpp - Fusion of seeded random graphs --------------===//
//
// NETJIT_FUSE_GRAPHS seeded random graphs (default 500; random_graph.h), each
// as its forward graph and as a loss-plus-gradient graph, through codegen's
// pipeline (the default one, lower, fix(simplify,cse), dce) and then fuse:
// every kernel must fit the model (analyzeKernel), no elementwise op or
// reduction may stay outside a kernel, no node may be left unfusable, fusing
// twice must print the same text, and the fused graph must evaluate to the
// unfused one for two bindings of the symbolic dims (sizes 1 to 3). The
// interpreter evaluates a kernel's body with the same operations, so values
// are compared bit for bit (NaN matching NaN), unless fuse reshaped a
// reduction, which may change the order of a sum: then within 1e-12 of the
// output's largest magnitude.
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"
#include "random_graph.h"

#include "passes/kernel_info.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace netjit {
namespace {

using namespace netjit::testing;

int graphCount() {
  const char *E = std::getenv("NETJIT_FUSE_GRAPHS");
  return E ? std::max(1, std::atoi(E)) : 500;
}

/// What the fused graphs held, to show the test covers the model.
struct Coverage {
  int Kernels = 0, MultiLoop = 0, Late = 0, RowReductions = 0, Gathers = 0,
      Vetoes = 0, Reshaped = 0;
  void add(const Graph &Body, const KernelInfo &I) {
    ++Kernels;
    MultiLoop += I.NumLoops > 1;
    Late += !I.EpilogueS.empty() || !I.EpilogueLoop.empty();
    for (const auto &A : I.Accumulate)
      for (NodeId R : A)
        RowReductions += I.classOf(R) == ValueClass::Row;
    for (NodeId Id : Body.liveNodes())
      Gathers += Body.node(Id).Op == OpCode::Gather;
  }
};

/// Empty when G fuses correctly, else what went wrong.
std::string checkFusion(const Graph &G, const RandomGraph &RG, uint64_t Seed,
                        Coverage &Cov) {
  Graph Unfused = cloneGraph(G);
  runPipeline(Unfused,
              std::string(defaultPipeline()) + ",lower,fix(simplify,cse),dce");
  Graph Fused = cloneGraph(Unfused), Again = cloneGraph(Unfused);
  PassContext Ctx;
  runPipeline(Fused, "fuse", &Ctx);
  runPipeline(Again, "fuse");
  std::ostringstream Err;
  if (printGraph(Fused) != printGraph(Again))
    Err << "fuse is not deterministic\n";
  if (Ctx.Stats.count("fuse.unfusable"))
    Err << "unfusable nodes\n";
  for (NodeId Id : Fused.liveNodes()) {
    const Node &N = Fused.node(Id);
    if (hasTrait(N.Op, kElementwise) || N.Op == OpCode::Sum ||
        N.Op == OpCode::Max || N.Op == OpCode::Min || N.Op == OpCode::OneHot)
      Err << "left outside a kernel: " << printNode(Fused, Id) << "\n";
    std::string Why;
    if (N.Op != OpCode::Kernel)
      continue;
    if (std::optional<KernelInfo> I = tryAnalyzeKernel(*N.Body, &Why))
      Cov.add(*N.Body, *I);
    else
      Err << Why << "\n";
  }
  Cov.Vetoes += Ctx.Stats.count("fuse.veto-recompute") +
                Ctx.Stats.count("fuse.veto-loops");
  Cov.Reshaped += Ctx.Stats.count("fuse.reshape-reduction");
  bool Exact = !Ctx.Stats.count("fuse.reshape-reduction");
  for (size_t K = 0; K < 2 && Err.str().empty(); ++K) {
    const DimBindings &Bind = RG.Bindings[(Seed + K) % RG.Bindings.size()];
    EvalOptions EO;
    EO.Bindings = Bind;
    TensorMap Args = randomArgs(Unfused, Bind, Seed * 7 + K, -2, 2, 2),
              A2 = Args;
    TensorMap Want = evaluate(Unfused, Args, EO), Got = evaluate(Fused, A2, EO);
    for (const auto &[Name, V] : Want) {
      const Tensor &W = Got.at(Name);
      double Big = 0;
      for (int64_t I = 0; I < V.numel(); ++I)
        Big = std::max(Big, std::isfinite(V.at(I)) ? std::fabs(V.at(I)) : 0.0);
      for (int64_t I = 0; I < V.numel(); ++I)
        if (!closeEnough(V.at(I), W.at(I), 0, Exact ? 0 : 1e-12 * Big)) {
          Err << Name << "[" << I << "]: " << V.at(I) << " unfused, " << W.at(I)
              << " fused\n";
          break;
        }
    }
  }
  if (Err.str().empty())
    return "";
  return Err.str() + "unfused:\n" + printGraph(Unfused) + "fused:\n" +
         printGraph(Fused);
}

TEST(FuseRandom, FusedGraphsEvaluateLikeUnfusedOnes) {
  int Failures = 0;
  Coverage Cov;
  for (uint64_t Seed = 1;
       Seed <= static_cast<uint64_t>(graphCount()) && Failures < 3; ++Seed) {
    RandomGraph RG = generateRandomGraph(Seed);
    Graph F = withoutProbes(RG.G);
    Graph Grad = gradientGraph(costGraph(F), RG.FloatInputs);
    for (const Graph *G : {&F, &Grad}) {
      std::string Msg;
      try {
        Msg = checkFusion(*G, RG, Seed, Cov);
      } catch (const std::exception &E) {
        Msg = std::string("threw: ") + E.what() + "\n" + printGraph(*G);
      }
      if (!Msg.empty()) {
        ++Failures;
        ADD_FAILURE() << "seed " << Seed << ": " << Msg;
        break;
      }
    }
  }
  EXPECT_EQ(Failures, 0);
  std::printf(
      "fused %d graph pairs: %d kernels, %d with several loops, %d with late "
      "values, "
      "%d row reductions, %d gathers; %d graphs with a veto, %d with reshaped "
      "reductions\n",
      graphCount(), Cov.Kernels, Cov.MultiLoop, Cov.Late, Cov.RowReductions,
      Cov.Gathers, Cov.Vetoes, Cov.Reshaped);
  EXPECT_GT(Cov.MultiLoop, 0);
  EXPECT_GT(Cov.Late, 0);
}

} // namespace
} // namespace netjit
