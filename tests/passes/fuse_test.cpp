//===- fuse_test.cpp - Grouping lowered graphs into kernels ---------------===//
//
// The fuse pass on the graphs codegen cares about: the golden fused IR of an
// MLP classifier's loss and gradients (reviewed by hand against the [R, K]
// model of passes/kernel_info.h), the kernel counts of the mse, mae, hinge
// and cross-entropy losses with their gradients, the cost veto, reductions
// over other axes, broadcasts that never materialize, boundaries, and
// determinism. Every fused graph is evaluated against the unfused one.
//
//===----------------------------------------------------------------------===//
#include "numeric_check.h"

#include "passes/kernel_info.h"

namespace netjit {
namespace {

using namespace netjit::testing;

/// The pipeline codegen runs before fusion.
std::string lowered() {
  return std::string(defaultPipeline()) + ",lower,fix(simplify,cse),dce";
}

/// Live top-level nodes of G with the op.
int count(const Graph &G, OpCode Op) {
  int N = 0;
  for (NodeId Id : G.liveNodes())
    N += G.node(Id).Op == Op;
  return N;
}

/// Every kernel of G fits the model; no elementwise op, sum/max/min or
/// one_hot is left outside a kernel. Returns the kernels' analyses.
std::vector<KernelInfo> checkFused(const Graph &G) {
  verify(G);
  std::vector<KernelInfo> Infos;
  for (NodeId Id : G.liveNodes()) {
    const Node &N = G.node(Id);
    EXPECT_FALSE(hasTrait(N.Op, kElementwise) || N.Op == OpCode::Sum ||
                 N.Op == OpCode::Max || N.Op == OpCode::Min ||
                 N.Op == OpCode::OneHot)
        << "left outside: " << printNode(G, Id);
    if (N.Op == OpCode::Kernel)
      Infos.push_back(analyzeKernel(*N.Body));
  }
  return Infos;
}

/// The fused and unfused graphs agree on random inputs for each binding
/// (labels in [0, IntHi)). Fusion only regroups nodes, so the interpreter
/// computes the same operations; reductions it reshaped may sum in another
/// order, hence the tolerance.
void expectFusedValues(const Graph &Unfused, const Graph &Fused,
                       std::vector<DimBindings> Binds, int64_t IntHi) {
  uint64_t Seed = 1;
  for (const DimBindings &Bind : Binds) {
    SCOPED_TRACE(printGraph(Fused));
    expectSameValues(Unfused, Fused,
                     randomArgs(Unfused, Bind, Seed++, -3, 3, IntHi), 1e-12,
                     1e-12, Bind);
  }
}

/// Runs the codegen pipeline on Text, then fuse; checks the result.
struct Fused {
  Graph Unfused, After;
  PassContext Ctx;
  std::vector<KernelInfo> Kernels;
};

Fused fuseText(const std::string &Text) {
  Fused F{parseGraph(Text), Graph("fused"), {}, {}};
  runPipeline(F.Unfused, lowered());
  F.After = parseGraph(printGraph(F.Unfused));
  runPipeline(F.After, "fuse", &F.Ctx);
  F.Kernels = checkFused(F.After);
  return F;
}

const char *const kMlpLowered =
    R"(graph @mlp_classifier(%x: f32[B,784], %labels: i64[B], param %w1: f32[784,256], param %b1: f32[256], param %w2: f32[256,10], param %b2: f32[10]) {
  %0 = matmul(%x, %w1) : f32[B,256]
  %1 = broadcast(%b1) {shape=[B, 256]} : f32[B,256]
  %2 = add(%0, %1) : f32[B,256]
  %3 = relu(%2) : f32[B,256]
  %4 = matmul(%3, %w2) : f32[B,10]
  %5 = broadcast(%b2) {shape=[B, 10]} : f32[B,10]
  %6 = add(%4, %5) : f32[B,10]
  %7 = reshape(%labels) {shape=[B, 1]} : i64[B,1]
  %8 = gather(%6, %7) {axis=1} : f32[B,1]
  %9 = max(%6) {axes=[1], keepdims=true} : f32[B,1]
  %10 = broadcast(%9) {shape=[B, 10]} : f32[B,10]
  %11 = sub(%6, %10) : f32[B,10]
  %12 = exp(%11) : f32[B,10]
  %13 = sum(%12) {axes=[1], keepdims=true} : f32[B,1]
  %14 = log(%13) : f32[B,1]
  %15 = add(%9, %14) : f32[B,1]
  %16 = constant() {value=inf} : f32[]
  %17 = broadcast(%16) {shape=[B, 1]} : f32[B,1]
  %18 = abs(%9) : f32[B,1]
  %19 = lt(%18, %17) : bool[B,1]
  %20 = select(%19, %15, %9) : f32[B,1]
  %21 = sub(%20, %8) : f32[B,1]
  %22 = constant() {value=1.0} : f32[]
  %23 = dim_value() {dim=B} : f32[]
  %24 = div(%22, %23) : f32[]
  %25 = sum(%21) {axes=[0, 1], keepdims=false} : f32[]
  %26 = mul(%24, %25) : f32[]
  %27 = one_hot(%labels) {depth=10, dtype=f32} : f32[B,10]
  %28 = broadcast(%13) {shape=[B, 10]} : f32[B,10]
  %29 = div(%12, %28) : f32[B,10]
  %30 = sub(%29, %27) : f32[B,10]
  %31 = broadcast(%24) {shape=[B, 10]} : f32[B,10]
  %32 = mul(%30, %31) : f32[B,10]
  %33 = sum(%32) {axes=[0], keepdims=false} : f32[10]
  %34 = transpose(%w2) {perm=[1, 0]} : f32[10,256]
  %35 = matmul(%32, %34) : f32[B,256]
  %36 = transpose(%3) {perm=[1, 0]} : f32[256,B]
  %37 = matmul(%36, %32) : f32[256,10]
  %38 = constant() {value=0.0} : f32[]
  %39 = broadcast(%38) {shape=[B, 256]} : f32[B,256]
  %40 = lt(%39, %2) : bool[B,256]
  %41 = select(%40, %35, %39) : f32[B,256]
  %42 = sum(%41) {axes=[0], keepdims=false} : f32[256]
  %43 = transpose(%x) {perm=[1, 0]} : f32[784,B]
  %44 = matmul(%43, %41) : f32[784,256]
  return loss = %26, dw1 = %44, db1 = %42, dw2 = %37, db2 = %33
}
)";

// Three kernels around the five matmuls: the hidden layer's bias, relu and
// relu' mask (one loop); the logits' bias, the cross-entropy, its mean, the
// softmax gradient and db2 (three loops: max, sum of exp, outputs); the relu
// backward and db1 (one loop). Broadcasts are index maps inside the bodies;
// the transposes feeding the gradient matmuls stay outside.
const char *const kMlpFused =
    R"(graph @mlp_classifier(%x: f32[B,784], %labels: i64[B], param %w1: f32[784,256], param %b1: f32[256], param %w2: f32[256,10], param %b2: f32[10]) {
  %0 = matmul(%x, %w1) : f32[B,256]
  %1 = kernel(%0, %b1) : (f32[B,256], bool[B,256]) body(%in0: f32[B,256], %in1: f32[256]) {
    %0 = broadcast(%in1) {shape=[B, 256]} : f32[B,256]
    %1 = add(%in0, %0) : f32[B,256]
    %2 = relu(%1) : f32[B,256]
    %3 = constant() {value=0.0} : f32[]
    %4 = broadcast(%3) {shape=[B, 256]} : f32[B,256]
    %5 = lt(%4, %1) : bool[B,256]
    return %2, %5
  }
  %2 = result(%1) {index=0} : f32[B,256]
  %3 = result(%1) {index=1} : bool[B,256]
  %4 = matmul(%2, %w2) : f32[B,10]
  %5 = kernel(%4, %b2, %labels) : (f32[], f32[B,10], f32[10]) body(%in0: f32[B,10], %in1: f32[10], %in2: i64[B]) {
    %0 = broadcast(%in1) {shape=[B, 10]} : f32[B,10]
    %1 = add(%in0, %0) : f32[B,10]
    %2 = reshape(%in2) {shape=[B, 1]} : i64[B,1]
    %3 = gather(%1, %2) {axis=1} : f32[B,1]
    %4 = max(%1) {axes=[1], keepdims=true} : f32[B,1]
    %5 = broadcast(%4) {shape=[B, 10]} : f32[B,10]
    %6 = sub(%1, %5) : f32[B,10]
    %7 = exp(%6) : f32[B,10]
    %8 = sum(%7) {axes=[1], keepdims=true} : f32[B,1]
    %9 = log(%8) : f32[B,1]
    %10 = add(%4, %9) : f32[B,1]
    %11 = abs(%4) : f32[B,1]
    %12 = constant() {value=inf} : f32[]
    %13 = broadcast(%12) {shape=[B, 1]} : f32[B,1]
    %14 = lt(%11, %13) : bool[B,1]
    %15 = select(%14, %10, %4) : f32[B,1]
    %16 = sub(%15, %3) : f32[B,1]
    %17 = sum(%16) {axes=[0, 1], keepdims=false} : f32[]
    %18 = constant() {value=1.0} : f32[]
    %19 = dim_value() {dim=B} : f32[]
    %20 = div(%18, %19) : f32[]
    %21 = mul(%20, %17) : f32[]
    %22 = one_hot(%in2) {depth=10, dtype=f32} : f32[B,10]
    %23 = broadcast(%8) {shape=[B, 10]} : f32[B,10]
    %24 = div(%7, %23) : f32[B,10]
    %25 = sub(%24, %22) : f32[B,10]
    %26 = broadcast(%20) {shape=[B, 10]} : f32[B,10]
    %27 = mul(%25, %26) : f32[B,10]
    %28 = sum(%27) {axes=[0], keepdims=false} : f32[10]
    return %21, %27, %28
  }
  %6 = result(%5) {index=0} : f32[]
  %7 = result(%5) {index=1} : f32[B,10]
  %8 = result(%5) {index=2} : f32[10]
  %9 = transpose(%w2) {perm=[1, 0]} : f32[10,256]
  %10 = matmul(%7, %9) : f32[B,256]
  %11 = transpose(%2) {perm=[1, 0]} : f32[256,B]
  %12 = matmul(%11, %7) : f32[256,10]
  %13 = kernel(%3, %10) : (f32[B,256], f32[256]) body(%in0: bool[B,256], %in1: f32[B,256]) {
    %0 = constant() {value=0.0} : f32[]
    %1 = broadcast(%0) {shape=[B, 256]} : f32[B,256]
    %2 = select(%in0, %in1, %1) : f32[B,256]
    %3 = sum(%2) {axes=[0], keepdims=false} : f32[256]
    return %2, %3
  }
  %14 = result(%13) {index=0} : f32[B,256]
  %15 = result(%13) {index=1} : f32[256]
  %16 = transpose(%x) {perm=[1, 0]} : f32[784,B]
  %17 = matmul(%16, %14) : f32[784,256]
  return loss = %6, dw1 = %17, db1 = %15, dw2 = %12, db2 = %8
}
)";

TEST(Fuse, MlpClassifierGolden) {
  PassRun R = runOnText("fuse", kMlpLowered);
  EXPECT_TRUE(R.Changed);
  EXPECT_EQ(printGraph(R.After), kMlpFused);
  EXPECT_EQ(R.hits("fuse.kernels"), 3);
  std::vector<KernelInfo> K = checkFused(R.After);
  ASSERT_EQ(K.size(), 3u);
  EXPECT_EQ(K[0].NumLoops, 1);
  EXPECT_EQ(K[1].NumLoops, 3);
  EXPECT_EQ(K[1].RecomputeCost,
            1); // exp(z - m) in the sum's loop and the output loop
  EXPECT_EQ(K[2].NumLoops, 1);
  // 784x256 weights are too big for the interpreter at speed: check values
  // on the same graph with its matmuls, for B = 1 and 3.
  expectFusedValues(R.Before, R.After, {{{"B", 1}}, {{"B", 3}}}, 10);
}

TEST(Fuse, MlpClassifierThroughTheCodegenPipeline) {
  Fused F = fuseText(
      R"(graph @mlp(%x: f32[B,8], %labels: i64[B], param %w1: f32[8,6], param %b1: f32[6], param %w2: f32[6,4], param %b2: f32[4]) {
  %0 = matmul(%x, %w1) : f32[B,6]
  %1 = broadcast(%b1) {shape=[B, 6]} : f32[B,6]
  %2 = add(%0, %1) : f32[B,6]
  %3 = relu(%2) : f32[B,6]
  %4 = matmul(%3, %w2) : f32[B,4]
  %5 = broadcast(%b2) {shape=[B, 4]} : f32[B,4]
  %6 = add(%4, %5) : f32[B,4]
  %7 = softmax(%6) {axis=1} : f32[B,4]
  %8 = log(%7) : f32[B,4]
  %9 = reshape(%labels) {shape=[B, 1]} : i64[B,1]
  %10 = gather(%8, %9) {axis=1} : f32[B,1]
  %11 = neg(%10) : f32[B,1]
  %12 = mean(%11) {axes=[0, 1], keepdims=false} : f32[]
  %13 = grad(%12, %w1) : f32[8,6]
  %14 = grad(%12, %b1) : f32[6]
  %15 = grad(%12, %w2) : f32[6,4]
  %16 = grad(%12, %b2) : f32[4]
  return loss = %12, dw1 = %13, db1 = %14, dw2 = %15, db2 = %16
}
)");
  // A handful of kernels plus the GEMMs: 3 kernels (hidden layer forward,
  // loss + logits gradient, hidden layer backward), 5 matmuls (two forward,
  // dW2, dh, dW1) and the 3 transposes of operands of the gradient matmuls.
  EXPECT_EQ(count(F.After, OpCode::Kernel), 3) << printGraph(F.After);
  EXPECT_EQ(count(F.After, OpCode::MatMul), 5);
  EXPECT_EQ(count(F.After, OpCode::Transpose), 3);
  expectFusedValues(F.Unfused, F.After, {{{"B", 1}}, {{"B", 4}}, {{"B", 7}}},
                    4);
}

struct LossCase {
  const char *Name, *Text;
  int Kernels, Loops;
};

// Each loss and its gradient is one kernel over its [B, D] or [B, K]
// domain (the bound asked for is 2): mse and mae in one loop (the
// gradient is elementwise, the loss a full sum); the cross-entropy in three
// (max, sum of exponentials, then the softmax gradient); the Crammer-Singer
// hinge in three (the max over k != t, the count of maxima for the max's
// gradient, then the gradient).
const LossCase Losses[] = {
    {"mse", R"(graph @mse(%t: f32[B,D], param %y: f32[B,D]) {
  %0 = sub(%y, %t) : f32[B,D]
  %1 = square(%0) : f32[B,D]
  %2 = mean(%1) {axes=[0, 1], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[B,D]
  return loss = %2, dy = %3
}
)",
     1, 1},
    {"mae", R"(graph @mae(%t: f32[B,D], param %y: f32[B,D]) {
  %0 = sub(%y, %t) : f32[B,D]
  %1 = abs(%0) : f32[B,D]
  %2 = mean(%1) {axes=[0, 1], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[B,D]
  return loss = %2, dy = %3
}
)",
     1, 1},
    {"xe", R"(graph @xe(%t: i64[B], param %z: f32[B,D]) {
  %0 = softmax_xent(%z, %t) : f32[B]
  %1 = mean(%0) {axes=[0], keepdims=false} : f32[]
  %2 = grad(%1, %z) : f32[B,D]
  return loss = %1, dz = %2
}
)",
     1, 3},
    {"hinge", R"(graph @hinge(%t: i64[B], param %o: f32[B,D]) {
  %0 = one_hot(%t) {depth=D, dtype=bool} : bool[B,D]
  %1 = constant() {value=-inf} : f32[]
  %2 = broadcast(%1) {shape=[B, D]} : f32[B,D]
  %3 = select(%0, %2, %o) : f32[B,D]
  %4 = max(%3) {axes=[1], keepdims=true} : f32[B,1]
  %5 = reshape(%t) {shape=[B, 1]} : i64[B,1]
  %6 = gather(%o, %5) {axis=1} : f32[B,1]
  %7 = sub(%4, %6) : f32[B,1]
  %8 = constant() {value=1.0} : f32[]
  %9 = broadcast(%8) {shape=[B, 1]} : f32[B,1]
  %10 = add(%7, %9) : f32[B,1]
  %11 = relu(%10) : f32[B,1]
  %12 = mean(%11) {axes=[0, 1], keepdims=false} : f32[]
  %13 = grad(%12, %o) : f32[B,D]
  return loss = %12, do = %13
}
)",
     1, 3},
};

TEST(Fuse, LossesAndGradientsFuseIntoOneKernel) {
  for (const LossCase &L : Losses) {
    SCOPED_TRACE(L.Name);
    Fused F = fuseText(L.Text);
    ASSERT_EQ(F.Kernels.size(), static_cast<size_t>(L.Kernels))
        << printGraph(F.After);
    EXPECT_LE(F.Kernels.size(), 2u);
    EXPECT_EQ(F.Kernels[0].NumLoops, L.Loops);
    expectFusedValues(
        F.Unfused, F.After,
        {{{"B", 1}, {"D", 1}}, {{"B", 3}, {"D", 5}}, {{"B", 2}, {"D", 17}}}, 1);
  }
}

TEST(Fuse, TheCostVetoKeepsExpensiveValuesAsOutputs) {
  // c = sigmoid(exp(tanh(x))) costs 3 transcendentals per element; dividing
  // by its row max would evaluate it in two loops (3 repeated > budget 2):
  // c and its max leave the first kernel, the division is a second one.
  PassRun R = runOnText("fuse", R"(graph @g(%x: f64[B,N]) {
  %0 = tanh(%x) : f64[B,N]
  %1 = exp(%0) : f64[B,N]
  %2 = sigmoid(%1) : f64[B,N]
  %3 = max(%2) {axes=[1], keepdims=true} : f64[B,1]
  %4 = broadcast(%3) {shape=[B, N]} : f64[B,N]
  %5 = div(%2, %4) : f64[B,N]
  return y = %5
}
)");
  EXPECT_GE(R.hits("fuse.veto-recompute"), 1);
  std::vector<KernelInfo> K = checkFused(R.After);
  ASSERT_EQ(K.size(), 2u) << printGraph(R.After);
  EXPECT_EQ(R.After.node(R.After.outputs()[0].Value).Op, OpCode::Result);
  for (DimBindings Bind :
       {DimBindings{{"B", 1}, {"N", 1}}, DimBindings{{"B", 3}, {"N", 5}}})
    expectSameValues(R.Before, R.After, randomArgs(R.Before, Bind, 3), 1e-12,
                     1e-12, Bind);
  // exp(x) / max(exp(x)) repeats one exp: within the budget, one kernel.
  PassRun S = runOnText("fuse", R"(graph @g(%x: f64[B,N]) {
  %0 = exp(%x) : f64[B,N]
  %1 = max(%0) {axes=[1], keepdims=true} : f64[B,1]
  %2 = broadcast(%1) {shape=[B, N]} : f64[B,N]
  %3 = div(%0, %2) : f64[B,N]
  return y = %3
}
)");
  EXPECT_EQ(S.hits("fuse.kernels"), 1);
  EXPECT_EQ(S.hits("fuse.veto-recompute"), 0);
}

TEST(Fuse, ReductionsOverOtherAxesAreReshaped) {
  // Over the leading axis of a rank-3 value: a column sum of its [T, B*4]
  // view. Over the middle axis: transposed first. Both read materialized
  // reshapes, which are free.
  PassRun R = runOnText("fuse", R"(graph @g(%x: f64[T,B,4]) {
  %0 = exp(%x) : f64[T,B,4]
  %1 = sum(%0) {axes=[0], keepdims=false} : f64[B,4]
  %2 = max(%0) {axes=[1], keepdims=true} : f64[T,1,4]
  return a = %1, b = %2
}
)");
  EXPECT_EQ(R.hits("fuse.reshape-reduction"), 2);
  checkFused(R.After);
  EXPECT_EQ(count(R.After, OpCode::Transpose), 1);
  for (int64_t T : {1, 3})
    for (int64_t B : {1, 2}) {
      DimBindings Bind{{"T", T}, {"B", B}};
      expectSameValues(R.Before, R.After, randomArgs(R.Before, Bind, 5), 1e-12,
                       1e-12, Bind);
    }
}

TEST(Fuse, BroadcastsAreIndexMaps) {
  // The bias broadcast is read by two kernels and copied into both; the
  // broadcast zeros that are an output are a kernel of their own.
  PassRun R =
      runOnText("fuse", R"(graph @g(%x: f32[B,3], %b: f32[3], %w: f32[3,3]) {
  %0 = broadcast(%b) {shape=[B, 3]} : f32[B,3]
  %1 = add(%x, %0) : f32[B,3]
  %2 = matmul(%1, %w) : f32[B,3]
  %3 = mul(%2, %0) : f32[B,3]
  %4 = constant() {value=0.0} : f32[]
  %5 = broadcast(%4) {shape=[3, 3]} : f32[3,3]
  return y = %3, z = %5
}
)");
  checkFused(R.After);
  EXPECT_EQ(count(R.After, OpCode::Broadcast), 0) << printGraph(R.After);
  EXPECT_EQ(count(R.After, OpCode::Kernel), 3);
  expectSameNumbers(R);
}

TEST(Fuse, BoundariesStayOutside) {
  PassRun R = runOnText(
      "fuse",
      R"(graph @g(%x: f64[B,4], %k: i64[], %h0: f64[B,4], %xs: f64[T,B,4]) {
  %0 = exp(%x) : f64[B,4]
  %1 = random_uniform(%k) : f64[B,4]
  %2 = mul(%0, %1) : f64[B,4]
  %3 = transpose(%2) {perm=[1, 0]} : f64[4,B]
  %4 = neg(%3) : f64[4,B]
  %5 = scan(%h0, %xs) {num_carry=1, num_seqs=1, reverse=false} : (f64[B,4]) body(%h: f64[B,4], %s: f64[B,4]) {
    %0 = add(%h, %s) : f64[B,4]
    return %0
  }
  %6 = result(%5) {index=0} : f64[B,4]
  %7 = mul(%6, %2) : f64[B,4]
  %8 = argmax(%2) {axis=1, keepdims=false} : i64[B]
  return a = %4, b = %7, c = %8
}
)");
  checkFused(R.After);
  for (OpCode Op :
       {OpCode::RandomUniform, OpCode::Transpose, OpCode::Scan, OpCode::Argmax})
    EXPECT_EQ(count(R.After, Op), 1) << opName(Op);
  // exp(x) * r and scan_result * that are one kernel (the scan reads only
  // arguments); neg of the transpose is a second.
  EXPECT_EQ(count(R.After, OpCode::Kernel), 2) << printGraph(R.After);
  for (int64_t B : {1, 3}) {
    DimBindings Bind{{"B", B}, {"T", 2}};
    expectSameValues(R.Before, R.After, randomArgs(R.Before, Bind, 9), 1e-12,
                     1e-12, Bind);
  }
}

TEST(Fuse, IsDeterministicAndIdempotent) {
  for (const LossCase &L : Losses) {
    Fused A = fuseText(L.Text), B = fuseText(L.Text);
    EXPECT_EQ(printGraph(A.After), printGraph(B.After)) << L.Name;
    Graph Again = parseGraph(printGraph(A.After));
    EXPECT_FALSE(runPipeline(Again, "fuse")) << L.Name;
    EXPECT_EQ(printGraph(Again), printGraph(A.After));
  }
}

TEST(Fuse, IsRegisteredButNotInTheDefaultPipeline) {
  EXPECT_TRUE(hasPass("lower"));
  EXPECT_TRUE(hasPass("fuse"));
  std::string Default(defaultPipeline());
  EXPECT_EQ(Default.find("lower"), std::string::npos);
  EXPECT_EQ(Default.find("fuse"), std::string::npos);
}

} // namespace
} // namespace netjit
