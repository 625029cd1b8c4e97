//===- type_rules_test.cpp - Shape and dtype inference for every op --------===//
//
// One positive case per op (walked against the op table, so a new op without
// a case fails here) and negative cases whose messages must name the op, the
// operand and the shapes.
//
//===----------------------------------------------------------------------===//
#include "ir/builder.h"
#include "ir/error.h"
#include "ir/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

using namespace netjit;
using ::testing::HasSubstr;

namespace {

const Dim B = Dim::symbol("B"), T = Dim::symbol("T");

/// A graph with a few typed inputs to build cases from.
struct Fixture {
  Graph G;
  Builder Bd{G};
  NodeId X = G.input("x", {DType::F32, {B, 10}});   // f32[B,10]
  NodeId Y = G.input("y", {DType::F32, {B, 10}});
  NodeId Z = G.input("z", {DType::F32, {B, 10}});
  NodeId D = G.input("d", {DType::F64, {3}});
  NodeId I = G.input("i", {DType::I32, {B, 10}});
  NodeId L = G.input("labels", {DType::I64, {B}});
  NodeId C = G.input("c", {DType::Bool, {B, 10}});
  NodeId W = G.param("w", {DType::F32, {10, 4}});
  NodeId Seq = G.input("seq", {DType::F32, {T, B, 10}});
  NodeId Key = G.input("key", {DType::I64, {}});
  NodeId Cost = G.input("cost", {DType::F32, {}});
  NodeId make(OpCode Op, std::vector<NodeId> In, Attrs A = {}) {
    return G.make(Op, In, std::move(A));
  }
  std::string type(NodeId N) { return G.type(N).str(); }
};

using Case = std::function<NodeId(Fixture &)>;

std::shared_ptr<Graph> rnnBody() {
  auto Body = std::make_shared<Graph>("body");
  NodeId H = Body->input("h", {DType::F32, {B, 10}});
  NodeId X = Body->input("x", {DType::F32, {B, 10}});
  NodeId N = Body->make(OpCode::Tanh, std::vector{Body->make(OpCode::Add, std::vector{H, X})});
  Body->addOutput("", N);
  Body->addOutput("", N);
  return Body;
}

NodeId rnnScan(Fixture &F) {
  return F.G.make(OpCode::Scan, std::vector{F.X, F.Seq},
                  Attrs{{"num_carry", int64_t(1)}, {"num_seqs", int64_t(1)}, {"reverse", false}},
                  std::nullopt, rnnBody());
}

/// A kernel body: neg(x) and the row sums of x, for x: f32[B,10].
std::shared_ptr<Graph> kernelBody(bool WithOutputs = true) {
  auto Body = std::make_shared<Graph>("body");
  NodeId X = Body->input("x", {DType::F32, {B, 10}});
  if (WithOutputs) {
    Body->addOutput("", Body->make(OpCode::Neg, std::vector{X}));
    Body->addOutput("", Body->make(OpCode::Sum, std::vector{X},
                                   Attrs{{"axes", std::vector<int64_t>{1}}, {"keepdims", false}}));
  }
  return Body;
}

NodeId kernelNode(Fixture &F) {
  return F.G.make(OpCode::Kernel, std::vector{F.X}, {}, std::nullopt, kernelBody());
}

/// Op -> (case, expected result type).
std::map<OpCode, std::pair<Case, std::string>> positiveCases() {
  std::map<OpCode, std::pair<Case, std::string>> M;
  auto unary = [&M](OpCode Op) {
    M[Op] = {[Op](Fixture &F) { return F.make(Op, {F.X}); }, "f32[B,10]"};
  };
  for (OpCode Op : {OpCode::Neg, OpCode::Abs, OpCode::Sign, OpCode::Exp, OpCode::Log,
                    OpCode::Log1p, OpCode::Expm1, OpCode::Sqrt, OpCode::Rsqrt, OpCode::Square,
                    OpCode::Tanh, OpCode::Sigmoid, OpCode::Softplus, OpCode::Relu,
                    OpCode::StopGradient})
    unary(Op);
  for (OpCode Op : {OpCode::Add, OpCode::Sub, OpCode::Mul, OpCode::Div, OpCode::Pow,
                    OpCode::Maximum, OpCode::Minimum, OpCode::Xlogy})
    M[Op] = {[Op](Fixture &F) { return F.make(Op, {F.X, F.Y}); }, "f32[B,10]"};
  for (OpCode Op : {OpCode::Eq, OpCode::Ne, OpCode::Lt, OpCode::Le, OpCode::Gt, OpCode::Ge})
    M[Op] = {[Op](Fixture &F) { return F.make(Op, {F.X, F.Y}); }, "bool[B,10]"};
  for (OpCode Op : {OpCode::And, OpCode::Or})
    M[Op] = {[Op](Fixture &F) { return F.make(Op, {F.C, F.C}); }, "bool[B,10]"};
  M[OpCode::Not] = {[](Fixture &F) { return F.make(OpCode::Not, {F.C}); }, "bool[B,10]"};
  M[OpCode::Input] = {[](Fixture &F) { return F.G.input("new", {DType::I32, {T}}); }, "i32[T]"};
  M[OpCode::Param] = {[](Fixture &F) { return F.G.param("p", {DType::F64, {2, 2}}); }, "f64[2,2]"};
  M[OpCode::Constant] = {[](Fixture &F) { return F.G.scalar(2.0, DType::I64); }, "i64[]"};
  M[OpCode::DimValue] = {[](Fixture &F) { return F.Bd.dimValue(B * T, DType::F32); }, "f32[]"};
  M[OpCode::Select] = {[](Fixture &F) { return F.make(OpCode::Select, {F.C, F.X, F.Y}); }, "f32[B,10]"};
  M[OpCode::Clip] = {[](Fixture &F) { return F.make(OpCode::Clip, {F.X, F.Y, F.Z}); }, "f32[B,10]"};
  M[OpCode::Cast] = {[](Fixture &F) { return F.Bd.cast(F.I, DType::F64); }, "f64[B,10]"};
  M[OpCode::Sum] = {[](Fixture &F) { return F.Bd.reduce(OpCode::Sum, F.X, {1}); }, "f32[B]"};
  M[OpCode::Mean] = {[](Fixture &F) { return F.Bd.reduce(OpCode::Mean, F.X); }, "f32[]"};
  M[OpCode::Max] = {[](Fixture &F) { return F.Bd.reduce(OpCode::Max, F.X, {0}, true); }, "f32[1,10]"};
  M[OpCode::Min] = {[](Fixture &F) { return F.Bd.reduce(OpCode::Min, F.I, {-1}); }, "i32[B]"};
  M[OpCode::LogSumExp] = {[](Fixture &F) { return F.Bd.reduce(OpCode::LogSumExp, F.X, {1}, true); }, "f32[B,1]"};
  M[OpCode::Argmax] = {[](Fixture &F) { return F.Bd.argmax(F.X, -1); }, "i64[B]"};
  M[OpCode::MatMul] = {[](Fixture &F) { return F.Bd.matmul(F.X, F.W); }, "f32[B,4]"};
  M[OpCode::Transpose] = {[](Fixture &F) { return F.Bd.transpose(F.Seq, {1, 2, 0}); }, "f32[B,10,T]"};
  M[OpCode::Reshape] = {[](Fixture &F) { return F.Bd.reshape(F.Seq, {T * B, 10}); }, "f32[B*T,10]"};
  M[OpCode::Broadcast] = {[](Fixture &F) { return F.Bd.broadcastTo(F.L, {3, B}); }, "i64[3,B]"};
  M[OpCode::Slice] = {[](Fixture &F) {
    return F.make(OpCode::Slice, {F.Seq}, Attrs{{"starts", std::vector<Dim>{1, 0, 0}},
                                                  {"stops", std::vector<Dim>{T, B, 10}},
                                                  {"steps", std::vector<int64_t>{1, 1, 3}}});
  }, "f32[T-1,B,4]"};
  M[OpCode::Pad] = {[](Fixture &F) {
    return F.make(OpCode::Pad, {F.X}, Attrs{{"low", std::vector<Dim>{1, 0}},
                                              {"high", std::vector<Dim>{T, 2}},
                                              {"interior", std::vector<int64_t>{0, 1}}});
  }, "f32[B+T+1,21]"};
  M[OpCode::Concat] = {[](Fixture &F) { return F.Bd.concat({F.X, F.Y, F.Z}, 1); }, "f32[B,30]"};
  M[OpCode::Gather] = {[](Fixture &F) {
    return F.Bd.gather(F.X, F.Bd.reshape(F.L, {B, 1}), 1);
  }, "f32[B,1]"};
  M[OpCode::ScatterAdd] = {[](Fixture &F) {
    return F.make(OpCode::ScatterAdd, {F.I, F.X}, Attrs{{"axis", int64_t(1)}, {"size", T}});
  }, "f32[B,T]"};
  M[OpCode::OneHot] = {[](Fixture &F) { return F.Bd.oneHot(F.L, 10, DType::F32); }, "f32[B,10]"};
  M[OpCode::Softmax] = {[](Fixture &F) { return F.Bd.softmax(F.X); }, "f32[B,10]"};
  M[OpCode::LogSoftmax] = {[](Fixture &F) { return F.Bd.logSoftmax(F.X, 0); }, "f32[B,10]"};
  M[OpCode::SoftmaxXent] = {[](Fixture &F) {
    return F.make(OpCode::SoftmaxXent, {F.X, F.L});
  }, "f32[B]"};
  M[OpCode::RandomUniform] = {[](Fixture &F) {
    return F.G.make(OpCode::RandomUniform, std::vector{F.Key}, {}, TensorType{DType::F32, {B, 3}});
  }, "f32[B,3]"};
  M[OpCode::RandomNormal] = {[](Fixture &F) {
    return F.G.make(OpCode::RandomNormal, std::vector{F.Key}, {}, TensorType{DType::F64, {}});
  }, "f64[]"};
  M[OpCode::Grad] = {[](Fixture &F) { return F.Bd.grad(F.Cost, F.W); }, "f32[10,4]"};
  M[OpCode::Scan] = {rnnScan, "f32[B,10]"};
  M[OpCode::Result] = {[](Fixture &F) { return F.Bd.result(rnnScan(F), 1); }, "f32[T,B,10]"};
  M[OpCode::Kernel] = {kernelNode, "f32[B,10]"};
  return M;
}

TEST(TypeRules, EveryOpHasAPositiveCase) {
  auto Cases = positiveCases();
  for (int I = 0; I < kNumOps; ++I) {
    OpCode Op = static_cast<OpCode>(I);
    auto It = Cases.find(Op);
    if (It == Cases.end()) {
      ADD_FAILURE() << "no type-rule case for op '" << opName(Op) << "'";
      continue;
    }
    Fixture F;
    NodeId N = It->second.first(F);
    EXPECT_EQ(F.G.node(N).Op, Op) << opName(Op);
    EXPECT_EQ(F.type(N), It->second.second) << opName(Op);
  }
}

struct Negative {
  const char *What;
  Case Build;
  const char *Message;
};

class TypeRuleErrors : public ::testing::TestWithParam<Negative> {};

TEST_P(TypeRuleErrors, NamesTheProblem) {
  Fixture F;
  try {
    GetParam().Build(F);
    FAIL() << "no error for: " << GetParam().What;
  } catch (const TypeError &E) {
    EXPECT_THAT(E.what(), HasSubstr(GetParam().Message));
  }
}

const Negative NegativeCases[] = {
    {"shape mismatch", [](Fixture &F) { return F.make(OpCode::Add, {F.X, F.Seq}); },
     "'add': operand #1 (f32[T,B,10]) must have the type of operand #0 (f32[B,10])"},
    {"dtype mismatch", [](Fixture &F) { return F.make(OpCode::Mul, {F.X, F.I}); },
     "'mul': operand #1 (i32[B,10]) must have the type of operand #0 (f32[B,10])"},
    {"float-only op on ints", [](Fixture &F) { return F.make(OpCode::Exp, {F.I}); },
     "'exp': operand #0 (i32[B,10]) must be f32 or f64"},
    {"arith on bool", [](Fixture &F) { return F.make(OpCode::Add, {F.C, F.C}); },
     "'add': operand #0 (bool[B,10]) must be numeric, not bool"},
    {"arity", [](Fixture &F) { return F.make(OpCode::Add, {F.X}); },
     "'add': takes 2 operands, got 1"},
    {"select cond", [](Fixture &F) { return F.make(OpCode::Select, {F.X, F.X, F.Y}); },
     "'select': operand #0 (f32[B,10]) must be bool"},
    {"missing attr", [](Fixture &F) { return F.make(OpCode::Sum, {F.X}); },
     "'sum': missing attribute 'axes'"},
    {"attr kind", [](Fixture &F) {
       return F.make(OpCode::Sum, {F.X}, Attrs{{"axes", int64_t(1)}, {"keepdims", false}});
     }, "'sum': attribute 'axes' must be a list of ints, got int"},
    {"axis range", [](Fixture &F) {
       return F.make(OpCode::Sum, {F.X}, Attrs{{"axes", std::vector<int64_t>{2}}, {"keepdims", false}});
     }, "'sum': axis 2 is out of range for f32[B,10]"},
    {"matmul contraction", [](Fixture &F) { return F.Bd.matmul(F.W, F.X); },
     "'matmul': contraction dims differ: f32[10,4] x f32[B,10]"},
    {"reshape count", [](Fixture &F) { return F.Bd.reshape(F.X, {B, 11}); },
     "'reshape': cannot reshape f32[B,10] (10*B elements) to [B,11] (11*B elements)"},
    {"broadcast", [](Fixture &F) { return F.Bd.broadcastTo(F.X, {B, 3}); },
     "'broadcast': cannot broadcast f32[B,10] to [B,3]: dim 1 is 10, not 1 or 3"},
    {"transpose perm", [](Fixture &F) { return F.Bd.transpose(F.X, {0, 0}); },
     "'transpose': attribute 'perm' is not a permutation of the 2 dims of f32[B,10]"},
    {"slice bounds", [](Fixture &F) {
       return F.make(OpCode::Slice, {F.X}, Attrs{{"starts", std::vector<Dim>{0, 4}},
                                                  {"stops", std::vector<Dim>{B, 11}},
                                                  {"steps", std::vector<int64_t>{1, 1}}});
     }, "'slice': dim - stop of dim 1 of f32[B,10] is negative (-1)"},
    {"gather idx dtype", [](Fixture &F) { return F.Bd.gather(F.X, F.Y, 1); },
     "'gather': operand #1 (f32[B,10]) must be i32 or i64"},
    {"one_hot on floats", [](Fixture &F) { return F.Bd.oneHot(F.X, 3, DType::F32); },
     "'one_hot': operand #0 (f32[B,10]) must be i32 or i64"},
    {"concat mismatch", [](Fixture &F) { return F.Bd.concat({F.X, F.W}, 1); },
     "'concat': operand #1 (f32[10,4]) does not match operand #0 (f32[B,10]) outside axis 1"},
    {"grad of non-scalar", [](Fixture &F) { return F.Bd.grad(F.X, F.W); },
     "'grad': operand #0 (f32[B,10]) must have rank 0"},
    {"softmax_xent labels", [](Fixture &F) { return F.make(OpCode::SoftmaxXent, {F.X, F.I}); },
     "'softmax_xent': labels i32[B,10] must have the shape of the logits f32[B,10] without the last axis"},
    {"random key", [](Fixture &F) {
       return F.G.make(OpCode::RandomUniform, std::vector{F.L}, {}, TensorType{DType::F32, {B}});
     }, "'random_uniform': the key operand #0 (i64[B]) must be i64[]"},
    {"random without type", [](Fixture &F) { return F.make(OpCode::RandomNormal, {F.Key}); },
     "'random_normal': the result type must be declared"},
    {"declared mismatch", [](Fixture &F) {
       return F.G.make(OpCode::Exp, std::vector{F.X}, {}, TensorType{DType::F32, {B}});
     }, "'exp': declared type f32[B] does not match the inferred type f32[B,10]"},
    {"scan body arity", [](Fixture &F) {
       return F.G.make(OpCode::Scan, std::vector{F.X},
                       Attrs{{"num_carry", int64_t(1)}, {"num_seqs", int64_t(0)},
                             {"reverse", false}, {"length", T}},
                       std::nullopt, rnnBody());
     }, "'scan': the body takes 2 arguments, the scan has 1 operands"},
    {"scan seq type", [](Fixture &F) {
       return F.G.make(OpCode::Scan, std::vector{F.X, F.X},
                       Attrs{{"num_carry", int64_t(1)}, {"num_seqs", int64_t(1)}, {"reverse", false}},
                       std::nullopt, rnnBody());
     }, "'scan': body argument #1 must be an input of type f32[10], got f32[B,10]"},
    {"kernel arity", [](Fixture &F) {
       return F.G.make(OpCode::Kernel, std::vector{F.X, F.Y}, {}, std::nullopt, kernelBody());
     }, "'kernel': the body takes 1 arguments, the kernel has 2 operands"},
    {"kernel argument type", [](Fixture &F) {
       return F.G.make(OpCode::Kernel, std::vector{F.Seq}, {}, std::nullopt, kernelBody());
     }, "'kernel': body argument #0 must be an input of type f32[T,B,10], got f32[B,10]"},
    {"kernel without results", [](Fixture &F) {
       return F.G.make(OpCode::Kernel, std::vector{F.X}, {}, std::nullopt, kernelBody(false));
     }, "'kernel': the body must return at least one value"},
    {"kernel without body", [](Fixture &F) { return F.make(OpCode::Kernel, {F.X}); },
     "'kernel': needs a body graph"},
    {"result of non-tuple", [](Fixture &F) { return F.Bd.result(F.X, 0); },
     "'result': operand #0 is 'input', not a multi-result op"},
    {"bad dtype for cast attr", [](Fixture &F) {
       return F.make(OpCode::Cast, {F.X}, Attrs{{"dtype", std::string("f32")}});
     }, "'cast': attribute 'dtype' must be a dtype, got string"},
    {"unknown attribute", [](Fixture &F) {
       return F.make(OpCode::Add, {F.X, F.Y}, Attrs{{"foo", int64_t(1)}});
     }, "'add': unknown attribute 'foo'"},
    {"reduction with axis instead of axes", [](Fixture &F) {
       return F.make(OpCode::Sum, {F.X}, Attrs{{"axis", int64_t(1)}, {"axes", std::vector<int64_t>{1}},
                                                {"keepdims", false}});
     }, "'sum': unknown attribute 'axis'"},
    {"broadcasting in builder", [](Fixture &F) { return F.Bd.binary(OpCode::Add, F.X, F.W); },
     "cannot broadcast shapes [B,10] and [10,4]: dim B vs 10"},
};

INSTANTIATE_TEST_SUITE_P(All, TypeRuleErrors, ::testing::ValuesIn(NegativeCases));

TEST(Builder, BroadcastsLikeNumpy) {
  Fixture F;
  NodeId Bias = F.G.param("b", {DType::F32, {10}});
  NodeId S = F.Bd.binary(OpCode::Add, F.X, Bias);
  EXPECT_EQ(F.type(S), "f32[B,10]");
  const Node &N = F.G.node(S);
  EXPECT_EQ(N.Inputs[0], F.X);
  EXPECT_EQ(F.G.node(N.Inputs[1]).Op, OpCode::Broadcast);
  // A scalar broadcasts to anything; [B,1] with [1,10] meets at [B,10].
  NodeId One = F.G.scalar(1.0);
  EXPECT_EQ(F.type(F.Bd.binary(OpCode::Mul, One, F.Seq)), "f32[T,B,10]");
  EXPECT_EQ(shapeStr(broadcastShapes({B, 1}, {1, 10})), "[B,10]");
  EXPECT_EQ(F.type(F.Bd.fill(0.5, F.Seq)), "f32[T,B,10]");
}

} // namespace

namespace {

TEST(TypeRules, KernelResultsAreTheBodyOutputs) {
  Fixture F;
  NodeId K = kernelNode(F);
  const Node &N = F.G.node(K);
  ASSERT_EQ(N.Results.size(), 2u);
  EXPECT_EQ(N.Results[0].str(), "f32[B,10]");
  EXPECT_EQ(N.Results[1].str(), "f32[B]");
  EXPECT_EQ(F.type(F.Bd.result(K, 1)), "f32[B]");
  // Two kernels with structurally equal bodies on the same operands are one node.
  EXPECT_EQ(kernelNode(F), K);
}

TEST(TypeRules, SliceWithAHugeStepDoesNotOverflow) {
  Fixture F;
  NodeId S = F.make(OpCode::Slice, {F.X},
                    Attrs{{"starts", std::vector<Dim>{0, 0}}, {"stops", std::vector<Dim>{B, 10}},
                          {"steps", std::vector<int64_t>{1, INT64_MAX}}});
  EXPECT_EQ(F.type(S), "f32[B,1]");
}

} // namespace
