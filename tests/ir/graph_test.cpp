//===- graph_test.cpp - Interning, arguments, outputs, updates -------------===//
#include "ir/builder.h"
#include "ir/error.h"
#include "ir/graph.h"
#include "ir/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace netjit;
using ::testing::HasSubstr;

namespace {

const Dim B = Dim::symbol("B");

TensorType f32(Shape S) { return {DType::F32, std::move(S)}; }

Bytes floatBytes(std::initializer_list<float> Vs) {
  Bytes Out;
  for (float V : Vs) {
    uint8_t Raw[4];
    std::memcpy(Raw, &V, 4);
    Out.Data.insert(Out.Data.end(), Raw, Raw + 4);
  }
  return Out;
}

TEST(Graph, StructurallyEqualNodesAreOneNode) {
  Graph G;
  NodeId X = G.input("x", f32({B, 10}));
  NodeId Y = G.input("y", f32({B, 10}));
  NodeId A1 = G.make(OpCode::Add, std::vector{X, Y});
  NodeId A2 = G.make(OpCode::Add, std::vector{X, Y});
  EXPECT_EQ(A1, A2);
  // Operand order is part of the key (canonicalisation is a pass's job).
  EXPECT_NE(G.make(OpCode::Add, std::vector{Y, X}), A1);
  EXPECT_NE(G.make(OpCode::Sub, std::vector{X, Y}), A1);
  size_t Before = G.size();
  G.make(OpCode::Exp, std::vector{A1});
  G.make(OpCode::Exp, std::vector{A2});
  EXPECT_EQ(G.size(), Before + 1);
}

TEST(Graph, AttributesArePartOfTheKey) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f32({B, 10}));
  EXPECT_EQ(Bd.reduce(OpCode::Sum, X, {1}), Bd.reduce(OpCode::Sum, X, {-1}));
  EXPECT_NE(Bd.reduce(OpCode::Sum, X, {1}), Bd.reduce(OpCode::Sum, X, {1}, true));
  EXPECT_NE(Bd.reduce(OpCode::Sum, X, {1}), Bd.reduce(OpCode::Sum, X, {0}));
  // A dim list of constants is stored as ints: both spellings intern alike.
  NodeId S1 = G.make(OpCode::Reshape, std::vector{X}, Attrs{{"shape", std::vector<Dim>{B, 2, 5}}});
  NodeId R = G.make(OpCode::Reshape, std::vector{S1},
                    Attrs{{"shape", std::vector<Dim>{B * 10}}});
  NodeId P = G.input("p", f32({4, 5}));
  NodeId T1 = G.make(OpCode::Reshape, std::vector{P}, Attrs{{"shape", std::vector<Dim>{20}}});
  NodeId T2 = G.make(OpCode::Reshape, std::vector{P}, Attrs{{"shape", std::vector<int64_t>{20}}});
  EXPECT_EQ(T1, T2);
  EXPECT_EQ(G.type(R).str(), "f32[10*B]");
}

TEST(Graph, ConstantsCompareByBitPattern) {
  Graph G;
  TensorType S = f32({});
  float NaN = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(G.constant(S, floatBytes({NaN})), G.constant(S, floatBytes({NaN})));
  EXPECT_NE(G.constant(S, floatBytes({0.0f})), G.constant(S, floatBytes({-0.0f})));
  EXPECT_EQ(G.scalar(1.5), G.constant(S, floatBytes({1.5f})));
  // Same bits, different dtype or shape: different constants.
  EXPECT_NE(G.scalar(1.0, DType::F32), G.scalar(1.0, DType::F64));
  EXPECT_NE(G.constant(f32({1}), floatBytes({2.0f})), G.constant(S, floatBytes({2.0f})));
  EXPECT_THROW(G.constant(f32({2}), floatBytes({1.0f})), TypeError);
  EXPECT_THROW(G.constant(f32({B}), floatBytes({1.0f})), TypeError);
}

TEST(Graph, ArgumentNamesAreInTheKey) {
  Graph G;
  NodeId X = G.input("x", f32({B, 3}));
  NodeId W = G.param("w", f32({3, 4}));
  EXPECT_EQ(G.input("x", f32({B, 3})), X);
  EXPECT_NE(G.input("x2", f32({B, 3})), X);
  EXPECT_EQ(G.arguments().size(), 3u);
  EXPECT_EQ(G.findArgument("w"), W);
  EXPECT_FALSE(G.findArgument("nope").valid());
  try {
    G.param("x", f32({B, 3}));
    FAIL();
  } catch (const TypeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("argument 'x' redeclared as param f32[B,3] (it is input f32[B,3])"));
  }
  EXPECT_THROW(G.input("w", f32({3, 5})), TypeError);
  EXPECT_THROW(G.input("", f32({3})), TypeError);
}

TEST(Graph, OutputsAndUpdates) {
  Graph G("step");
  NodeId W = G.param("w", f32({3}));
  NodeId X = G.input("x", f32({3}));
  NodeId Sum = G.make(OpCode::Add, std::vector{W, X});
  G.addOutput("sum", Sum);
  G.addUpdate(W, Sum);
  EXPECT_THROW(G.addOutput("sum", W), TypeError);
  EXPECT_THROW(G.addUpdate(W, Sum), TypeError);              // twice
  EXPECT_THROW(G.addUpdate(X, Sum), TypeError);              // not a param
  NodeId Y = G.param("y", f32({4}));
  EXPECT_THROW(G.addUpdate(Y, Sum), TypeError);              // wrong type
  verify(G);
}

TEST(Graph, LiveNodesAndCompact) {
  Graph G;
  NodeId X = G.input("x", f32({2}));
  NodeId Dead = G.make(OpCode::Exp, std::vector{X});
  NodeId L = G.make(OpCode::Log, std::vector{X});
  G.make(OpCode::Tanh, std::vector{Dead});
  G.addOutput("l", L);
  std::vector<NodeId> Live = G.liveNodes();
  EXPECT_EQ(Live, (std::vector<NodeId>{X, L}));
  Graph C = G.compact();
  EXPECT_EQ(C.size(), 2u);
  EXPECT_EQ(C.structuralHash(), G.structuralHash());
  EXPECT_EQ(C.node(C.outputs()[0].Value).Op, OpCode::Log);
  // A different graph hashes differently.
  Graph H;
  H.addOutput("l", H.make(OpCode::Exp, std::vector{H.input("x", f32({2}))}));
  EXPECT_NE(H.structuralHash(), G.structuralHash());
}

TEST(Graph, ScanBodiesAreInternedWhole) {
  auto MakeBody = [](OpCode Op) {
    auto Body = std::make_shared<Graph>("body");
    NodeId H = Body->input("h", f32({B}));
    NodeId X = Body->input("x", f32({B}));
    NodeId N = Body->make(Op, std::vector{H, X});
    Body->addOutput("", N);
    Body->addOutput("", N);
    return Body;
  };
  Graph G;
  NodeId H0 = G.input("h0", f32({B}));
  NodeId Xs = G.input("xs", f32({Dim::symbol("T"), B}));
  Attrs A{{"num_carry", int64_t(1)}, {"num_seqs", int64_t(1)}, {"reverse", false}};
  NodeId S1 = G.make(OpCode::Scan, std::vector{H0, Xs}, A, std::nullopt, MakeBody(OpCode::Add));
  NodeId S2 = G.make(OpCode::Scan, std::vector{H0, Xs}, A, std::nullopt, MakeBody(OpCode::Add));
  NodeId S3 = G.make(OpCode::Scan, std::vector{H0, Xs}, A, std::nullopt, MakeBody(OpCode::Mul));
  EXPECT_EQ(S1, S2);
  EXPECT_NE(S1, S3);
  EXPECT_EQ(G.node(S1).Results.size(), 2u);
  Builder Bd(G);
  EXPECT_EQ(G.type(Bd.result(S1, 0)).str(), "f32[B]");
  EXPECT_EQ(G.type(Bd.result(S1, 1)).str(), "f32[T,B]");
  EXPECT_THROW(Bd.result(S1, 2), TypeError);
  EXPECT_THROW(G.make(OpCode::Exp, std::vector{S1}), TypeError);
  EXPECT_THROW(G.addOutput("s", S1), TypeError);
}

TEST(Graph, OperandsFromAnotherGraphAreRejected) {
  Graph G, Other;
  NodeId X = Other.input("x", f32({2}));
  Other.input("y", f32({2}));
  NodeId Y = Other.input("z", f32({2}));
  G.input("x", f32({2}));
  EXPECT_THROW(G.make(OpCode::Add, std::vector{X, Y}), TypeError);
}

TEST(Verifier, AcceptsBuiltGraphsAndNamesProblems) {
  Graph G;
  Builder Bd(G);
  NodeId X = G.input("x", f32({B, 4}));
  NodeId W = G.param("w", f32({4, 3}));
  NodeId Bias = G.param("b", f32({3}));
  NodeId Logits = Bd.binary(OpCode::Add, Bd.matmul(X, W), Bias);
  G.addOutput("loss", Bd.reduce(OpCode::Mean, Bd.logSoftmax(Logits)));
  EXPECT_NO_THROW(verify(G));
  EXPECT_EQ(G.type(Logits).str(), "f32[B,3]");
}

} // namespace
