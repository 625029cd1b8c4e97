//===- interpreter_test.cpp - Binding, updates, scan and errors -----------===//
//
// The interpreter's machinery rather than single ops: binding symbolic dims
// from the arguments (sizes 1 and more, compound dims, explicit bindings),
// constants and dim_value, updates (outputs read the pre-update values),
// scan (a running sum and a tiny RNN checked against hand-written loops,
// forwards and in reverse, with and without sequences), CheckFinite, and
// every error a caller can provoke.
//
//===----------------------------------------------------------------------===//
#include "interpreter_helpers.h"

#include "ir/printer.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

using namespace netjit;
using namespace netjit::test;
using ::testing::HasSubstr;

namespace {

const Dim B = Dim::symbol("B"), T = Dim::symbol("T");

Attrs axes(std::vector<int64_t> Axes) {
  return Attrs{{"axes", Axes}, {"keepdims", false}};
}

//===----------------------------------------------------------------------===//
// Binding symbolic dims
//===----------------------------------------------------------------------===//

/// y = sum(x, axis 1) + b, with x: f32[B,3] and b: f32[B].
Graph rowSumGraph() {
  Graph G;
  NodeId X = G.input("x", ty(DType::F32, {B, 3}));
  NodeId Bias = G.input("b", ty(DType::F32, {B}));
  NodeId S = G.make(OpCode::Sum, std::vector<NodeId>{X}, axes({1}));
  G.addOutput("y", G.make(OpCode::Add, std::vector<NodeId>{S, Bias}));
  return G;
}

TEST(Interpreter, BindsSymbolicDimsToSeveralSizes) {
  Graph G = rowSumGraph();
  for (int64_t N : {1, 2, 5}) {
    std::vector<double> XV, BV, Want;
    for (int64_t I = 0; I < N; ++I) {
      XV.insert(XV.end(), {double(I), 1.0, 2.0});
      BV.push_back(10.0 * I);
      Want.push_back(I + 3 + 10.0 * I);
    }
    TensorMap Out = run(G, {{"x", tensor(DType::F32, {N, 3}, XV)},
                            {"b", tensor(DType::F32, {N}, BV)}});
    expectValues(Out.at("y"), DType::F32, {N}, Want);
  }
}

TEST(Interpreter, CompoundDimsAreCheckedAfterBinding) {
  // y = reshape(x, [B*T]) + z with x: f64[B,T], z: f64[B*T].
  Graph G;
  NodeId X = G.input("x", ty(DType::F64, {B, T}));
  NodeId Z = G.input("z", ty(DType::F64, {B * T}));
  NodeId Flat = G.make(OpCode::Reshape, std::vector<NodeId>{X},
                       Attrs{{"shape", std::vector<Dim>{B * T}}});
  G.addOutput("y", G.make(OpCode::Add, std::vector<NodeId>{Flat, Z}));
  TensorMap Out = run(G, {{"x", tensor(DType::F64, {2, 3}, {1, 2, 3, 4, 5, 6})},
                          {"z", tensor(DType::F64, {6}, {6, 5, 4, 3, 2, 1})}});
  expectValues(Out.at("y"), DType::F64, {6}, {7, 7, 7, 7, 7, 7});
  EXPECT_THAT(evalError(G, {{"x", Tensor(DType::F64, {2, 3})},
                            {"z", Tensor(DType::F64, {5})}}),
              HasSubstr("argument 'z': expected f64[B*T] (with B=2, T=3), got "
                        "f64[5]"));

  // A compound dim alone cannot bind its symbols.
  Graph H;
  H.addOutput("y", H.input("x", ty(DType::F32, {B * T})));
  std::string Msg = evalError(H, {{"x", Tensor(DType::F32, {6})}});
  EXPECT_THAT(Msg, HasSubstr("argument 'x' (expected f32[B*T], got f32[6])"));
  EXPECT_THAT(Msg, HasSubstr("is not bound"));
  EvalOptions Opts;
  Opts.Bindings = {{"B", 2}, {"T", 3}};
  EXPECT_EQ(run(H, {{"x", Tensor(DType::F32, {6})}}, Opts).at("y").typeStr(),
            "f32[6]");
}

TEST(Interpreter, ArgumentErrors) {
  Graph G = rowSumGraph();
  Tensor X = Tensor(DType::F32, {2, 3}), Bias = Tensor(DType::F32, {2});
  EXPECT_THAT(evalError(G, {{"x", X}}),
              HasSubstr("missing argument 'b' (input f32[B])"));
  EXPECT_THAT(evalError(G, {{"x", Tensor(DType::F64, {2, 3})}, {"b", Bias}}),
              HasSubstr("argument 'x': expected f32[B,3], got f64[2,3]"));
  EXPECT_THAT(evalError(G, {{"x", Tensor(DType::F32, {6})}, {"b", Bias}}),
              HasSubstr("argument 'x': expected f32[B,3], got f32[6]"));
  EXPECT_THAT(evalError(G, {{"x", Tensor(DType::F32, {2, 4})}, {"b", Bias}}),
              HasSubstr("argument 'x': expected f32[B,3] (with B=2), got "
                        "f32[2,4]"));
  EXPECT_THAT(evalError(G, {{"x", Tensor()}, {"b", Bias}}),
              HasSubstr("argument 'x' is an empty Tensor() (f32[B,3] "
                        "expected)"));
  EXPECT_THAT(
      evalError(G, {{"x", X}, {"b", Tensor(DType::F32, {3})}}),
      HasSubstr("argument 'b': expected f32[B] (with B=2), got f32[3]"));
  EvalOptions Opts;
  Opts.Bindings["B"] = 4; // explicit bindings win over the arguments
  EXPECT_THAT(evalError(G, {{"x", X}, {"b", Bias}}, Opts),
              HasSubstr("argument 'x': expected f32[B,3] (with B=4), got "
                        "f32[2,3]"));
  Opts.Bindings["B"] = -1;
  EXPECT_THAT(evalError(G, {{"x", X}, {"b", Bias}}, Opts),
              HasSubstr("dim binding B=-1 is negative"));
}

TEST(Interpreter, ConstantsAndDimValues) {
  Graph G;
  NodeId X = G.input("x", ty(DType::F32, {B, T}));
  // mean by hand: sum(x) / dim_value(B*T) * 2.5
  NodeId S = G.make(OpCode::Sum, std::vector<NodeId>{X}, axes({0, 1}));
  NodeId N =
      G.make(OpCode::DimValue, {}, Attrs{{"dim", B * T}}, ty(DType::F32, {}));
  NodeId Mean = G.make(OpCode::Div, std::vector<NodeId>{S, N});
  G.addOutput("y",
              G.make(OpCode::Mul, std::vector<NodeId>{Mean, G.scalar(2.5)}));
  float V[3] = {1.5f, -2.0f, 4.0f};
  Bytes Raw;
  Raw.Data.resize(sizeof(V));
  std::memcpy(Raw.Data.data(), V, sizeof(V));
  G.addOutput("c", G.constant(ty(DType::F32, {3}), Raw));
  G.addOutput("k", G.make(OpCode::DimValue, {},
                          Attrs{{"dim", Dim::symbol("K") * Dim(2)}},
                          ty(DType::I64, {})));
  EvalOptions Opts;
  Opts.Bindings["K"] = 21;
  TensorMap Out =
      run(G, {{"x", tensor(DType::F32, {2, 2}, {1, 2, 3, 6})}}, Opts);
  expectValues(Out.at("y"), DType::F32, {}, {7.5}); // 12 / 4 * 2.5
  expectValues(Out.at("c"), DType::F32, {3}, {1.5, -2, 4});
  expectValues(Out.at("k"), DType::I64, {}, {42});
  EXPECT_THAT(evalError(G, {{"x", Tensor(DType::F32, {2, 2})}}),
              HasSubstr("'dim_value': attribute 'dim': symbolic dim 'K'"));
}

//===----------------------------------------------------------------------===//
// Updates
//===----------------------------------------------------------------------===//

TEST(Interpreter, UpdatesApplyAfterEveryOutput) {
  Graph G;
  NodeId W = G.param("w", ty(DType::F32, {2}));
  NodeId Step = G.param("step", ty(DType::I64, {}));
  NodeId One = G.scalar(1, DType::I64);
  NodeId Two = G.make(OpCode::Broadcast, std::vector<NodeId>{G.scalar(2)},
                      Attrs{{"shape", std::vector<int64_t>{2}}});
  G.addOutput("loss", G.make(OpCode::Sum, std::vector<NodeId>{W}, axes({0})));
  G.addOutput("w_now", W);
  G.addUpdate(W, G.make(OpCode::Mul, std::vector<NodeId>{W, Two}));
  G.addUpdate(Step, G.make(OpCode::Add, std::vector<NodeId>{Step, One}));
  TensorMap Args = {{"w", tensor(DType::F32, {2}, {1.5, -0.5})},
                    {"step", Tensor::scalar(7, DType::I64)}};
  for (int Call = 0; Call < 2; ++Call) {
    double Scale = Call == 0 ? 1 : 2;
    TensorMap Out = evaluate(G, Args);
    expectValues(Out.at("loss"), DType::F32, {}, {1.0 * Scale});
    expectValues(Out.at("w_now"), DType::F32, {2}, {1.5 * Scale, -0.5 * Scale});
    expectValues(Args.at("w"), DType::F32, {2}, {3 * Scale, -1 * Scale});
    expectValues(Args.at("step"), DType::I64, {}, {8.0 + Call});
  }
}

TEST(Interpreter, UpdatesAreSimultaneous) {
  // a <- b, b <- a swaps: each update reads the pre-update values.
  Graph G;
  NodeId A = G.param("a", ty(DType::F64, {}));
  NodeId Bp = G.param("b", ty(DType::F64, {}));
  G.addUpdate(A, Bp);
  G.addUpdate(Bp, A);
  TensorMap Args = {{"a", Tensor::scalar(1, DType::F64)},
                    {"b", Tensor::scalar(2, DType::F64)}};
  EXPECT_TRUE(evaluate(G, Args).empty());
  EXPECT_EQ(Args.at("a").at(0), 2);
  EXPECT_EQ(Args.at("b").at(0), 1);
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

/// scan over xs: f32[T,D] with carry s: f32[D]: s' = s + x, output s'.
Graph runningSumGraph(bool Reverse) {
  const Dim D = Dim::symbol("D");
  auto Body = std::make_shared<Graph>("body");
  NodeId S = Body->input("s", ty(DType::F32, {D}));
  NodeId X = Body->input("x", ty(DType::F32, {D}));
  NodeId Next = Body->make(OpCode::Add, std::vector<NodeId>{S, X});
  Body->addOutput("", Next);
  Body->addOutput("", Next);

  Graph G;
  NodeId Init = G.input("init", ty(DType::F32, {D}));
  NodeId Xs = G.input("xs", ty(DType::F32, {T, D}));
  NodeId Scan = G.make(OpCode::Scan, std::vector<NodeId>{Init, Xs},
                       Attrs{{"num_carry", int64_t(1)},
                             {"num_seqs", int64_t(1)},
                             {"reverse", Reverse}},
                       std::nullopt, Body);
  G.addOutput("final", G.make(OpCode::Result, std::vector<NodeId>{Scan},
                              Attrs{{"index", int64_t(0)}}));
  G.addOutput("steps", G.make(OpCode::Result, std::vector<NodeId>{Scan},
                              Attrs{{"index", int64_t(1)}}));
  return G;
}

TEST(InterpreterScan, RunningSum) {
  Graph G = runningSumGraph(/*Reverse=*/false);
  // Hand loop: s_t = init + x_0 + ... + x_t.
  TensorMap Out =
      run(G, {{"init", tensor(DType::F32, {2}, {100, 200})},
              {"xs", tensor(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6})}});
  expectValues(Out.at("final"), DType::F32, {2}, {109, 212});
  expectValues(Out.at("steps"), DType::F32, {3, 2},
               {101, 202, 104, 206, 109, 212});
  // One step, and no step at all (the carry passes through).
  Out = run(G, {{"init", tensor(DType::F32, {1}, {5})},
                {"xs", tensor(DType::F32, {1, 1}, {2})}});
  expectValues(Out.at("final"), DType::F32, {1}, {7});
  expectValues(Out.at("steps"), DType::F32, {1, 1}, {7});
  Out = run(G, {{"init", tensor(DType::F32, {2}, {5, 6})},
                {"xs", Tensor(DType::F32, {0, 2})}});
  expectValues(Out.at("final"), DType::F32, {2}, {5, 6});
  expectValues(Out.at("steps"), DType::F32, {0, 2}, {});
}

TEST(InterpreterScan, ReverseRunningSum) {
  Graph G = runningSumGraph(/*Reverse=*/true);
  // Steps run t = 2, 1, 0; output t is stored at index t:
  // steps[t] = init + x_t + ... + x_2.
  TensorMap Out =
      run(G, {{"init", tensor(DType::F32, {2}, {100, 200})},
              {"xs", tensor(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6})}});
  expectValues(Out.at("final"), DType::F32, {2}, {109, 212});
  expectValues(Out.at("steps"), DType::F32, {3, 2},
               {109, 212, 108, 210, 105, 206});
}

/// h' = tanh(h @ W + x @ U), output h', over xs: f64[T,B,3], h: f64[B,2].
Graph rnnGraph(bool Reverse) {
  auto Body = std::make_shared<Graph>("cell");
  NodeId H = Body->input("h", ty(DType::F64, {B, 2}));
  NodeId X = Body->input("x", ty(DType::F64, {B, 3}));
  NodeId W = Body->input("w", ty(DType::F64, {2, 2}));
  NodeId U = Body->input("u", ty(DType::F64, {3, 2}));
  NodeId Pre = Body->make(
      OpCode::Add, std::vector<NodeId>{
                       Body->make(OpCode::MatMul, std::vector<NodeId>{H, W}),
                       Body->make(OpCode::MatMul, std::vector<NodeId>{X, U})});
  NodeId Next = Body->make(OpCode::Tanh, std::vector<NodeId>{Pre});
  Body->addOutput("", Next);
  Body->addOutput("", Next);

  Graph G;
  std::vector<NodeId> Ops = {G.input("h0", ty(DType::F64, {B, 2})),
                             G.input("xs", ty(DType::F64, {T, B, 3})),
                             G.param("w", ty(DType::F64, {2, 2})),
                             G.param("u", ty(DType::F64, {3, 2}))};
  NodeId Scan = G.make(OpCode::Scan, Ops,
                       Attrs{{"num_carry", int64_t(1)},
                             {"num_seqs", int64_t(1)},
                             {"reverse", Reverse}},
                       std::nullopt, Body);
  G.addOutput("h", G.make(OpCode::Result, std::vector<NodeId>{Scan},
                          Attrs{{"index", int64_t(0)}}));
  G.addOutput("hs", G.make(OpCode::Result, std::vector<NodeId>{Scan},
                           Attrs{{"index", int64_t(1)}}));
  return G;
}

TEST(InterpreterScan, TinyRnnMatchesAHandLoop) {
  const double W[2][2] = {{0.5, -0.3}, {0.8, 0.1}};
  const double U[3][2] = {{0.2, 0.7}, {-0.6, 0.4}, {0.9, -0.5}};
  for (bool Reverse : {false, true}) {
    for (int64_t Batch : {1, 3}) {
      const int64_t Steps = 4;
      std::vector<double> XV, H0;
      for (int64_t I = 0; I < Steps * Batch * 3; ++I)
        XV.push_back(std::sin(0.7 * I));
      for (int64_t I = 0; I < Batch * 2; ++I)
        H0.push_back(0.1 * I - 0.2);
      // The hand loop.
      std::vector<double> Hand = H0, HandSteps(Steps * Batch * 2);
      for (int64_t K = 0; K < Steps; ++K) {
        int64_t S = Reverse ? Steps - 1 - K : K;
        std::vector<double> Next(Batch * 2);
        for (int64_t Bi = 0; Bi < Batch; ++Bi)
          for (int J = 0; J < 2; ++J) {
            double Acc = 0;
            for (int I = 0; I < 2; ++I)
              Acc += Hand[Bi * 2 + I] * W[I][J];
            for (int I = 0; I < 3; ++I)
              Acc += XV[(S * Batch + Bi) * 3 + I] * U[I][J];
            Next[Bi * 2 + J] = std::tanh(Acc);
          }
        Hand = Next;
        std::copy(Next.begin(), Next.end(), HandSteps.begin() + S * Batch * 2);
      }
      Graph G = rnnGraph(Reverse);
      TensorMap Out =
          run(G, {{"h0", tensor(DType::F64, {Batch, 2}, H0)},
                  {"xs", tensor(DType::F64, {Steps, Batch, 3}, XV)},
                  {"w", tensor(DType::F64, {2, 2}, {0.5, -0.3, 0.8, 0.1})},
                  {"u", tensor(DType::F64, {3, 2},
                               {0.2, 0.7, -0.6, 0.4, 0.9, -0.5})}});
      expectValues(Out.at("h"), DType::F64, {Batch, 2}, Hand, 1e-14);
      expectValues(Out.at("hs"), DType::F64, {Steps, Batch, 2}, HandSteps,
                   1e-14);
    }
  }
}

TEST(InterpreterScan, LengthWithoutSequences) {
  // c' = c * 2, output c', for `length` = N steps.
  auto Body = std::make_shared<Graph>("double");
  NodeId C = Body->input("c", ty(DType::I64, {}));
  NodeId K = Body->input("k", ty(DType::I64, {}));
  NodeId Next = Body->make(OpCode::Mul, std::vector<NodeId>{C, K});
  Body->addOutput("", Next);
  Body->addOutput("", Next);
  Graph G;
  NodeId Init = G.input("c0", ty(DType::I64, {}));
  NodeId Scan =
      G.make(OpCode::Scan, std::vector<NodeId>{Init, G.scalar(2, DType::I64)},
             Attrs{{"num_carry", int64_t(1)},
                   {"num_seqs", int64_t(0)},
                   {"reverse", false},
                   {"length", Dim::symbol("N")}},
             std::nullopt, Body);
  G.addOutput("last", G.make(OpCode::Result, std::vector<NodeId>{Scan},
                             Attrs{{"index", int64_t(0)}}));
  G.addOutput("all", G.make(OpCode::Result, std::vector<NodeId>{Scan},
                            Attrs{{"index", int64_t(1)}}));
  EvalOptions Opts;
  Opts.Bindings["N"] = 5;
  TensorMap Out = run(G, {{"c0", Tensor::scalar(3, DType::I64)}}, Opts);
  expectValues(Out.at("last"), DType::I64, {}, {96});
  expectValues(Out.at("all"), DType::I64, {5}, {6, 12, 24, 48, 96});
  EXPECT_THAT(evalError(G, {{"c0", Tensor::scalar(3, DType::I64)}}),
              HasSubstr("'scan': attribute 'length': symbolic dim 'N'"));
}

TEST(InterpreterScan, ErrorsInsideTheBodyNameBothNodes) {
  // The body divides the carry by the sequence element (integers).
  auto Body = std::make_shared<Graph>("body");
  NodeId C = Body->input("c", ty(DType::I32, {}));
  NodeId X = Body->input("x", ty(DType::I32, {}));
  Body->addOutput("", Body->make(OpCode::Div, std::vector<NodeId>{C, X}));
  Graph G;
  NodeId Scan = G.make(OpCode::Scan,
                       std::vector<NodeId>{G.input("c", ty(DType::I32, {})),
                                           G.input("xs", ty(DType::I32, {T}))},
                       Attrs{{"num_carry", int64_t(1)},
                             {"num_seqs", int64_t(1)},
                             {"reverse", false}},
                       std::nullopt, Body);
  G.addOutput("q", G.make(OpCode::Result, std::vector<NodeId>{Scan},
                          Attrs{{"index", int64_t(0)}}));
  TensorMap Args = {{"c", Tensor::scalar(100, DType::I32)},
                    {"xs", tensor(DType::I32, {3}, {2, 5, 0})}};
  std::string Msg = evalError(G, Args);
  EXPECT_THAT(Msg, HasSubstr("'div': integer division by zero (10 / 0)"));
  EXPECT_THAT(Msg, HasSubstr("[at %2 = div(%0, %1) : i32[]] [in step 2 of 3] "
                             "[at %2 = scan("));
  Args["xs"] = tensor(DType::I32, {3}, {2, 5, 2});
  expectValues(run(G, Args).at("q"), DType::I32, {}, {5});
}

//===----------------------------------------------------------------------===//
// CheckFinite and other runtime errors
//===----------------------------------------------------------------------===//

TEST(Interpreter, CheckFiniteNamesTheNode) {
  Graph G;
  NodeId X = G.input("x", ty(DType::F32, {3}));
  NodeId L = G.make(OpCode::Log, std::vector<NodeId>{X});
  G.addOutput("y", G.make(OpCode::Neg, std::vector<NodeId>{L}));
  TensorMap Args = {{"x", tensor(DType::F32, {3}, {1, 0, 2})}};
  // Off by default: -log(0) is inf.
  expectValues(
      run(G, Args).at("y"), DType::F32, {3},
      {0, std::numeric_limits<double>::infinity(), -0.6931471805599453});
  EvalOptions Opts;
  Opts.CheckFinite = true;
  std::string Msg = evalError(G, Args, Opts);
  EXPECT_THAT(Msg, HasSubstr("non-finite value (-inf at element 1) produced "
                             "by 'log'"));
  EXPECT_THAT(Msg, HasSubstr(printNode(G, L)));
  // A non-finite argument is reported at the argument.
  Args["x"] = tensor(DType::F32, {3}, {1, std::nan(""), 2});
  EXPECT_THAT(evalError(G, Args, Opts),
              HasSubstr("non-finite value (nan at element 1) produced by "
                        "'input'"));
  // Finite values pass.
  Args["x"] = tensor(DType::F32, {3}, {1, 2, 3});
  EXPECT_EQ(run(G, Args, Opts).at("y").numel(), 3);
}

TEST(Interpreter, GradMustBeExpandedFirst) {
  Graph G;
  NodeId W = G.param("w", ty(DType::F32, {2}));
  NodeId Cost = G.make(OpCode::Sum, std::vector<NodeId>{W}, axes({0}));
  G.addOutput("g", G.make(OpCode::Grad, std::vector<NodeId>{Cost, W}));
  EXPECT_THAT(evalError(G, {{"w", Tensor(DType::F32, {2})}}),
              HasSubstr("grad node must be expanded by the autodiff pass "
                        "before evaluation"));
}

TEST(Interpreter, ExtraArgumentsAreIgnoredAndArgsAreNotModified) {
  Graph G = rowSumGraph();
  TensorMap Args = {{"x", tensor(DType::F32, {1, 3}, {1, 2, 3})},
                    {"b", tensor(DType::F32, {1}, {4})},
                    {"unused", Tensor(DType::I32, {7})}};
  expectValues(evaluate(G, Args).at("y"), DType::F32, {1}, {10});
  EXPECT_EQ(Args.size(), 3u);
  expectValues(Args.at("x"), DType::F32, {1, 3}, {1, 2, 3});
}

} // namespace
