//===- simplify_layout_test.cpp - Layout, reduction and folding rules -----===//
//
// Like simplify_test.cpp: each rule fires (golden text written by hand),
// does not fire where it must not, and keeps the values (interpreter, random
// inputs with special values; Ulp agreement where the sign of a zero sum is
// unspecified, see passes/simplify/reduce.cpp). Folded constants were
// computed by hand.
//
//===----------------------------------------------------------------------===//
#include "exact_check.h"

#include "ir/error.h"
#include "passes/fold.h"
#include "passes/simplify.h"

#include <cstring>

namespace netjit {
namespace {

using testing::Agreement;
using testing::ArgOptions;

std::string graph(const std::string &Args, const std::string &Body) {
  return "graph @g(" + Args + ") {\n" + Body + "}\n";
}
std::string line(const std::string &S) { return "  " + S + "\n"; }
std::string ret(const std::string &V) { return "  return r = " + V + "\n"; }

struct Case {
  const char *Rule;
  std::string Input, Want;
  bool Fast = false;
  Agreement How = Agreement::Bits;
  ArgOptions Args = {};
};

void expectFires(const Case &C) {
  SCOPED_TRACE(C.Rule);
  bool Changed = false;
  PassContext Ctx;
  Graph After;
  std::string Got =
      testing::runOn<SimplifyPass>(C.Input, C.Fast, &Changed, &Ctx, &After);
  EXPECT_TRUE(Changed);
  EXPECT_EQ(Got, C.Want);
  EXPECT_GE(Ctx.Stats["simplify." + std::string(C.Rule)], 1) << "rule counter";
  Graph Before = parseGraph(C.Input);
  testing::expectAgreeRandom(Before, After, {{{"B", 1}}, {{"B", 3}}}, C.How,
                             C.Args);
}

void expectKept(const char *Rule, const std::string &Input, bool Fast = false) {
  SCOPED_TRACE(Rule);
  bool Changed = true;
  PassContext Ctx;
  std::string Got = testing::runOn<SimplifyPass>(Input, Fast, &Changed, &Ctx);
  EXPECT_FALSE(Changed);
  EXPECT_EQ(Got, printGraph(parseGraph(Input)));
  EXPECT_EQ(Ctx.Stats.count("simplify." + std::string(Rule)), 0u);
}

TEST(SimplifyLayout, Transpose) {
  // transpose(x, identity) => x
  const char *X = "%x: f32[B,3]";
  expectFires({"transpose-identity",
               graph(X, line("%0 = transpose(%x) {perm=[0, 1]} : f32[B,3]") +
                            ret("%0")),
               graph(X, ret("%x"))});
  // transpose(transpose(x, [1,0]), [1,0]) => x
  expectFires(
      {"transpose-transpose",
       graph(X, line("%0 = transpose(%x) {perm=[1, 0]} : f32[3,B]") +
                    line("%1 = transpose(%0) {perm=[1, 0]} : f32[B,3]") +
                    ret("%1")),
       graph(X, ret("%x"))});
  // Composed: perm p then q is p[q[i]]; [1,2,0] then [1,2,0] is [2,0,1].
  const char *X3 = "%x: f32[2,3,4]";
  expectFires(
      {"transpose-transpose",
       graph(X3, line("%0 = transpose(%x) {perm=[1, 2, 0]} : f32[3,4,2]") +
                     line("%1 = transpose(%0) {perm=[1, 2, 0]} : f32[4,2,3]") +
                     ret("%1")),
       graph(X3, line("%0 = transpose(%x) {perm=[2, 0, 1]} : f32[4,2,3]") +
                     ret("%0"))});
  expectKept("transpose-identity",
             graph(X, line("%0 = transpose(%x) {perm=[1, 0]} : f32[3,B]") +
                          ret("%0")));
}

TEST(SimplifyLayout, ReshapeAndBroadcast) {
  const char *X = "%x: f32[B,6]";
  // reshape(x) to its own shape => x
  expectFires(
      {"reshape-same",
       graph(X, line("%0 = reshape(%x) {shape=[B, 6]} : f32[B,6]") + ret("%0")),
       graph(X, ret("%x"))});
  // reshape(reshape(x)) => reshape(x); back to x's shape => x
  expectFires(
      {"reshape-reshape",
       graph(X, line("%0 = reshape(%x) {shape=[B, 2, 3]} : f32[B,2,3]") +
                    line("%1 = reshape(%0) {shape=[6*B]} : f32[6*B]") +
                    ret("%1")),
       graph(X,
             line("%0 = reshape(%x) {shape=[6*B]} : f32[6*B]") + ret("%0"))});
  expectFires(
      {"reshape-reshape",
       graph(X, line("%0 = reshape(%x) {shape=[B, 2, 3]} : f32[B,2,3]") +
                    line("%1 = reshape(%0) {shape=[B, 6]} : f32[B,6]") +
                    ret("%1")),
       graph(X, ret("%x"))});
  // broadcast(x) to its own shape => x; broadcast(broadcast(x)) => broadcast(x)
  const char *V = "%v: f32[3]";
  expectFires(
      {"broadcast-same",
       graph(V, line("%0 = broadcast(%v) {shape=[3]} : f32[3]") + ret("%0")),
       graph(V, ret("%v"))});
  expectFires(
      {"broadcast-broadcast",
       graph(V, line("%0 = broadcast(%v) {shape=[1, 3]} : f32[1,3]") +
                    line("%1 = broadcast(%0) {shape=[B, 3]} : f32[B,3]") +
                    ret("%1")),
       graph(V, line("%0 = broadcast(%v) {shape=[B, 3]} : f32[B,3]") +
                    ret("%0"))});
  // reshape / transpose of a broadcast scalar => the scalar broadcast
  const char *S = "%s: f32[]";
  expectFires(
      {"layout-splat",
       graph(S, line("%0 = broadcast(%s) {shape=[B, 3]} : f32[B,3]") +
                    line("%1 = transpose(%0) {perm=[1, 0]} : f32[3,B]") +
                    ret("%1")),
       graph(S, line("%0 = broadcast(%s) {shape=[3, B]} : f32[3,B]") +
                    ret("%0"))});
  expectKept("layout-splat",
             graph(V, line("%0 = broadcast(%v) {shape=[B, 3]} : f32[B,3]") +
                          line("%1 = transpose(%0) {perm=[1, 0]} : f32[3,B]") +
                          ret("%1")));
}

TEST(SimplifyLayout, SliceAndConcat) {
  const char *X = "%x: f32[B,3]";
  // slice(x) of the whole extent => x
  expectFires({"slice-whole",
               graph(X, line("%0 = slice(%x) {starts=[0, 0], steps=[1, 1], "
                             "stops=[B, 3]} : f32[B,3]") +
                            ret("%0")),
               graph(X, ret("%x"))});
  expectKept("slice-whole",
             graph(X, line("%0 = slice(%x) {starts=[0, 1], steps=[1, 1], "
                           "stops=[B, 3]} : f32[B,2]") +
                          ret("%0")));
  // concat(x) => x
  expectFires(
      {"concat-one",
       graph(X, line("%0 = concat(%x) {axis=0} : f32[B,3]") + ret("%0")),
       graph(X, ret("%x"))});
  expectKept(
      "concat-one",
      graph(X, line("%0 = concat(%x, %x) {axis=0} : f32[2*B,3]") + ret("%0")));
}

TEST(SimplifyReduce, TrivialAxes) {
  const char *X = "%x: f32[B,1,3]";
  // sum over an axis of extent 1 => reshape(x); the sum's +0.0 start turns
  // -0.0 into +0.0, and the sign of a zero sum is unspecified: Ulp.
  expectFires(
      {"reduce-trivial",
       graph(X, line("%0 = sum(%x) {axes=[1], keepdims=false} : f32[B,3]") +
                    ret("%0")),
       graph(X, line("%0 = reshape(%x) {shape=[B, 3]} : f32[B,3]") + ret("%0")),
       false, Agreement::Ulp});
  // max over an axis of extent 1, keepdims => x, bit for bit
  expectFires(
      {"reduce-trivial",
       graph(X, line("%0 = max(%x) {axes=[1], keepdims=true} : f32[B,1,3]") +
                    ret("%0")),
       graph(X, ret("%x"))});
  expectKept(
      "reduce-trivial",
      graph(X, line("%0 = sum(%x) {axes=[2], keepdims=false} : f32[B,1]") +
                   ret("%0")));
}

TEST(SimplifyReduce, ReduceOfBroadcast) {
  const char *V = "%v: f32[3]";
  std::string B4 = line("%0 = broadcast(%v) {shape=[4, 3]} : f32[4,3]");
  // sum over the 4 copies => v * 4
  std::string Times4 = line("%0 = constant() {value=4.0} : f32[]") +
                       line("%1 = broadcast(%0) {shape=[3]} : f32[3]") +
                       line("%2 = mul(%v, %1) : f32[3]");
  expectFires(
      {"reduce-broadcast",
       graph(V, B4 + line("%1 = sum(%0) {axes=[0], keepdims=false} : f32[3]") +
                    ret("%1")),
       graph(V, Times4 + ret("%2")), false, Agreement::Ulp});
  expectFires(
      {"reduce-broadcast",
       graph(V, B4 + line("%1 = sum(%0) {axes=[0], keepdims=true} : f32[1,3]") +
                    ret("%1")),
       graph(V, Times4 + line("%3 = reshape(%2) {shape=[1, 3]} : f32[1,3]") +
                    ret("%3")),
       false, Agreement::Ulp});
  // mean and max of copies => v
  expectFires(
      {"reduce-broadcast",
       graph(V, B4 + line("%1 = mean(%0) {axes=[0], keepdims=false} : f32[3]") +
                    ret("%1")),
       graph(V, ret("%v")), false, Agreement::Ulp});
  expectFires(
      {"reduce-broadcast",
       graph(V, B4 + line("%1 = max(%0) {axes=[0], keepdims=false} : f32[3]") +
                    ret("%1")),
       graph(V, ret("%v"))});
  // A symbolic count may be 0 (sum of nothing is 0, inf * 0 is NaN): FastMath.
  std::string Sym =
      graph(V, line("%0 = broadcast(%v) {shape=[B, 3]} : f32[B,3]") +
                   line("%1 = sum(%0) {axes=[0], keepdims=false} : f32[3]") +
                   ret("%1"));
  expectKept("reduce-broadcast", Sym);
  expectFires({"reduce-broadcast", Sym,
               graph(V, line("%0 = dim_value() {dim=B} : f32[]") +
                            line("%1 = broadcast(%0) {shape=[3]} : f32[3]") +
                            line("%2 = mul(%v, %1) : f32[3]") + ret("%2")),
               true, Agreement::Close});
  // Reducing an axis of v itself is not a sum of copies.
  expectKept(
      "reduce-broadcast",
      graph("%x: f32[2,3]",
            line("%0 = broadcast(%x) {shape=[4, 2, 3]} : f32[4,2,3]") +
                line("%1 = sum(%0) {axes=[0, 2], keepdims=false} : f32[2]") +
                ret("%1")));
}

TEST(SimplifyReduce, OneHotGather) {
  // sum(one_hot(t) * y, last axis) => gather(y, t): 0 * inf is NaN in the
  // sum, so FastMath only.
  const char *Args = "%t: i32[B], %y: f32[B,4]";
  std::string In =
      graph(Args, line("%0 = one_hot(%t) {depth=4, dtype=f32} : f32[B,4]") +
                      line("%1 = mul(%0, %y) : f32[B,4]") +
                      line("%2 = sum(%1) {axes=[1], keepdims=false} : f32[B]") +
                      ret("%2"));
  expectKept("one-hot-gather", In);
  expectFires({"one-hot-gather", In,
               graph(Args, line("%0 = reshape(%t) {shape=[B, 1]} : i32[B,1]") +
                               line("%1 = gather(%y, %0) {axis=1} : f32[B,1]") +
                               line("%2 = reshape(%1) {shape=[B]} : f32[B]") +
                               ret("%2")),
               true, Agreement::Close, ArgOptions{.IntLo = 0, .IntHi = 3}});
}

TEST(SimplifyFold, Constants) {
  const char *X = "%x: f32[3]";
  // [1,2,3] + [4,5,6] = [5,7,9]
  expectFires(
      {"fold",
       graph(X, line("%0 = constant() {value=[1.0, 2.0, 3.0]} : f32[3]") +
                    line("%1 = constant() {value=[4.0, 5.0, 6.0]} : f32[3]") +
                    line("%2 = add(%0, %1) : f32[3]") +
                    line("%3 = mul(%x, %2) : f32[3]") + ret("%3")),
       graph(X, line("%0 = constant() {value=[5.0, 7.0, 9.0]} : f32[3]") +
                    line("%1 = mul(%x, %0) : f32[3]") + ret("%1"))});
  // Row sums of [[1,2,3],[4,5,6]] are [6, 15].
  expectFires(
      {"fold",
       graph(X, line("%0 = constant() {value=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]} : "
                     "f32[2,3]") +
                    line("%1 = sum(%0) {axes=[1], keepdims=false} : f32[2]") +
                    ret("%1")),
       graph(X, line("%0 = constant() {value=[6.0, 15.0]} : f32[2]") +
                    ret("%0"))});
  // A broadcast operand is materialised for the evaluation: [1,2,3] + 10.
  expectFires(
      {"fold",
       graph(X, line("%0 = constant() {value=[1.0, 2.0, 3.0]} : f32[3]") +
                    line("%1 = constant() {value=10.0} : f32[]") +
                    line("%2 = broadcast(%1) {shape=[3]} : f32[3]") +
                    line("%3 = add(%0, %2) : f32[3]") + ret("%3")),
       graph(X, line("%0 = constant() {value=[11.0, 12.0, 13.0]} : f32[3]") +
                    ret("%0"))});
  // Broadcast scalars fold at the scalar, whatever the shape: 2 * 3 = 6.
  const char *Y = "%y: f32[B,3]";
  expectFires(
      {"fold",
       graph(Y, line("%0 = constant() {value=2.0} : f32[]") +
                    line("%1 = broadcast(%0) {shape=[B, 3]} : f32[B,3]") +
                    line("%2 = constant() {value=3.0} : f32[]") +
                    line("%3 = broadcast(%2) {shape=[B, 3]} : f32[B,3]") +
                    line("%4 = mul(%1, %3) : f32[B,3]") +
                    line("%5 = add(%y, %4) : f32[B,3]") + ret("%5")),
       graph(Y, line("%0 = constant() {value=6.0} : f32[]") +
                    line("%1 = broadcast(%0) {shape=[B, 3]} : f32[B,3]") +
                    line("%2 = add(%y, %1) : f32[B,3]") + ret("%2"))});
  // Integer division by zero is a runtime error: it is not folded away.
  std::string DivZero =
      graph(X, line("%0 = constant() {value=7} : i32[]") +
                   line("%1 = constant() {value=0} : i32[]") +
                   line("%2 = div(%0, %1) : i32[]") + ret("%2"));
  expectKept("fold", DivZero);
  Graph G = parseGraph(DivZero);
  TensorMap Args{{"x", Tensor(DType::F32, {3})}};
  EXPECT_THROW(evaluate(G, Args), RuntimeError);
  // A lone broadcast of a constant is the canonical splat, not folded.
  expectKept("fold",
             graph(X, line("%0 = constant() {value=2.0} : f32[]") +
                          line("%1 = broadcast(%0) {shape=[3]} : f32[3]") +
                          ret("%1")));
}

/// add(c, c) for a constant c of N elements.
Graph doubled(int64_t N) {
  Graph G;
  Bytes B;
  B.Data.resize(N * sizeof(float));
  for (int64_t I = 0; I < N; ++I) {
    float V = static_cast<float>(I);
    std::memcpy(B.Data.data() + I * sizeof(float), &V, sizeof(float));
  }
  NodeId C = G.constant({DType::F32, {N}}, B);
  G.addOutput("r", G.make(OpCode::Add, std::vector<NodeId>{C, C}));
  return G;
}

TEST(SimplifyFold, CapsTheSizeOfFoldedConstants) {
  PassContext Ctx;
  SimplifyPass P;
  Graph Small = doubled(kMaxFoldElements);
  EXPECT_TRUE(P.run(Small, Ctx));
  EXPECT_EQ(Small.node(Small.outputs()[0].Value).Op, OpCode::Constant);
  const auto &Data =
      Small.node(Small.outputs()[0].Value).Attributes.getBytes("value").Data;
  float Last;
  std::memcpy(&Last, Data.data() + Data.size() - sizeof(float), sizeof(float));
  EXPECT_EQ(Last, 2.0f * (kMaxFoldElements - 1));
  Graph Big = doubled(kMaxFoldElements + 1);
  EXPECT_FALSE(P.run(Big, Ctx));
  EXPECT_EQ(Big.node(Big.outputs()[0].Value).Op, OpCode::Add);
}

} // namespace
} // namespace netjit
