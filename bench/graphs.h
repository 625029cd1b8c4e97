//===- graphs.h - The netjit side of the cases, as IR text ------*- C++ -*-===//
//
// The graphs netjit-bench compiles, written as users write them in IR text
// (docs/ir.md): each loss with a grad request for the prediction, the MLP
// classifier spelled the naive way (log of a softmax, gathered at the
// labels: the default pipeline's stabilize pass turns it into softmax_xent,
// as for examples/mlp_classifier_grad.nj), the tanh regressor with its four
// parameter gradients, and the one-element graph of the overhead case.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>

namespace netjit::bench {

inline const char *kMseGraph = R"(graph @mse(%y: f32[N], %t: f32[N]) {
  %0 = sub(%y, %t) : f32[N]
  %1 = square(%0) : f32[N]
  %2 = mean(%1) {axes=[0], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[N]
  return loss = %2, dy = %3
})";

inline const char *kMaeGraph = R"(graph @mae(%y: f32[N], %t: f32[N]) {
  %0 = sub(%y, %t) : f32[N]
  %1 = abs(%0) : f32[N]
  %2 = mean(%1) {axes=[0], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[N]
  return loss = %2, dy = %3
})";

inline const char *kHingeGraph = R"(graph @hinge(%y: f32[N], %t: f32[N]) {
  %0 = mul(%y, %t) : f32[N]
  %1 = constant() {value=1.0} : f32[]
  %2 = broadcast(%1) {shape=[N]} : f32[N]
  %3 = sub(%2, %0) : f32[N]
  %4 = relu(%3) : f32[N]
  %5 = mean(%4) {axes=[0], keepdims=false} : f32[]
  %6 = grad(%5, %y) : f32[N]
  return loss = %5, dy = %6
})";

/// The cross-entropy over C classes. C is a number in the graph, as in every
/// classifier netjit builds (a model's layer sizes are fixed; only the batch
/// is symbolic), so the kernel's loops over a row have a constant trip count.
inline std::string xentGraph(int64_t C) {
  std::string T = "f32[B," + std::to_string(C) + "]";
  return "graph @xent(%y: " + T + ", %labels: i64[B]) {\n"
         "  %0 = softmax_xent(%y, %labels) : f32[B]\n"
         "  %1 = mean(%0) {axes=[0], keepdims=false} : f32[]\n"
         "  %2 = grad(%1, %y) : " + T + "\n"
         "  return loss = %1, dy = %2\n}";
}

inline const char *kMlpGraph =
    R"(graph @mlp(%x: f32[B,784], %labels: i64[B], param %w1: f32[784,256], param %b1: f32[256], param %w2: f32[256,10], param %b2: f32[10]) {
  %0 = matmul(%x, %w1) : f32[B,256]
  %1 = broadcast(%b1) {shape=[B, 256]} : f32[B,256]
  %2 = add(%0, %1) : f32[B,256]
  %3 = relu(%2) : f32[B,256]
  %4 = matmul(%3, %w2) : f32[B,10]
  %5 = broadcast(%b2) {shape=[B, 10]} : f32[B,10]
  %6 = add(%4, %5) : f32[B,10]
  %7 = softmax(%6) {axis=1} : f32[B,10]
  %8 = log(%7) : f32[B,10]
  %9 = reshape(%labels) {shape=[B, 1]} : i64[B,1]
  %10 = gather(%8, %9) {axis=1} : f32[B,1]
  %11 = neg(%10) : f32[B,1]
  %12 = mean(%11) {axes=[0, 1], keepdims=false} : f32[]
  %13 = grad(%12, %w1) : f32[784,256]
  %14 = grad(%12, %b1) : f32[256]
  %15 = grad(%12, %w2) : f32[256,10]
  %16 = grad(%12, %b2) : f32[10]
  return loss = %12, dw1 = %13, db1 = %14, dw2 = %15, db2 = %16
})";

inline const char *kRegressorGraph =
    R"(graph @regressor(%x: f32[B,10], %y: f32[B,3], param %w1: f32[10,20], param %b1: f32[20], param %w2: f32[20,3], param %b2: f32[3]) {
  %0 = matmul(%x, %w1) : f32[B,20]
  %1 = broadcast(%b1) {shape=[B, 20]} : f32[B,20]
  %2 = add(%0, %1) : f32[B,20]
  %3 = tanh(%2) : f32[B,20]
  %4 = matmul(%3, %w2) : f32[B,3]
  %5 = broadcast(%b2) {shape=[B, 3]} : f32[B,3]
  %6 = add(%4, %5) : f32[B,3]
  %7 = sub(%6, %y) : f32[B,3]
  %8 = square(%7) : f32[B,3]
  %9 = mean(%8) {axes=[0, 1], keepdims=false} : f32[]
  %10 = grad(%9, %w1) : f32[10,20]
  %11 = grad(%9, %b1) : f32[20]
  %12 = grad(%9, %w2) : f32[20,3]
  %13 = grad(%9, %b2) : f32[3]
  return loss = %9, dw1 = %10, db1 = %11, dw2 = %12, db2 = %13
})";

inline const char *kTinyGraph = R"(graph @tiny(%x: f32[1]) {
  %0 = constant() {value=1.0} : f32[]
  %1 = broadcast(%0) {shape=[1]} : f32[1]
  %2 = add(%x, %1) : f32[1]
  return y = %2
})";

} // namespace netjit::bench
