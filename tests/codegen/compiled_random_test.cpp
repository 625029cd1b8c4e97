//===- compiled_random_test.cpp - Random graphs: JIT vs interpreter -------===//
//
// NETJIT_JIT_RANDOM_GRAPHS graphs (default kDefaultGraphs) from the passes'
// random-graph generator (tests/passes/random_graph.h: graphs over the
// elementwise, reduction, layout, matmul and softmax-family ops, symbolic B
// and N). Each seed contributes four graphs: its values and the gradients of
// a weighted sum of its outputs with respect to every input (so autodiff's
// layout and scatter ops reach the JIT too), each in f64 as generated and
// in f32 (the same text with every f64 made f32). To keep the test
// CI-sized, the graphs of kSeedsPerBatch seeds (100 graphs) are merged into
// one graph (arguments and outputs renamed per graph) and compiled as one
// function, so 10,000 graphs take 100 compiles. LLVM's optimizer and code
// generator cost about 60 ms per graph at -O3 and 3 ms at -O0 (the pipeline,
// planner and emitter are the same), so every NETJIT_JIT_RANDOM_O3_EVERY-th
// batch (default kO3Every: 300 of the 10,000 graphs; 1 for all, 0 for none)
// is compiled at -O3 and the others at -O0: the emitted code's meaning is
// checked on every graph, what LLVM's vectorizer and the IR's flags
// (noalias, reassoc, nsw) do with it on a share of them. The test prints
// its time and the largest error it saw relative to the bound.
//
// Every output must match the interpreter on the graph after the default
// pipeline for the generator's bindings (sizes 1 to 3) and larger odd ones
// (not multiples of any vector width): an element is right when it is
// within 4 ulps of the interpreter's (the vector math is within 3), or
// within kMagRel·u·mag of it, mag being the first-order rounding bound of
// addMagnitudeOutputs (Σ|terms| through sums and products, propagated
// through every op) and u the dtype's unit roundoff. kMagRel·u is 1e-6 in
// f32: the reduction bound of docs/codegen.md. NaN must match NaN and an
// infinity the same infinity.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"
#include "random_graph.h"

#include "passes/rewrite.h"

#include <chrono>
#include <cstdlib>
#include <regex>
#include <sstream>

namespace netjit::testing {
namespace {

constexpr int kDefaultGraphs = 10000, kSeedsPerBatch = 25, kO3Every = 34;
/// 1e-6 / 2^-24: in units of the unit roundoff, the f32 reduction bound.
constexpr double kMagRel = 16.777216;

int envInt(const char *Name, int Default) {
  if (const char *E = std::getenv(Name))
    return std::max(0, std::atoi(E));
  return Default;
}

/// G with every f64 made f32 (through the text form); nullopt when a
/// constant does not fit an f32.
std::optional<Graph> toF32(const Graph &G) {
  static const std::regex F64("\\bf64\\b");
  try {
    return parseGraph(std::regex_replace(printGraph(G), F64, "f32"));
  } catch (const Error &) {
    return std::nullopt;
  }
}

struct Case {
  uint64_t Seed;
  std::string What;
  Graph G;
};

/// The graphs of one seed: values and gradients, in f64 and f32.
void addCases(uint64_t Seed, std::vector<Case> &Cases) {
  RandomGraph RG = generateRandomGraph(Seed);
  Graph Values = withoutProbes(RG.G);
  std::optional<Graph> Grads;
  if (!RG.FloatInputs.empty())
    Grads = gradientGraph(costGraph(Values), RG.FloatInputs);
  if (std::optional<Graph> V = toF32(Values))
    Cases.push_back({Seed, "f32 values", std::move(*V)});
  if (Grads)
    if (std::optional<Graph> D = toF32(*Grads))
      Cases.push_back({Seed, "f32 gradients", std::move(*D)});
  Cases.push_back({Seed, "f64 values", std::move(Values)});
  if (Grads)
    Cases.push_back({Seed, "f64 gradients", std::move(*Grads)});
}

std::string prefix(size_t I) { return "g" + std::to_string(I) + "."; }

/// One graph holding every case, its arguments and outputs renamed
/// "g<i>.<name>".
Graph merge(const std::vector<Case> &Cases) {
  Graph M("batch");
  Builder B(M);
  for (size_t I = 0; I < Cases.size(); ++I) {
    const Graph &G = Cases[I].G;
    std::vector<NodeId> Map(G.size());
    for (NodeId A : G.arguments())
      Map[A.Index] = M.input(prefix(I) + G.node(A).Attributes.getString("name"),
                             G.type(A));
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
      M.addOutput(prefix(I) + O.Name, Map[O.Value.Index]);
  }
  return M;
}

/// The case an output "g<i>.<name>" belongs to.
size_t caseOf(const std::string &Output) {
  return static_cast<size_t>(std::stoul(Output.substr(1, Output.find('.'))));
}

/// The largest |want - got| / (u·mag) seen among elements more than 4 ulps
/// apart, per dtype (f64, f32): how close the test runs to its bound.
struct Worst {
  double Ratio[2] = {0, 0};
};

bool close(double Want, double Got, double Mag, DType T, Worst &W) {
  if (std::isnan(Want) || std::isnan(Got))
    return std::isnan(Want) && std::isnan(Got);
  if (std::isinf(Want) || std::isinf(Got))
    return Want == Got;
  if (ulpDistance(Got, Want, T) <= 4)
    return true;
  double U = T == DType::F32 ? 0x1p-24 : 0x1p-53;
  double Ratio = std::fabs(Want - Got) / (U * Mag);
  double &Max = W.Ratio[T == DType::F32];
  Max = std::max(Max, Ratio);
  return Ratio <= kMagRel;
}

/// Compiles one batch at OptLevel and compares every output with the
/// interpreter at every binding; returns the failures' descriptions.
std::vector<std::string> checkBatch(const std::vector<Case> &Cases,
                                    const std::vector<DimBindings> &Binds,
                                    int OptLevel, uint64_t ArgSeed,
                                    Worst &Err) {
  Graph M = merge(Cases);
  CompileOptions O;
  O.OptLevel = OptLevel;
  O.UseCache = false; // the batches are never compiled twice
  CompiledFunction F = CompiledFunction::compile(M, O);
  if (F.usesInterpreter()) {
    // Name the graphs the JIT does not take.
    std::vector<std::string> Failures;
    for (const Case &C : Cases) {
      CompiledFunction One = CompiledFunction::compile(C.G, O);
      if (One.usesInterpreter())
        Failures.push_back("seed " + std::to_string(C.Seed) + " (" + C.What +
                           ") is not compiled: " + One.interpreterReason() +
                           "\n" + printGraph(C.G));
    }
    if (Failures.empty())
      Failures.push_back("the batch is not compiled: " + F.interpreterReason());
    return Failures;
  }
  Graph Ref = referenceGraph(M);
  addMagnitudeOutputs(Ref);
  CallContext Ctx = F.newContext();
  std::vector<std::string> Failures;
  std::vector<char> Failed(Cases.size(), 0);
  for (const DimBindings &B : Binds) {
    TensorMap Args = randomArgs(M, B, ArgSeed++, -2, 2, 2);
    Reference Want = interpret(Ref, Args, B);
    Reference Got = runCompiled(F, Ctx, Args, B);
    for (const Output &Out : M.outputs()) {
      size_t C = caseOf(Out.Name);
      if (Failed[C])
        continue;
      const Tensor &V = Want.Outputs.at(Out.Name),
                   &W = Got.Outputs.at(Out.Name),
                   &Mag = Want.Outputs.at("mag." + Out.Name);
      if (!isFloat(V.dtype()))
        continue; // the generator's outputs are floats
      for (int64_t I = 0; I < V.numel(); ++I) {
        if (close(V.at(I), W.at(I), Mag.at(I), V.dtype(), Err))
          continue;
        Failed[C] = 1;
        std::ostringstream OS;
        OS << "seed " << Cases[C].Seed << " (" << Cases[C].What << "), -O"
           << OptLevel << ", output " << Out.Name.substr(prefix(C).size())
           << "[" << I << "]: interpreter " << V.at(I) << ", compiled "
           << W.at(I) << " (" << ulpDistance(W.at(I), V.at(I), V.dtype())
           << " ulps, mag " << Mag.at(I) << ") at";
        for (const auto &[K, Value] : B)
          OS << " " << K << "=" << Value;
        OS << "\n" << printGraph(Cases[C].G);
        Failures.push_back(OS.str());
        break;
      }
    }
  }
  return Failures;
}

TEST(CompiledRandom, GraphsAndGradientsMatchTheInterpreter) {
  int Graphs = envInt("NETJIT_JIT_RANDOM_GRAPHS", kDefaultGraphs);
  int O3Every = envInt("NETJIT_JIT_RANDOM_O3_EVERY", kO3Every);
  auto Start = std::chrono::steady_clock::now();
  int Done = 0, Failures = 0, Batch = 0, AtO3 = 0;
  Worst Err;
  uint64_t Seed = 0;
  while (Done < Graphs && Failures < 3) {
    std::vector<Case> Cases;
    std::vector<DimBindings> Binds;
    for (int S = 0;
         S < kSeedsPerBatch && Done + static_cast<int>(Cases.size()) < Graphs;
         ++S, ++Seed)
      addCases(Seed, Cases);
    if (Done + static_cast<int>(Cases.size()) > Graphs)
      Cases.resize(static_cast<size_t>(Graphs - Done));
    // The generator's bindings (the same for every seed), then odd sizes
    // past every vector width, and a single row.
    Binds = generateRandomGraph(0).Bindings;
    Binds.push_back({{"B", 17}, {"N", 33}});
    Binds.push_back({{"B", 1}, {"N", 19}});
    int OptLevel = O3Every > 0 && Batch % O3Every == 0 ? 3 : 0;
    AtO3 += OptLevel == 3 ? static_cast<int>(Cases.size()) : 0;
    for (const std::string &F : checkBatch(Cases, Binds, OptLevel, Seed, Err)) {
      ++Failures;
      ADD_FAILURE() << F;
    }
    Done += static_cast<int>(Cases.size());
    ++Batch;
  }
  double Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  std::printf("%d random graphs (%d at -O3) in %d compiled batches, %.1f s; "
              "largest error past 4 ulps: %.2f u*mag in f64, %.2f in f32 "
              "(bound %.1f)\n",
              Done, AtO3, Batch, Seconds, Err.Ratio[0], Err.Ratio[1], kMagRel);
}

} // namespace
} // namespace netjit::testing
