//===- compiled_edge_test.cpp - Empty batches, views and update-only graphs
//===//
//
// Corner cases of the plan and the loops: a batch of 0 rows (every loop
// runs zero times; sums are 0, max is -inf, a mean is NaN as 0/0, as in the
// interpreter), outputs that are views of arguments or of each other, a
// graph with updates and no outputs, and kernels whose domain is a scalar.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

namespace netjit::testing {
namespace {

TEST(CompiledEdge, EmptyBatch) {
  Graph G = parseGraph(R"(graph @g(%x: f32[B,N], %w: f32[N,3], %l: i64[B]) {
  %0 = sum(%x) {axes=[0, 1], keepdims=false} : f32[]
  %1 = max(%x) {axes=[0], keepdims=false} : f32[N]
  %2 = mean(%x) {axes=[0], keepdims=false} : f32[N]
  %3 = matmul(%x, %w) : f32[B,3]
  %4 = softmax_xent(%3, %l) : f32[B]
  %5 = transpose(%x) {perm=[1, 0]} : f32[N,B]
  return s = %0, m = %1, mean = %2, p = %3, xe = %4, t = %5
})");
  expectMatchesInterpreter(
      G, {{{"B", 0}, {"N", 4}}, {{"B", 2}, {"N", 0}}, {{"B", 3}, {"N", 5}}},
      Tolerance{4, 0, nullptr, 1e-6});
}

TEST(CompiledEdge, ViewsOfArgumentsAndOutputs) {
  Graph G = parseGraph(R"(graph @g(%x: f32[B,N], param %w: f32[N]) {
  %0 = reshape(%x) {shape=[B*N]} : f32[B*N]
  %1 = exp(%x) : f32[B,N]
  %2 = reshape(%1) {shape=[N, B]} : f32[N,B]
  return flat = %0, e = %1, e2 = %2, e3 = %1
  update %w = %w
})");
  expectMatchesInterpreter(G, {{{"B", 1}, {"N", 1}}, {{"B", 3}, {"N", 17}}},
                           Tolerance{4});
}

TEST(CompiledEdge, UpdatesWithoutOutputs) {
  Graph G =
      parseGraph(R"(graph @g(%g: f32[N], param %w: f32[N], param %step: i64[]) {
  %0 = constant() {value=0.5} : f32[]
  %1 = broadcast(%0) {shape=[N]} : f32[N]
  %2 = mul(%g, %1) : f32[N]
  %3 = sub(%w, %2) : f32[N]
  %4 = constant() {value=1} : i64[]
  %5 = add(%step, %4) : i64[]
  return
  update %w = %3
  update %step = %5
})");
  expectMatchesInterpreter(G, {{{"N", 1}}, {{"N", 33}}}, Tolerance{0});
}

TEST(CompiledEdge, ScalarKernelsAndScalarOutputs) {
  Graph G = parseGraph(R"(graph @g(%a: f64[], %b: f64[]) {
  %0 = mul(%a, %b) : f64[]
  %1 = tanh(%0) : f64[]
  %2 = constant() {value=2.0} : f64[]
  %3 = add(%2, %2) : f64[]
  %4 = lt(%a, %b) : bool[]
  return y = %1, four = %3, less = %4
})");
  expectMatchesInterpreter(G, {{}}, Tolerance{4});
}

} // namespace
} // namespace netjit::testing
