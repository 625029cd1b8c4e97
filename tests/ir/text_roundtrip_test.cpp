//===- text_roundtrip_test.cpp - Every op through print and parse
//----------===//
//
// Hand-written canonical text for every op of ir/ops.def: parsing it and
// printing again must give the same text, and printing is a fixed point of
// parse . print. The table is walked against the op table, so an op added
// to ops.def without a case here fails OpTableIsCovered.
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

using namespace netjit;

namespace {

/// The arguments every case may use.
const char *const Header =
    "graph @t(%a: f32[B,3], %b: f32[B,3], %c: bool[B,3], %i: i64[B,3], "
    "%k: i64[], %l: i32[B], %h0: f32[B,3], %xs: f32[T,B,3], param %w: "
    "f32[3,4]) {\n";

std::string wrap(const std::string &Lines) { return Header + Lines + "}\n"; }

/// One statement `%0 = <Stmt>` returned as `r`.
std::string one(const std::string &Stmt) {
  return wrap("  %0 = " + Stmt + "\n  return r = %0\n");
}

std::vector<std::string> cases() {
  std::vector<std::string> C = {
      wrap("  return x = %a, p = %w\n"), // input, param
      one("constant() {value=[1.0, -0.0, nan, inf, -inf, nan(0x7fc00001)]} : "
          "f32[2,3]"),
      one("constant() {value=-2.5} : f64[]"),
      one("constant() {value=[-9223372036854775808, 9223372036854775807]} : "
          "i64[2]"),
      one("constant() {value=[true, false]} : bool[2]"),
      one("dim_value() {dim=B*T-1} : i64[]"),
      one("not(%c) : bool[B,3]"),
      one("and(%c, %c) : bool[B,3]"),
      one("or(%c, %c) : bool[B,3]"),
      one("select(%c, %a, %b) : f32[B,3]"),
      one("clip(%a, %b, %b) : f32[B,3]"),
      one("cast(%a) {dtype=f64} : f64[B,3]"),
      one("sum(%a) {axes=[1], keepdims=false} : f32[B]"),
      one("mean(%a) {axes=[1], keepdims=true} : f32[B,1]"),
      one("max(%a) {axes=[0, 1], keepdims=false} : f32[]"),
      one("min(%i) {axes=[0], keepdims=false} : i64[3]"),
      one("logsumexp(%a) {axes=[1], keepdims=false} : f32[B]"),
      one("argmax(%a) {axis=1, keepdims=false} : i64[B]"),
      one("matmul(%a, %w) : f32[B,4]"),
      one("transpose(%a) {perm=[1, 0]} : f32[3,B]"),
      one("reshape(%a) {shape=[3*B]} : f32[3*B]"),
      one("broadcast(%k) {shape=[B, 3]} : i64[B,3]"),
      one("slice(%a) {starts=[1, 0], steps=[1, 2], stops=[B, 3]} : f32[B-1,2]"),
      one("pad(%a) {high=[0, 1], interior=[0, 1], low=[1, 0]} : f32[B+1,6]"),
      one("concat(%a, %b, %a) {axis=1} : f32[B,9]"),
      one("gather(%a, %i) {axis=1} : f32[B,3]"),
      one("scatter_add(%i, %a) {axis=1, size=5} : f32[B,5]"),
      one("one_hot(%k) {depth=10, dtype=f32} : f32[10]"),
      one("softmax(%a) {axis=1} : f32[B,3]"),
      one("log_softmax(%a) {axis=0} : f32[B,3]"),
      one("softmax_xent(%a, %l) : f32[B]"),
      one("random_uniform(%k) : f32[B,3]"),
      one("random_normal(%k) : f64[4]"),
      wrap("  %0 = sum(%a) {axes=[0, 1], keepdims=false} : f32[]\n"
           "  %1 = grad(%0, %a) : f32[B,3]\n"
           "  return g = %1\n"),
      // scan over a sequence with a constant operand, and result.
      wrap(
          "  %0 = scan(%h0, %xs, %w) {num_carry=1, num_seqs=1, reverse=true} : "
          "(f32[B,3], f32[T,B,4]) body(%h: f32[B,3], %x: f32[B,3], %v: "
          "f32[3,4]) {\n"
          "    %0 = add(%h, %x) : f32[B,3]\n"
          "    %1 = tanh(%0) : f32[B,3]\n"
          "    %2 = matmul(%1, %v) : f32[B,4]\n"
          "    return %1, %2\n"
          "  }\n"
          "  %1 = result(%0) {index=1} : f32[T,B,4]\n"
          "  %2 = result(%0) {index=0} : f32[B,3]\n"
          "  return ys = %1, h = %2\n"),
      // scan without sequences (attr length), nested inside another scan.
      wrap("  %0 = scan(%h0, %xs) {num_carry=1, num_seqs=1, reverse=false} : "
           "(f32[B,3]) body(%h: f32[B,3], %x: f32[B,3]) {\n"
           "    %0 = scan(%h) {length=T-1, num_carry=1, num_seqs=0, "
           "reverse=false} : "
           "(f32[B,3], f32[T-1,B,3]) body(%g: f32[B,3]) {\n"
           "      %0 = sigmoid(%g) : f32[B,3]\n"
           "      return %0, %g\n"
           "    }\n"
           "    %1 = result(%0) {index=0} : f32[B,3]\n"
           "    %2 = mul(%1, %x) : f32[B,3]\n"
           "    return %2\n"
           "  }\n"
           "  %1 = result(%0) {index=0} : f32[B,3]\n"
           "  return h = %1\n"),
      // a fused kernel with two results
      wrap("  %0 = kernel(%a, %b) : (f32[B,3], f32[B]) body(%p: f32[B,3], "
           "%q: f32[B,3]) {\n"
           "    %0 = mul(%p, %q) : f32[B,3]\n"
           "    %1 = exp(%0) : f32[B,3]\n"
           "    %2 = sum(%1) {axes=[1], keepdims=false} : f32[B]\n"
           "    return %1, %2\n"
           "  }\n"
           "  %1 = result(%0) {index=1} : f32[B]\n"
           "  return r = %1\n"),
      // kernel: E, Row and late Col results of one loop nest, and result.
      wrap("  %0 = kernel(%a, %w, %l) : (f32[B,3], f32[B], f32[3]) body(%in0: "
           "f32[B,3], %in1: f32[3,4], %in2: i32[B]) {\n"
           "    %0 = exp(%in0) : f32[B,3]\n"
           "    %1 = sum(%0) {axes=[1], keepdims=false} : f32[B]\n"
           "    %2 = cast(%in2) {dtype=f32} : f32[B]\n"
           "    %3 = mul(%1, %2) : f32[B]\n"
           "    %4 = sum(%0) {axes=[0], keepdims=false} : f32[3]\n"
           "    return %0, %3, %4\n"
           "  }\n"
           "  %1 = result(%0) {index=2} : f32[3]\n"
           "  %2 = result(%0) {index=1} : f32[B]\n"
           "  return c = %1, r = %2\n"),
      // updates
      wrap("  %0 = constant() {value=0.5} : f32[]\n"
           "  %1 = broadcast(%0) {shape=[3, 4]} : f32[3,4]\n"
           "  %2 = mul(%w, %1) : f32[3,4]\n"
           "  return w = %w\n"
           "  update %w = %2\n"),
  };
  for (const char *Op :
       {"neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt",
        "square", "tanh", "sigmoid", "softplus", "relu", "stop_gradient"})
    C.push_back(one(std::string(Op) + "(%a) : f32[B,3]"));
  for (const char *Op :
       {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "xlogy"})
    C.push_back(one(std::string(Op) + "(%a, %b) : f32[B,3]"));
  for (const char *Op : {"eq", "ne", "lt", "le", "gt", "ge"})
    C.push_back(one(std::string(Op) + "(%a, %b) : bool[B,3]"));
  return C;
}

void collectOps(const Graph &G, std::set<OpCode> &Ops) {
  for (NodeId Id : G.liveNodes()) {
    Ops.insert(G.node(Id).Op);
    if (G.node(Id).Body)
      collectOps(*G.node(Id).Body, Ops);
  }
}

TEST(TextRoundTrip, CanonicalTextPrintsBackExactly) {
  for (const std::string &Text : cases()) {
    SCOPED_TRACE(Text);
    try {
      Graph G = parseGraph(Text);
      std::string Printed = printGraph(G);
      EXPECT_EQ(Printed, Text);
      EXPECT_EQ(printGraph(parseGraph(Printed)), Printed);
    } catch (const Error &E) {
      ADD_FAILURE() << E.what();
    }
  }
}

TEST(TextRoundTrip, OpTableIsCovered) {
  std::set<OpCode> Seen;
  for (const std::string &Text : cases()) {
    try {
      collectOps(parseGraph(Text), Seen);
    } catch (const Error &) {
      // reported by CanonicalTextPrintsBackExactly
    }
  }
  for (int I = 0; I < kNumOps; ++I)
    EXPECT_TRUE(Seen.count(static_cast<OpCode>(I)))
        << "no round-trip case for op '" << opName(static_cast<OpCode>(I))
        << "'";
}

TEST(TextRoundTrip, NonCanonicalTextPrintsCanonically) {
  // Any names, gaps in numbers, comments, free layout, both quoting styles.
  std::string Text = R"(// a comment
graph @"my graph"( %x : f32[ B , 2*T ],param %"w:0": f32[2*T,1] ) {
  %7 = matmul( %x, %"w:0" ) : f32[B,1]   // trailing comment
  %h = tanh(%7) : f32[B,1]
  %12 = reshape(%h) {shape=[B]} : f32[B]
  return "out put" = %12, %h, update = %x
})";
  std::string Want =
      "graph @\"my graph\"(%x: f32[B,2*T], param %\"w:0\": f32[2*T,1]) {\n"
      "  %0 = matmul(%x, %\"w:0\") : f32[B,1]\n"
      "  %1 = tanh(%0) : f32[B,1]\n"
      "  %2 = reshape(%1) {shape=[B]} : f32[B]\n"
      "  return \"out put\" = %2, %1, update = %x\n"
      "}\n";
  EXPECT_EQ(printGraph(parseGraph(Text)), Want);
}

TEST(TextRoundTrip, NumberedAndQuotedNamesDiffer) {
  // %0 names a statement, %"0" the argument called "0".
  std::string Text = "graph @g(%\"0\": f32[2]) {\n"
                     "  %0 = neg(%\"0\") : f32[2]\n"
                     "  %1 = add(%0, %\"0\") : f32[2]\n"
                     "  return %1\n"
                     "}\n";
  Graph G = parseGraph(Text);
  EXPECT_EQ(printGraph(G), Text);
  const Node &Add = G.node(G.outputs()[0].Value);
  EXPECT_EQ(G.node(Add.Inputs[0]).Op, OpCode::Neg);
  EXPECT_EQ(G.node(Add.Inputs[1]).Op, OpCode::Input);
}

TEST(TextRoundTrip, IdenticalStatementsAreOneNode) {
  Graph G = parseGraph("graph @g(%x: f32[2]) {\n"
                       "  %0 = exp(%x) : f32[2]\n"
                       "  %1 = exp(%x) : f32[2]\n"
                       "  %2 = add(%0, %1) : f32[2]\n"
                       "  return %2\n"
                       "}\n");
  const Node &Add = G.node(G.outputs()[0].Value);
  EXPECT_EQ(Add.Inputs[0], Add.Inputs[1]);
  EXPECT_EQ(printGraph(G), "graph @g(%x: f32[2]) {\n"
                           "  %0 = exp(%x) : f32[2]\n"
                           "  %1 = add(%0, %0) : f32[2]\n"
                           "  return %1\n"
                           "}\n");
}

TEST(TextRoundTrip, DeadNodesAreNotPrinted) {
  Graph G = parseGraph("graph @g(%x: f32[2]) {\n"
                       "  %0 = exp(%x) : f32[2]\n"
                       "  %1 = log(%x) : f32[2]\n"
                       "  return %1\n"
                       "}\n");
  EXPECT_EQ(printGraph(G), "graph @g(%x: f32[2]) {\n"
                           "  %0 = log(%x) : f32[2]\n"
                           "  return %0\n"
                           "}\n");
}

TEST(TextRoundTrip, EmptyGraph) {
  std::string Text = "graph @empty() {\n  return\n}\n";
  EXPECT_EQ(printGraph(parseGraph(Text)), Text);
}

} // namespace
