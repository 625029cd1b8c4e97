//===- text_errors_test.cpp - Malformed IR text
//----------------------------===//
//
// Each case is a malformed graph with the line and column the error must
// point at (counted by hand: columns are 1-based, statements below start at
// column 3) and a piece of the message. Type errors from the type rules are
// reported at the statement they come from.
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "ir/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

using namespace netjit;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

/// Line 1 of most cases.
const std::string H =
    "graph @g(%x: f32[2,3], param %w: f32[2,3], %k: i64[]) {\n";

struct BadText {
  const char *Name;
  std::string Text;
  int Line, Col;
  const char *Message;
};

/// A graph whose line 2 is Stmt and that is otherwise fine.
std::string stmt(const std::string &Stmt) {
  return H + Stmt + "\n  return\n}\n";
}

const BadText Cases[] = {
    {"NotAGraph", "grph @g() {\n  return\n}\n", 1, 1,
     "expected 'graph', got 'grph'"},
    {"MissingGraphName", "graph g() {", 1, 7,
     "expected a graph name '@name', got 'g'"},
    {"UnknownOp", stmt("  %0 = mull(%x, %x) : f32[2,3]"), 2, 8,
     "unknown op 'mull'"},
    {"UndefinedValue", stmt("  %0 = add(%x, %7) : f32[2,3]"), 2, 16,
     "undefined value '%7'"},
    {"Redefinition",
     H + "  %3 = add(%x, %x) : f32[2,3]\n  %3 = mul(%x, %x) : f32[2,3]\n  "
         "return\n}\n",
     3, 3, "redefinition of '%3'"},
    {"RedefinedArgument", stmt("  %x = neg(%x) : f32[2,3]"), 2, 3,
     "redefinition of '%x'"},
    {"DuplicateArgument",
     "graph @g(%x: f32[], param %x: f32[]) {\n  return\n}\n", 1, 27,
     "redefinition of '%x'"},
    {"ExpectedColon", stmt("  %0 = neg(%x) f32[2,3]"), 2, 16, "expected ':'"},
    {"ExpectedParen", stmt("  %0 = add(%x %x) : f32[2,3]"), 2, 15,
     "expected ',' or ')' after an operand, got '%x'"},
    {"ExpectedType", stmt("  %0 = neg(%x) : [2,3]"), 2, 18,
     "expected a type, got '['"},
    {"UnknownDtype", stmt("  %0 = neg(%x) : f16[2,3]"), 2, 18,
     "unknown dtype 'f16'"},
    {"BadDim", stmt("  %0 = neg(%x) : f32[2,*]"), 2, 24, "bad dim expression"},
    {"UnclosedShape", stmt("  %0 = neg(%x) : f32[2,3 : f32"), 2, 26,
     "expected ',' or ']' in a shape, got ':'"},
    {"BadAttributeValue",
     stmt("  %0 = sum(%x) {axes=[1], keepdims=@g} : f32[2]"), 2, 36,
     "bad attribute value '@g'"},
    {"AttributeOfWrongKind",
     stmt("  %0 = sum(%x) {axes=[1], keepdims=3} : f32[2]"), 2, 3,
     "'sum': attribute 'keepdims' must be a bool, got int"},
    {"MissingAttribute", stmt("  %0 = softmax(%x) : f32[2,3]"), 2, 3,
     "'softmax': missing attribute 'axis'"},
    {"FloatList", stmt("  %0 = transpose(%x) {perm=[1.5, 0]} : f32[3,2]"), 2,
     29, "a list attribute holds integers or dims, got '1.5'"},
    {"DeclaredTypeMismatch", stmt("  %0 = add(%x, %x) : f32[3,2]"), 2, 3,
     "declared type f32[3,2] does not match the inferred type f32[2,3]"},
    {"ShapeError", stmt("  %0 = matmul(%x, %w) : f32[2,3]"), 2, 3,
     "'matmul': contraction dims differ: f32[2,3] x f32[2,3]"},
    {"OperandCount", stmt("  %0 = add(%x) : f32[2,3]"), 2, 8,
     "'add' takes 2 operands, got 1"},
    {"TruncatedStatement", H + "  %0 = add(%x, ", 2, 16,
     "unexpected end of file"},
    {"TruncatedGraph", H + "  return\n", 3, 1,
     "unexpected end of file, expected '}'"},
    {"MissingReturn", H + "}\n", 2, 1,
     "expected a statement '%N = ...' or 'return', got '}'"},
    {"UnterminatedString", stmt("  %0 = neg(%x) {note=\"abc} : f32[2,3]"), 2,
     22, "unterminated string"},
    {"BadEscape", stmt("  %0 = neg(%x) {note=\"a\\q\"} : f32[2,3]"), 2, 24,
     "bad escape '\\q'"},
    {"UnexpectedCharacter", stmt("  %0 = neg(%x) : f32[2,3] $"), 2, 27,
     "unexpected character '$'"},
    {"TrailingGarbage", H + "  return\n}\nxyz\n", 4, 1,
     "unexpected 'xyz' after the end of the graph"},
    {"UpdateOfInput",
     H + "  %0 = neg(%x) : f32[2,3]\n  return\n  update %x = %0\n}\n", 4, 10,
     "update of '%x', which is not a param"},
    {"UpdateTwice",
     H + "  %0 = neg(%w) : f32[2,3]\n  return\n  update %w = %0\n  update %w = "
         "%x\n}\n",
     5, 10, "param '%w' is updated twice"},
    {"UpdateWrongType",
     H + "  %0 = sum(%w) {axes=[0], keepdims=false} : f32[3]\n  return\n"
         "  update %w = %0\n}\n",
     4, 10, "update of param 'w' (f32[2,3]) has type f32[3]"},
    {"DuplicateOutputName", H + "  return a = %x, a = %w\n}\n", 2, 18,
     "duplicate output name 'a'"},
    {"IntegerOverflow",
     stmt("  %0 = sum(%x) {axes=[99999999999999999999], keepdims=false} : "
          "f32[2]"),
     2, 23, "integer literal overflow"},
    {"DimOverflow", stmt("  %0 = neg(%x) : f32[4294967296*4294967296]"), 2, 22,
     "bad dim expression: dim arithmetic overflows 64 bits"},
    {"ConstantCount", stmt("  %0 = constant() {value=[1.0, 2.0]} : f32[3]"), 2,
     26, "constant of type f32[3] needs 3 values, got 2"},
    {"ConstantI32Range", stmt("  %0 = constant() {value=3000000000} : i32[]"),
     2, 26, "integer literal overflow: '3000000000' does not fit i32"},
    {"ConstantF32Range",
     stmt("  %0 = constant() {value=[1.0, -1e39]} : f32[2]"), 2, 32,
     "number '-1e39' is out of range for f32"},
    {"ConstantBoolFromInt", stmt("  %0 = constant() {value=1} : bool[]"), 2, 26,
     "expected true or false for bool, got '1'"},
    {"ConstantIntFromFloat", stmt("  %0 = constant() {value=1.5} : i64[]"), 2,
     26, "expected an integer for i64, got '1.5'"},
    {"ConstantNotANan",
     stmt("  %0 = constant() {value=nan(0x3f800000)} : f32[]"), 2, 26,
     "is not a NaN bit pattern of f32"},
    {"ConstantSymbolicShape", stmt("  %0 = constant() {value=1.0} : f32[B]"), 2,
     26, "a constant needs a static shape, got f32[B]"},
    {"ConstantWithoutValue", stmt("  %0 = constant() : f32[]"), 2, 3,
     "'constant' needs the attribute 'value'"},
    {"DuplicateAttribute",
     stmt("  %0 = softmax(%x) {axis=1, axis=0} : f32[2,3]"), 2, 29,
     "duplicate attribute 'axis'"},
    {"BadValueName", stmt("  %1a = neg(%x) : f32[2,3]"), 2, 3,
     "bad name '%1a'"},
    {"InputAsStatement", stmt("  %0 = input() {name=\"y\"} : f32[2]"), 2, 8,
     "'input' is not a statement"},
    {"ScanWithoutBody",
     stmt("  %0 = scan(%x) {length=2, num_carry=1, num_seqs=0, reverse=false} "
          ": (f32[2,3])"),
     2, 3, "'scan' needs a body"},
    {"ScanWithSingleType",
     stmt("  %0 = scan(%x) {num_carry=1, num_seqs=0} : f32[2,3] body() {"), 2,
     3, "'scan' has several results: expected a type list"},
    {"BodyOnNonScan", stmt("  %0 = neg(%x) : f32[2,3] body() {\n  return\n  }"),
     2, 27, "'neg' does not take a body"},
    {"UndefinedInBody",
     stmt("  %0 = scan(%x) {length=2, num_carry=1, num_seqs=0, reverse=false} "
          ": (f32[2,3]) "
          "body(%h: f32[2,3]) {\n    %0 = add(%h, %w) : f32[2,3]\n    return "
          "%0\n  }"),
     3, 18, "undefined value '%w'"},
    {"ScanBodyMismatch",
     stmt("  %0 = scan(%x) {length=2, num_carry=1, num_seqs=0, reverse=false} "
          ": (f32[2,3]) "
          "body(%h: f32[3,2]) {\n    return %h\n  }"),
     2, 3,
     "'scan': body argument #0 must be an input of type f32[2,3], got "
     "f32[3,2]"},
    {"ScanResultTypes",
     stmt("  %0 = scan(%x) {length=2, num_carry=1, num_seqs=0, reverse=false} "
          ": (f32[2,3], "
          "f32[2,2,3]) body(%h: f32[2,3]) {\n    return %h\n  }"),
     2, 3,
     "'scan': declared result types do not match the inferred (f32[2,3])"},
    {"MultiResultOperand",
     stmt(
         "  %0 = scan(%x) {length=2, num_carry=1, num_seqs=0, reverse=false} : "
         "(f32[2,3]) "
         "body(%h: f32[2,3]) {\n    return %h\n  }\n  %1 = neg(%0) : f32[2,3]"),
     5, 3, "pick one of its results with 'result'"},
    {"ResultIndex",
     stmt("  %0 = scan(%x) {length=2, num_carry=1, num_seqs=0, reverse=false} "
          ": (f32[2,3]) "
          "body(%h: f32[2,3]) {\n    return %h\n  }\n  %1 = result(%0) "
          "{index=3} : f32[2,3]"),
     5, 3, "index 3 is out of range for the 1 results of 'scan'"},
    {"RandomKeyType", stmt("  %0 = random_uniform(%x) : f32[2]"), 2, 3,
     "'random_uniform': the key operand #0 (f32[2,3]) must be i64[]"},
    {"DeepDimNesting",
     stmt("  %0 = neg(%x) : f32[" + std::string(200, '(') + "2" +
          std::string(200, ')') + "]"),
     2, 87, "dim expression nested too deeply"},
    {"EmptyAttributeValue", stmt("  %0 = neg(%x) {axis=} : f32[2,3]"), 2, 22,
     "bad attribute value '}'"},
};

class TextErrors : public ::testing::TestWithParam<BadText> {};

TEST_P(TextErrors, PointsAtTheProblem) {
  const BadText &C = GetParam();
  try {
    parseGraph(C.Text);
    FAIL() << "parsed without error:\n" << C.Text;
  } catch (const ParseError &E) {
    EXPECT_EQ(E.line(), C.Line) << E.what();
    EXPECT_EQ(E.column(), C.Col) << E.what();
    EXPECT_THAT(E.what(), HasSubstr(C.Message));
    EXPECT_THAT(E.what(), StartsWith(std::to_string(C.Line) + ":" +
                                     std::to_string(C.Col) + ": "));
  }
}

INSTANTIATE_TEST_SUITE_P(Malformed, TextErrors, ::testing::ValuesIn(Cases),
                         [](const auto &Info) {
                           return std::string(Info.param.Name);
                         });

TEST(TextErrorsCount, AtLeast25Cases) { EXPECT_GE(std::size(Cases), 25u); }

TEST(TextErrorsFile, MessagesArePrefixedWithThePath) {
  std::string Path = ::testing::TempDir() + "netjit_bad_graph.nj";
  {
    std::ofstream Out(Path);
    Out << "graph @g(%x: f32[2]) {\n  %0 = mull(%x, %x) : f32[2]\n  return "
           "%0\n}\n";
  }
  try {
    parseGraphFile(Path);
    FAIL() << "parsed without error";
  } catch (const ParseError &E) {
    EXPECT_EQ(std::string(E.what()), Path + ":2:8: unknown op 'mull'");
    EXPECT_EQ(E.line(), 2);
    EXPECT_EQ(E.column(), 8);
  }
  std::remove(Path.c_str());
  EXPECT_THROW(parseGraphFile(Path), Error);
}

TEST(TextErrorsFile, ReadsAGoodFile) {
  std::string Path = ::testing::TempDir() + "netjit_good_graph.nj";
  {
    std::ofstream Out(Path);
    Out << "graph @g(%x: f32[2]) {\n  %0 = exp(%x) : f32[2]\n  return y = "
           "%0\n}\n";
  }
  Graph G = parseGraphFile(Path);
  EXPECT_EQ(G.name(), "g");
  EXPECT_EQ(G.outputs().at(0).Name, "y");
  std::remove(Path.c_str());
}

} // namespace
