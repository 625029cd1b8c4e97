//===- fold_test.cpp - Constant folding agrees with the interpreter -------===//
//
// passes/fold.cpp is a second evaluator that must give the interpreter's
// bits. For every foldable op (the test walks the op table, so a new
// foldable op without a case fails), random constants of every dtype the op
// accepts, with +-0, +-inf, NaN, huge values and integer extremes mixed in,
// are evaluated by runtime/interpreter.cpp and folded by foldConstant; the
// results must be identical (any NaN matches any NaN).
//
//===----------------------------------------------------------------------===//
#include "passes/fold.h"
#include "runtime/interpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>

namespace netjit {
namespace {

class FoldAgreement : public ::testing::Test {
protected:
  std::mt19937_64 Rng{12345};

  double randomValue(DType T) {
    const double Inf = std::numeric_limits<double>::infinity();
    const double Special[] = {0.0,  -0.0, Inf,  -Inf,  std::nan(""), 1.0,
                              -1.0, 0.5,  1e30, -1e30, 100,          -100};
    switch (T) {
    case DType::F32:
    case DType::F64:
      if (Rng() % 3 == 0)
        return Special[Rng() % std::size(Special)];
      return std::uniform_real_distribution<double>(-4, 4)(Rng);
    case DType::I32:
      if (Rng() % 8 == 0)
        return Rng() % 2 ? 2147483647.0 : -2147483648.0;
      return static_cast<double>(static_cast<int64_t>(Rng() % 2001) - 1000);
    case DType::I64:
      return static_cast<double>(static_cast<int64_t>(Rng() % 2001) - 1000);
    case DType::Bool:
      return static_cast<double>(Rng() & 1);
    }
    return 0;
  }

  NodeId randomConstant(Graph &G, DType T, std::vector<int64_t> Dims,
                        bool NonZero = false) {
    Tensor V(T, Dims);
    for (int64_t I = 0; I < V.numel(); ++I) {
      double X = randomValue(T);
      V.set(I, NonZero && X == 0 ? 3 : X);
    }
    Bytes B;
    B.Data.assign(static_cast<const uint8_t *>(V.raw()),
                  static_cast<const uint8_t *>(V.raw()) + V.nbytes());
    return G.constant({T, Shape(Dims.begin(), Dims.end())}, B);
  }

  /// Evaluates Op(Ins) {A} with the interpreter and with foldConstant and
  /// expects the same bits.
  void check(Graph &G, OpCode Op, std::vector<NodeId> Ins, Attrs A = {}) {
    Tested.insert(Op);
    NodeId N = G.make(Op, Ins, A);
    SCOPED_TRACE(std::string(opName(Op)) + " -> " + G.type(N).str());
    G.clearOutputs();
    G.addOutput("r", N);
    TensorMap Args;
    Tensor Want = evaluate(G, Args).at("r");
    std::vector<ConstantRef> Refs;
    for (NodeId In : Ins)
      Refs.push_back({&G.type(In), &G.node(In).Attributes.getBytes("value")});
    std::optional<Bytes> Got = foldConstant(Op, A, G.type(N), Refs);
    ASSERT_TRUE(Got.has_value());
    ASSERT_EQ(Got->Data.size(), Want.nbytes());
    size_t Size = dtypeSize(Want.dtype());
    for (int64_t I = 0; I < Want.numel(); ++I) {
      const uint8_t *P = Got->Data.data() + I * Size;
      const uint8_t *Q = static_cast<const uint8_t *>(Want.raw()) + I * Size;
      if (isFloat(Want.dtype())) {
        double X = Want.dtype() == DType::F32
                       ? double(*reinterpret_cast<const float *>(P))
                       : *reinterpret_cast<const double *>(P);
        if (std::isnan(X) && std::isnan(Want.at(I)))
          continue;
      }
      ASSERT_EQ(0, std::memcmp(P, Q, Size))
          << "element " << I << " differs; the interpreter gives "
          << Want.at(I);
    }
  }

  void elementwiseCases();
  void reductionCases();
  void layoutCases();

  std::set<OpCode> Tested;
};

const DType kNumeric[] = {DType::F32, DType::F64, DType::I32, DType::I64};
const DType kFloats[] = {DType::F32, DType::F64};
const DType kAll[] = {DType::F32, DType::F64, DType::I32, DType::I64,
                      DType::Bool};

void FoldAgreement::elementwiseCases() {
  for (int Round = 0; Round < 4; ++Round) {
    Graph G;
    std::vector<int64_t> S{4, 6};
    for (OpCode Op :
         {OpCode::Neg, OpCode::Abs, OpCode::Sign, OpCode::Square, OpCode::Relu})
      for (DType T : kNumeric)
        check(G, Op, {randomConstant(G, T, S)});
    for (OpCode Op :
         {OpCode::Exp, OpCode::Log, OpCode::Log1p, OpCode::Expm1, OpCode::Sqrt,
          OpCode::Rsqrt, OpCode::Tanh, OpCode::Sigmoid, OpCode::Softplus})
      for (DType T : kFloats)
        check(G, Op, {randomConstant(G, T, S)});
    check(G, OpCode::Not, {randomConstant(G, DType::Bool, S)});
    for (OpCode Op : {OpCode::Add, OpCode::Sub, OpCode::Mul, OpCode::Div,
                      OpCode::Maximum, OpCode::Minimum, OpCode::Lt, OpCode::Le,
                      OpCode::Gt, OpCode::Ge, OpCode::Eq, OpCode::Ne})
      for (DType T : kNumeric)
        check(G, Op,
              {randomConstant(G, T, S),
               randomConstant(G, T, S, Op == OpCode::Div)});
    for (OpCode Op : {OpCode::Pow, OpCode::Xlogy})
      for (DType T : kFloats)
        check(G, Op, {randomConstant(G, T, S), randomConstant(G, T, S)});
    for (OpCode Op : {OpCode::And, OpCode::Or, OpCode::Eq, OpCode::Ne})
      check(G, Op,
            {randomConstant(G, DType::Bool, S),
             randomConstant(G, DType::Bool, S)});
    for (DType T : kAll)
      check(G, OpCode::Select,
            {randomConstant(G, DType::Bool, S), randomConstant(G, T, S),
             randomConstant(G, T, S)});
    for (DType T : kNumeric)
      check(G, OpCode::Clip,
            {randomConstant(G, T, S), randomConstant(G, T, S),
             randomConstant(G, T, S)});
    for (DType From : kAll)
      for (DType To : kAll)
        check(G, OpCode::Cast, {randomConstant(G, From, S)},
              Attrs{{"dtype", To}});
  }
}

void FoldAgreement::reductionCases() {
  std::vector<std::vector<int64_t>> AxesSets{{},  {0},    {1},
                                             {2}, {0, 2}, {0, 1, 2}};
  for (int Round = 0; Round < 3; ++Round) {
    Graph G;
    std::vector<int64_t> S{3, 4, 5};
    for (const auto &Axes : AxesSets)
      for (bool Keep : {false, true}) {
        Attrs A{{"axes", Axes}, {"keepdims", Keep}};
        for (OpCode Op : {OpCode::Sum, OpCode::Max, OpCode::Min})
          for (DType T : kNumeric)
            check(G, Op, {randomConstant(G, T, S)}, A);
        for (OpCode Op : {OpCode::Mean, OpCode::LogSumExp})
          for (DType T : kFloats)
            check(G, Op, {randomConstant(G, T, S)}, A);
      }
    // An empty axis: sum 0, mean NaN, max -inf, logsumexp -inf.
    for (OpCode Op :
         {OpCode::Sum, OpCode::Mean, OpCode::Max, OpCode::LogSumExp})
      check(G, Op, {randomConstant(G, DType::F32, {2, 0})},
            Attrs{{"axes", std::vector<int64_t>{1}}, {"keepdims", false}});
    for (int64_t Axis : {0, 1, 2})
      for (bool Keep : {false, true})
        for (DType T : kNumeric)
          check(G, OpCode::Argmax, {randomConstant(G, T, S)},
                Attrs{{"axis", Axis}, {"keepdims", Keep}});
  }
}

void FoldAgreement::layoutCases() {
  Graph G;
  for (DType T : kAll) {
    NodeId X = randomConstant(G, T, {2, 3, 4});
    check(G, OpCode::Transpose, {X},
          Attrs{{"perm", std::vector<int64_t>{2, 0, 1}}});
    check(G, OpCode::Reshape, {X},
          Attrs{{"shape", std::vector<int64_t>{6, 4}}});
    check(G, OpCode::Broadcast, {randomConstant(G, T, {3, 1})},
          Attrs{{"shape", std::vector<int64_t>{2, 3, 5}}});
    check(G, OpCode::Slice, {X},
          Attrs{{"starts", std::vector<int64_t>{1, 0, 1}},
                {"stops", std::vector<int64_t>{2, 3, 4}},
                {"steps", std::vector<int64_t>{1, 2, 2}}});
    check(G, OpCode::Pad, {X},
          Attrs{{"low", std::vector<int64_t>{1, 0, 2}},
                {"high", std::vector<int64_t>{0, 1, 1}},
                {"interior", std::vector<int64_t>{0, 1, 2}}});
    check(G, OpCode::Concat, {X, randomConstant(G, T, {2, 1, 4}), X},
          Attrs{{"axis", int64_t{1}}});
  }
}

TEST_F(FoldAgreement, ElementwiseOps) { elementwiseCases(); }
TEST_F(FoldAgreement, ReductionsAndArgmax) { reductionCases(); }
TEST_F(FoldAgreement, LayoutOps) { layoutCases(); }

TEST_F(FoldAgreement, CoversEveryFoldableOp) {
  elementwiseCases();
  reductionCases();
  layoutCases();
  for (int I = 0; I < kNumOps; ++I) {
    OpCode Op = static_cast<OpCode>(I);
    if (isFoldable(Op)) {
      EXPECT_TRUE(Tested.count(Op))
          << "no agreement case for foldable op '" << opName(Op) << "'";
    }
  }
}

TEST(Fold, RefusesWhatWouldFailAtRunTime) {
  Graph G;
  auto I32 = [&](std::vector<int32_t> V) {
    Bytes B;
    B.Data.resize(V.size() * 4);
    std::memcpy(B.Data.data(), V.data(), B.Data.size());
    return G.constant({DType::I32, {static_cast<int64_t>(V.size())}}, B);
  };
  NodeId A = I32({1, 2}), Z = I32({1, 0});
  NodeId D = G.make(OpCode::Div, std::vector<NodeId>{A, Z});
  ConstantRef Refs[] = {{&G.type(A), &G.node(A).Attributes.getBytes("value")},
                        {&G.type(Z), &G.node(Z).Attributes.getBytes("value")}};
  EXPECT_FALSE(foldConstant(OpCode::Div, {}, G.type(D), Refs).has_value());
  // argmax over an empty axis has no index to return.
  NodeId E = G.constant({DType::F32, {2, 0}}, Bytes{});
  NodeId M = G.make(OpCode::Argmax, std::vector<NodeId>{E},
                    Attrs{{"axis", int64_t{1}}, {"keepdims", false}});
  ConstantRef ERef[] = {{&G.type(E), &G.node(E).Attributes.getBytes("value")}};
  EXPECT_FALSE(
      foldConstant(OpCode::Argmax, G.node(M).Attributes, G.type(M), ERef)
          .has_value());
  // Not foldable at all.
  EXPECT_FALSE(isFoldable(OpCode::MatMul));
  EXPECT_FALSE(isFoldable(OpCode::StopGradient));
}

} // namespace
} // namespace netjit
