//===- interpreter_kernel_test.cpp - Evaluating `kernel` nodes ------------===//
//
// A kernel is evaluated by evaluating its body on its operands: a softmax
// kernel with a per-row and a per-column result is checked against values
// computed with numpy, for two batch sizes, and an error inside the body
// names the body node and the kernel.
//
//===----------------------------------------------------------------------===//
#include "interpreter_helpers.h"

#include "ir/parser.h"

using namespace netjit;
using namespace netjit::test;
using ::testing::HasSubstr;

namespace {

/// softmax over the last axis, logsumexp per row, and the column sums of
/// the softmax, as one kernel.
const char *const kSoftmaxKernel = R"(graph @k(%z: f64[B,3]) {
  %0 = kernel(%z) : (f64[B,3], f64[B,1], f64[3]) body(%a: f64[B,3]) {
    %0 = max(%a) {axes=[1], keepdims=true} : f64[B,1]
    %1 = broadcast(%0) {shape=[B, 3]} : f64[B,3]
    %2 = sub(%a, %1) : f64[B,3]
    %3 = exp(%2) : f64[B,3]
    %4 = sum(%3) {axes=[1], keepdims=true} : f64[B,1]
    %5 = broadcast(%4) {shape=[B, 3]} : f64[B,3]
    %6 = div(%3, %5) : f64[B,3]
    %7 = log(%4) : f64[B,1]
    %8 = add(%0, %7) : f64[B,1]
    %9 = sum(%6) {axes=[0], keepdims=false} : f64[3]
    return %6, %8, %9
  }
  %1 = result(%0) {index=0} : f64[B,3]
  %2 = result(%0) {index=1} : f64[B,1]
  %3 = result(%0) {index=2} : f64[3]
  return p = %1, lse = %2, colsum = %3
}
)";

TEST(InterpreterKernel, EvaluatesTheBodyOnTheOperands) {
  Graph G = parseGraph(kSoftmaxKernel);
  // numpy (float64): z = [[1, 2, 3], [-1, 0.5, -1]]; m = z.max(1,
  // keepdims=True); e = exp(z - m); s = e.sum(1, keepdims=True); p = e / s; lse
  // = log(s) + m; colsum = p.sum(0).
  TensorMap Out =
      run(G, {{"z", tensor(DType::F64, {2, 3}, {1, 2, 3, -1, 0.5, -1})}});
  expectValues(Out.at("p"), DType::F64, {2, 3},
               {0.09003057317038043, 0.24472847105479767, 0.6652409557748218,
                0.15428077298188617, 0.6914384540362275, 0.15428077298188617},
               1e-15);
  expectValues(Out.at("lse"), DType::F64, {2, 1},
               {3.4076059644443806, 0.8689811354013155}, 1e-15);
  expectValues(Out.at("colsum"), DType::F64, {3},
               {0.2443113461522666, 0.9361669250910252, 0.8195217287567079},
               1e-15);
}

TEST(InterpreterKernel, BindsDimsInsideTheBody) {
  Graph G = parseGraph(kSoftmaxKernel);
  // One row: p = softmax([0, 0, ln 2]) = [1/4, 1/4, 1/2], lse = ln 4.
  TensorMap Out =
      run(G, {{"z", tensor(DType::F64, {1, 3}, {0, 0, std::log(2.0)})}});
  expectValues(Out.at("p"), DType::F64, {1, 3}, {0.25, 0.25, 0.5}, 1e-15);
  expectValues(Out.at("lse"), DType::F64, {1, 1}, {std::log(4.0)}, 1e-15);
  expectValues(Out.at("colsum"), DType::F64, {3}, {0.25, 0.25, 0.5}, 1e-15);
}

TEST(InterpreterKernel, ErrorsInsideTheBodyNameTheKernel) {
  Graph G = parseGraph(R"(graph @k(%x: f32[B,4], %t: i64[B]) {
  %0 = kernel(%x, %t) : (f32[B,1]) body(%a: f32[B,4], %i: i64[B]) {
    %0 = reshape(%i) {shape=[B, 1]} : i64[B,1]
    %1 = gather(%a, %0) {axis=1} : f32[B,1]
    return %1
  }
  %1 = result(%0) {index=0} : f32[B,1]
  return y = %1
}
)");
  std::string Msg =
      evalError(G, {{"x", tensor(DType::F32, {2, 4}, {0, 1, 2, 3, 4, 5, 6, 7})},
                    {"t", tensor(DType::I64, {2}, {1, 4})}});
  EXPECT_THAT(Msg, HasSubstr("'gather'"));
  EXPECT_THAT(Msg, HasSubstr("= kernel("));
}

} // namespace
