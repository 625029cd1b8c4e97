//===- compiled_random_test.cpp - Random graphs: JIT vs interpreter -------===//
//
// NETJIT_JIT_RANDOM_GRAPHS seeds (default kDefaultGraphs) of the passes'
// random-graph generator (tests/passes/random_graph.h: f64 graphs over the
// elementwise, reduction, layout, matmul and softmax-family ops, symbolic B
// and N), each contributing two graphs: its values, and the gradients of a
// weighted sum of its outputs with respect to every input (so autodiff's
// layout and scatter ops reach the JIT too). To keep the test CI-sized, the
// graphs of kBatch seeds are merged into one graph (inputs and outputs
// renamed per graph) and compiled as one module. Every output must match the
// interpreter on the graph after the default pipeline for the generator's
// bindings (sizes 1 to 3) and a larger one (B=17, N=33), within the passes'
// value tolerance |v - w| <= 1e-10·|v| + 1e-12·mag(v), mag(v) being the
// first-order rounding bound of addMagnitudeOutputs.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"
#include "random_graph.h"

#include "passes/rewrite.h"

#include <cstdlib>
#include <sstream>

namespace netjit::testing {
namespace {

constexpr int kDefaultGraphs = 300, kBatch = 25;
constexpr double kValueRel = 1e-10, kValueMag = 1e-12;

int graphCount() {
  if (const char *E = std::getenv("NETJIT_JIT_RANDOM_GRAPHS"))
    return std::max(1, std::atoi(E));
  return kDefaultGraphs;
}

/// One graph holding every graph of Gs, its arguments and outputs renamed
/// "g<i>.<name>".
Graph merge(const std::vector<Graph> &Gs) {
  Graph M("batch");
  Builder B(M);
  for (size_t I = 0; I < Gs.size(); ++I) {
    const Graph &G = Gs[I];
    std::string Prefix = "g" + std::to_string(I) + ".";
    std::vector<NodeId> Map(G.size());
    for (NodeId A : G.arguments())
      Map[A.Index] =
          M.input(Prefix + G.node(A).Attributes.getString("name"), G.type(A));
    for (NodeId Id : G.liveNodes()) {
      const Node &N = G.node(Id);
      if (N.Op == OpCode::Input || N.Op == OpCode::Param)
        continue;
      std::vector<NodeId> In;
      for (NodeId X : N.Inputs)
        In.push_back(Map[X.Index]);
      Map[Id.Index] = remake(B, N, In);
    }
    for (const Output &O : G.outputs())
      M.addOutput(Prefix + O.Name, Map[O.Value.Index]);
  }
  return M;
}

/// Empty when G compiles and matches the interpreter at every binding.
std::string check(const Graph &G, const std::vector<DimBindings> &Binds,
                  uint64_t Seed) {
  CompiledFunction F = CompiledFunction::compile(G);
  if (F.usesInterpreter())
    return "not compiled: " + F.interpreterReason();
  Graph Ref = referenceGraph(G);
  addMagnitudeOutputs(Ref);
  CallContext Ctx = F.newContext();
  for (const DimBindings &B : Binds) {
    TensorMap Args = randomArgs(G, B, Seed++, -2, 2, 2);
    Reference Want = interpret(Ref, Args, B);
    Reference Got = runCompiled(F, Ctx, Args, B);
    for (const Output &O : G.outputs()) {
      const Tensor &V = Want.Outputs.at(O.Name), &W = Got.Outputs.at(O.Name),
                   &M = Want.Outputs.at("mag." + O.Name);
      for (int64_t I = 0; I < V.numel(); ++I) {
        double A = V.at(I), C = W.at(I);
        double Tol = kValueRel * std::fabs(A) + kValueMag * M.at(I);
        bool Ok = std::isnan(A)   ? std::isnan(C)
                  : std::isinf(A) ? A == C
                                  : std::fabs(A - C) <= Tol;
        if (Ok)
          continue;
        std::ostringstream OS;
        OS << O.Name << "[" << I << "]: interpreter " << A << ", compiled " << C
           << " (tolerance " << Tol << ")";
        for (const auto &[K, V2] : B)
          OS << " " << K << "=" << V2;
        OS << "\nfused graph:\n" << printGraph(F.fusedGraph());
        return OS.str();
      }
    }
  }
  return "";
}

TEST(CompiledRandom, GraphsAndGradientsMatchTheInterpreter) {
  int Count = graphCount(), Failures = 0;
  for (int First = 0; First < Count && Failures < 3; First += kBatch) {
    std::vector<Graph> Gs;
    std::vector<DimBindings> Binds;
    for (int Seed = First; Seed < std::min(Count, First + kBatch); ++Seed) {
      RandomGraph RG = generateRandomGraph(static_cast<uint64_t>(Seed));
      Gs.push_back(withoutProbes(RG.G));
      if (!RG.FloatInputs.empty())
        Gs.push_back(gradientGraph(costGraph(Gs.back()), RG.FloatInputs));
      Binds = RG.Bindings; // the same for every seed
    }
    Binds.push_back({{"B", 17}, {"N", 33}});
    std::string Msg = check(merge(Gs), Binds, First);
    if (!Msg.empty()) {
      ++Failures;
      ADD_FAILURE()
          << "seeds " << First << " to " << First + kBatch - 1
          << " (output g<i>: "
          << "the i-th graph of the batch, values then gradients per seed): "
          << Msg;
    }
  }
}

} // namespace
} // namespace netjit::testing
