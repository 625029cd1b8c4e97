//===- compiled_layout_test.cpp - Layout, indexing and random ops ---------===//
//
// Ops that move or pick elements (transpose, reshape, broadcast, slice,
// pad, concat, gather, scatter_add, one_hot), random draws, dim values and
// outputs that are arguments or constants, compiled and compared with the
// interpreter exactly (they compute nothing, or draw bit-identical Philox
// numbers), for several bindings including 1 and odd sizes. Out-of-range
// indices must fail the call with an error naming the op, never read out of
// bounds.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

namespace netjit::testing {
namespace {

const std::vector<DimBindings> kBindings = {{{"B", 1}, {"N", 1}},
                                            {{"B", 3}, {"N", 17}},
                                            {{"B", 2}, {"N", 33}},
                                            {{"B", 6}, {"N", 5}}};

void exact(const std::string &Text, int64_t IntHi = 3,
           const std::vector<DimBindings> &Binds = kBindings) {
  SCOPED_TRACE(Text);
  expectMatchesInterpreter(parseGraph(Text), Binds, Tolerance{0}, 5, -3, 3,
                           IntHi);
}

TEST(CompiledLayout, TransposeReshapeBroadcast) {
  exact(R"(graph @g(%x: f32[B,N], %y: f64[B,3,N], %v: f32[N], %c: i32[B,1]) {
  %0 = transpose(%x) {perm=[1, 0]} : f32[N,B]
  %1 = transpose(%y) {perm=[2, 0, 1]} : f64[N,B,3]
  %2 = reshape(%x) {shape=[N, B]} : f32[N,B]
  %3 = broadcast(%v) {shape=[B, N]} : f32[B,N]
  %4 = broadcast(%c) {shape=[2, B, N]} : i32[2,B,N]
  %5 = reshape(%y) {shape=[3*B*N]} : f64[3*B*N]
  return t = %0, t3 = %1, r = %2, bv = %3, bc = %4, flat = %5
})");
}

TEST(CompiledLayout, SlicePadConcat) {
  exact(R"(graph @g(%x: f32[B,N], %b: bool[B,N], %i: i64[B,2], %z: f32[B,9]) {
  %0 = slice(%z) {starts=[0, 1], stops=[B, 9], steps=[1, 3]} : f32[B,3]
  %1 = pad(%x) {low=[1, 0], high=[0, 2], interior=[1, 0]} : f32[2*B,N+2]
  %2 = concat(%x, %x) {axis=1} : f32[B,2*N]
  %3 = concat(%b, %b, %b) {axis=0} : bool[3*B,N]
  %4 = concat(%i, %i) {axis=1} : i64[B,4]
  return s = %0, p = %1, c1 = %2, c0 = %3, ci = %4
})");
}

TEST(CompiledLayout, SliceWithSymbolicBounds) {
  exact(R"(graph @g(%x: f32[B,N]) {
  %0 = slice(%x) {starts=[0, 1], stops=[B, N], steps=[1, 1]} : f32[B,N-1]
  return s = %0
})",
        3, {{{"B", 1}, {"N", 1}}, {{"B", 3}, {"N", 17}}, {{"B", 2}, {"N", 2}}});
}

TEST(CompiledLayout, GatherScatterOneHot) {
  // Indices in [0, 5): the last axis has 5 elements, the first B >= 5.
  std::vector<DimBindings> Binds = {{{"B", 5}}, {{"B", 7}}, {{"B", 33}}};
  exact(
      R"(graph @g(%x: f32[B,5], %i: i64[B,1], %j: i32[3,5], %u: f32[B,1], %k: i32[B]) {
  %0 = gather(%x, %i) {axis=1} : f32[B,1]
  %1 = gather(%x, %j) {axis=0} : f32[3,5]
  %2 = scatter_add(%i, %u) {axis=1, size=5} : f32[B,5]
  %3 = scatter_add(%j, %1) {axis=0, size=B} : f32[B,5]
  %4 = one_hot(%k) {depth=5, dtype=f32} : f32[B,5]
  %5 = one_hot(%k) {depth=5, dtype=bool} : bool[B,5]
  return g1 = %0, g0 = %1, s1 = %2, s0 = %3, oh = %4, ohb = %5
})",
      5, Binds);
}

TEST(CompiledLayout, RandomDrawsAreBitIdentical) {
  exact(R"(graph @g(%key: i64[]) {
  %0 = random_uniform(%key) : f32[B,N]
  %1 = random_normal(%key) : f64[N,B]
  %2 = random_normal(%key) : f32[3]
  return u = %0, n = %1, n3 = %2
})",
        1000);
}

TEST(CompiledLayout, DimValuesConstantsAndArgumentsAsOutputs) {
  Graph G = parseGraph(R"(graph @g(%x: f32[B,N], param %w: f32[N]) {
  %0 = dim_value() {dim=B*N+1} : i64[]
  %1 = constant() {value=[1.0, 2.5, -0.0]} : f32[3]
  %2 = dim_value() {dim=N} : f32[]
  return count = %0, c = %1, x = %x, w = %w, n = %2, x2 = %x
})");
  expectMatchesInterpreter(G, kBindings, Tolerance{0});
}

TEST(CompiledLayout, OutOfRangeIndicesFailTheCall) {
  struct Case {
    const char *Text;
    const char *Op;
  } Cases[] = {
      {R"(graph @g(%x: f32[B,5], %i: i64[B,1]) {
  %0 = gather(%x, %i) {axis=1} : f32[B,1]
  return y = %0
})",
       "'gather'"},
      {R"(graph @g(%x: f32[B,5], %i: i64[2,5]) {
  %0 = gather(%x, %i) {axis=0} : f32[2,5]
  return y = %0
})",
       "'gather'"},
      {R"(graph @g(%i: i64[B,1], %u: f32[B,1]) {
  %0 = scatter_add(%i, %u) {axis=0, size=B} : f32[B,1]
  return y = %0
})",
       "'scatter_add'"},
      {R"(graph @g(%k: i32[B]) {
  %0 = one_hot(%k) {depth=5, dtype=f32} : f32[B,5]
  return y = %0
})",
       "'one_hot'"},
  };
  for (const Case &C : Cases) {
    SCOPED_TRACE(C.Text);
    Graph G = parseGraph(C.Text);
    CompiledFunction F = CompiledFunction::compile(G);
    ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
    CallContext Ctx = F.newContext();
    TensorMap Args = randomArgs(G, {{"B", 4}}, 9, -1, 1, 2);
    // A negative and a too-large index, each alone.
    for (double Bad : {-1.0, 1e6}) {
      TensorMap A = Args;
      for (auto &[Name, T] : A)
        if (isInteger(T.dtype()))
          T.set(T.numel() - 1, Bad);
      expectRuntimeError(
          [&] { runCompiled(F, Ctx, A); },
          {C.Op, "out of range", std::to_string(static_cast<int64_t>(Bad))});
    }
    // The context still works after a failed call.
    Reference Want = interpret(referenceGraph(G), Args);
    EXPECT_EQ(runCompiled(F, Ctx, Args).Outputs.at("y").at(0),
              Want.Outputs.at("y").at(0));
  }
}

} // namespace
} // namespace netjit::testing
