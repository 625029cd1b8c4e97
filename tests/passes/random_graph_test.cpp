//===- random_graph_test.cpp - Passes on seeded random graphs -------------===//
//
// NETJIT_RANDOM_GRAPHS graphs (default kDefaultGraphs) from the generator in
// random_graph.h, each run through stabilize, simplify and larger pipelines
// (the default pipeline once autodiff is registered), must evaluate the same
// before and after: for an output value v of the original graph and w of the
// optimized one, |v - w| <= 1e-10·|v| + 1e-12·mag(v), where mag(v) >= |v| is
// a first-order bound on v's rounding error in units of the roundoff (Σ|terms|
// through sums, matmuls and reductions; addMagnitudeOutputs). stabilize must
// be idempotent and no pass may misreport a change. Once autodiff is
// registered, the gradients of a weighted sum of the outputs with respect to
// every f64 input, after "autodiff" alone and after the default pipeline,
// must match central finite differences, with the tolerance of the op
// families the graph uses (familyTolerance); inputs are redrawn until every
// kink (relu, abs, maximum, minimum, max, min) is at least kKinkGap away.
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"
#include "random_graph.h"

#include "ir/builder.h"
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

namespace netjit {
namespace {

using namespace netjit::testing;

/// Graphs per run unless NETJIT_RANDOM_GRAPHS says otherwise.
constexpr int kDefaultGraphs = 10000;
constexpr double kValueRel = 1e-10, kValueMag = 1e-12;
/// Central differences use the step h = kStep·max(1, |x|).
constexpr double kStep = 1e-5;
/// A kink closer than this to an input draw makes the draw unusable.
constexpr double kKinkGap = 1e-3;

/// 0: linear ops only, 1: piecewise-linear ones too, 2: smooth ones too.
int familyClass(uint32_t Families) {
  return Families & kFamilySmooth ? 2 : Families & kFamilyPiecewise ? 1 : 0;
}

/// Gradient tolerance per op family: |g - fd| <= tol·max(1, |g|, |fd|),
/// for the most demanding family in the graph. Linear and piecewise-linear
/// ops (away from kinks) leave only rounding in the differences, about
/// 1e-16·|cost| / h; smooth ops add the truncation error h²·|f'''|/6, with
/// |f'''| up to ~1e3 on the generator's tamed ranges. Over the 10,000
/// default graphs the worst errors seen were 5.6e-11 (linear), 5.2e-11
/// (piecewise) and 3e-8 (smooth): the tolerances leave 30x room or more.
double familyTolerance(uint32_t Families) {
  return Families & kFamilySmooth ? 1e-6 : 1e-8;
}

int graphCount() {
  if (const char *E = std::getenv("NETJIT_RANDOM_GRAPHS"))
    return std::max(1, std::atoi(E));
  return kDefaultGraphs;
}

/// The arguments of G (by name) taken from All.
TensorMap argsFor(const Graph &G, const TensorMap &All) {
  TensorMap Out;
  for (NodeId A : G.arguments()) {
    const std::string &Name = G.node(A).Attributes.getString("name");
    Out.emplace(Name, All.at(Name));
  }
  return Out;
}

struct Summary {
  int Graphs = 0, Nodes = 0, GradientChecks = 0, KinkSkips = 0;
  /// Graphs each pipeline of checkValues changed (by pipeline index).
  std::vector<int> Changed;
  /// The largest |g - fd| / max(1, |g|, |fd|) seen per family class
  /// (familyClass), to show how much room the tolerances leave.
  double WorstGradError[3] = {0, 0, 0};
};

class GraphCheck {
public:
  GraphCheck(uint64_t Seed, Summary &Sum)
      : Seed(Seed), Sum(Sum), RG(generateRandomGraph(Seed)),
        F(withoutProbes(RG.G)) {}

  /// Empty on success, else what went wrong.
  std::string run();

private:
  std::string checkValues(const std::vector<std::string> &Pipelines);
  std::string checkGradients();
  std::string compareWithDifferences(const Graph &C, const Graph &H,
                                     const TensorMap &Args,
                                     const DimBindings &Bind);
  double cost(const Graph &C, TensorMap &Args, const DimBindings &Bind) const;
  TensorMap probes(const TensorMap &Args, const DimBindings &Bind) const;
  bool awayFromKinks(const TensorMap &Args, const TensorMap &Other,
                     const DimBindings &Bind) const;

  uint64_t Seed;
  Summary &Sum;
  RandomGraph RG;
  Graph F;
};

std::string GraphCheck::run() {
  Sum.Nodes += static_cast<int>(F.liveNodes().size());
  std::vector<std::string> Pipelines{"stabilize", "simplify",
                                     "stabilize,fix(simplify,cse),dce"};
  if (hasPass("autodiff"))
    Pipelines.emplace_back(defaultPipeline());
  std::string Msg = checkValues(Pipelines);
  if (Msg.empty() && hasPass("autodiff"))
    Msg = checkGradients();
  return Msg;
}

std::string GraphCheck::checkValues(const std::vector<std::string> &Pipelines) {
  Graph Ref = cloneGraph(F);
  addMagnitudeOutputs(Ref);
  std::vector<Graph> Opt;
  Sum.Changed.resize(Pipelines.size());
  for (size_t P = 0; P < Pipelines.size(); ++P) {
    Opt.push_back(cloneGraph(F));
    Sum.Changed[P] += runPipeline(Opt.back(), Pipelines[P]);
  }
  // stabilize reaches its fixed point in one run.
  PassContext Again;
  if (createPass("stabilize")->run(Opt[0], Again))
    return "stabilize changed its own output:\n" + printGraph(Opt[0]);
  for (size_t K = 0; K < 2; ++K) {
    const DimBindings &Bind = RG.Bindings[(Seed + K) % RG.Bindings.size()];
    TensorMap Args = randomArgs(F, Bind, Seed * 31 + K, -2, 2, 2);
    EvalOptions EO;
    EO.Bindings = Bind;
    TensorMap Want = evaluate(Ref, Args, EO);
    for (size_t P = 0; P < Opt.size(); ++P) {
      TensorMap Got = evaluate(Opt[P], Args, EO);
      for (const Output &O : F.outputs()) {
        const Tensor &V = Want.at(O.Name), &W = Got.at(O.Name),
                     &M = Want.at("mag." + O.Name);
        for (int64_t I = 0; I < V.numel(); ++I) {
          double Tol = kValueRel * std::fabs(V.at(I)) + kValueMag * M.at(I);
          if (closeEnough(V.at(I), W.at(I), 0, Tol))
            continue;
          std::ostringstream OS;
          OS << "pipeline '" << Pipelines[P] << "' changed " << O.Name << "["
             << I << "]: " << V.at(I) << " -> " << W.at(I) << " (tolerance "
             << Tol << ")\nafter:\n"
             << printGraph(Opt[P]);
          return OS.str();
        }
      }
    }
  }
  return "";
}

double GraphCheck::cost(const Graph &C, TensorMap &Args,
                        const DimBindings &Bind) const {
  EvalOptions EO;
  EO.Bindings = Bind;
  return evaluate(C, Args, EO).at("cost").at(0);
}

TensorMap GraphCheck::probes(const TensorMap &Args,
                             const DimBindings &Bind) const {
  TensorMap A = argsFor(RG.G, Args), Out;
  EvalOptions EO;
  EO.Bindings = Bind;
  for (auto &[Name, T] : evaluate(RG.G, A, EO))
    if (Name.rfind("probe.", 0) == 0)
      Out.emplace(Name, std::move(T));
  return Out;
}

/// Whether every kink probe of Args is at least kKinkGap from its kink,
/// except the structural ones: probe elements with the same value at an
/// unrelated draw (Other), such as relu(x - x) or a tie between copies of
/// one value, whose kink does not move with the inputs.
bool GraphCheck::awayFromKinks(const TensorMap &Args, const TensorMap &Other,
                               const DimBindings &Bind) const {
  for (const auto &[Name, T] : probes(Args, Bind))
    for (int64_t I = 0; I < T.numel(); ++I)
      if (std::fabs(T.at(I)) < kKinkGap && T.at(I) != Other.at(Name).at(I))
        return false;
  return true;
}

std::string GraphCheck::checkGradients() {
  Graph C = costGraph(F);
  const DimBindings &Bind = RG.Bindings[Seed % RG.Bindings.size()];
  TensorMap Args, Other = probes(randomArgs(C, Bind, ~Seed, -2, 2, 2), Bind);
  bool Found = false;
  for (uint64_t Try = 0; Try < 8 && !Found; ++Try) {
    Args = randomArgs(C, Bind, Seed * 131 + Try, -2, 2, 2);
    Found = awayFromKinks(Args, Other, Bind);
  }
  if (!Found) {
    ++Sum.KinkSkips; // e.g. relu(x) feeding a max: ties for every draw
    return "";
  }
  Graph G = gradientGraph(C, RG.FloatInputs);
  for (std::string P :
       {std::string("autodiff"), std::string(defaultPipeline())}) {
    Graph H = cloneGraph(G);
    runPipeline(H, P);
    std::string Msg = compareWithDifferences(C, H, Args, Bind);
    if (!Msg.empty())
      return "after '" + P + "', " + Msg + "gradient graph:\n" + printGraph(H);
  }
  return "";
}

/// Checks up to ~6 entries of each gradient output "d.X" of H against
/// central differences of C's cost.
std::string GraphCheck::compareWithDifferences(const Graph &C, const Graph &H,
                                               const TensorMap &Args,
                                               const DimBindings &Bind) {
  double Tol = familyTolerance(RG.Families);
  EvalOptions EO;
  EO.Bindings = Bind;
  TensorMap A = Args;
  TensorMap Grads = evaluate(H, A, EO);
  for (const std::string &X : RG.FloatInputs) {
    const Tensor &Gx = Grads.at("d." + X);
    int64_t Stride = std::max<int64_t>(1, Gx.numel() / 6);
    for (int64_t I = (Seed % Stride); I < Gx.numel(); I += Stride) {
      TensorMap Plus = Args, Minus = Args;
      double X0 = Args.at(X).at(I), H0 = kStep * std::max(1.0, std::fabs(X0));
      Plus.at(X).set(I, X0 + H0);
      Minus.at(X).set(I, X0 - H0);
      double Fd = (cost(C, Plus, Bind) - cost(C, Minus, Bind)) / (2 * H0);
      double Gv = Gx.at(I);
      double Scale = Tol * std::max({1.0, std::fabs(Fd), std::fabs(Gv)});
      double &Worst = Sum.WorstGradError[familyClass(RG.Families)];
      Worst = std::max(Worst, std::fabs(Gv - Fd) * Tol / Scale);
      ++Sum.GradientChecks;
      if (std::fabs(Gv - Fd) <= Scale)
        continue;
      std::ostringstream OS;
      OS << "d cost / d " << X << "[" << I << "] = " << Gv
         << " but central differences give " << Fd << " (tolerance " << Scale
         << ")\ncost graph:\n"
         << printGraph(C);
      return OS.str();
    }
  }
  return "";
}

TEST(RandomGraphTest, PassesPreserveValuesAndGradients) {
  int N = graphCount(), Failures = 0;
  Summary Sum;
  auto Start = std::chrono::steady_clock::now();
  for (int Seed = 1; Seed <= N && Failures < 5; ++Seed) {
    std::string Msg;
    try {
      Msg = GraphCheck(static_cast<uint64_t>(Seed), Sum).run();
    } catch (const std::exception &E) {
      Msg = std::string("threw: ") + E.what();
      try {
        Msg += "\ngraph:\n" + printGraph(generateRandomGraph(Seed).G);
      } catch (const std::exception &) {
        Msg += " (while generating the graph)";
      }
    }
    ++Sum.Graphs;
    if (!Msg.empty()) {
      ++Failures;
      ADD_FAILURE() << "random graph seed " << Seed << ": " << Msg;
    }
  }
  double Secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  std::printf(
      "[ random   ] %d graphs (%d live nodes), %d gradient entries checked "
      "(worst relative error: linear %.2g, piecewise %.2g, smooth %.2g), "
      "%d kink skips, %.1f s%s\n",
      Sum.Graphs, Sum.Nodes, Sum.GradientChecks, Sum.WorstGradError[0],
      Sum.WorstGradError[1], Sum.WorstGradError[2], Sum.KinkSkips, Secs,
      hasPass("autodiff") ? "" : " (autodiff not registered: values only)");
  std::printf("[ random   ] graphs changed by stabilize %d, simplify %d, "
              "stabilize+simplify+cse+dce %d\n",
              Sum.Changed.at(0), Sum.Changed.at(1), Sum.Changed.at(2));
  EXPECT_LE(Sum.KinkSkips, Sum.Graphs / 20)
      << "too many graphs skipped their gradient check";
}

TEST(RandomGraphTest, GeneratorIsDeterministic) {
  for (uint64_t Seed : {1u, 2u, 99u})
    EXPECT_EQ(printGraph(generateRandomGraph(Seed).G),
              printGraph(generateRandomGraph(Seed).G));
}

} // namespace
} // namespace netjit
