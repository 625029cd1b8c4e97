//===- plan_test.cpp - Steps, buffers and the workspace layout ------------===//
//
// The planner on hand-made buffer sets (offsets worked out by hand below)
// and on the fused MLP classifier: outputs are written in place, the
// transposes feeding GEMMs fold into flags, buffers whose lifetimes do not
// meet share memory, offsets are 64-byte aligned, the cross-entropy's log is
// computed after its row loop, and a binding that makes a dim condition
// fail is refused before any code runs.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

#include "codegen/plan.h"
#include "runtime/gemm.h"

namespace netjit::testing {
namespace {

plan::Buffer buffer(const Dim &Elements, const SymbolTable &S, uint32_t Bytes,
                    int First, int Last) {
  plan::Buffer B;
  B.Elements = DimExpr(Elements, S);
  B.ElemBytes = Bytes;
  B.First = First;
  B.Last = Last;
  return B;
}

TEST(Plan, LayoutReusesBuffersWhoseLifetimesDoNotMeet) {
  Graph G("g");
  G.addOutput("x", G.input("x", TensorType{DType::F32, {Dim::symbol("B")}}));
  Plan P;
  P.Symbols.collect(G);
  ASSERT_EQ(P.Symbols.names(), std::vector<std::string>{"B"});
  Dim B = Dim::symbol("B");
  // Live in steps [0,1], [2,3] and [1,2]; 100, 100 and 50 bytes at B = 25.
  P.Buffers = {buffer(B, P.Symbols, 4, 0, 1), buffer(B, P.Symbols, 4, 2, 3),
               buffer(B * 2, P.Symbols, 1, 1, 2)};
  WorkspaceLayout L;
  int64_t Values[] = {25};
  layoutWorkspace(P, Values, L);
  // Sizes round up to 128, 128, 64. Largest first: buffer 0 at 0; buffer
  // 1 never meets it, so 0 too; buffer 2 meets both, so after them.
  EXPECT_EQ(L.Offsets, (std::vector<int64_t>{0, 0, 128}));
  EXPECT_EQ(L.Size, 192);
  // At B = 1: sizes 64, 64, 64 (4, 4 and 2 bytes, rounded up).
  Values[0] = 1;
  layoutWorkspace(P, Values, L);
  EXPECT_EQ(L.Offsets, (std::vector<int64_t>{0, 0, 64}));
  EXPECT_EQ(L.Size, 128);
  // At B = 0 every buffer is empty.
  Values[0] = 0;
  layoutWorkspace(P, Values, L);
  EXPECT_EQ(L.Size, 0);
}

TEST(Plan, FirstFitFillsAGapBetweenLiveBuffers) {
  Plan P;
  // A: 256 B [0,4]; B: 128 B [0,1]; C: 128 B [3,4]; D: 128 B [2,2].
  // A at 0; B at 256; C at 256 (B is dead by then); D meets only A: 256.
  P.Buffers = {buffer(64, P.Symbols, 4, 0, 4), buffer(32, P.Symbols, 4, 0, 1),
               buffer(32, P.Symbols, 4, 3, 4), buffer(32, P.Symbols, 4, 2, 2)};
  WorkspaceLayout L;
  layoutWorkspace(P, nullptr, L);
  EXPECT_EQ(L.Offsets, (std::vector<int64_t>{0, 256, 256, 256}));
  EXPECT_EQ(L.Size, 384);
}

TEST(Plan, MlpWritesOutputsInPlaceAndFoldsTransposes) {
  Graph G =
      parseGraphFile(NETJIT_SOURCE_DIR "/examples/mlp_classifier_grad.nj");
  CompiledFunction F = CompiledFunction::compile(G);
  std::string Why;
  std::optional<Plan> P = makePlan(F.fusedGraph(), &Why);
  ASSERT_TRUE(P) << Why;
  int Gemms = 0, Kernels = 0, Others = 0;
  std::vector<int32_t> Flags;
  for (const plan::Step &S : P->Steps) {
    if (S.Kind == plan::StepKind::Gemm) {
      ++Gemms;
      Flags.push_back(S.GemmFlags);
    } else if (S.Kind == plan::StepKind::Kernel) {
      ++Kernels;
    } else {
      ++Others; // a copy or a transpose loop would land here
    }
  }
  EXPECT_EQ(Gemms, 5);
  EXPECT_EQ(Kernels, 3);
  EXPECT_EQ(Others, 0);
  // x·w1, h·w2, dz·w2ᵀ, hᵀ·dz, xᵀ·dh.
  EXPECT_EQ(Flags, (std::vector<int32_t>{0, 0, kGemmTransB, kGemmTransA,
                                         kGemmTransA}));
  // Every output slot is written by a step: nothing is copied at the end.
  for (const plan::Step &S : P->Steps)
    EXPECT_NE(S.Kind, plan::StepKind::Copy);
  // The workspace reuses memory: its layout is smaller than the buffers.
  WorkspaceLayout L;
  int64_t B = 64;
  layoutWorkspace(*P, &B, L);
  int64_t Total = 0;
  for (int64_t S : L.Sizes)
    Total += S;
  EXPECT_LT(L.Size, Total);
  for (int64_t O : L.Offsets)
    EXPECT_EQ(O % 64, 0);
}

TEST(Plan, CrossEntropyDefersTheLogOfTheRowSum) {
  // Per row the kernel stores the maximum, the sum of exponentials and the
  // label's logit; the log and the loss terms are computed after the row
  // loop, in a loop over the rows (deferredRowValues).
  Graph G = parseGraph(kXentGraph);
  CompiledFunction F = CompiledFunction::compile(G);
  std::string Why;
  std::optional<Plan> P = makePlan(F.fusedGraph(), &Why);
  ASSERT_TRUE(P) << Why;
  int Kernels = 0;
  for (const plan::Step &S : P->Steps) {
    if (S.Kind != plan::StepKind::Kernel)
      continue;
    ++Kernels;
    DeferredRows D = deferredRowValues(*S.Body, *S.Info);
    std::vector<std::string> Ops;
    for (NodeId Id : D.Nodes)
      Ops.push_back(std::string(opName(S.Body->node(Id).Op)));
    EXPECT_THAT(Ops, ::testing::Contains("log"));
    EXPECT_EQ(D.Sums.size(), 1u);
    std::vector<std::string> Stored;
    for (NodeId Id : D.Stored)
      Stored.push_back(std::string(opName(S.Body->node(Id).Op)));
    EXPECT_THAT(Stored,
                ::testing::UnorderedElementsAre("max", "sum", "gather"));
    // One scratch row of exponentials (K elements), then the stored values
    // (R elements each).
    ASSERT_EQ(S.Scratch.size(), 4u);
    for (size_t I = 1; I < 4; ++I)
      EXPECT_EQ(P->Buffers[P->Slots[S.Scratch[I]].Index].Elements.dim().str(),
                "B");
  }
  EXPECT_EQ(Kernels, 1);
}

TEST(Plan, DimConditionsAreCheckedPerBinding) {
  Graph G = parseGraph(R"(graph @g(%x: f32[N]) {
  %0 = slice(%x) {starts=[1], stops=[M], steps=[1]} : f32[M-1]
  return y = %0
})");
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter());
  CallContext Ctx = F.newContext();
  TensorMap Args = {{"x", Tensor(DType::F32, {4})}};
  EXPECT_NO_THROW(runCompiled(F, Ctx, Args, {{"M", 3}}));
  expectRuntimeError(
      [&] {
        runCompiled(F, Ctx, Args, {{"M", 6}});
      },
      {"slice stop", "M = 6"});
  expectRuntimeError([&] { runCompiled(F, Ctx, Args, {{"M", 0}}); }, {"M-1"});
  expectRuntimeError([&] { runCompiled(F, Ctx, Args); },
                     {"symbolic dim 'M' is not bound"});
}

} // namespace
} // namespace netjit::testing
