//===- text_values_test.cpp - Numbers, names and dims in the text form
//-----===//
//
// The bit patterns that the parser must produce and the spellings the printer
// must choose, checked independently of each other: graphs built through the
// Graph API are compared with hand-written text, and parsed constants with
// bit patterns computed by numpy (np.float32(s).view(np.uint32)) or, for the
// double-rounding case, with exact rational arithmetic (Python fractions).
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

using namespace netjit;

namespace {

const Dim B = Dim::symbol("B"), T = Dim::symbol("T");

TensorType f32(Shape S) { return {DType::F32, std::move(S)}; }

template <class V> Bytes bytesOf(std::initializer_list<V> Values) {
  Bytes Out;
  Out.Data.resize(Values.size() * sizeof(V));
  size_t At = 0;
  for (V X : Values) {
    std::memcpy(Out.Data.data() + At, &X, sizeof(V));
    At += sizeof(V);
  }
  return Out;
}

/// The element words of the constant returned as the graph's first output.
template <class Word> std::vector<Word> constantWords(const std::string &Text) {
  Graph G = parseGraph(Text);
  const Node &N = G.node(G.outputs().at(0).Value);
  EXPECT_EQ(N.Op, OpCode::Constant);
  const Bytes &B = N.Attributes.getBytes("value");
  std::vector<Word> Out(B.Data.size() / sizeof(Word));
  std::memcpy(Out.data(), B.Data.data(), B.Data.size());
  return Out;
}

std::string constantGraph(const std::string &Value, const std::string &Type) {
  return "graph @c() {\n  %0 = constant() {value=" + Value + "} : " + Type +
         "\n  return %0\n}\n";
}

TEST(TextValues, F32LiteralsHaveTheRightBits) {
  std::vector<uint32_t> W = constantWords<uint32_t>(constantGraph(
      "[0.1, 1e-45, 3.4028235e+38, 16777217, -0.0, 0.0, inf, -inf, nan, -nan, "
      "nan(0x7fc00001), nan(0xffc00001), 1.000000059604644775390625000001]",
      "f32[13]"));
  std::vector<uint32_t> Want = {0x3dcccccd, 0x00000001, 0x7f7fffff, 0x4b800000,
                                0x80000000, 0x00000000, 0x7f800000, 0xff800000,
                                0x7fc00000, 0xffc00000, 0x7fc00001, 0xffc00001,
                                // rounded once from the decimal text (through
                                // double it would tie down to 0x3f800000)
                                0x3f800001};
  EXPECT_EQ(W, Want);
}

TEST(TextValues, F64AndIntegerLiteralsHaveTheRightBits) {
  EXPECT_EQ(constantWords<uint64_t>(constantGraph(
                "[0.1, -0.0, nan(0x7ff8000000000001)]", "f64[3]")),
            (std::vector<uint64_t>{0x3fb999999999999aull, 0x8000000000000000ull,
                                   0x7ff8000000000001ull}));
  EXPECT_EQ(constantWords<int32_t>(
                constantGraph("[-2147483648, 2147483647, 0x10]", "i32[3]")),
            (std::vector<int32_t>{INT32_MIN, INT32_MAX, 16}));
  EXPECT_EQ(constantWords<int64_t>(constantGraph(
                "[-9223372036854775808, 9223372036854775807]", "i64[2]")),
            (std::vector<int64_t>{INT64_MIN, INT64_MAX}));
  EXPECT_EQ(
      constantWords<uint8_t>(constantGraph("[true, false, true]", "bool[3]")),
      (std::vector<uint8_t>{1, 0, 1}));
}

TEST(TextValues, FloatsPrintShortestAndRoundTrip) {
  Graph G("c");
  auto F32 = [&G](std::initializer_list<float> Vs) {
    return G.constant(f32({static_cast<int64_t>(Vs.size())}), bytesOf(Vs));
  };
  float Nan1 = std::bit_cast<float>(0x7fc00001u);
  float NegNan = std::bit_cast<float>(0xffc00000u);
  G.addOutput("a",
              F32({0.1f, 1.0f, -0.0f, 100000.0f, 123456.0f, 1e20f, 1e-45f}));
  G.addOutput("b", F32({std::numeric_limits<float>::quiet_NaN(), NegNan, Nan1,
                        std::numeric_limits<float>::infinity()}));
  G.addOutput("c",
              G.constant({DType::F64, {2}}, bytesOf({double(0.1f), -1.5})));
  G.addOutput("d", G.scalar(7, DType::I32));
  G.addOutput("e", G.scalar(1, DType::Bool));
  std::string Want =
      "graph @c() {\n"
      "  %0 = constant() {value=[0.1, 1.0, -0.0, 1e+05, 123456.0, 1e+20, "
      "1e-45]} : f32[7]\n"
      "  %1 = constant() {value=[nan, -nan, nan(0x7fc00001), inf]} : f32[4]\n"
      "  %2 = constant() {value=[0.10000000149011612, -1.5]} : f64[2]\n"
      "  %3 = constant() {value=7} : i32[]\n"
      "  %4 = constant() {value=true} : bool[]\n"
      "  return a = %0, b = %1, c = %2, d = %3, e = %4\n"
      "}\n";
  EXPECT_EQ(printGraph(G), Want);
  Graph P = parseGraph(Want);
  for (size_t I = 0; I < G.outputs().size(); ++I)
    EXPECT_EQ(P.node(P.outputs()[I].Value).Attributes.getBytes("value"),
              G.node(G.outputs()[I].Value).Attributes.getBytes("value"))
        << "output " << I;
}

TEST(TextValues, BuiltGraphPrintsAsWritten) {
  Graph G("net");
  NodeId X = G.input("x", f32({B, 4}));
  NodeId W = G.param("w", f32({4, 2}));
  NodeId M = G.make(OpCode::MatMul, std::vector{X, W});
  NodeId C = G.scalar(0.5);
  NodeId Bc = G.make(OpCode::Broadcast, std::vector{C},
                     Attrs{{"shape", std::vector<Dim>{B, 2}}});
  NodeId Y = G.make(OpCode::Add, std::vector{M, Bc});
  G.addOutput("y", Y);
  G.addUpdate(W, G.make(OpCode::Neg, std::vector{W}));
  std::string Want = "graph @net(%x: f32[B,4], param %w: f32[4,2]) {\n"
                     "  %0 = matmul(%x, %w) : f32[B,2]\n"
                     "  %1 = constant() {value=0.5} : f32[]\n"
                     "  %2 = broadcast(%1) {shape=[B, 2]} : f32[B,2]\n"
                     "  %3 = add(%0, %2) : f32[B,2]\n"
                     "  %4 = neg(%w) : f32[4,2]\n"
                     "  return y = %3\n"
                     "  update %w = %4\n"
                     "}\n";
  EXPECT_EQ(printGraph(G), Want);
  EXPECT_EQ(G.str(), Want);
  std::ostringstream OS;
  OS << G;
  EXPECT_EQ(OS.str(), Want);
  EXPECT_EQ(printNode(G, M), "%2 = matmul(%0, %1) : f32[B,2]");
  EXPECT_EQ(printNode(G, Bc), "%4 = broadcast(%3) {shape=[B, 2]} : f32[B,2]");
  Graph P = parseGraph(Want);
  EXPECT_EQ(P.structuralHash(), G.structuralHash());
}

TEST(TextValues, OddNamesAreQuotedWithEscapes) {
  Graph G("two words");
  NodeId X = G.input("hid1:out", f32({2}));
  NodeId Y = G.input("a\"b\\c\n\x01", f32({2}));
  NodeId Z = G.input("layer.0_w", f32({2}));
  G.addOutput("out put", G.make(OpCode::Add, std::vector{X, Y}));
  G.addOutput("z", Z);
  std::string Want =
      "graph @\"two words\"(%\"hid1:out\": f32[2], %\"a\\\"b\\\\c\\n\\x01\": "
      "f32[2], "
      "%layer.0_w: f32[2]) {\n"
      "  %0 = add(%\"hid1:out\", %\"a\\\"b\\\\c\\n\\x01\") : f32[2]\n"
      "  return \"out put\" = %0, z = %layer.0_w\n"
      "}\n";
  EXPECT_EQ(printGraph(G), Want);
  Graph P = parseGraph(Want);
  EXPECT_EQ(P.name(), "two words");
  EXPECT_EQ(P.node(P.arguments()[1]).Attributes.getString("name"),
            "a\"b\\c\n\x01");
  EXPECT_EQ(P.outputs()[0].Name, "out put");
}

TEST(TextValues, SymbolicDimsRoundTrip) {
  std::string Text = "graph @d(%x: f32[B,T,D], %y: f32[T-1,B]) {\n"
                     "  %0 = reshape(%x) {shape=[B*T, D]} : f32[B*T,D]\n"
                     "  %1 = dim_value() {dim=2*B+1} : i64[]\n"
                     "  %2 = dim_value() {dim=-B+T} : f32[]\n"
                     "  return a = %0, b = %1, c = %2, y = %y\n"
                     "}\n";
  Graph G = parseGraph(Text);
  EXPECT_EQ(printGraph(G), Text);
  EXPECT_EQ(G.type(G.outputs()[0].Value).Dims,
            (Shape{B * T, Dim::symbol("D")}));
  EXPECT_EQ(G.type(G.arguments()[1]).Dims, (Shape{T - 1, B}));
  EXPECT_EQ(G.node(G.outputs()[1].Value).Attributes.getDim("dim"), B * 2 + 1);
  // Parentheses and spacing are only syntax.
  Graph H =
      parseGraph("graph @d(%x: f32[(B + 1) * 2 - 2, (T)]) {\n  return %x\n}\n");
  EXPECT_EQ(printGraph(H), "graph @d(%x: f32[2*B,T]) {\n  return %x\n}\n");
}

TEST(TextValues, KeywordLikeDimSymbolsAreParenthesized) {
  Graph G("k");
  G.addOutput("v",
              G.make(OpCode::DimValue, {}, Attrs{{"dim", Dim::symbol("inf")}},
                     TensorType{DType::I64, {}}));
  std::string Want = "graph @k() {\n"
                     "  %0 = dim_value() {dim=(inf)} : i64[]\n"
                     "  return v = %0\n"
                     "}\n";
  EXPECT_EQ(printGraph(G), Want);
  Graph P = parseGraph(Want);
  EXPECT_EQ(P.node(P.outputs()[0].Value).Attributes.getDim("dim"),
            Dim::symbol("inf"));
}

} // namespace
