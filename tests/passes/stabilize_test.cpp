//===- stabilize_test.cpp - The stabilize pass, rule by rule --------------===//
//
// Every rule has three tests: it fires (the printed graph after the pass is
// compared with hand-written golden text and the rule's hit count), it does
// not fire where it must not (the graph is left unchanged), and the graph
// computes the same values before and after (interpreter, random f64 inputs,
// the batch dim bound to 1 and 3). The stability tests feed logits of
// magnitude 1e4, where the naive graph gives inf/NaN; their expected values
// were worked out by hand (comments give the arithmetic).
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
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

TEST(StabilizeTest, IsRegistered) {
  EXPECT_EQ(createPass("stabilize")->name(), "stabilize");
}

//===----------------------------------------------------------------------===//
// log(softmax(x)) => log_softmax(x)
//===----------------------------------------------------------------------===//

TEST(StabilizeTest, LogSoftmaxFires) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = softmax(%x) {axis=1} : f64[B,5]
  %1 = log(%0) : f64[B,5]
  return y = %1
})");
  EXPECT_TRUE(S.Changed);
  EXPECT_EQ(S.hits("stabilize.log_softmax"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = log_softmax(%x) {axis=1} : f64[B,5]
  return y = %0
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeTest, LogSoftmaxNeedsLogDirectlyOnSoftmax) {
  // A transpose between the two hides the pattern.
  expectUnchanged(R"(graph @f(%x: f64[B,5]) {
  %0 = softmax(%x) {axis=1} : f64[B,5]
  %1 = transpose(%0) {perm=[1, 0]} : f64[5,B]
  %2 = log(%1) : f64[5,B]
  return y = %2
})");
}

//===----------------------------------------------------------------------===//
// log(sum(exp(x))) => logsumexp(x)
//===----------------------------------------------------------------------===//

TEST(StabilizeTest, LogSumExpFiresWithSameAxesAndKeepDims) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = exp(%x) : f64[B,5]
  %1 = sum(%0) {axes=[1], keepdims=true} : f64[B,1]
  %2 = log(%1) : f64[B,1]
  %3 = sum(%0) {axes=[0, 1], keepdims=false} : f64[]
  %4 = log(%3) : f64[]
  return row = %2, all = %4
})");
  EXPECT_EQ(S.hits("stabilize.logsumexp"), 2);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = logsumexp(%x) {axes=[1], keepdims=true} : f64[B,1]
  %1 = logsumexp(%x) {axes=[0, 1], keepdims=false} : f64[]
  return row = %0, all = %1
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeTest, LogSumExpDoesNotFireOnMeanOrWithoutExp) {
  // log(mean(exp(x))) is logsumexp(x) - log(n), not logsumexp(x).
  expectUnchanged(R"(graph @f(%x: f64[B,5]) {
  %0 = exp(%x) : f64[B,5]
  %1 = mean(%0) {axes=[1], keepdims=false} : f64[B]
  %2 = log(%1) : f64[B]
  %3 = sum(%x) {axes=[1], keepdims=false} : f64[B]
  %4 = log(%3) : f64[B]
  return a = %2, b = %4
})");
}

//===----------------------------------------------------------------------===//
// log(1 + exp(x)) => softplus(x)
//===----------------------------------------------------------------------===//

TEST(StabilizeTest, SoftplusFiresInEitherOrder) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = constant() {value=1.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = exp(%x) : f64[B,5]
  %3 = add(%1, %2) : f64[B,5]
  %4 = log(%3) : f64[B,5]
  %5 = add(%2, %1) : f64[B,5]
  %6 = log(%5) : f64[B,5]
  return a = %4, b = %6
})");
  EXPECT_EQ(S.hits("stabilize.softplus"), 2);
  EXPECT_EQ(S.hits("stabilize.log1p"), 0);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = softplus(%x) : f64[B,5]
  return a = %0, b = %0
}
)");
  expectSameNumbers(S, -5, 5);
}

TEST(StabilizeTest, SoftplusOnScalarWithoutBroadcast) {
  PassRun S = stabilize(R"(graph @f(%x: f64[]) {
  %0 = constant() {value=1.0} : f64[]
  %1 = exp(%x) : f64[]
  %2 = add(%0, %1) : f64[]
  %3 = log(%2) : f64[]
  return y = %3
})");
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[]) {
  %0 = softplus(%x) : f64[]
  return y = %0
}
)");
  // log(1 + e^1000) overflows to inf; softplus(1000) = 1000 + log1p(e^-1000)
  // = 1000 exactly in f64.
  TensorMap Args{{"x", Tensor::scalar(1000.0, DType::F64)}};
  TensorMap A1 = Args, A2 = Args;
  EXPECT_TRUE(std::isinf(evaluate(S.Before, A1).at("y").at(0)));
  EXPECT_EQ(evaluate(S.After, A2).at("y").at(0), 1000.0);
}

TEST(StabilizeTest, SoftplusNeedsTheConstantOne) {
  expectUnchanged(R"(graph @f(%x: f64[B,5]) {
  %0 = constant() {value=2.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = exp(%x) : f64[B,5]
  %3 = add(%1, %2) : f64[B,5]
  %4 = log(%3) : f64[B,5]
  return y = %4
})");
}

//===----------------------------------------------------------------------===//
// log(sigmoid(x)) => -softplus(-x)
//===----------------------------------------------------------------------===//

TEST(StabilizeTest, LogSigmoidFires) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = sigmoid(%x) : f64[B,5]
  %1 = log(%0) : f64[B,5]
  return y = %1
})");
  EXPECT_EQ(S.hits("stabilize.log_sigmoid"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = neg(%x) : f64[B,5]
  %1 = softplus(%0) : f64[B,5]
  %2 = neg(%1) : f64[B,5]
  return y = %2
}
)");
  expectSameNumbers(S, -8, 8);
  // log(sigmoid(-1000)) = log(0) = -inf naively; -softplus(1000) = -1000.
  Graph G = parseGraph(R"(graph @f(%x: f64[]) {
  %0 = sigmoid(%x) : f64[]
  %1 = log(%0) : f64[]
  return y = %1
})");
  TensorMap Naive{{"x", Tensor::scalar(-1000.0, DType::F64)}}, Stable = Naive;
  EXPECT_TRUE(std::isinf(evaluate(G, Naive).at("y").at(0)));
  createPass("stabilize")->run(G, S.Ctx);
  EXPECT_EQ(evaluate(G, Stable).at("y").at(0), -1000.0);
}

TEST(StabilizeTest, LogSigmoidNeedsLogDirectlyOnSigmoid) {
  expectUnchanged(R"(graph @f(%x: f64[B,5]) {
  %0 = sigmoid(%x) : f64[B,5]
  %1 = add(%0, %0) : f64[B,5]
  %2 = log(%1) : f64[B,5]
  return y = %2
})");
}

//===----------------------------------------------------------------------===//
// 1 - sigmoid(x) => sigmoid(-x)
//===----------------------------------------------------------------------===//

TEST(StabilizeTest, OneMinusSigmoidFires) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = constant() {value=1.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = sigmoid(%x) : f64[B,5]
  %3 = sub(%1, %2) : f64[B,5]
  return y = %3
})");
  EXPECT_EQ(S.hits("stabilize.one_minus_sigmoid"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = neg(%x) : f64[B,5]
  %1 = sigmoid(%0) : f64[B,5]
  return y = %1
}
)");
  expectSameNumbers(S, -8, 8);
  // 1 - sigmoid(40) cancels to 0; sigmoid(-40) = e^-40 / (1 + e^-40)
  // = 4.248354255291589e-18 (numpy).
  TensorMap Args{{"x", Tensor::fromValues(DType::F64, {1, 5},
                                          std::vector<double>(5, 40.0))}};
  TensorMap A1 = Args, A2 = Args;
  EXPECT_EQ(evaluate(S.Before, A1).at("y").at(0), 0.0);
  EXPECT_NEAR(evaluate(S.After, A2).at("y").at(0), 4.248354255291589e-18,
              1e-30);
}

TEST(StabilizeTest, OneMinusSigmoidNeedsOneOnTheLeft) {
  // 2 - sigmoid(x) and sigmoid(x) - 1 are other functions.
  expectUnchanged(R"(graph @f(%x: f64[B,5]) {
  %0 = constant() {value=2.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = sigmoid(%x) : f64[B,5]
  %3 = sub(%1, %2) : f64[B,5]
  %4 = constant() {value=1.0} : f64[]
  %5 = broadcast(%4) {shape=[B, 5]} : f64[B,5]
  %6 = sub(%2, %5) : f64[B,5]
  return a = %3, b = %6
})");
}

TEST(StabilizeTest, LogOfOneMinusSigmoidBecomesMinusSoftplus) {
  // log(1 - sigmoid(x)) = log(sigmoid(-x)) = -softplus(x): the negations
  // cancel instead of leaving neg(neg(x)).
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = constant() {value=1.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = sigmoid(%x) : f64[B,5]
  %3 = sub(%1, %2) : f64[B,5]
  %4 = log(%3) : f64[B,5]
  return y = %4
})");
  EXPECT_EQ(S.hits("stabilize.one_minus_sigmoid"), 1);
  EXPECT_EQ(S.hits("stabilize.log_sigmoid"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = softplus(%x) : f64[B,5]
  %1 = neg(%0) : f64[B,5]
  return y = %1
}
)");
  expectSameNumbers(S, -8, 8);
}

//===----------------------------------------------------------------------===//
// exp(x) / sum(exp(x)) => softmax(x)
//===----------------------------------------------------------------------===//

TEST(StabilizeTest, SoftmaxFiresOnKeepDimsBroadcast) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = exp(%x) : f64[B,5]
  %1 = sum(%0) {axes=[1], keepdims=true} : f64[B,1]
  %2 = broadcast(%1) {shape=[B, 5]} : f64[B,5]
  %3 = div(%0, %2) : f64[B,5]
  return y = %3
})");
  EXPECT_EQ(S.hits("stabilize.softmax"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = softmax(%x) {axis=1} : f64[B,5]
  return y = %0
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeTest, SoftmaxFiresOnReshapeAndLeadingAxisForms) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5], %u: f64[4,B]) {
  %0 = exp(%x) : f64[B,5]
  %1 = sum(%0) {axes=[1], keepdims=false} : f64[B]
  %2 = reshape(%1) {shape=[B, 1]} : f64[B,1]
  %3 = broadcast(%2) {shape=[B, 5]} : f64[B,5]
  %4 = div(%0, %3) : f64[B,5]
  %5 = exp(%u) : f64[4,B]
  %6 = sum(%5) {axes=[0], keepdims=false} : f64[B]
  %7 = broadcast(%6) {shape=[4, B]} : f64[4,B]
  %8 = div(%5, %7) : f64[4,B]
  return rows = %4, cols = %8
})");
  EXPECT_EQ(S.hits("stabilize.softmax"), 2);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5], %u: f64[4,B]) {
  %0 = softmax(%x) {axis=1} : f64[B,5]
  %1 = softmax(%u) {axis=0} : f64[4,B]
  return rows = %0, cols = %1
}
)");
  expectSameNumbers(S);
}

TEST(StabilizeTest, SoftmaxDoesNotFireWhenTheSumBroadcastsAlongTheWrongAxis) {
  // sum over axis 1 without keepdims, broadcast to [3,3]: numpy aligns the
  // row sums with the columns, so element (i, j) is divided by the sum of
  // row j. It type-checks, but it is not a softmax.
  expectUnchanged(R"(graph @f(%x: f64[3,3], %y: f64[B,5]) {
  %0 = exp(%x) : f64[3,3]
  %1 = sum(%0) {axes=[1], keepdims=false} : f64[3]
  %2 = broadcast(%1) {shape=[3, 3]} : f64[3,3]
  %3 = div(%0, %2) : f64[3,3]
  %4 = exp(%y) : f64[B,5]
  %5 = sum(%4) {axes=[0, 1], keepdims=true} : f64[1,1]
  %6 = broadcast(%5) {shape=[B, 5]} : f64[B,5]
  %7 = div(%4, %6) : f64[B,5]
  return wrong_axis = %3, two_axes = %7
})");
}

TEST(StabilizeTest, SoftmaxUnderLogBecomesLogSoftmax) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = exp(%x) : f64[B,5]
  %1 = sum(%0) {axes=[1], keepdims=true} : f64[B,1]
  %2 = broadcast(%1) {shape=[B, 5]} : f64[B,5]
  %3 = div(%0, %2) : f64[B,5]
  %4 = log(%3) : f64[B,5]
  return y = %4
})");
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = log_softmax(%x) {axis=1} : f64[B,5]
  return y = %0
}
)");
  expectSameNumbers(S);
}

//===----------------------------------------------------------------------===//
// log(1 + x) => log1p(x), exp(x) - 1 => expm1(x)
//===----------------------------------------------------------------------===//

TEST(StabilizeTest, Log1pFires) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5], %v: f64[2]) {
  %0 = constant() {value=1.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = add(%x, %1) : f64[B,5]
  %3 = log(%2) : f64[B,5]
  %4 = constant() {value=[1.0, 1.0]} : f64[2]
  %5 = add(%4, %v) : f64[2]
  %6 = log(%5) : f64[2]
  return y = %3, w = %6
})");
  EXPECT_EQ(S.hits("stabilize.log1p"), 2);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5], %v: f64[2]) {
  %0 = log1p(%x) : f64[B,5]
  %1 = log1p(%v) : f64[2]
  return y = %0, w = %1
}
)");
  expectSameNumbers(S, -0.9, 3);
  // log(1 + 1e-20) rounds to log(1) = 0; log1p(1e-20) = 1e-20.
  TensorMap Args{{"x", Tensor::fromValues(DType::F64, {1, 5},
                                          std::vector<double>(5, 1e-20))},
                 {"v", Tensor(DType::F64, {2})}};
  TensorMap A1 = Args, A2 = Args;
  EXPECT_EQ(evaluate(S.Before, A1).at("y").at(0), 0.0);
  EXPECT_EQ(evaluate(S.After, A2).at("y").at(0), 1e-20);
}

TEST(StabilizeTest, Log1pNeedsTheConstantOne) {
  expectUnchanged(R"(graph @f(%x: f64[2]) {
  %0 = constant() {value=[1.0, 1.5]} : f64[2]
  %1 = add(%0, %x) : f64[2]
  %2 = log(%1) : f64[2]
  return y = %2
})");
}

TEST(StabilizeTest, Expm1Fires) {
  PassRun S = stabilize(R"(graph @f(%x: f64[B,5]) {
  %0 = constant() {value=1.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = exp(%x) : f64[B,5]
  %3 = sub(%2, %1) : f64[B,5]
  return y = %3
})");
  EXPECT_EQ(S.hits("stabilize.expm1"), 1);
  EXPECT_EQ(printGraph(S.After), R"(graph @f(%x: f64[B,5]) {
  %0 = expm1(%x) : f64[B,5]
  return y = %0
}
)");
  expectSameNumbers(S, -3, 3, 4, 1e-12);
}

TEST(StabilizeTest, Expm1NeedsExpMinusOne) {
  // 1 - exp(x) and exp(x) - 2 are left alone.
  expectUnchanged(R"(graph @f(%x: f64[B,5]) {
  %0 = constant() {value=1.0} : f64[]
  %1 = broadcast(%0) {shape=[B, 5]} : f64[B,5]
  %2 = exp(%x) : f64[B,5]
  %3 = sub(%1, %2) : f64[B,5]
  %4 = constant() {value=2.0} : f64[]
  %5 = broadcast(%4) {shape=[B, 5]} : f64[B,5]
  %6 = sub(%2, %5) : f64[B,5]
  return a = %3, b = %6
})");
}

} // namespace
} // namespace netjit
