//===- simplify_test.cpp - The arithmetic and misc rules of simplify ------===//
//
// Every rule gets three checks: it fires (the printed graph after the pass
// is the expected text, written by hand from the rule's algebra, and the
// rule's counter moved), it does not fire where it must not (the graph is
// unchanged), and the graph computes the same values before and after on
// random inputs that include +-0.0, +-inf and NaN (bit for bit for exact
// rules; within 2 ulps for the libm rules; on ordinary finite inputs for
// FastMath rules). Layout, reduction and folding rules are in
// simplify_layout_test.cpp.
//
//===----------------------------------------------------------------------===//
#include "exact_check.h"

#include "passes/simplify.h"

namespace netjit {
namespace {

using testing::Agreement;
using testing::ArgOptions;

const char *XY = "%x: f32[B,3], %y: f32[B,3]";
const char *IXY = "%x: i32[B,3], %y: i32[B,3]";

std::string graph(const std::string &Args, const std::string &Body) {
  return "graph @g(" + Args + ") {\n" + Body + "}\n";
}

/// Lines defining %I, a scalar constant V of dtype T, and %I+1, its
/// broadcast to [B,3].
std::string splat(int I, const std::string &V, const std::string &T = "f32") {
  std::string A = "%" + std::to_string(I), B = "%" + std::to_string(I + 1);
  return "  " + A + " = constant() {value=" + V + "} : " + T + "[]\n  " + B +
         " = broadcast(" + A + ") {shape=[B, 3]} : " + T + "[B,3]\n";
}

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

/// The rule must leave Input alone (with FastMath as given).
void expectKept(const char *Rule, const std::string &Input, bool Fast = false) {
  SCOPED_TRACE(Rule);
  bool Changed = true;
  PassContext Ctx;
  std::string Got = testing::runOn<SimplifyPass>(Input, Fast, &Changed, &Ctx);
  EXPECT_FALSE(Changed);
  EXPECT_EQ(Got, printGraph(parseGraph(Input)));
  EXPECT_EQ(Ctx.Stats.count("simplify." + std::string(Rule)), 0u);
}

std::string ret(const std::string &V) { return "  return r = " + V + "\n"; }
std::string line(const std::string &S) { return "  " + S + "\n"; }

TEST(SimplifyAdd, ZeroRules) {
  // x + (-0.0) => x, on either side; -0.0 + (-0.0) is -0.0, NaN stays NaN.
  expectFires({"add-zero",
               graph(XY, splat(0, "-0.0") +
                             line("%2 = add(%x, %1) : f32[B,3]") + ret("%2")),
               graph(XY, ret("%x"))});
  expectFires({"add-zero",
               graph(XY, splat(0, "-0.0") +
                             line("%2 = add(%1, %x) : f32[B,3]") + ret("%2")),
               graph(XY, ret("%x"))});
  // Integers: x + 0 => x.
  expectFires({"add-zero",
               graph(IXY, splat(0, "0", "i32") +
                              line("%2 = add(%x, %1) : i32[B,3]") + ret("%2")),
               graph(IXY, ret("%x"))});
  // x + 0.0 is not x for x = -0.0 (the sum is +0.0): FastMath only.
  std::string PosZero = graph(
      XY, splat(0, "0.0") + line("%2 = add(%x, %1) : f32[B,3]") + ret("%2"));
  expectKept("add-zero", PosZero);
  expectFires(
      {"add-zero-fast", PosZero, graph(XY, ret("%x")), true, Agreement::Close});
  // A constant that is not all -0.0 does not match.
  expectKept("add-zero",
             graph("%x: f32[3]",
                   line("%0 = constant() {value=[-0.0, 0.0, -0.0]} : f32[3]") +
                       line("%1 = add(%x, %0) : f32[3]") + ret("%1")),
             true);
}

TEST(SimplifyAdd, NegationRules) {
  // neg(x) + y => y - x
  expectFires({"add-neg",
               graph(XY, line("%0 = neg(%x) : f32[B,3]") +
                             line("%1 = add(%0, %y) : f32[B,3]") + ret("%1")),
               graph(XY, line("%0 = sub(%y, %x) : f32[B,3]") + ret("%0"))});
  // x + neg(y) => x - y
  expectFires({"add-neg",
               graph(XY, line("%0 = neg(%y) : f32[B,3]") +
                             line("%1 = add(%x, %0) : f32[B,3]") + ret("%1")),
               graph(XY, line("%0 = sub(%x, %y) : f32[B,3]") + ret("%0"))});
  // (x + 2) + 3 => x + 5 on integers (wrapping addition is associative).
  expectFires(
      {"add-const-const",
       graph(IXY, splat(0, "2", "i32") + line("%2 = add(%x, %1) : i32[B,3]") +
                      splat(3, "3", "i32") +
                      line("%5 = add(%2, %4) : i32[B,3]") + ret("%5")),
       graph(IXY, splat(0, "5", "i32") + line("%2 = add(%x, %1) : i32[B,3]") +
                      ret("%2")),
       false, Agreement::Bits,
       ArgOptions{.IntLo = -2147483647, .IntHi = 2147483647}});
}

TEST(SimplifySub, Rules) {
  // x - 0.0 => x (-0.0 - 0.0 is -0.0)
  expectFires({"sub-zero",
               graph(XY, splat(0, "0.0") + line("%2 = sub(%x, %1) : f32[B,3]") +
                             ret("%2")),
               graph(XY, ret("%x"))});
  // x - (-0.0) is +0.0 for x = -0.0: FastMath only.
  std::string NegZero = graph(
      XY, splat(0, "-0.0") + line("%2 = sub(%x, %1) : f32[B,3]") + ret("%2"));
  expectKept("sub-zero", NegZero);
  expectFires(
      {"sub-zero-fast", NegZero, graph(XY, ret("%x")), true, Agreement::Close});
  // (-0.0) - x => neg(x)
  expectFires({"sub-from-zero",
               graph(XY, splat(0, "-0.0") +
                             line("%2 = sub(%1, %x) : f32[B,3]") + ret("%2")),
               graph(XY, line("%0 = neg(%x) : f32[B,3]") + ret("%0"))});
  // 0.0 - 0.0 is +0.0 but neg(0.0) is -0.0: FastMath only.
  std::string FromZero = graph(
      XY, splat(0, "0.0") + line("%2 = sub(%1, %x) : f32[B,3]") + ret("%2"));
  expectKept("sub-from-zero", FromZero);
  expectFires({"sub-from-zero-fast", FromZero,
               graph(XY, line("%0 = neg(%x) : f32[B,3]") + ret("%0")), true,
               Agreement::Close});
  // x - neg(y) => x + y
  expectFires({"sub-neg",
               graph(XY, line("%0 = neg(%y) : f32[B,3]") +
                             line("%1 = sub(%x, %0) : f32[B,3]") + ret("%1")),
               graph(XY, line("%0 = add(%x, %y) : f32[B,3]") + ret("%0"))});
  // x - x => 0: exact on integers; inf - inf is NaN, so FastMath on floats.
  expectFires({"sub-self",
               graph(IXY, line("%0 = sub(%x, %x) : i32[B,3]") + ret("%0")),
               graph(IXY, splat(0, "0", "i32") + ret("%1"))});
  std::string Self = graph(XY, line("%0 = sub(%x, %x) : f32[B,3]") + ret("%0"));
  expectKept("sub-self", Self);
  expectFires({"sub-self", Self, graph(XY, splat(0, "0.0") + ret("%1")), true,
               Agreement::Close});
}

TEST(SimplifyMul, Rules) {
  // x * 1 => x, either side
  expectFires({"mul-one",
               graph(XY, splat(0, "1.0") + line("%2 = mul(%1, %x) : f32[B,3]") +
                             ret("%2")),
               graph(XY, ret("%x"))});
  // x * -1 => neg(x)
  expectFires({"mul-minus-one",
               graph(XY, splat(0, "-1.0") +
                             line("%2 = mul(%x, %1) : f32[B,3]") + ret("%2")),
               graph(XY, line("%0 = neg(%x) : f32[B,3]") + ret("%0"))});
  expectFires({"mul-minus-one",
               graph(IXY, splat(0, "-1", "i32") +
                              line("%2 = mul(%x, %1) : i32[B,3]") + ret("%2")),
               graph(IXY, line("%0 = neg(%x) : i32[B,3]") + ret("%0"))});
  // x * 0 => 0: exact on integers.
  expectFires({"mul-zero",
               graph(IXY, splat(0, "0", "i32") +
                              line("%2 = mul(%x, %1) : i32[B,3]") + ret("%2")),
               graph(IXY, splat(0, "0", "i32") + ret("%1"))});
  // On floats NaN * 0 is NaN and -1 * 0 is -0.0: FastMath only.
  std::string FZero = graph(
      XY, splat(0, "0.0") + line("%2 = mul(%x, %1) : f32[B,3]") + ret("%2"));
  expectKept("mul-zero", FZero);
  expectFires({"mul-zero", FZero, graph(XY, splat(0, "0.0") + ret("%1")), true,
               Agreement::Close});
  expectFires({"mul-zero",
               graph(XY, splat(0, "-0.0") +
                             line("%2 = mul(%x, %1) : f32[B,3]") + ret("%2")),
               graph(XY, splat(0, "0.0") + ret("%1")), true, Agreement::Close});
  // neg(x) * neg(y) => x * y
  expectFires({"mul-neg-neg",
               graph(XY, line("%0 = neg(%x) : f32[B,3]") +
                             line("%1 = neg(%y) : f32[B,3]") +
                             line("%2 = mul(%0, %1) : f32[B,3]") + ret("%2")),
               graph(XY, line("%0 = mul(%x, %y) : f32[B,3]") + ret("%0"))});
  // (x * c1) * c2 => x * (c1 * c2): exact on integers, rounding on floats.
  auto Chain = [](const char *Args, const char *T, const char *C1,
                  const char *C2) {
    std::string Ty = std::string(T) + "[B,3]";
    return graph(Args, splat(0, C1, T) + line("%2 = mul(%x, %1) : " + Ty) +
                           splat(3, C2, T) + line("%5 = mul(%2, %4) : " + Ty) +
                           ret("%5"));
  };
  expectFires({"mul-const-const", Chain(IXY, "i32", "2", "3"),
               graph(IXY, splat(0, "6", "i32") +
                              line("%2 = mul(%x, %1) : i32[B,3]") + ret("%2")),
               false, Agreement::Bits,
               ArgOptions{.IntLo = -2147483647, .IntHi = 2147483647}});
  expectKept("mul-const-const", Chain(XY, "f32", "3.0", "0.1"));
  expectFires({"mul-const-const", Chain(XY, "f32", "3.0", "0.5"),
               graph(XY, splat(0, "1.5") + line("%2 = mul(%x, %1) : f32[B,3]") +
                             ret("%2")),
               true, Agreement::Close});
}

TEST(SimplifyDiv, Rules) {
  // x / 1 => x
  expectFires({"div-one",
               graph(XY, splat(0, "1.0") + line("%2 = div(%x, %1) : f32[B,3]") +
                             ret("%2")),
               graph(XY, ret("%x"))});
  // x / -1 => neg(x), floats and (wrapping) integers
  expectFires({"div-minus-one",
               graph(XY, splat(0, "-1.0") +
                             line("%2 = div(%x, %1) : f32[B,3]") + ret("%2")),
               graph(XY, line("%0 = neg(%x) : f32[B,3]") + ret("%0"))});
  expectFires({"div-minus-one",
               graph(IXY, splat(0, "-1", "i32") +
                              line("%2 = div(%x, %1) : i32[B,3]") + ret("%2")),
               graph(IXY, line("%0 = neg(%x) : i32[B,3]") + ret("%0")), false,
               Agreement::Bits,
               ArgOptions{.IntLo = -2147483647 - 1, .IntHi = 2147483647}});
  // 1 / x is not x.
  expectKept("div-one",
             graph(XY, splat(0, "1.0") + line("%2 = div(%1, %x) : f32[B,3]") +
                           ret("%2")));
}

TEST(SimplifyPow, Rules) {
  auto Pow = [](const char *E) {
    return graph(XY,
                 splat(0, E) + line("%2 = pow(%x, %1) : f32[B,3]") + ret("%2"));
  };
  // pow(x, 1) => x
  expectFires({"pow-one", Pow("1.0"), graph(XY, ret("%x"))});
  // pow(x, 2) => square(x): pow is within an ulp, square correctly rounded;
  // they agree on +-0, +-inf and NaN.
  expectFires({"pow-two", Pow("2.0"),
               graph(XY, line("%0 = square(%x) : f32[B,3]") + ret("%0")), false,
               Agreement::Ulp});
  // pow(x, 0) => 1 for every x, NaN included (C99 F.9.4.4).
  expectFires({"pow-zero", Pow("0.0"), graph(XY, splat(0, "1.0") + ret("%1"))});
  // pow(x, -1) => 1 / x (pow(-0.0, -1) = -inf = 1 / -0.0)
  expectFires({"pow-minus-one", Pow("-1.0"),
               graph(XY, splat(0, "1.0") + line("%2 = div(%1, %x) : f32[B,3]") +
                             ret("%2")),
               false, Agreement::Ulp});
  // pow(-0.0, 0.5) is +0.0 but sqrt(-0.0) is -0.0; pow(-inf, 0.5) is inf,
  // sqrt(-inf) NaN: FastMath only.
  expectKept("pow-half", Pow("0.5"));
  expectFires({"pow-half", Pow("0.5"),
               graph(XY, line("%0 = sqrt(%x) : f32[B,3]") + ret("%0")), true,
               Agreement::Close, ArgOptions{.FloatLo = 0.1}});
  expectKept("pow-two", Pow("3.0"), true);
}

TEST(SimplifyUnary, Rules) {
  auto Un = [](const char *Inner, const char *Outer) {
    return graph(XY,
                 line(std::string("%0 = ") + Inner + "(%x) : f32[B,3]") +
                     line(std::string("%1 = ") + Outer + "(%0) : f32[B,3]") +
                     ret("%1"));
  };
  // neg(neg(x)) => x
  expectFires({"neg-neg", Un("neg", "neg"), graph(XY, ret("%x"))});
  // abs(neg(x)) => abs(x); abs(abs(x)) => abs(x)
  expectFires({"abs-sign", Un("neg", "abs"),
               graph(XY, line("%0 = abs(%x) : f32[B,3]") + ret("%0"))});
  expectFires({"abs-sign", Un("abs", "abs"),
               graph(XY, line("%0 = abs(%x) : f32[B,3]") + ret("%0"))});
  // square(neg(x)) => square(x); square(abs(x)) => square(x)
  expectFires({"square-sign", Un("abs", "square"),
               graph(XY, line("%0 = square(%x) : f32[B,3]") + ret("%0"))});
  // relu(relu(x)) => relu(x)
  expectFires({"relu-relu", Un("relu", "relu"),
               graph(XY, line("%0 = relu(%x) : f32[B,3]") + ret("%0"))});
  // exp(log(x)) => x: log of a negative is NaN, so FastMath only.
  expectKept("exp-log", Un("log", "exp"));
  expectFires({"exp-log", Un("log", "exp"), graph(XY, ret("%x")), true,
               Agreement::Close, ArgOptions{.FloatLo = 0.1}});
  // log(exp(x)) => x: exp overflows to inf, so FastMath only.
  expectKept("log-exp", Un("exp", "log"));
  expectFires({"log-exp", Un("exp", "log"), graph(XY, ret("%x")), true,
               Agreement::Close});
  // not(not(c)) => c
  const char *C = "%c: bool[B,3]";
  expectFires({"not-not",
               graph(C, line("%0 = not(%c) : bool[B,3]") +
                            line("%1 = not(%0) : bool[B,3]") + ret("%1")),
               graph(C, ret("%c"))});
  // maximum(x, x) => x (and minimum, and, or)
  expectFires({"idempotent",
               graph(XY, line("%0 = maximum(%x, %x) : f32[B,3]") + ret("%0")),
               graph(XY, ret("%x"))});
  expectKept("idempotent",
             graph(XY, line("%0 = maximum(%x, %y) : f32[B,3]") + ret("%0")));
}

TEST(SimplifySelect, Rules) {
  std::string Args = std::string("%c: bool[B,3], ") + XY;
  // select(c, x, x) => x
  expectFires(
      {"select-same",
       graph(Args, line("%0 = select(%c, %x, %x) : f32[B,3]") + ret("%0")),
       graph(Args, ret("%x"))});
  // select(true, x, y) => x; select(false, x, y) => y
  expectFires(
      {"select-const",
       graph(Args, splat(0, "true", "bool") +
                       line("%2 = select(%1, %x, %y) : f32[B,3]") + ret("%2")),
       graph(Args, ret("%x"))});
  expectFires(
      {"select-const",
       graph(Args, splat(0, "false", "bool") +
                       line("%2 = select(%1, %x, %y) : f32[B,3]") + ret("%2")),
       graph(Args, ret("%y"))});
  // select(not(c), x, y) => select(c, y, x)
  expectFires(
      {"select-not",
       graph(Args, line("%0 = not(%c) : bool[B,3]") +
                       line("%1 = select(%0, %x, %y) : f32[B,3]") + ret("%1")),
       graph(Args, line("%0 = select(%c, %y, %x) : f32[B,3]") + ret("%0"))});
  expectKept(
      "select-const",
      graph(Args, line("%0 = select(%c, %x, %y) : f32[B,3]") + ret("%0")));
}

TEST(SimplifyMisc, CastAndStopGradient) {
  // cast(x) to the dtype of x => x
  expectFires(
      {"cast-same",
       graph(XY, line("%0 = cast(%x) {dtype=f32} : f32[B,3]") + ret("%0")),
       graph(XY, ret("%x"))});
  expectKept(
      "cast-same",
      graph(XY, line("%0 = cast(%x) {dtype=f64} : f64[B,3]") + ret("%0")));
  // stop_gradient(constant) => constant
  expectFires(
      {"stop-gradient-const",
       graph(XY, splat(0, "2.0") + line("%2 = stop_gradient(%1) : f32[B,3]") +
                     line("%3 = add(%x, %2) : f32[B,3]") + ret("%3")),
       graph(XY, splat(0, "2.0") + line("%2 = add(%x, %1) : f32[B,3]") +
                     ret("%2"))});
  // stop_gradient(stop_gradient(x)) => stop_gradient(x)
  expectFires(
      {"stop-gradient-twice",
       graph(XY, line("%0 = stop_gradient(%x) : f32[B,3]") +
                     line("%1 = stop_gradient(%0) : f32[B,3]") + ret("%1")),
       graph(XY, line("%0 = stop_gradient(%x) : f32[B,3]") + ret("%0"))});
  expectKept("stop-gradient-const",
             graph(XY, line("%0 = stop_gradient(%x) : f32[B,3]") + ret("%0")));
}

TEST(SimplifyPass, KeepsTheWrtOfAGrad) {
  // grad(c, w) asks for the gradient with respect to the node w = x * 1;
  // rewriting w to x would ask for the gradient with respect to x instead.
  std::string In =
      graph("%x: f32[3]",
            line("%0 = constant() {value=1.0} : f32[]") +
                line("%1 = broadcast(%0) {shape=[3]} : f32[3]") +
                line("%2 = mul(%x, %1) : f32[3]") +
                line("%3 = sum(%2) {axes=[0], keepdims=false} : f32[]") +
                line("%4 = grad(%3, %2) : f32[3]") + ret("%4"));
  expectKept("mul-one", In);
}

TEST(SimplifyPass, ReusesNodesThatComeLaterInTheGraph) {
  // pow(x, -1) => 1 / x builds broadcast(1.0), which already exists further
  // down (%4); the rewritten graph must define it before the div uses it.
  const char *X = "%x: f32[3]";
  std::string In =
      graph(X, line("%0 = constant() {value=-1.0} : f32[]") +
                   line("%1 = broadcast(%0) {shape=[3]} : f32[3]") +
                   line("%2 = pow(%x, %1) : f32[3]") +
                   line("%3 = constant() {value=1.0} : f32[]") +
                   line("%4 = broadcast(%3) {shape=[3]} : f32[3]") +
                   line("%5 = add(%2, %4) : f32[3]") + ret("%5"));
  Graph After;
  std::string Got =
      testing::runOn<SimplifyPass>(In, false, nullptr, nullptr, &After);
  EXPECT_EQ(Got, graph(X, line("%0 = constant() {value=1.0} : f32[]") +
                              line("%1 = broadcast(%0) {shape=[3]} : f32[3]") +
                              line("%2 = div(%1, %x) : f32[3]") +
                              line("%3 = add(%2, %1) : f32[3]") + ret("%3")));
  testing::expectAgreeRandom(parseGraph(In), After, {{}}, Agreement::Ulp);
}

TEST(SimplifyPass, SecondRunChangesNothing) {
  std::string In =
      graph(XY, splat(0, "1.0") + line("%2 = mul(%x, %1) : f32[B,3]") +
                    line("%3 = neg(%2) : f32[B,3]") +
                    line("%4 = neg(%3) : f32[B,3]") +
                    line("%5 = sub(%4, %3) : f32[B,3]") + ret("%5"));
  // mul-one, neg-neg, then x - neg(x) => x + x.
  Graph G = parseGraph(In);
  PassContext Ctx;
  SimplifyPass P;
  EXPECT_TRUE(P.run(G, Ctx));
  EXPECT_EQ(printGraph(G),
            graph(XY, line("%0 = add(%x, %x) : f32[B,3]") + ret("%0")));
  EXPECT_FALSE(P.run(G, Ctx));
}

} // namespace
} // namespace netjit
