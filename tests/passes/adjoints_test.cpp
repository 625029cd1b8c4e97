//===- adjoints_test.cpp - Every op's adjoint against finite differences --===//
//
// ggml's test-backend-ops, for gradients: one case per op (or per operand
// pattern) with its own input distribution, step and tolerance. Each case
// builds y = op(args) on symbolic shapes, takes cost = sum(y * w) for a
// random fixed w (so the rule sees a non-trivial incoming gradient), binds
// the batch dim B to 1, 2 and 3 with random constant dims, and compares the
// expanded gradient with central differences of the cost in f64 (the
// interpreter is the oracle for both). Smooth cases also check the second
// derivative: the gradient of sum(dcost/dx · v), a Hessian-vector product,
// against finite differences of the gradient.
//
// Inputs are drawn away from kinks (abs/relu at 0, ties of max/maximum,
// clip at its bounds, log/sqrt near 0). A last test walks the op table: an
// op with neither a case here nor a named dedicated test fails.
//
//===----------------------------------------------------------------------===//
#include "gradcheck.h"

#include "ir/builder.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <set>

using namespace netjit;

namespace {

using Rng = std::mt19937_64;
/// Draws one element value.
using Draw = std::function<double(Rng &)>;

Draw uniform(double Lo, double Hi) {
  return
      [=](Rng &R) { return std::uniform_real_distribution<double>(Lo, Hi)(R); };
}
Draw normal() {
  return [](Rng &R) { return std::normal_distribution<double>(0.0, 1.0)(R); };
}
/// |x| in [Lo, Hi] with a random sign: clear of a kink at 0.
Draw awayFromZero(double Lo = 0.2, double Hi = 2.0) {
  return [=](Rng &R) {
    double V = std::uniform_real_distribution<double>(Lo, Hi)(R);
    return std::bernoulli_distribution(0.5)(R) ? V : -V;
  };
}
Draw integers(int64_t Lo, int64_t Hi) {
  return [=](Rng &R) {
    return double(std::uniform_int_distribution<int64_t>(Lo, Hi)(R));
  };
}
Draw coin() {
  return [](Rng &R) { return double(std::bernoulli_distribution(0.5)(R)); };
}

struct ArgSpec {
  std::string Name;
  Shape Dims;
  Draw Gen;
  DType T = DType::F64;
  /// Whether the gradient w.r.t. this argument is checked (floats only).
  bool Diff = true;
};

/// The sizes of one run: the symbolic batch dim and two random constants.
struct Sizes {
  Dim B = Dim::symbol("B");
  int64_t D = 3, K = 4;
};

struct OpCase {
  std::string Name;
  /// The ops whose adjoint rules this case exercises.
  std::vector<OpCode> Covers;
  std::function<std::vector<ArgSpec>(const Sizes &)> Args;
  /// Builds y from the argument nodes (in Args order).
  std::function<NodeId(Builder &, const std::vector<NodeId> &)> Build;
  double Eps = 1e-6, Tol = 1e-6;
  /// Also check second derivatives.
  bool Smooth = true;
  /// Adjusts drawn values (e.g. to keep ties apart).
  std::function<void(TensorMap &, Rng &)> Fixup;
};

const Dim B = Dim::symbol("B");

/// Element values of a tensor rewritten as a random permutation of a grid
/// with spacing 0.25: no two elements tie.
void makeDistinct(Tensor &T, Rng &R) {
  std::vector<int64_t> Perm(static_cast<size_t>(T.numel()));
  std::iota(Perm.begin(), Perm.end(), 0);
  std::shuffle(Perm.begin(), Perm.end(), R);
  for (int64_t I = 0; I < T.numel(); ++I)
    T.set(I, 0.25 * double(Perm[I]) - 0.1 * double(T.numel()));
}

/// Moves b away from a by at least 0.2 (maximum/minimum kinks).
void separate(TensorMap &Args, const char *A, const char *Bn) {
  Tensor &X = Args.at(A), &Y = Args.at(Bn);
  for (int64_t I = 0; I < X.numel(); ++I)
    if (std::abs(X.at(I) - Y.at(I)) < 0.2)
      Y.set(I, X.at(I) + (Y.at(I) < X.at(I) ? -0.3 : 0.3));
}

Shape dims(std::initializer_list<Dim> L) { return Shape(L); }

NodeId unary(Builder &Bd, OpCode Op, NodeId X) { return Bd.unary(Op, X); }

/// A case for a unary elementwise op on f64[B, D] drawn from Gen.
OpCase unaryCase(OpCode Op, Draw Gen, double Tol = 1e-6) {
  OpCase C;
  C.Name = std::string(opName(Op));
  C.Covers = {Op};
  C.Args = [Gen](const Sizes &S) {
    return std::vector<ArgSpec>{{"x", dims({S.B, S.D}), Gen}};
  };
  C.Build = [Op](Builder &Bd, const std::vector<NodeId> &A) {
    return unary(Bd, Op, A[0]);
  };
  C.Tol = Tol;
  return C;
}

/// A case for a binary elementwise op on f64[B, D] x f64[B, D].
OpCase binaryCase(OpCode Op, Draw GenA, Draw GenB) {
  OpCase C;
  C.Name = std::string(opName(Op));
  C.Covers = {Op};
  C.Args = [GenA, GenB](const Sizes &S) {
    return std::vector<ArgSpec>{{"a", dims({S.B, S.D}), GenA},
                                {"b", dims({S.B, S.D}), GenB}};
  };
  C.Build = [Op](Builder &Bd, const std::vector<NodeId> &A) {
    return Bd.binary(Op, A[0], A[1]);
  };
  return C;
}

using Args = std::vector<NodeId>;

std::vector<OpCase> elementwiseCases() {
  std::vector<OpCase> Cases = {
      unaryCase(OpCode::Neg, normal()),
      unaryCase(OpCode::Abs, awayFromZero()),
      unaryCase(OpCode::Exp, normal()),
      unaryCase(OpCode::Log, uniform(0.3, 3)),
      unaryCase(OpCode::Log1p, uniform(-0.6, 3)),
      unaryCase(OpCode::Expm1, normal()),
      unaryCase(OpCode::Sqrt, uniform(0.3, 3)),
      unaryCase(OpCode::Rsqrt, uniform(0.3, 3)),
      unaryCase(OpCode::Square, normal()),
      unaryCase(OpCode::Tanh, normal()),
      unaryCase(OpCode::Sigmoid, uniform(-4, 4)),
      unaryCase(OpCode::Softplus, uniform(-4, 4)),
      unaryCase(OpCode::Relu, awayFromZero()),
      binaryCase(OpCode::Add, normal(), normal()),
      binaryCase(OpCode::Sub, normal(), normal()),
      binaryCase(OpCode::Mul, normal(), normal()),
      binaryCase(OpCode::Div, normal(), awayFromZero(0.4, 2)),
      binaryCase(OpCode::Pow, uniform(0.4, 2.5), uniform(-2, 2)),
      binaryCase(OpCode::Maximum, normal(), normal()),
      binaryCase(OpCode::Minimum, normal(), normal()),
      binaryCase(OpCode::Xlogy, awayFromZero(0.2, 2), uniform(0.3, 3)),
  };
  for (OpCase &C : Cases)
    if (C.Covers[0] == OpCode::Maximum || C.Covers[0] == OpCode::Minimum)
      C.Fixup = [](TensorMap &M, Rng &) { separate(M, "a", "b"); };
  // select(c, a, b): the bool condition gets no gradient.
  OpCase Sel;
  Sel.Name = "select";
  Sel.Covers = {OpCode::Select};
  Sel.Args = [](const Sizes &S) {
    return std::vector<ArgSpec>{
        {"c", dims({S.B, S.D}), coin(), DType::Bool, false},
        {"a", dims({S.B, S.D}), normal()},
        {"b", dims({S.B, S.D}), normal()}};
  };
  Sel.Build = [](Builder &Bd, const Args &A) {
    return Bd.select(A[0], A[1], A[2]);
  };
  Cases.push_back(Sel);
  // clip(x, lo, hi) with every operand differentiable, x clear of the bounds.
  OpCase Clip;
  Clip.Name = "clip";
  Clip.Covers = {OpCode::Clip};
  Clip.Args = [](const Sizes &S) {
    return std::vector<ArgSpec>{{"x", dims({S.B, S.D}), uniform(-2, 2)},
                                {"lo", dims({S.B, S.D}), uniform(-0.9, -0.5)},
                                {"hi", dims({S.B, S.D}), uniform(0.5, 0.9)}};
  };
  Clip.Build = [](Builder &Bd, const Args &A) {
    return Bd.clip(A[0], A[1], A[2]);
  };
  Clip.Fixup = [](TensorMap &M, Rng &) {
    separate(M, "lo", "x");
    separate(M, "hi", "x");
  };
  Cases.push_back(Clip);
  // cast f64 -> f32 -> f64: both float casts, with f32 rounding in the FD.
  OpCase Cast;
  Cast.Name = "cast";
  Cast.Covers = {OpCode::Cast};
  Cast.Args = [](const Sizes &S) {
    return std::vector<ArgSpec>{{"x", dims({S.B, S.D}), normal()}};
  };
  Cast.Build = [](Builder &Bd, const Args &A) {
    return Bd.cast(Bd.cast(A[0], DType::F32), DType::F64);
  };
  Cast.Eps = 1e-2;
  Cast.Tol = 1e-3;
  Cases.push_back(Cast);
  return Cases;
}

/// A case with arguments Specs and body Build (covers Ops).
OpCase makeCase(std::string Name, std::vector<OpCode> Ops,
                std::function<std::vector<ArgSpec>(const Sizes &)> Specs,
                std::function<NodeId(Builder &, const Args &)> Build) {
  OpCase C;
  C.Name = std::move(Name);
  C.Covers = std::move(Ops);
  C.Args = std::move(Specs);
  C.Build = std::move(Build);
  return C;
}

/// One f64 argument "x" of the given shape.
std::function<std::vector<ArgSpec>(const Sizes &)>
oneArg(std::function<Shape(const Sizes &)> S, Draw Gen = normal()) {
  return [=](const Sizes &Z) { return std::vector<ArgSpec>{{"x", S(Z), Gen}}; };
}

std::vector<OpCase> reductionCases() {
  auto BDK = [](const Sizes &S) { return dims({S.B, S.D, S.K}); };
  auto Distinct = [](TensorMap &M, Rng &R) { makeDistinct(M.at("x"), R); };
  std::vector<OpCase> Cases = {
      makeCase("sum", {OpCode::Sum}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::Sum, A[0], {1});
               }),
      makeCase("sum.keepdims", {OpCode::Sum}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::Sum, A[0], {0, 2}, true);
               }),
      makeCase("mean", {OpCode::Mean, OpCode::DimValue}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::Mean, A[0], {0, 2});
               }),
      makeCase("mean.all", {OpCode::Mean}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::Mean, A[0]);
               }),
      makeCase("max", {OpCode::Max}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::Max, A[0], {1});
               }),
      makeCase("min.keepdims", {OpCode::Min}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::Min, A[0], {0, 2}, true);
               }),
      makeCase("logsumexp", {OpCode::LogSumExp}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::LogSumExp, A[0], {0, 2});
               }),
      makeCase("logsumexp.keepdims", {OpCode::LogSumExp}, oneArg(BDK),
               [](Builder &Bd, const Args &A) {
                 return Bd.reduce(OpCode::LogSumExp, A[0], {2}, true);
               }),
  };
  Cases[4].Fixup = Distinct;
  Cases[5].Fixup = Distinct;
  return Cases;
}

std::vector<OpCase> layoutCases() {
  std::vector<OpCase> Cases = {
      makeCase(
          "matmul", {OpCode::MatMul},
          [](const Sizes &S) {
            return std::vector<ArgSpec>{{"a", dims({S.B, S.D}), normal()},
                                        {"b", dims({S.D, S.K}), normal()}};
          },
          [](Builder &Bd, const Args &A) { return Bd.matmul(A[0], A[1]); }),
      makeCase(
          "matmul.batched", {OpCode::MatMul},
          [](const Sizes &S) {
            return std::vector<ArgSpec>{{"a", dims({2, S.B, S.D}), normal()},
                                        {"b", dims({2, S.D, S.K}), normal()}};
          },
          [](Builder &Bd, const Args &A) { return Bd.matmul(A[0], A[1]); }),
      makeCase("transpose", {OpCode::Transpose}, oneArg([](const Sizes &S) {
                 return dims({S.B, S.D, 3});
               }),
               [](Builder &Bd, const Args &A) {
                 return Bd.transpose(A[0], {2, 0, 1});
               }),
      makeCase("reshape", {OpCode::Reshape}, oneArg([](const Sizes &S) {
                 return dims({S.B, S.D, 2});
               }),
               [](Builder &Bd, const Args &A) {
                 Dim D = Bd.type(A[0]).Dims[1];
                 return Bd.reshape(A[0], {D, B * 2});
               }),
      makeCase("broadcast", {OpCode::Broadcast}, oneArg([](const Sizes &S) {
                 return dims({1, S.D});
               }),
               [](Builder &Bd, const Args &A) {
                 return Bd.broadcastTo(A[0], {3, B, Bd.type(A[0]).Dims[1]});
               }),
      makeCase("broadcast.column", {OpCode::Broadcast},
               oneArg([](const Sizes &S) {
                 return dims({S.B, 1});
               }),
               [](Builder &Bd, const Args &A) {
                 return Bd.broadcastTo(A[0], {B, 4});
               }),
      // x[1:B, 1:6:2]: a symbolic start..stop (empty when B = 1) and a step.
      makeCase("slice", {OpCode::Slice}, oneArg([](const Sizes &S) {
                 return dims({S.B, 7});
               }),
               [](Builder &Bd, const Args &A) {
                 return Bd.make(OpCode::Slice, {A[0]},
                                Attrs{{"starts", std::vector<Dim>{1, 1}},
                                      {"stops", std::vector<Dim>{B, 6}},
                                      {"steps", std::vector<int64_t>{1, 2}}});
               }),
      makeCase("slice.step3", {OpCode::Slice}, oneArg([](const Sizes &S) {
                 return dims({S.B, 8});
               }),
               [](Builder &Bd, const Args &A) {
                 return Bd.make(OpCode::Slice, {A[0]},
                                Attrs{{"starts", std::vector<Dim>{0, 2}},
                                      {"stops", std::vector<Dim>{B, 8}},
                                      {"steps", std::vector<int64_t>{1, 3}}});
               }),
      makeCase("pad", {OpCode::Pad}, oneArg([](const Sizes &S) {
                 return dims({S.B, S.D});
               }),
               [](Builder &Bd, const Args &A) {
                 return Bd.make(
                     OpCode::Pad, {A[0]},
                     Attrs{{"low", std::vector<Dim>{1, 0}},
                           {"high", std::vector<Dim>{0, 2}},
                           {"interior", std::vector<int64_t>{0, 1}}});
               }),
      makeCase(
          "concat", {OpCode::Concat},
          [](const Sizes &S) {
            return std::vector<ArgSpec>{{"a", dims({S.B, 1}), normal()},
                                        {"b", dims({S.B, S.D}), normal()},
                                        {"c", dims({S.B, 2}), normal()}};
          },
          [](Builder &Bd, const Args &A) {
            return Bd.concat({A[0], A[1], A[2]}, 1);
          }),
      makeCase(
          "concat.batch", {OpCode::Concat},
          [](const Sizes &S) {
            return std::vector<ArgSpec>{{"a", dims({S.B, S.D}), normal()},
                                        {"b", dims({2, S.D}), normal()}};
          },
          [](Builder &Bd, const Args &A) {
            return Bd.concat({A[0], A[1], A[0]}, 0);
          }),
  };
  return Cases;
}

std::vector<OpCase> indexingCases() {
  return {
      makeCase(
          "gather", {OpCode::Gather},
          [](const Sizes &S) {
            return std::vector<ArgSpec>{{"x", dims({S.B, S.K}), normal()},
                                        {"idx", dims({S.B, S.D}),
                                         integers(0, S.K - 1), DType::I64,
                                         false}};
          },
          [](Builder &Bd, const Args &A) { return Bd.gather(A[0], A[1], 1); }),
      makeCase(
          "scatter_add", {OpCode::ScatterAdd},
          [](const Sizes &S) {
            return std::vector<ArgSpec>{{"idx", dims({S.B, S.D}),
                                         integers(0, S.K - 1), DType::I32,
                                         false},
                                        {"u", dims({S.B, S.D}), normal()}};
          },
          [](Builder &Bd, const Args &A) {
            return Bd.make(OpCode::ScatterAdd, {A[0], A[1]},
                           Attrs{{"axis", int64_t(1)}, {"size", Dim(5)}});
          }),
      makeCase("softmax", {OpCode::Softmax}, oneArg([](const Sizes &S) {
                 return dims({S.B, S.K});
               }),
               [](Builder &Bd, const Args &A) { return Bd.softmax(A[0], -1); }),
      makeCase("softmax.axis0", {OpCode::Softmax}, oneArg([](const Sizes &S) {
                 return dims({S.B, S.K});
               }),
               [](Builder &Bd, const Args &A) { return Bd.softmax(A[0], 0); }),
      makeCase(
          "log_softmax", {OpCode::LogSoftmax}, oneArg([](const Sizes &S) {
            return dims({S.B, S.K});
          }),
          [](Builder &Bd, const Args &A) { return Bd.logSoftmax(A[0], -1); }),
      makeCase(
          "log_softmax.axis0", {OpCode::LogSoftmax}, oneArg([](const Sizes &S) {
            return dims({S.D, S.B});
          }),
          [](Builder &Bd, const Args &A) { return Bd.logSoftmax(A[0], 0); }),
      makeCase(
          "softmax_xent", {OpCode::SoftmaxXent},
          [](const Sizes &S) {
            return std::vector<ArgSpec>{
                {"z", dims({S.B, S.K}), uniform(-3, 3)},
                {"t", dims({S.B}), integers(0, S.K - 1), DType::I64, false}};
          },
          [](Builder &Bd, const Args &A) {
            return Bd.make(OpCode::SoftmaxXent, {A[0], A[1]});
          }),
  };
}

std::vector<OpCase> allCases() {
  std::vector<OpCase> All;
  for (auto *Family :
       {elementwiseCases, reductionCases, layoutCases, indexingCases})
    for (OpCase &C : Family())
      All.push_back(std::move(C));
  return All;
}

/// A graph for one run of a case: y = Build(args), cost = sum(y * w).
struct CaseGraph {
  Graph G{"case"};
  std::vector<std::string> Diff;
  NodeId Cost;
};

void buildCase(const OpCase &C, const Sizes &S, CaseGraph &Out) {
  Builder Bd(Out.G);
  std::vector<NodeId> Nodes;
  for (const ArgSpec &A : C.Args(S)) {
    Nodes.push_back(Out.G.input(A.Name, {A.T, A.Dims}));
    if (A.Diff)
      Out.Diff.push_back(A.Name);
  }
  NodeId Y = C.Build(Bd, Nodes);
  NodeId W = Out.G.input("w_out", Out.G.type(Y));
  Out.Cost = Bd.reduce(OpCode::Sum, Bd.binary(OpCode::Mul, Y, W));
}

/// Random values for every argument of G (w_out normal, V* normal).
TensorMap drawArgs(const OpCase &C, const Sizes &S, const Graph &G,
                   const DimBindings &Bind, Rng &R) {
  std::map<std::string, Draw> Gens;
  std::map<std::string, DType> Types;
  for (const ArgSpec &A : C.Args(S))
    Gens[A.Name] = A.Gen;
  TensorMap Args;
  for (NodeId A : G.arguments()) {
    const std::string &Name = G.node(A).Attributes.getString("name");
    const TensorType &T = G.type(A);
    Tensor V(T.Dtype, evaluateShape(T.Dims, Bind));
    Draw Gen = Gens.count(Name) ? Gens[Name] : normal();
    for (int64_t I = 0; I < V.numel(); ++I)
      V.set(I, Gen(R));
    Args[Name] = std::move(V);
  }
  if (C.Fixup)
    C.Fixup(Args, R);
  return Args;
}

class AdjointFD : public ::testing::TestWithParam<size_t> {};

TEST_P(AdjointFD, MatchesCentralDifferences) {
  static const std::vector<OpCase> Cases = allCases();
  const OpCase &C = Cases[GetParam()];
  Rng R(0x5eed + GetParam());
  for (int64_t Batch : {1, 2, 3}) {
    Sizes S;
    S.D = std::uniform_int_distribution<int64_t>(1, 4)(R);
    S.K = std::uniform_int_distribution<int64_t>(2, 5)(R);
    DimBindings Bind{{"B", Batch}};
    SCOPED_TRACE(C.Name + " with B=" + std::to_string(Batch) +
                 " D=" + std::to_string(S.D) + " K=" + std::to_string(S.K));
    CaseGraph CG;
    buildCase(C, S, CG);
    CG.G.addOutput("cost", CG.Cost);
    gradcheck::Options O;
    O.Eps = C.Eps;
    O.RelTol = O.AbsTol = C.Tol;
    O.Bindings = Bind;
    TensorMap Args = drawArgs(C, S, CG.G, Bind, R);
    EXPECT_TRUE(gradcheck::checkGradients(CG.G, "cost", Args, CG.Diff, O));
    if (!C.Smooth)
      continue;
    // Second derivatives: d/dx sum_i (dcost/dx_i · v_i) = H v.
    Builder Bd(CG.G);
    NodeId Dot;
    for (const std::string &X : CG.Diff) {
      NodeId Arg = CG.G.findArgument(X);
      NodeId V = CG.G.input("v_" + X, CG.G.type(Arg));
      NodeId Term = Bd.reduce(OpCode::Sum,
                              Bd.binary(OpCode::Mul, Bd.grad(CG.Cost, Arg), V));
      Dot = Dot.valid() ? Bd.binary(OpCode::Add, Dot, Term) : Term;
    }
    CG.G.addOutput("hv", Dot);
    Args = drawArgs(C, S, CG.G, Bind, R);
    O.RelTol = O.AbsTol = std::max(C.Tol, 1e-5);
    EXPECT_TRUE(gradcheck::checkGradients(CG.G, "hv", Args, CG.Diff, O))
        << "second derivative";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryOp, AdjointFD,
                         ::testing::Range<size_t>(0, allCases().size()),
                         [](const ::testing::TestParamInfo<size_t> &I) {
                           std::string N = allCases()[I.param].Name;
                           for (char &Ch : N)
                             if (!std::isalnum(static_cast<unsigned char>(Ch)))
                               Ch = '_';
                           return N;
                         });

/// Ops covered by a dedicated test in autodiff_test.cpp instead of a
/// finite-difference case, with the test's name.
const std::map<OpCode, std::string> &dedicatedTests() {
  static const std::map<OpCode, std::string> M = {
      {OpCode::Input, "leaf (Autodiff.UnusedParamGetsZeros)"},
      {OpCode::Param, "leaf (Autodiff.UnusedParamGetsZeros)"},
      {OpCode::Constant, "leaf (Autodiff.GradWrtCostIsOne)"},
      {OpCode::Sign, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Not, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::And, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Or, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Eq, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Ne, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Lt, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Le, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Gt, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Ge, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::Argmax, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::OneHot, "Autodiff.NonDifferentiablePathsGiveExactZeros"},
      {OpCode::StopGradient, "Autodiff.StopGradientBlocks"},
      {OpCode::RandomUniform, "Autodiff.RandomDrawsAreConstants"},
      {OpCode::RandomNormal, "Autodiff.RandomDrawsAreConstants"},
      {OpCode::Grad, "Autodiff.GradOfGrad* and Derivatives.*"},
      {OpCode::Scan, "ScanAutodiff.* and ScanBptt.*"},
      {OpCode::Result, "ScanAutodiff.* and ScanBptt.*"},
      {OpCode::Kernel, "Autodiff.KernelGradientIsAClearError"},
  };
  return M;
}

TEST(AdjointFD, EveryOpHasAGradientTest) {
  std::set<OpCode> Covered;
  for (const OpCase &C : allCases())
    Covered.insert(C.Covers.begin(), C.Covers.end());
  std::string Missing;
  for (int I = 0; I < kNumOps; ++I) {
    OpCode Op = static_cast<OpCode>(I);
    if (!Covered.count(Op) && !dedicatedTests().count(Op))
      Missing += " " + std::string(opName(Op));
  }
  EXPECT_EQ(Missing, "") << "ops without a gradient test:" << Missing;
}

} // namespace
