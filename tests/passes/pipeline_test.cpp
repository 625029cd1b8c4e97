//===- pipeline_test.cpp - The default pipeline on an MLP classifier ------===//
//
// examples/mlp_classifier_grad.nj (784 -> 256 relu -> 10, softmax, the
// cross-entropy at integer labels, grads for all four params) through the
// default pipeline: the result is compared with the reviewed golden text in
// tests/passes/golden/mlp_classifier.nj, checked structurally (no log of a
// softmax, every gradient flows from softmax(logits) - one_hot(labels)), and
// numerically against a plain C++ forward and backward pass written here.
// With logits around 1e4 the naive graph's loss and gradients are inf/NaN
// and the optimized ones finite. Wall times are printed, never asserted
// (timing belongs to benchmarks).
//
// Set NETJIT_UPDATE_GOLDEN=1 to rewrite the golden file after a deliberate
// change of a pass; review the diff before committing it.
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"
#include "random_graph.h"

#include "ir/builder.h"
#include "ir/parser.h"
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace netjit {
namespace {

using namespace netjit::testing;

std::string sourcePath(const std::string &Rel) {
  return std::string(NETJIT_SOURCE_DIR) + "/" + Rel;
}

const char *const kExample = "examples/mlp_classifier_grad.nj";
const char *const kGolden = "tests/passes/golden/mlp_classifier.nj";

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

Graph optimizedMlp() {
  Graph G = parseGraphFile(sourcePath(kExample));
  runPipeline(G, defaultPipeline());
  return G;
}

#define REQUIRE_AUTODIFF()                                                     \
  if (!hasPass("autodiff"))                                                    \
  GTEST_SKIP() << "autodiff is not registered yet"

TEST(PipelineTest, MlpClassifierMatchesGolden) {
  REQUIRE_AUTODIFF();
  std::string Got = printGraph(optimizedMlp());
  if (std::getenv("NETJIT_UPDATE_GOLDEN")) {
    std::ofstream Out(sourcePath(kGolden));
    Out << "// The default pipeline's output for " << kExample << ":\n"
        << "// `netjit opt " << kExample << "`. Regenerate with\n"
        << "// NETJIT_UPDATE_GOLDEN=1 and review the diff by hand.\n"
        << Got;
  }
  EXPECT_EQ(Got, goldenText());
}

/// Whether From is Target or uses it, transitively.
bool dependsOn(const Graph &G, NodeId From, NodeId Target) {
  std::vector<NodeId> Work{From};
  std::vector<bool> Seen(G.size(), false);
  while (!Work.empty()) {
    NodeId N = Work.back();
    Work.pop_back();
    if (N == Target)
      return true;
    if (Seen[N.Index] || N.Index < Target.Index)
      continue;
    Seen[N.Index] = true;
    for (NodeId In : G.node(N).Inputs)
      Work.push_back(In);
  }
  return false;
}

TEST(PipelineTest, MlpClassifierGradientIsSoftmaxMinusOneHot) {
  REQUIRE_AUTODIFF();
  Graph G = optimizedMlp();
  NodeId Xent, Delta;
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    EXPECT_NE(N.Op, OpCode::Log) << "a log survived: " << printNode(G, Id);
    EXPECT_NE(N.Op, OpCode::Grad);
    if (N.Op == OpCode::SoftmaxXent)
      Xent = Id;
  }
  ASSERT_TRUE(Xent.valid()) << "the loss is not a fused softmax_xent";
  NodeId Logits = G.node(Xent).Inputs[0], Labels = G.node(Xent).Inputs[1];
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    if (N.Op != OpCode::Sub)
      continue;
    const Node &P = G.node(N.Inputs[0]), &Y = G.node(N.Inputs[1]);
    if (P.Op == OpCode::Softmax && P.Inputs[0] == Logits &&
        P.Attributes.getInt("axis") == 1 && Y.Op == OpCode::OneHot &&
        Y.Inputs[0] == Labels)
      Delta = Id;
  }
  ASSERT_TRUE(Delta.valid()) << "no softmax(logits) - one_hot(labels)\n"
                             << printGraph(G);
  for (const Output &O : G.outputs()) {
    if (O.Name != "loss")
      EXPECT_TRUE(dependsOn(G, O.Value, Delta)) << O.Name;
  }
}

//===----------------------------------------------------------------------===//
// Numbers: a plain C++ forward and backward pass
//===----------------------------------------------------------------------===//

struct MlpData {
  int64_t Rows = 3;
  TensorMap Args;
};

/// x in [-1, 1], w1 in [-0.1, 0.1], b1 in [-0.1, 0.1], w2 and b2 in
/// [-Scale, Scale], labels 0..9.
MlpData mlpData(double Scale, uint64_t Seed) {
  Graph G = parseGraphFile(sourcePath(kExample));
  DimBindings Bind{{"B", 3}};
  MlpData D;
  D.Args = randomArgs(G, Bind, Seed, -0.1, 0.1, 10);
  TensorMap Big = randomArgs(G, Bind, Seed + 1, -1, 1, 10);
  D.Args["x"] = Big["x"];
  for (const char *P : {"w2", "b2"}) {
    Tensor &T = D.Args[P];
    for (int64_t I = 0; I < T.numel(); ++I)
      T.set(I, Big[P].at(I) * Scale);
  }
  return D;
}

/// loss, d loss / d b2 and d loss / d w2 of the MLP, computed in double
/// with a max-shifted log-sum-exp: loss = mean_r (lse(z_r) - z_r[y_r]),
/// dz = (softmax(z) - one_hot(y)) / B, db2 = sum_r dz_r, dw2 = h^T dz.
struct Reference {
  double Loss = 0;
  std::vector<double> Db2, Dw2;
};

Reference reference(const MlpData &D) {
  const TensorMap &A = D.Args;
  int64_t R = D.Rows;
  std::vector<double> H(R * 256), Z(R * 10);
  for (int64_t I = 0; I < R; ++I)
    for (int64_t J = 0; J < 256; ++J) {
      double S = A.at("b1").at(J);
      for (int64_t K = 0; K < 784; ++K)
        S += A.at("x").at(I * 784 + K) * A.at("w1").at(K * 256 + J);
      H[I * 256 + J] = std::max(S, 0.0);
    }
  Reference Ref;
  Ref.Db2.assign(10, 0);
  Ref.Dw2.assign(256 * 10, 0);
  for (int64_t I = 0; I < R; ++I) {
    double Max = -INFINITY, Sum = 0;
    for (int64_t C = 0; C < 10; ++C) {
      double S = A.at("b2").at(C);
      for (int64_t J = 0; J < 256; ++J)
        S += H[I * 256 + J] * A.at("w2").at(J * 10 + C);
      Z[I * 10 + C] = S;
      Max = std::max(Max, S);
    }
    for (int64_t C = 0; C < 10; ++C)
      Sum += std::exp(Z[I * 10 + C] - Max);
    auto Label = static_cast<int64_t>(A.at("labels").at(I));
    Ref.Loss += (Max + std::log(Sum) - Z[I * 10 + Label]) / R;
    for (int64_t C = 0; C < 10; ++C) {
      double Dz = (std::exp(Z[I * 10 + C] - Max) / Sum - (C == Label)) / R;
      Ref.Db2[C] += Dz;
      for (int64_t J = 0; J < 256; ++J)
        Ref.Dw2[J * 10 + C] += H[I * 256 + J] * Dz;
    }
  }
  return Ref;
}

void expectMatchesReference(const TensorMap &Out, const Reference &Ref,
                            double Rel) {
  EXPECT_NEAR(Out.at("loss").at(0), Ref.Loss,
              Rel * std::max(1.0, std::fabs(Ref.Loss)));
  for (int64_t C = 0; C < 10; ++C)
    EXPECT_NEAR(Out.at("db2").at(C), Ref.Db2[C], Rel) << "db2[" << C << "]";
  double Scale = 0;
  for (double V : Ref.Dw2)
    Scale = std::max(Scale, std::fabs(V));
  for (int64_t I = 0; I < 2560; ++I)
    ASSERT_NEAR(Out.at("dw2").at(I), Ref.Dw2[I], Rel * std::max(1.0, Scale))
        << "dw2[" << I << "]";
}

TEST(PipelineTest, MlpClassifierNumbersMatchPlainCpp) {
  REQUIRE_AUTODIFF();
  Graph G = optimizedMlp();
  for (uint64_t Seed : {1u, 2u}) {
    MlpData D = mlpData(/*Scale=*/0.5, Seed);
    TensorMap Args = D.Args;
    expectMatchesReference(evaluate(G, Args), reference(D), 1e-5);
  }
}

TEST(PipelineTest, MlpClassifierStaysFiniteForHugeLogits) {
  REQUIRE_AUTODIFF();
  // w2, b2 in [-2000, 2000]: logits of magnitude ~1e4, where f32 softmax
  // underflows to 0 at most labels.
  MlpData D = mlpData(/*Scale=*/2000, 3);
  Graph Naive = parseGraphFile(sourcePath(kExample));
  runPipeline(Naive, "autodiff");
  TensorMap Args = D.Args;
  EXPECT_FALSE(allFinite(evaluate(Naive, Args)));

  Graph Opt = optimizedMlp();
  Args = D.Args;
  TensorMap Out = evaluate(Opt, Args);
  ASSERT_TRUE(allFinite(Out));
  Reference Ref = reference(D);
  EXPECT_GT(Ref.Loss, 1e3);
  expectMatchesReference(Out, Ref, 1e-4);
}

} // namespace
} // namespace netjit
