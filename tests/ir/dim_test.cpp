//===- dim_test.cpp - Dimension polynomials --------------------------------===//
#include "ir/dim.h"
#include "ir/error.h"

#include <gtest/gtest.h>

using namespace netjit;

namespace {

Dim parse(std::string_view S) {
  std::optional<Dim> D = parseDim(S);
  EXPECT_TRUE(D.has_value()) << S;
  return D.value_or(Dim(-999));
}

TEST(Dim, ConstantsAreInline) {
  Dim D(784);
  EXPECT_TRUE(D.isConstant());
  EXPECT_EQ(D.constant(), 784);
  EXPECT_EQ(D.str(), "784");
  EXPECT_EQ(Dim(3) + Dim(4), Dim(7));
  EXPECT_EQ(Dim(3) * Dim(4), Dim(12));
}

TEST(Dim, PolynomialsAreCanonical) {
  Dim B = Dim::symbol("B"), T = Dim::symbol("T");
  EXPECT_EQ(B * T, T * B);
  EXPECT_EQ((B * T).str(), "B*T");
  EXPECT_EQ((T - 1).str(), "T-1");
  EXPECT_EQ((B * 2 + 1).str(), "2*B+1");
  EXPECT_EQ((B + T).str(), "B+T");
  EXPECT_EQ((T + B).str(), "B+T");
  EXPECT_EQ((B * B).str(), "B*B");
  EXPECT_EQ((Dim(1) - B).str(), "-B+1");
  // (B+1)*(B-1) = B*B - 1: the cross terms cancel.
  EXPECT_EQ((B + 1) * (B - 1), B * B - 1);
  EXPECT_EQ(B - B, Dim(0));
  EXPECT_TRUE((B - B).isConstant());
  EXPECT_NE(B, T);
  EXPECT_NE(B, Dim(1));
}

TEST(Dim, Evaluates) {
  Dim D = parse("2*B*T - T + 3");
  DimBindings Bind{{"B", 4}, {"T", 10}};
  EXPECT_EQ(D.evaluate(Bind), 2 * 4 * 10 - 10 + 3);
  EXPECT_EQ(D.evaluate({{"B", 4}}), std::nullopt);
  std::set<std::string> Syms;
  D.collectSymbols(Syms);
  EXPECT_EQ(Syms, (std::set<std::string>{"B", "T"}));
}

TEST(Dim, ParsesAndPrintsBack) {
  for (const char *S : {"0", "7", "B", "B*T", "T-1", "2*B+1", "B*B", "-B+1", "B+T", "3*B*T-2*T+5"})
    EXPECT_EQ(parse(S).str(), S);
  EXPECT_EQ(parse("(B+1)*(B-1)").str(), "B*B-1");
  EXPECT_EQ(parse(" 2 * ( T - 1 ) ").str(), "2*T-2");
  EXPECT_EQ(parse("-(-B)").str(), "B");
}

TEST(Dim, RejectsMalformedText) {
  for (const char *S : {"", "B*", "(B", "B)", "2x", "B**T", "B + ", "#", "99999999999999999999"}) {
    std::string Err;
    size_t Off = 12345;
    EXPECT_FALSE(parseDim(S, &Err, &Off).has_value()) << S;
    EXPECT_FALSE(Err.empty()) << S;
    EXPECT_LE(Off, std::string_view(S).size()) << S;
  }
  std::string Err;
  size_t Off = 0;
  parseDim("B*(T+)", &Err, &Off);
  EXPECT_EQ(Off, 5u);
  EXPECT_NE(Err.find("expected a dim"), std::string::npos) << Err;
}

TEST(Dim, OverflowIsAnError) {
  Dim Big(int64_t(1) << 62);
  EXPECT_THROW(Big * Dim(4), TypeError);
  EXPECT_THROW(Big + Big, TypeError);
}

TEST(Shape, NumElementsAndEvaluation) {
  Shape S{Dim::symbol("B"), Dim::symbol("T"), Dim(3)};
  EXPECT_EQ(numElements(S), parse("3*B*T"));
  EXPECT_EQ(numElements({}), Dim(1));
  EXPECT_EQ(shapeStr(S), "[B,T,3]");
  EXPECT_EQ(evaluateShape(S, {{"B", 2}, {"T", 5}}), (std::vector<int64_t>{2, 5, 3}));
  try {
    evaluateShape(S, {{"B", 2}});
    FAIL() << "expected an error";
  } catch (const RuntimeError &E) {
    EXPECT_NE(std::string(E.what()).find("'T'"), std::string::npos) << E.what();
  }
  EXPECT_THROW(evaluateShape({parse("T-1")}, {{"T", 0}}), RuntimeError);
}

} // namespace
