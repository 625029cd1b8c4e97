//===- dce_cse_test.cpp - Dead code elimination and CSE -------------------===//
//
// dce: dead nodes leave the arena, the printed graph is unchanged, and the
// pass reports a change only when it dropped something. cse: operands of
// commutative ops are sorted and gt/ge become lt/le, so twins merge; golden
// text written by hand, values checked bit for bit with special inputs.
//
//===----------------------------------------------------------------------===//
#include "exact_check.h"

#include "passes/cse.h"
#include "passes/dce.h"

namespace netjit {
namespace {

std::string graph(const std::string &Args, const std::string &Body) {
  return "graph @g(" + Args + ") {\n" + Body + "}\n";
}
std::string line(const std::string &S) { return "  " + S + "\n"; }

TEST(Dce, DropsDeadNodesAndKeepsTheGraph) {
  // %1 and %2 are never returned: the parser keeps them in the arena.
  std::string In =
      graph("%x: f32[B,3], %y: f32[B,3]",
            line("%0 = add(%x, %y) : f32[B,3]") +
                line("%1 = mul(%x, %y) : f32[B,3]") +
                line("%2 = neg(%1) : f32[B,3]") + line("return r = %0"));
  Graph G = parseGraph(In);
  EXPECT_EQ(G.size(), 5u); // x, y, add, mul, neg
  std::string Printed = printGraph(G);
  PassContext Ctx;
  DcePass P;
  EXPECT_TRUE(P.run(G, Ctx));
  EXPECT_EQ(G.size(), 3u);
  EXPECT_EQ(Ctx.Stats["dce.nodes-removed"], 2);
  EXPECT_EQ(printGraph(G), Printed);
  verify(G);
  EXPECT_FALSE(P.run(G, Ctx));
  EXPECT_EQ(Ctx.Stats["dce.nodes-removed"], 2);
}

TEST(Dce, KeepsUnusedArgumentsAndUpdates) {
  // Arguments are the interface; an update's value is live.
  std::string In = graph("%x: f32[3], %unused: f32[2], param %w: f32[3]",
                         line("%0 = mul(%w, %x) : f32[3]") + line("return") +
                             line("update %w = %0"));
  Graph G = parseGraph(In);
  PassContext Ctx;
  DcePass P;
  EXPECT_FALSE(P.run(G, Ctx));
  EXPECT_EQ(printGraph(G), printGraph(parseGraph(In)));
}

TEST(Cse, SortsCommutativeOperandsSoTwinsMerge) {
  // x is argument 0 and y argument 1, so add(y, x) becomes add(x, y), the
  // same node as %0.
  const char *Args = "%x: f32[B,3], %y: f32[B,3]";
  std::string In = graph(Args, line("%0 = add(%x, %y) : f32[B,3]") +
                                   line("%1 = add(%y, %x) : f32[B,3]") +
                                   line("%2 = sub(%0, %1) : f32[B,3]") +
                                   line("return r = %2"));
  bool Changed = false;
  PassContext Ctx;
  Graph After;
  std::string Got = testing::runOn<CsePass>(In, false, &Changed, &Ctx, &After);
  EXPECT_TRUE(Changed);
  EXPECT_EQ(Got, graph(Args, line("%0 = add(%x, %y) : f32[B,3]") +
                                 line("%1 = sub(%0, %0) : f32[B,3]") +
                                 line("return r = %1")));
  EXPECT_EQ(Ctx.Stats["cse.commute"], 1);
  testing::expectAgreeRandom(parseGraph(In), After, {{{"B", 1}}, {{"B", 4}}},
                             testing::Agreement::Bits);
  // Canonical already: a second run changes nothing.
  CsePass P;
  EXPECT_FALSE(P.run(After, Ctx));
}

TEST(Cse, SwapsGreaterThanIntoLessThan) {
  // gt(x, y) == lt(y, x) and ge(x, y) == le(y, x), NaN included.
  const char *Args = "%x: f32[3], %y: f32[3]";
  std::string In = graph(Args, line("%0 = lt(%y, %x) : bool[3]") +
                                   line("%1 = gt(%x, %y) : bool[3]") +
                                   line("%2 = ge(%x, %y) : bool[3]") +
                                   line("%3 = and(%0, %1) : bool[3]") +
                                   line("return r = %3, s = %2"));
  bool Changed = false;
  PassContext Ctx;
  Graph After;
  std::string Got = testing::runOn<CsePass>(In, false, &Changed, &Ctx, &After);
  EXPECT_TRUE(Changed);
  EXPECT_EQ(Got, graph(Args, line("%0 = lt(%y, %x) : bool[3]") +
                                 line("%1 = le(%y, %x) : bool[3]") +
                                 line("%2 = and(%0, %0) : bool[3]") +
                                 line("return r = %2, s = %1")));
  EXPECT_EQ(Ctx.Stats["cse.compare"], 2);
  testing::expectAgreeRandom(parseGraph(In), After, {{}},
                             testing::Agreement::Bits);
}

TEST(Cse, LeavesNonCommutativeOpsAlone) {
  const char *Args = "%x: f32[3], %y: f32[3]";
  std::string In = graph(Args, line("%0 = sub(%y, %x) : f32[3]") +
                                   line("%1 = div(%y, %x) : f32[3]") +
                                   line("%2 = lt(%y, %x) : bool[3]") +
                                   line("%3 = select(%2, %0, %1) : f32[3]") +
                                   line("return r = %3"));
  bool Changed = true;
  std::string Got = testing::runOn<CsePass>(In, false, &Changed);
  EXPECT_FALSE(Changed);
  EXPECT_EQ(Got, printGraph(parseGraph(In)));
}

} // namespace
} // namespace netjit
