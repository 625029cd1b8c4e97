//===- compiled_models_test.cpp - Losses, gradients, training steps -------===//
//
// Whole functions as users write them: the mse, mae, hinge and softmax
// cross-entropy losses with their gradients, the MLP classifier's loss and
// four parameter gradients, an SGD step whose updates write the params, and
// the call API around them: zero-copy bindings, re-binding at other batch
// sizes, shape / dtype / aliasing errors, labels out of range, two threads
// on one function, StrictFloat and -O0, the RNN example's scan compiled and
// on the forced interpreter. Reference: the interpreter on the graph after the default pipeline.
// Losses are sums of non-negative terms, so "within 1e-6 of the largest
// value" is the 1e-6 * Σ|terms| reduction bound; the MLP's GEMMs have depth
// 784 in f32, hence 2e-5 there.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

#include <thread>

namespace netjit::testing {
namespace {

const std::vector<DimBindings> kBatches = {
    {{"B", 1}}, {{"B", 3}}, {{"B", 17}}, {{"B", 64}}};

const char *kMse = R"(graph @mse(%y: f32[B,N], %t: f32[B,N]) {
  %0 = sub(%y, %t) : f32[B,N]
  %1 = square(%0) : f32[B,N]
  %2 = mean(%1) {axes=[0, 1], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[B,N]
  return loss = %2, dy = %3
})";

const char *kMae = R"(graph @mae(%y: f32[B,N], %t: f32[B,N]) {
  %0 = sub(%y, %t) : f32[B,N]
  %1 = abs(%0) : f32[B,N]
  %2 = mean(%1) {axes=[0, 1], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[B,N]
  return loss = %2, dy = %3
})";

const char *kHinge = R"(graph @hinge(%y: f32[B,N], %t: f32[B,N]) {
  %0 = mul(%y, %t) : f32[B,N]
  %1 = constant() {value=1.0} : f32[]
  %2 = broadcast(%1) {shape=[B, N]} : f32[B,N]
  %3 = sub(%2, %0) : f32[B,N]
  %4 = relu(%3) : f32[B,N]
  %5 = mean(%4) {axes=[0, 1], keepdims=false} : f32[]
  %6 = grad(%5, %y) : f32[B,N]
  return loss = %5, dy = %6
})";

TEST(CompiledModels, Losses) {
  std::vector<DimBindings> Binds = {{{"B", 1}, {"N", 1}},
                                    {{"B", 3}, {"N", 17}},
                                    {{"B", 64}, {"N", 10}},
                                    {{"B", 5}, {"N", 1000}}};
  for (const char *Text : {kMse, kMae, kHinge}) {
    SCOPED_TRACE(Text);
    expectMatchesInterpreter(parseGraph(Text), Binds,
                             Tolerance{4, 0, nullptr, 1e-6});
  }
  // Labels in [0, 1) are valid for every N.
  expectMatchesInterpreter(parseGraph(kXentGraph), Binds,
                           Tolerance{8, 0, nullptr, 1e-6}, 3, -4, 4, 1);
}

TEST(CompiledModels, MlpClassifierLossAndGradients) {
  Graph G =
      parseGraphFile(NETJIT_SOURCE_DIR "/examples/mlp_classifier_grad.nj");
  expectMatchesInterpreter(G, kBatches, Tolerance{4, 0, nullptr, 2e-5}, 1, -1,
                           1, 10);
}

TEST(CompiledModels, SgdStepUpdatesParams) {
  Graph G = parseGraphFile(NETJIT_SOURCE_DIR "/examples/sgd_step.nj");
  expectMatchesInterpreter(G, kBatches, Tolerance{4, 0, nullptr, 1e-6});
  // Ten steps in a row on the same params match ten interpreter steps.
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  Graph Ref = referenceGraph(G);
  TensorMap Args = randomArgs(G, {{"B", 9}}, 4);
  TensorMap Mine = Args;
  for (int Step = 0; Step < 10; ++Step) {
    evaluate(Ref, Args);
    TensorMap None;
    F.call(Ctx, None, Mine);
  }
  for (const char *P : {"w", "b"})
    expectClose(Mine.at(P), Args.at(P), P, Tolerance{4, 0, nullptr, 1e-5});
}

TEST(CompiledModels, SwappingUpdatesReadPreUpdateValues) {
  Graph G = parseGraph(R"(graph @swap(param %a: f32[3], param %b: f32[3]) {
  %0 = add(%a, %b) : f32[3]
  return s = %0
  update %a = %b
  update %b = %a
})");
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  std::vector<double> A = {1, 2, 3}, B = {10, 20, 30};
  TensorMap Params = {{"a", Tensor::fromValues(DType::F32, {3}, A)},
                      {"b", Tensor::fromValues(DType::F32, {3}, B)}};
  TensorMap None;
  TensorMap Out = F.call(Ctx, None, Params);
  for (int I = 0; I < 3; ++I) {
    EXPECT_EQ(Params.at("a").at(I), B[I]);
    EXPECT_EQ(Params.at("b").at(I), A[I]);
    EXPECT_EQ(Out.at("s").at(I), A[I] + B[I]);
  }
}

TEST(CompiledModels, ZeroCopyBindingsAndRebinding) {
  Graph G = parseGraph(kMse);
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  Bindings B = F.newBindings();
  Graph Ref = referenceGraph(G);
  // Batch sizes up, down and up again: each call re-plans or reuses the
  // workspace and must match the interpreter.
  for (int64_t Batch : {8, 3, 1, 40, 8}) {
    TensorMap Args = randomArgs(G, {{"B", Batch}, {"N", 7}}, Batch);
    float Loss = 0;
    Tensor Dy(DType::F32, {Batch, 7});
    B.bind("y", Args.at("y"));
    B.bind("t", Args.at("t"));
    B.bindOutput("loss", &Loss, {}, DType::F32);
    B.bindOutput("dy", Dy);
    F.call(Ctx, B);
    Reference Want = interpret(Ref, Args);
    expectClose(Tensor::scalar(Loss), Want.Outputs.at("loss"), "loss",
                Tolerance{4, 0, nullptr, 1e-6});
    expectClose(Dy, Want.Outputs.at("dy"), "dy", Tolerance{4});
    EXPECT_EQ(Ctx.output("loss").Data, &Loss);
  }
}

TEST(CompiledModels, CallErrorsNameTheArgumentAndShapes) {
  Graph G = parseGraph(kMse);
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  Tensor Y(DType::F32, {4, 3}), T(DType::F32, {4, 2}), I(DType::I32, {4, 3});
  TensorMap None;
  TensorMap Args = {{"y", Y}, {"t", T}};
  expectRuntimeError([&] { F.call(Ctx, Args, None); },
                     {"argument 't'", "f32[B,N]", "B=4", "N=3", "f32[4,2]"});
  Args = {{"y", Y}, {"t", I}};
  expectRuntimeError([&] { F.call(Ctx, Args, None); },
                     {"argument 't'", "f32[B,N]", "i32[4,3]"});
  Args = {{"y", Y}};
  expectRuntimeError([&] { F.call(Ctx, Args, None); },
                     {"missing argument 't'"});
  Bindings B = F.newBindings();
  EXPECT_THROW(B.bind("nope", Y), Error);
  // An output sharing memory with an input is refused.
  B.bind("y", Y);
  B.bind("t", Y);
  B.bindOutput("dy", Y);
  expectRuntimeError([&] { F.call(Ctx, B); },
                     {"output 'dy'", "overlaps", "argument 'y'"});
  // A context of another function.
  CompiledFunction Other = CompiledFunction::compile(G);
  EXPECT_THROW(Other.call(Ctx, B), Error);
}

TEST(CompiledModels, LabelsOutOfRangeFailTheCall) {
  Graph G = parseGraph(kXentGraph);
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  TensorMap Args = randomArgs(G, {{"B", 6}, {"N", 10}}, 2, -1, 1, 10);
  for (double Bad : {10.0, -3.0}) {
    TensorMap A = Args;
    A.at("labels").set(4, Bad);
    expectRuntimeError([&] { runCompiled(F, Ctx, A); },
                       {"'gather' (kernel %", "out of range [0, 10)",
                        std::to_string(static_cast<int64_t>(Bad))});
    // The interpreter refuses the same labels.
    EXPECT_THROW(interpret(referenceGraph(G), A), RuntimeError);
  }
}

TEST(CompiledModels, TwoThreadsShareOneFunction) {
  Graph G =
      parseGraphFile(NETJIT_SOURCE_DIR "/examples/mlp_classifier_grad.nj");
  CompiledFunction F = CompiledFunction::compile(G);
  Graph Ref = referenceGraph(G);
  std::vector<TensorMap> Args = {randomArgs(G, {{"B", 32}}, 1, -1, 1, 10),
                                 randomArgs(G, {{"B", 5}}, 2, -1, 1, 10)};
  std::vector<TensorMap> Want = {interpret(Ref, Args[0]).Outputs,
                                 interpret(Ref, Args[1]).Outputs};
  std::vector<TensorMap> Got(2);
  auto work = [&](int T) {
    CallContext Ctx = F.newContext();
    TensorMap Params = Args[T];
    TensorMap None;
    for (int Rep = 0; Rep < 20; ++Rep)
      Got[T] = F.call(Ctx, None, Params);
  };
  std::thread A(work, 0), B(work, 1);
  A.join();
  B.join();
  for (int T = 0; T < 2; ++T)
    for (const auto &[Name, V] : Want[T])
      expectClose(Got[T].at(Name), V, Name, Tolerance{4, 0, nullptr, 2e-5});
}

TEST(CompiledModels, StrictFloatAndOptLevelZero) {
  Graph G = parseGraph(kXentGraph);
  CompileOptions Strict;
  Strict.StrictFloat = true;
  CompileOptions O0;
  O0.OptLevel = 0;
  Graph Ref = referenceGraph(G);
  for (const CompileOptions &O : {Strict, O0}) {
    CompiledFunction F = CompiledFunction::compile(G, O);
    ASSERT_FALSE(F.usesInterpreter());
    if (O.StrictFloat) {
      EXPECT_THAT(F.llvmIR(), ::testing::Not(::testing::HasSubstr("reassoc")));
    }
    CallContext Ctx = F.newContext();
    TensorMap Args = randomArgs(G, {{"B", 9}, {"N", 37}}, 8, -3, 3, 37);
    Reference Want = interpret(Ref, Args);
    Reference Got = runCompiled(F, Ctx, Args);
    for (const auto &[Name, V] : Want.Outputs)
      expectClose(Got.Outputs.at(Name), V, Name,
                  Tolerance{8, 0, nullptr, 1e-6});
  }
}

TEST(CompiledModels, ScanExampleCompiles) {
  Graph G = parseGraphFile(NETJIT_SOURCE_DIR "/examples/rnn_scan.nj");
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  DimBindings Bind;
  for (NodeId A : G.arguments())
    for (const Dim &D : G.type(A).Dims) {
      std::set<std::string> Syms;
      D.collectSymbols(Syms);
      for (const std::string &S : Syms)
        Bind[S] = 3;
    }
  TensorMap Args = randomArgs(G, Bind, 3, -1, 1);
  CallContext Ctx = F.newContext();
  Reference Want = interpret(referenceGraph(G), Args, Bind);
  Reference Got = runCompiled(F, Ctx, Args, Bind);
  for (const auto &[Name, V] : Want.Outputs)
    expectClose(Got.Outputs.at(Name), V, Name, Tolerance{8, 0, nullptr, 1e-6});
}

TEST(CompiledModels, ForcedInterpreterRunsAScan) {
  Graph G = parseGraphFile(NETJIT_SOURCE_DIR "/examples/rnn_scan.nj");
  CompileOptions O;
  O.ForceInterpreter = true;
  CompiledFunction F = CompiledFunction::compile(G, O);
  EXPECT_TRUE(F.usesInterpreter());
  EXPECT_TRUE(F.llvmIR().empty());
  // Same API, same results as the interpreter.
  DimBindings Bind{{"B", 3}, {"T", 3}};
  TensorMap Args = randomArgs(G, Bind, 3, -1, 1);
  CallContext Ctx = F.newContext();
  Reference Want = interpret(referenceGraph(G), Args, Bind);
  Reference Got = runCompiled(F, Ctx, Args, Bind);
  for (const auto &[Name, V] : Want.Outputs)
    expectClose(Got.Outputs.at(Name), V, Name, Tolerance{0});
}

TEST(CompiledModels, CustomPipelines) {
  // Without fuse every op is a kernel of its own (or a GEMM): still JIT.
  CompileOptions NoFuse;
  NoFuse.Pipeline = std::string(defaultPipeline()) + ",lower";
  Graph G = parseGraph(kXentGraph);
  CompiledFunction F = CompiledFunction::compile(G, NoFuse);
  EXPECT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  CallContext Ctx = F.newContext();
  TensorMap Args = randomArgs(G, {{"B", 5}, {"N", 7}}, 2, -2, 2, 7);
  Reference Want = interpret(referenceGraph(G), Args);
  Reference Got = runCompiled(F, Ctx, Args);
  for (const auto &[Name, V] : Want.Outputs)
    expectClose(Got.Outputs.at(Name), V, Name, Tolerance{8, 0, nullptr, 1e-6});
  // Without lower, softmax_xent has no loop nest: the interpreter runs it.
  CompileOptions NoLower;
  NoLower.Pipeline = std::string(defaultPipeline());
  CompiledFunction I = CompiledFunction::compile(G, NoLower);
  EXPECT_TRUE(I.usesInterpreter());
  EXPECT_THAT(I.interpreterReason(), ::testing::HasSubstr("was not lowered"));
  // A pipeline naming an unknown pass is the user's error.
  CompileOptions Bad;
  Bad.Pipeline = "stabilize,nope";
  EXPECT_THROW(CompiledFunction::compile(G, Bad), Error);
}

TEST(CompiledModels, ForcedInterpreterMatches) {
  CompileOptions O;
  O.ForceInterpreter = true;
  Graph G = parseGraph(kHinge);
  CompiledFunction F = CompiledFunction::compile(G, O);
  EXPECT_TRUE(F.usesInterpreter());
  CallContext Ctx = F.newContext();
  TensorMap Args = randomArgs(G, {{"B", 4}, {"N", 5}}, 1);
  Reference Want = interpret(referenceGraph(G), Args);
  Reference Got = runCompiled(F, Ctx, Args);
  expectClose(Got.Outputs.at("dy"), Want.Outputs.at("dy"), "dy", Tolerance{0});
}

} // namespace
} // namespace netjit::testing
