//===- stabilize_xent_test.cpp - Cross-entropy rules and stability --------===//
//
// The stabilize rules that fuse the cross-entropy of a softmax at integer
// labels into softmax_xent (gather and one_hot forms), each with a golden
// test, tests where it must not fire and a numeric check; then the stability
// tests: logits of magnitude 1e4 make the naive loss (and, once autodiff is
// registered, its gradient) inf/NaN while the stabilized graph stays finite.
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"

#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"

#include <gtest/gtest.h>

namespace netjit {
namespace {

using namespace netjit::testing;

PassRun stabilize(std::string_view Text) {
  return runOnText("stabilize", Text);
}

void expectUnchanged(std::string_view Text) {
  testing::expectUnchanged("stabilize", Text);
}

//===----------------------------------------------------------------------===//
// -gather(log_softmax(z), labels) => softmax_xent(z, labels)
//===----------------------------------------------------------------------===//

TEST(StabilizeXentTest, GatherOfLogSoftmaxFuses) {
  PassRun S = stabilize(R"(graph @f(%z: f64[B,4], %y: i64[B]) {
  %0 = softmax(%z) {axis=1} : f64[B,4]
  %1 = log(%0) : f64[B,4]
  %2 = reshape(%y) {shape=[B, 1]} : i64[B,1]
  %3 = gather(%1, %2) {axis=1} : f64[B,1]
  %4 = neg(%3) : f64[B,1]
  return loss = %4
})");
  EXPECT_EQ(S.hits("stabilize.log_softmax"), 1);
  EXPECT_EQ(S.hits("stabilize.softmax_xent"), 1);
  EXPECT_EQ(S.hits("stabilize.xent_neg"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%z: f64[B,4], %y: i64[B]) {
  %0 = softmax_xent(%z, %y) : f64[B]
  %1 = reshape(%0) {shape=[B, 1]} : f64[B,1]
  return loss = %1
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeXentTest, LogOfGatheredSoftmaxFuses) {
  // log(gather(softmax(z), i)) = gather(log_softmax(z), i); the index is a
  // [B,1] input, so the labels are its reshape to [B].
  PassRun S = stabilize(R"(graph @f(%z: f64[B,4], %i: i32[B,1]) {
  %0 = softmax(%z) {axis=1} : f64[B,4]
  %1 = gather(%0, %i) {axis=1} : f64[B,1]
  %2 = log(%1) : f64[B,1]
  %3 = neg(%2) : f64[B,1]
  return loss = %3
})");
  EXPECT_EQ(S.hits("stabilize.log_gather_softmax"), 1);
  EXPECT_EQ(S.hits("stabilize.softmax_xent"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%z: f64[B,4], %i: i32[B,1]) {
  %0 = reshape(%i) {shape=[B]} : i32[B]
  %1 = softmax_xent(%z, %0) : f64[B]
  %2 = reshape(%1) {shape=[B, 1]} : f64[B,1]
  return loss = %2
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeXentTest, GatherWithoutNegationBecomesNegatedXent) {
  // -mean(gather(...)): the gather alone is -softmax_xent; the negation
  // outside the mean stays.
  PassRun S = stabilize(R"(graph @f(%z: f64[B,T,4], %y: i64[B,T]) {
  %0 = log_softmax(%z) {axis=2} : f64[B,T,4]
  %1 = reshape(%y) {shape=[B, T, 1]} : i64[B,T,1]
  %2 = gather(%0, %1) {axis=2} : f64[B,T,1]
  %3 = mean(%2) {axes=[0, 1, 2], keepdims=false} : f64[]
  %4 = neg(%3) : f64[]
  return loss = %4
})");
  EXPECT_EQ(S.hits("stabilize.softmax_xent"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%z: f64[B,T,4], %y: i64[B,T]) {
  %0 = softmax_xent(%z, %y) : f64[B,T]
  %1 = reshape(%0) {shape=[B, T, 1]} : f64[B,T,1]
  %2 = neg(%1) : f64[B,T,1]
  %3 = mean(%2) {axes=[0, 1, 2], keepdims=false} : f64[]
  %4 = neg(%3) : f64[]
  return loss = %4
}
)");
  for (int64_t T : {1, 2}) {
    DimBindings Bind{{"B", 3}, {"T", T}};
    expectSameValues(S.Before, S.After, randomArgs(S.Before, Bind, 7, -3, 3, 4),
                     1e-12, 1e-12, Bind);
  }
}

TEST(StabilizeXentTest, GatherDoesNotFuseAcrossAxes) {
  // The softmax is over axis 0 but the labels index axis 1: only the
  // log(softmax) rule applies.
  PassRun S = stabilize(R"(graph @f(%z: f64[B,4], %y: i64[B]) {
  %0 = softmax(%z) {axis=0} : f64[B,4]
  %1 = log(%0) : f64[B,4]
  %2 = reshape(%y) {shape=[B, 1]} : i64[B,1]
  %3 = gather(%1, %2) {axis=1} : f64[B,1]
  %4 = neg(%3) : f64[B,1]
  return loss = %4
})");
  EXPECT_EQ(S.hits("stabilize.log_softmax"), 1);
  EXPECT_EQ(S.hits("stabilize.softmax_xent"), 0);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%z: f64[B,4], %y: i64[B]) {
  %0 = log_softmax(%z) {axis=0} : f64[B,4]
  %1 = reshape(%y) {shape=[B, 1]} : i64[B,1]
  %2 = gather(%0, %1) {axis=1} : f64[B,1]
  %3 = neg(%2) : f64[B,1]
  return loss = %3
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeXentTest, GatherDoesNotFuseOtherGathers) {
  // Gathering along axis 0 of a last-axis log_softmax, and gathering two
  // entries per row, are not a cross-entropy.
  expectUnchanged(R"(graph @f(%z: f64[3,4], %i: i64[1,4], %j: i64[3,2]) {
  %0 = log_softmax(%z) {axis=1} : f64[3,4]
  %1 = gather(%0, %i) {axis=0} : f64[1,4]
  %2 = neg(%1) : f64[1,4]
  %3 = gather(%0, %j) {axis=1} : f64[3,2]
  %4 = neg(%3) : f64[3,2]
  return rows = %2, pairs = %4
})");
}

//===----------------------------------------------------------------------===//
// -sum(one_hot(t) * log_softmax(z), last axis) => softmax_xent(z, t)
//===----------------------------------------------------------------------===//

TEST(StabilizeXentTest, OneHotFormFuses) {
  PassRun S = stabilize(R"(graph @f(%z: f64[B,4], %t: i64[B]) {
  %0 = log_softmax(%z) {axis=1} : f64[B,4]
  %1 = one_hot(%t) {depth=4, dtype=f64} : f64[B,4]
  %2 = mul(%1, %0) : f64[B,4]
  %3 = sum(%2) {axes=[1], keepdims=false} : f64[B]
  %4 = neg(%3) : f64[B]
  %5 = mul(%0, %1) : f64[B,4]
  %6 = sum(%5) {axes=[1], keepdims=true} : f64[B,1]
  %7 = neg(%6) : f64[B,1]
  return loss = %4, kept = %7
})");
  EXPECT_EQ(S.hits("stabilize.softmax_xent_one_hot"), 2);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%z: f64[B,4], %t: i64[B]) {
  %0 = softmax_xent(%z, %t) : f64[B]
  %1 = reshape(%0) {shape=[B, 1]} : f64[B,1]
  return loss = %0, kept = %1
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeXentTest, OneHotFormOverEveryAxisSumsTheRows) {
  PassRun S = stabilize(R"(graph @f(%z: f64[B,4], %t: i64[B]) {
  %0 = softmax(%z) {axis=1} : f64[B,4]
  %1 = log(%0) : f64[B,4]
  %2 = one_hot(%t) {depth=4, dtype=f64} : f64[B,4]
  %3 = mul(%2, %1) : f64[B,4]
  %4 = sum(%3) {axes=[0, 1], keepdims=false} : f64[]
  %5 = neg(%4) : f64[]
  return loss = %5
})");
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%z: f64[B,4], %t: i64[B]) {
  %0 = softmax_xent(%z, %t) : f64[B]
  %1 = sum(%0) {axes=[0], keepdims=false} : f64[]
  return loss = %1
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeXentTest, OneHotFormNeedsTheLastAxis) {
  // Summing over the batch only, or a log_softmax over the batch, is not a
  // per-row cross-entropy.
  expectUnchanged(R"(graph @f(%z: f64[B,4], %t: i64[B]) {
  %0 = log_softmax(%z) {axis=1} : f64[B,4]
  %1 = one_hot(%t) {depth=4, dtype=f64} : f64[B,4]
  %2 = mul(%1, %0) : f64[B,4]
  %3 = sum(%2) {axes=[0], keepdims=false} : f64[4]
  %4 = log_softmax(%z) {axis=0} : f64[B,4]
  %5 = mul(%1, %4) : f64[B,4]
  %6 = sum(%5) {axes=[1], keepdims=false} : f64[B]
  return cols = %3, other = %6
})");
}

//===----------------------------------------------------------------------===//
// Stability: logits of magnitude 1e4
//===----------------------------------------------------------------------===//

/// The naive cross-entropy of a softmax at labels, spelled with a log of a
/// softmax, and (second output) with exp(z) / sum(exp(z)).
constexpr std::string_view NaiveXent =
    R"(graph @xent(%z: f64[B,3], %y: i64[B]) {
  %0 = softmax(%z) {axis=1} : f64[B,3]
  %1 = log(%0) : f64[B,3]
  %2 = reshape(%y) {shape=[B, 1]} : i64[B,1]
  %3 = gather(%1, %2) {axis=1} : f64[B,1]
  %4 = neg(%3) : f64[B,1]
  %5 = mean(%4) {axes=[0, 1], keepdims=false} : f64[]
  %6 = exp(%z) : f64[B,3]
  %7 = sum(%6) {axes=[1], keepdims=true} : f64[B,1]
  %8 = broadcast(%7) {shape=[B, 3]} : f64[B,3]
  %9 = div(%6, %8) : f64[B,3]
  %10 = log(%9) : f64[B,3]
  %11 = gather(%10, %2) {axis=1} : f64[B,1]
  %12 = neg(%11) : f64[B,1]
  %13 = mean(%12) {axes=[0, 1], keepdims=false} : f64[]
  return loss = %5, loss_exp = %13
})";

/// z = [[1e4, -1e4, 5e3], [-1e4, 1e4, 1e4]], labels [1, 0].
TensorMap hugeLogits() {
  return {
      {"z",
       Tensor::fromValues(DType::F64, {2, 3},
                          std::vector<double>{1e4, -1e4, 5e3, -1e4, 1e4, 1e4})},
      {"y", Tensor::fromValues(DType::I64, {2}, std::vector<double>{1, 0})}};
}

TEST(StabilizeXentTest, HugeLogitsGiveAFiniteLoss) {
  Graph Naive = parseGraph(NaiveXent);
  TensorMap Args = hugeLogits();
  TensorMap Out = evaluate(Naive, Args);
  // softmax underflows to 0 at the labels: -log(0) = inf. Spelled with exp,
  // exp(1e4) = inf makes the row sums inf, so the labels get 0 / inf = 0.
  EXPECT_TRUE(std::isinf(Out.at("loss").at(0)));
  EXPECT_TRUE(std::isinf(Out.at("loss_exp").at(0)));

  Graph Stable = parseGraph(NaiveXent);
  runPipeline(Stable, "stabilize");
  Args = hugeLogits();
  Out = evaluate(Stable, Args);
  // Row 0: logsumexp = 1e4 + log(1 + e^-2e4 + e^-5e3) = 1e4 in f64, minus
  // z[1] = -1e4: 2e4. Row 1: logsumexp = 1e4 + log 2, minus z[0] = -1e4:
  // 2e4 + log 2. Mean: 2e4 + log(2)/2 = 20000.34657359028 (numpy).
  EXPECT_NEAR(Out.at("loss").at(0), 20000.34657359028, 1e-9);
  EXPECT_NEAR(Out.at("loss_exp").at(0), 20000.34657359028, 1e-9);
}

TEST(StabilizeXentTest, HugeLogitsGiveFiniteGradients) {
  if (!hasPass("autodiff"))
    GTEST_SKIP() << "autodiff is not registered yet";
  std::string Text(NaiveXent);
  size_t Ret = Text.find("  return");
  Text.insert(Ret, "  %14 = grad(%5, %z) : f64[B,3]\n"
                   "  %15 = grad(%13, %z) : f64[B,3]\n");
  Text.replace(Text.find("loss_exp = %13"), 14,
               "loss_exp = %13, dz = %14, dz_exp = %15");

  Graph Naive = parseGraph(Text);
  runPipeline(Naive, "autodiff");
  TensorMap Args = hugeLogits();
  TensorMap Out = evaluate(Naive, Args);
  EXPECT_FALSE(allFinite({{"dz", Out.at("dz")}}));

  Graph Stable = parseGraph(Text);
  runPipeline(Stable, "stabilize,autodiff");
  Args = hugeLogits();
  Out = evaluate(Stable, Args);
  ASSERT_TRUE(allFinite(Out));
  // d mean(xent) / dz = (softmax(z) - one_hot(y)) / 2. Row 0: softmax is
  // [1, 0, 0] to f64 precision, one_hot [0, 1, 0]: [0.5, -0.5, 0]. Row 1:
  // softmax [0, 0.5, 0.5], one_hot [1, 0, 0]: [-0.5, 0.25, 0.25].
  std::vector<double> Want{0.5, -0.5, 0, -0.5, 0.25, 0.25};
  for (const char *Name : {"dz", "dz_exp"})
    for (size_t I = 0; I < Want.size(); ++I)
      EXPECT_NEAR(Out.at(Name).at(static_cast<int64_t>(I)), Want[I], 1e-12)
          << Name << "[" << I << "]";
}

} // namespace
} // namespace netjit
