//===- compiled_reduce_test.cpp - Reductions, products, softmax: JIT vs interp
//===//
//
// Reductions over every axis set of rank-2 and rank-3 values (the fuse pass
// turns a middle-axis reduction into a transpose plus a fused reduction),
// argmax, the softmax family (lowered to max / exp / sum loops), per-row
// terms of sums computed after the row loop, row loops unrolled for a
// constant class count, softmax's exponentials of non-positive arguments,
// and matmul
// (a GEMM call, with transposed operands folded into its flags), for several
// bindings of the symbolic dims including 1 and odd sizes. Error model: a
// float sum must be within 1e-6 * Σ|terms| of the interpreter's (double
// accumulation), max/min/argmax and integer results exactly; a product of
// depth K within (K + 2) * eps * Σ|a||b| (the classic dot-product bound for
// the GEMM's own accumulation order); composite ops (softmax, logsumexp)
// within 8 ulps per element or 1e-6 of the largest value.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

#include "ir/builder.h"

#include <regex>

namespace netjit::testing {
namespace {

const std::vector<DimBindings> kBindings = {{{"B", 1}, {"T", 1}, {"N", 1}},
                                            {{"B", 3}, {"T", 2}, {"N", 17}},
                                            {{"B", 2}, {"T", 5}, {"N", 33}},
                                            {{"B", 7}, {"T", 3}, {"N", 100}}};

Shape shapeOf(int Rank) {
  if (Rank == 2)
    return {Dim::symbol("B"), Dim::symbol("N")};
  return {Dim::symbol("B"), Dim::symbol("T"), Dim::symbol("N")};
}

/// y = Op(x) over Axes, and the magnitude graph sum(|x|) over the same axes.
Graph reduceGraph(OpCode Op, DType T, int Rank, std::vector<int64_t> Axes,
                  bool KeepDims, bool Magnitude = false) {
  Graph G("r");
  Builder B(G);
  NodeId X = G.input("x", TensorType{T, shapeOf(Rank)});
  if (Magnitude)
    X = B.unary(OpCode::Abs, X);
  NodeId Y = G.make(Magnitude ? OpCode::Sum : Op, std::vector<NodeId>{X},
                    Attrs{{"axes", Axes}, {"keepdims", KeepDims}});
  G.addOutput("y", Y);
  return G;
}

void checkReduction(OpCode Op, DType T, int Rank, std::vector<int64_t> Axes,
                    bool KeepDims) {
  std::string Name = std::string(opName(Op)) + " " + std::string(dtypeName(T)) +
                     " rank " + std::to_string(Rank) + " axes";
  for (int64_t A : Axes)
    Name += " " + std::to_string(A);
  SCOPED_TRACE(Name);
  Graph G = reduceGraph(Op, T, Rank, Axes, KeepDims);
  Graph Mag = reduceGraph(Op, T, Rank, Axes, KeepDims, true);
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  Graph Ref = referenceGraph(G);
  CallContext Ctx = F.newContext();
  uint64_t Seed = 11;
  for (const DimBindings &B : kBindings) {
    TensorMap Args = randomArgs(G, B, Seed++, -2, 2, 100);
    Tensor Want = interpret(Ref, Args, B).Outputs.at("y");
    Tensor Got = runCompiled(F, Ctx, Args, B).Outputs.at("y");
    Tolerance Tol{0};
    Tensor M;
    if (Op == OpCode::Sum || Op == OpCode::Mean) {
      M = interpret(Mag, Args, B).Outputs.at("y");
      if (Op == OpCode::Mean) { // Σ|x| / count
        int64_t Count = Got.numel() ? Args.at("x").numel() / Got.numel() : 1;
        for (int64_t I = 0; I < M.numel(); ++I)
          M.set(I, M.at(I) / static_cast<double>(Count));
        Tol.Ulps = 2; // the scale by 1/count rounds once more
      }
      Tol.Rel = 1e-6;
      Tol.Mag = &M;
    }
    expectClose(Got, Want, Name, Tol);
  }
}

TEST(CompiledReduce, EveryAxisSetRank2) {
  for (OpCode Op : {OpCode::Sum, OpCode::Max, OpCode::Min, OpCode::Mean})
    for (DType T : {DType::F32, DType::F64})
      for (std::vector<int64_t> Axes : {std::vector<int64_t>{1}, {0}, {0, 1}})
        for (bool Keep : {false, true})
          checkReduction(Op, T, 2, Axes, Keep);
  for (OpCode Op : {OpCode::Sum, OpCode::Max, OpCode::Min})
    for (DType T : {DType::I32, DType::I64})
      for (std::vector<int64_t> Axes : {std::vector<int64_t>{1}, {0}, {0, 1}})
        checkReduction(Op, T, 2, Axes, false);
}

TEST(CompiledReduce, EveryAxisSetRank3) {
  for (OpCode Op : {OpCode::Sum, OpCode::Max, OpCode::Mean})
    for (std::vector<int64_t> Axes :
         {std::vector<int64_t>{2}, {1}, {0}, {0, 1}, {1, 2}, {0, 2}, {0, 1, 2}})
      checkReduction(Op, DType::F32, 3, Axes, false);
}

TEST(CompiledReduce, LongF32SumsStayWithinTheBound) {
  // One row of a million elements (blocked f32 partial sums), long rows,
  // and a long column sum, all of positive terms (the hardest case for a
  // float sum: no cancellation hides the accumulated rounding).
  Graph G = parseGraph(R"(graph @g(%x: f32[N], %y: f32[B,M]) {
  %0 = square(%x) : f32[N]
  %1 = sum(%0) {axes=[0], keepdims=false} : f32[]
  %2 = abs(%y) : f32[B,M]
  %3 = sum(%2) {axes=[1], keepdims=false} : f32[B]
  %4 = sum(%2) {axes=[0], keepdims=false} : f32[M]
  %5 = sum(%2) {axes=[0, 1], keepdims=false} : f32[]
  return s = %1, rows = %3, cols = %4, all = %5
})");
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  DimBindings B = {{"N", 1000003}, {"B", 3}, {"M", 200001}};
  TensorMap Args = randomArgs(G, B, 5, -3, 3);
  Reference Want = interpret(referenceGraph(G), Args, B);
  Reference Got = runCompiled(F, Ctx, Args, B);
  // Every term is non-negative, so Σ|terms| is the exact sum itself.
  for (const auto &[Name, V] : Want.Outputs)
    expectClose(Got.Outputs.at(Name), V, Name, Tolerance{0, 1e-6, &V});
}

TEST(CompiledReduce, MaxAndMinPropagateNaN) {
  Graph G = parseGraph(R"(
graph @g(%x: f32[B,N]) {
  %0 = max(%x) {axes=[1], keepdims=false} : f32[B]
  %1 = min(%x) {axes=[0], keepdims=false} : f32[N]
  %2 = max(%x) {axes=[0, 1], keepdims=false} : f32[]
  return rows = %0, cols = %1, all = %2
})");
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  const double Nan = std::numeric_limits<double>::quiet_NaN();
  // 2 x 40: a NaN in row 1 at column 37 (in the vectorized part).
  std::vector<double> V(80);
  for (int I = 0; I < 80; ++I)
    V[I] = I % 7 - 3;
  V[40 + 37] = Nan;
  TensorMap Args = {{"x", Tensor::fromValues(DType::F32, {2, 40}, V)}};
  Reference Got = runCompiled(F, Ctx, Args);
  EXPECT_EQ(Got.Outputs.at("rows").at(0), 3);
  EXPECT_TRUE(std::isnan(Got.Outputs.at("rows").at(1)));
  EXPECT_TRUE(std::isnan(Got.Outputs.at("cols").at(37)));
  EXPECT_EQ(Got.Outputs.at("cols").at(36), std::min(V[36], V[76]));
  EXPECT_TRUE(std::isnan(Got.Outputs.at("all").at(0)));
}

TEST(CompiledReduce, Argmax) {
  for (DType T : {DType::F32, DType::I32})
    for (int Axis : {0, 1}) {
      std::string Ty(dtypeName(T)), Out = Axis == 0 ? "[N]" : "[B]";
      Graph G = parseGraph(
          "graph @g(%x: " + Ty +
          "[B,N]) {\n  %0 = argmax(%x) {axis=" + std::to_string(Axis) +
          ", keepdims=false} : i64" + Out + "\n  return y = %0\n}\n");
      expectMatchesInterpreter(G, kBindings, Tolerance{0}, 3, -2, 2, 4);
    }
}

TEST(CompiledReduce, SoftmaxFamily) {
  Graph G = parseGraph(R"(
graph @g(%z: f32[B,N], %labels: i32[B]) {
  %0 = softmax(%z) {axis=1} : f32[B,N]
  %1 = log_softmax(%z) {axis=1} : f32[B,N]
  %2 = softmax(%z) {axis=0} : f32[B,N]
  %3 = logsumexp(%z) {axes=[1], keepdims=false} : f32[B]
  %4 = logsumexp(%z) {axes=[0, 1], keepdims=false} : f32[]
  %5 = softmax_xent(%z, %labels) : f32[B]
  return sm = %0, lsm = %1, sm0 = %2, lse = %3, lse_all = %4, xent = %5
})");
  // Labels in [0, 1): valid for every binding of N.
  expectMatchesInterpreter(G, kBindings, Tolerance{8, 0, nullptr, 1e-6}, 5, -5,
                           5, 1);
}

TEST(CompiledReduce, RowLoopsUnrolledForConstantClassCounts) {
  // With K a small constant and a reduction per row, the labels are checked
  // in a loop of their own and the row loop is unrolled by two (its
  // remainder takes the last row of an odd batch): the values must not
  // change for any batch, and a bad label in any row, the last of an odd
  // batch included, fails the call.
  for (int64_t K : {10, 64}) {
    Graph G = parseGraph(std::regex_replace(R"(
graph @g(%z: f32[B,K], %labels: i64[B]) {
  %0 = softmax_xent(%z, %labels) : f32[B]
  %1 = mean(%0) {axes=[0], keepdims=false} : f32[]
  %2 = grad(%1, %z) : f32[B,K]
  %3 = softmax(%z) {axis=1} : f32[B,K]
  return loss = %1, dz = %2, p = %3
})",
                                            std::regex("B,K"),
                                            "B," + std::to_string(K)));
    SCOPED_TRACE("K = " + std::to_string(K));
    std::vector<DimBindings> Binds = {
        {{"B", 1}}, {{"B", 2}}, {{"B", 3}}, {{"B", 17}}, {{"B", 64}}};
    expectMatchesInterpreter(G, Binds, Tolerance{8, 0, nullptr, 1e-6}, 3, -5, 5,
                             K);
    CompiledFunction F = CompiledFunction::compile(G);
    std::string IR = F.llvmIR();
    EXPECT_THAT(IR, ::testing::HasSubstr("llvm.loop.unroll.count\", i32 2"));
    EXPECT_THAT(IR, ::testing::HasSubstr("chk.body"));
    CallContext Ctx = F.newContext();
    for (int64_t Rows : {1, 5}) {
      TensorMap Args = randomArgs(G, {{"B", Rows}}, 7, -1, 1, K);
      Args.at("labels").set(Rows - 1, static_cast<double>(K));
      expectRuntimeError([&] { runCompiled(F, Ctx, Args); },
                         {"'gather' (kernel %", "index " + std::to_string(K),
                          "out of range [0, " + std::to_string(K) + ")"});
    }
  }
  // A symbolic K keeps the row loop as it is.
  CompiledFunction S = CompiledFunction::compile(parseGraph(R"(
graph @g(%z: f32[B,N], %labels: i64[B]) {
  %0 = softmax_xent(%z, %labels) : f32[B]
  %1 = mean(%0) {axes=[0], keepdims=false} : f32[]
  return loss = %1
})"));
  EXPECT_THAT(S.llvmIR(), ::testing::Not(::testing::HasSubstr("unroll")));
}

TEST(CompiledReduce, SoftmaxExponentialsOfNonPositiveArguments) {
  // exp(x - broadcast(max(x))) has arguments <= 0 (or NaN): the kernel calls
  // netjit.expneg. The max of a square x over one axis, reshaped across the
  // other and broadcast, is not each element's own maximum: the arguments
  // can be positive and the general exp must be called. Both agree with the
  // interpreter.
  Graph Own = parseGraph(R"(
graph @g(%x: f32[B,N]) {
  %0 = max(%x) {axes=[1], keepdims=false} : f32[B]
  %1 = reshape(%0) {shape=[B, 1]} : f32[B,1]
  %2 = broadcast(%1) {shape=[B, N]} : f32[B,N]
  %3 = sub(%x, %2) : f32[B,N]
  %4 = exp(%3) : f32[B,N]
  return y = %4
})");
  Graph Crossed = parseGraph(R"(
graph @g(%x: f32[4,4]) {
  %0 = max(%x) {axes=[1], keepdims=false} : f32[4]
  %1 = reshape(%0) {shape=[1, 4]} : f32[1,4]
  %2 = broadcast(%1) {shape=[4, 4]} : f32[4,4]
  %3 = sub(%x, %2) : f32[4,4]
  %4 = exp(%3) : f32[4,4]
  return y = %4
})");
  EXPECT_THAT(CompiledFunction::compile(Own).llvmIR(),
              ::testing::HasSubstr("call float @netjit.expneg.f32("));
  EXPECT_THAT(
      CompiledFunction::compile(Crossed).llvmIR(),
      ::testing::Not(::testing::HasSubstr("call float @netjit.expneg")));
  expectMatchesInterpreter(Own, kBindings, Tolerance{1}, 8, -80, 80);
  // Row i holds 10 i .. 10 i + 3: row 3's elements exceed rows 0-2's
  // maxima, so x - (crossed maximum) is up to 33.
  CompiledFunction F = CompiledFunction::compile(Crossed);
  CallContext Ctx = F.newContext();
  TensorMap Args = randomArgs(Crossed, {}, 1);
  for (int64_t I = 0; I < 16; ++I)
    Args.at("x").set(I, static_cast<double>(10 * (I / 4) + I % 4));
  Tensor Want = interpret(referenceGraph(Crossed), Args).Outputs.at("y");
  EXPECT_GT(Want.at(12), 1e10); // exp(30 - 3)
  expectClose(runCompiled(F, Ctx, Args).Outputs.at("y"), Want, "crossed",
              Tolerance{1});
}

TEST(CompiledReduce, RowTermsOfSumsAfterTheRowLoop) {
  // The log and tanh of per-row values feed only the sum over rows: the
  // kernel computes them after its row loop, in a loop over the rows
  // (codegen/plan.h, deferredRowValues), reading the row maxima and sums
  // it stored and the argument w in place. lse stays in the row loop (an
  // output). Row lengths cross the 512-element block of f32 sums; positive
  // terms, so a relative bound on the sums holds.
  Graph G = parseGraph(R"(
graph @g(%x: f32[B,N], %w: f32[B]) {
  %0 = logsumexp(%x) {axes=[1], keepdims=false} : f32[B]
  %1 = mul(%0, %w) : f32[B]
  %2 = tanh(%w) : f32[B]
  %3 = add(%1, %2) : f32[B]
  %4 = sum(%3) {axes=[0], keepdims=false} : f32[]
  %5 = max(%x) {axes=[1], keepdims=false} : f32[B]
  %6 = log(%5) : f32[B]
  %7 = sum(%6) {axes=[0], keepdims=false} : f32[]
  %8 = logsumexp(%x) {axes=[0, 1], keepdims=false} : f32[]
  return s = %4, t = %7, lse = %0, all = %8
})");
  std::vector<DimBindings> Binds = {{{"B", 1}, {"N", 1}},
                                    {{"B", 37}, {"N", 17}},
                                    {{"B", 5}, {"N", 512}},
                                    {{"B", 3}, {"N", 513}},
                                    {{"B", 1000}, {"N", 3}}};
  expectMatchesInterpreter(G, Binds, Tolerance{8, 0, nullptr, 1e-6}, 7, 0.5, 2);
  CompileOptions Strict;
  Strict.StrictFloat = true;
  CompiledFunction F = CompiledFunction::compile(G, Strict);
  EXPECT_THAT(F.llvmIR(), ::testing::HasSubstr("rowdef.body")); // the loop
  Graph Ref = referenceGraph(G);
  CallContext Ctx = F.newContext();
  for (const DimBindings &B : Binds) {
    TensorMap Args = randomArgs(G, B, 9, 0.5, 2);
    Reference Want = interpret(Ref, Args, B);
    Reference Got = runCompiled(F, Ctx, Args, B);
    for (const auto &[Name, V] : Want.Outputs)
      expectClose(Got.Outputs.at(Name), V, "strict " + Name,
                  Tolerance{8, 0, nullptr, 1e-6});
  }
  // A NaN in one row reaches both sums through the deferred loop.
  const double Nan = std::numeric_limits<double>::quiet_NaN();
  CompiledFunction J = CompiledFunction::compile(G);
  CallContext JCtx = J.newContext();
  TensorMap Args = randomArgs(G, {{"B", 40}, {"N", 9}}, 3, 0.5, 2);
  Args.at("x").set(9 * 21 + 4, Nan);
  Reference Got = runCompiled(J, JCtx, Args);
  EXPECT_TRUE(std::isnan(Got.Outputs.at("s").at(0)));
  EXPECT_TRUE(std::isnan(Got.Outputs.at("t").at(0)));
  EXPECT_TRUE(std::isnan(Got.Outputs.at("lse").at(21)));
  EXPECT_FALSE(std::isnan(Got.Outputs.at("lse").at(20)));
}

/// Σ|a||b| for a product: the same graph on |a|, |b|.
void checkMatmul(const std::string &Text, double Eps) {
  SCOPED_TRACE(Text);
  Graph G = parseGraph(Text);
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  Graph Ref = referenceGraph(G);
  CallContext Ctx = F.newContext();
  uint64_t Seed = 21;
  for (const DimBindings &B : kBindings) {
    TensorMap Args = randomArgs(G, B, Seed++, -2, 2, 7);
    TensorMap Abs = Args;
    for (auto &[Name, T] : Abs)
      for (int64_t I = 0; I < T.numel(); ++I)
        T.set(I, std::fabs(T.at(I)));
    Tensor Want = interpret(Ref, Args, B).Outputs.at("y");
    Tensor Mag = interpret(Ref, Abs, B).Outputs.at("y");
    Tensor Got = runCompiled(F, Ctx, Args, B).Outputs.at("y");
    double Depth = static_cast<double>(B.at("N"));
    expectClose(Got, Want, "matmul", Tolerance{1, (Depth + 2) * Eps, &Mag});
  }
}

TEST(CompiledReduce, Matmul) {
  const double F32 = 6e-8, F64 = 1.2e-16;
  checkMatmul(R"(graph @g(%a: f32[B,N], %b: f32[N,T]) {
  %0 = matmul(%a, %b) : f32[B,T]
  return y = %0
})",
              F32);
  checkMatmul(R"(graph @g(%a: f64[B,N], %b: f64[N,T]) {
  %0 = matmul(%a, %b) : f64[B,T]
  return y = %0
})",
              F64);
  // Both operands transposed (folded into the GEMM's flags).
  checkMatmul(R"(graph @g(%a: f32[N,B], %b: f32[T,N]) {
  %0 = transpose(%a) {perm=[1, 0]} : f32[B,N]
  %1 = transpose(%b) {perm=[1, 0]} : f32[N,T]
  %2 = matmul(%0, %1) : f32[B,T]
  return y = %2
})",
              F32);
  // Batched, with a transposed right operand, and large enough for the
  // blocked (packing) GEMM path.
  checkMatmul(R"(graph @g(%a: f32[T,B,N], %b: f32[T,40,N]) {
  %0 = transpose(%b) {perm=[0, 2, 1]} : f32[T,N,40]
  %1 = matmul(%a, %0) : f32[T,B,40]
  return y = %1
})",
              F32);
  checkMatmul(R"(graph @g(%a: i32[B,N], %b: i32[N,T]) {
  %0 = matmul(%a, %b) : i32[B,T]
  return y = %0
})",
              0);
}

TEST(CompiledReduce, TransposeFoldsIntoGemmFlags) {
  Graph G = parseGraph(R"(graph @g(%a: f32[N,B], %b: f32[N,T]) {
  %0 = transpose(%a) {perm=[1, 0]} : f32[B,N]
  %1 = matmul(%0, %b) : f32[B,T]
  return y = %1
})");
  CompiledFunction F = CompiledFunction::compile(G);
  // No copy loop for the transpose: the entry calls the GEMM with flag 1.
  EXPECT_THAT(F.llvmIR(), ::testing::Not(::testing::HasSubstr("@step")));
  EXPECT_THAT(F.llvmIR(), ::testing::HasSubstr("(ptr %gemm"));
  EXPECT_THAT(F.llvmIR(), ::testing::HasSubstr(", i32 1, i64"));
}

} // namespace
} // namespace netjit::testing
