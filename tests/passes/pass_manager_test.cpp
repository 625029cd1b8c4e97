//===- pass_manager_test.cpp - Pipelines, fixed points and instruments ----===//
//
// The registry and the pipeline syntax (errors name the pass and column),
// fixed points (convergence, the iteration cap, the cycle warning), the
// verifier naming the pass that broke the graph, the check that catches a
// pass lying about "changed", and the text each instrument prints.
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace netjit {
namespace {

using ::testing::HasSubstr;

/// x * 1 with the 1 a broadcast constant: simplify rewrites it to x once.
const char *kMulOne = R"(graph @g(%x: f32[B,3]) {
  %0 = constant() {value=1.0} : f32[]
  %1 = broadcast(%0) {shape=[B, 3]} : f32[B,3]
  %2 = mul(%x, %1) : f32[B,3]
  return r = %2
}
)";
const char *kSimplified = "graph @g(%x: f32[B,3]) {\n  return r = %x\n}\n";

std::string errorOf(std::string_view Pipeline) {
  try {
    PassManager::parse(Pipeline);
  } catch (const Error &E) {
    return E.what();
  }
  return "(no error)";
}

TEST(PassRegistry, ListsAndCreatesPasses) {
  std::vector<std::string_view> Names = registeredPasses();
  for (std::string_view N : {"simplify", "cse", "dce"}) {
    EXPECT_NE(std::find(Names.begin(), Names.end(), N), Names.end()) << N;
    EXPECT_EQ(createPass(N)->name(), N);
  }
  try {
    createPass("frobnicate");
    FAIL() << "expected an error";
  } catch (const Error &E) {
    EXPECT_THAT(E.what(), HasSubstr("unknown pass 'frobnicate'"));
    EXPECT_THAT(E.what(), HasSubstr("simplify"));
  }
  EXPECT_EQ(defaultPipeline(), "stabilize,autodiff,fix(simplify,cse),dce");
}

TEST(PipelineParser, ReportsTheUnknownPassAndTheColumn) {
  EXPECT_THAT(errorOf("simplify,frobnicate"),
              HasSubstr("unknown pass 'frobnicate'"));
  EXPECT_THAT(errorOf("simplify,frobnicate"), HasSubstr("at column 10"));
  EXPECT_THAT(errorOf("fix(cse, nope)"),
              HasSubstr("unknown pass 'nope' (registered: "));
  EXPECT_THAT(errorOf("fix(cse, nope)"), HasSubstr("at column 10"));
  EXPECT_THAT(errorOf("simplify,,cse"),
              HasSubstr("expected a pass name, got ',' at column 10"));
  EXPECT_THAT(errorOf("simplify,"),
              HasSubstr("expected a pass name, got the end at column 10"));
  EXPECT_THAT(errorOf("simplify cse"),
              HasSubstr("expected ',' between passes at column 10"));
  EXPECT_THAT(
      errorOf("fix(simplify"),
      HasSubstr(
          "expected ')' to close 'fix(' (opened at column 4) at column 13"));
  EXPECT_THAT(errorOf("fix()"),
              HasSubstr("empty fixed-point group at column 4"));
  EXPECT_THAT(errorOf("cse)"), HasSubstr("unbalanced ')' at column 4"));
  EXPECT_THAT(errorOf("cse!"),
              HasSubstr("expected ',' between passes at column 4"));
}

TEST(PipelineParser, AcceptsWhitespaceNestingAndTheEmptyPipeline) {
  EXPECT_EQ(errorOf(" simplify , fix( cse ,dce ) "), "(no error)");
  EXPECT_EQ(errorOf("fix(fix(simplify),cse)"), "(no error)");
  EXPECT_EQ(errorOf(""), "(no error)");
  // The default pipeline parses once every pass in it is registered.
  auto Names = registeredPasses();
  bool All = std::find(Names.begin(), Names.end(), "autodiff") != Names.end() &&
             std::find(Names.begin(), Names.end(), "stabilize") != Names.end();
  if (All)
    EXPECT_EQ(errorOf(defaultPipeline()), "(no error)");
  else
    EXPECT_THAT(errorOf(defaultPipeline()), HasSubstr("unknown pass"));
}

TEST(PassManager, RunsThePipelineInOrder) {
  Graph G = parseGraph(kMulOne);
  PassContext Ctx;
  std::ostringstream Out;
  Instrumentation I;
  I.PrintAfter = {"all"};
  I.Out = &Out;
  EXPECT_TRUE(PassManager::parse("simplify, dce").run(G, Ctx, I));
  EXPECT_EQ(printGraph(G), kSimplified);
  // simplify rebuilds (and compacts), so dce finds nothing left to drop.
  EXPECT_EQ(Out.str(), std::string("// ----- IR after simplify -----\n") +
                           kSimplified + "// ----- IR after dce -----\n" +
                           kSimplified);
  EXPECT_EQ(Ctx.Stats["simplify.mul-one"], 1);
  EXPECT_FALSE(PassManager::parse("simplify,cse,dce").run(G, Ctx));
}

TEST(Instruments, PrintAfterANamedPass) {
  Graph G = parseGraph(kMulOne);
  PassContext Ctx;
  std::ostringstream Out;
  Instrumentation I;
  I.PrintAfter = {"cse"};
  I.Out = &Out;
  PassManager::parse("simplify,cse").run(G, Ctx, I);
  EXPECT_EQ(Out.str(),
            std::string("// ----- IR after cse -----\n") + kSimplified);
}

TEST(Instruments, PrintAfterRejectsANameNotInThePipeline) {
  Graph G = parseGraph(kMulOne);
  PassContext Ctx;
  Instrumentation I;
  I.PrintAfter = {"simplfy"};
  try {
    PassManager::parse("fix(simplify,cse),dce").run(G, Ctx, I);
    FAIL() << "expected an error";
  } catch (const Error &E) {
    EXPECT_STREQ(E.what(),
                 "print-after: 'simplfy' is not a pass of this pipeline "
                 "(fix(simplify,cse), simplify, cse, dce)");
  }
}

TEST(Instruments, PrintChangedMarksUnchangedPasses) {
  Graph G = parseGraph(kMulOne);
  PassContext Ctx;
  std::ostringstream Out;
  Instrumentation I;
  I.PrintChanged = true;
  I.Out = &Out;
  PassManager::parse("simplify,cse").run(G, Ctx, I);
  EXPECT_EQ(Out.str(), std::string("// ----- IR after simplify -----\n") +
                           kSimplified +
                           "// ----- IR after cse ----- (unchanged)\n");
}

TEST(Instruments, PrintAfterAFixedPointGroup) {
  Graph G = parseGraph(kMulOne);
  PassContext Ctx;
  std::ostringstream Out;
  Instrumentation I;
  I.PrintAfter = {"fix(simplify,cse)"};
  I.Out = &Out;
  PassManager::parse("fix(simplify,cse)").run(G, Ctx, I);
  EXPECT_EQ(Out.str(),
            std::string("// ----- IR after fix(simplify,cse) -----\n") +
                kSimplified);
}

TEST(Instruments, TimePassesReportsTimesIterationsAndRuleHits) {
  Graph G = parseGraph(kMulOne);
  PassContext Ctx;
  std::ostringstream Out;
  Instrumentation I;
  I.TimePasses = true;
  I.Out = &Out;
  PassManager::parse("fix(simplify,cse),dce").run(G, Ctx, I);
  std::istringstream Lines(Out.str());
  std::vector<std::string> L;
  for (std::string S; std::getline(Lines, S);)
    L.push_back(S);
  // Iteration 1 changes (mul-one), iteration 2 confirms the fixed point.
  ASSERT_EQ(L.size(), 9u) << Out.str();
  EXPECT_EQ(L[0], "===----- pass timing -----===");
  EXPECT_TRUE(std::regex_match(L[1], std::regex("pass +runs +wall ms +%")))
      << L[1];
  const char *Num = " +[0-9]+\\.[0-9]{3} +[0-9]+\\.[0-9]%";
  EXPECT_TRUE(
      std::regex_match(L[2], std::regex(std::string("simplify +2") + Num)))
      << L[2];
  EXPECT_TRUE(std::regex_match(L[3], std::regex(std::string("cse +2") + Num)))
      << L[3];
  EXPECT_TRUE(std::regex_match(L[4], std::regex(std::string("dce +1") + Num)))
      << L[4];
  EXPECT_TRUE(std::regex_match(L[5], std::regex(std::string("total +5") + Num)))
      << L[5];
  EXPECT_TRUE(std::regex_match(L[5], std::regex(".* 100\\.0%"))) << L[5];
  EXPECT_EQ(L[6], "fix(simplify,cse): converged after 2 iterations");
  EXPECT_EQ(L[7], "===----- rule hits -----===");
  EXPECT_TRUE(std::regex_match(L[8], std::regex("simplify\\.mul-one +1")))
      << L[8];
}

/// Wraps the first output in one more neg each run: never converges and
/// never revisits a graph.
class GrowPass : public Pass {
public:
  std::string_view name() const override { return "grow"; }
  bool run(Graph &G, PassContext &) override {
    G.setOutputValue(
        0, G.make(OpCode::Neg, std::vector<NodeId>{G.outputs()[0].Value}));
    return true;
  }
};

/// Alternates the first output between x and neg(x): a rewrite cycle.
class FlipPass : public Pass {
public:
  std::string_view name() const override { return "flip"; }
  bool run(Graph &G, PassContext &) override {
    NodeId V = G.outputs()[0].Value;
    const Node &N = G.node(V);
    G.setOutputValue(0, N.Op == OpCode::Neg
                            ? N.Inputs[0]
                            : G.make(OpCode::Neg, std::vector<NodeId>{V}));
    return true;
  }
};

/// Grows the graph on its first Left runs, then reports no change.
class CountdownPass : public GrowPass {
public:
  explicit CountdownPass(int Left) : Left(Left) {}
  std::string_view name() const override { return "countdown"; }
  bool run(Graph &G, PassContext &Ctx) override {
    return Left-- > 0 && GrowPass::run(G, Ctx);
  }

private:
  int Left;
};

/// Reports Claim whatever it did; changes the graph iff Change.
class LiarPass : public GrowPass {
public:
  LiarPass(bool Claim, bool Change) : Claim(Claim), Change(Change) {}
  std::string_view name() const override { return "liar"; }
  bool run(Graph &G, PassContext &Ctx) override {
    if (Change)
      GrowPass::run(G, Ctx);
    return Claim;
  }

private:
  bool Claim, Change;
};

/// Empties a scan body in place. make() checks every node it creates, so
/// the only way to break a graph is to mutate a shared body behind its back.
class CorruptPass : public Pass {
public:
  std::string_view name() const override { return "corrupt"; }
  bool run(Graph &G, PassContext &) override {
    for (NodeId Id : G.liveNodes())
      if (G.node(Id).Body)
        const_cast<Graph &>(*G.node(Id).Body).clearOutputs();
    return true;
  }
};

const char *kScan = R"(graph @g(%h0: f32[B,3], %xs: f32[T,B,3]) {
  %0 = scan(%h0, %xs) {num_carry=1, num_seqs=1, reverse=false} : (f32[B,3], f32[T,B,3]) body(%h: f32[B,3], %x: f32[B,3]) {
    %0 = add(%h, %x) : f32[B,3]
    return %0, %0
  }
  %1 = result(%0) {index=0} : f32[B,3]
  return r = %1
}
)";

std::vector<std::unique_ptr<Pass>> one(std::unique_ptr<Pass> P) {
  std::vector<std::unique_ptr<Pass>> V;
  V.push_back(std::move(P));
  return V;
}

std::string runError(PassManager &PM, Graph &G, Instrumentation I,
                     std::ostream *Out = nullptr) {
  PassContext Ctx;
  std::ostringstream Sink;
  I.Out = Out ? Out : &Sink;
  try {
    PM.run(G, Ctx, I);
  } catch (const Error &E) {
    return E.what();
  }
  return "(no error)";
}

TEST(FixedPoint, ConvergesWhenNoPassChanges) {
  for (int Limit : {3, 4}) {
    PassManager PM;
    PM.add(createFixedPoint(one(std::make_unique<CountdownPass>(3)), Limit));
    Graph G = parseGraph(kMulOne);
    // Three changing iterations and the fourth that confirms: limit 4 is
    // just enough.
    EXPECT_EQ(runError(PM, G, {}),
              Limit == 4 ? "(no error)"
                         : "fixed point 'fix(countdown)' did not converge "
                           "after 3 iterations");
  }
}

TEST(FixedPoint, FailsLoudlyAtTheIterationCap) {
  PassManager PM;
  PM.add(createFixedPoint(one(std::make_unique<GrowPass>())));
  Graph G = parseGraph(kMulOne);
  std::ostringstream Out;
  EXPECT_EQ(runError(PM, G, {}, &Out),
            "fixed point 'fix(grow)' did not converge after 25 iterations");
  EXPECT_EQ(Out.str(), ""); // the graph never repeats: no cycle warning
  // The cap given to parse() applies to its groups.
  PassManager Tight = PassManager::parse("fix(simplify,cse)", 1);
  Graph H = parseGraph(kMulOne);
  EXPECT_EQ(
      runError(Tight, H, {}),
      "fixed point 'fix(simplify,cse)' did not converge after 1 iterations");
}

TEST(FixedPoint, WarnsAboutACycle) {
  PassManager PM;
  PM.add(createFixedPoint(one(std::make_unique<FlipPass>()), 5));
  Graph G = parseGraph(kMulOne);
  std::ostringstream Out;
  EXPECT_EQ(runError(PM, G, {}, &Out),
            "fixed point 'fix(flip)' did not converge after 5 iterations");
  EXPECT_EQ(Out.str(), "warning: fixed point 'fix(flip)' is cycling: iteration "
                       "2 gives the graph of "
                       "iteration 0\n");
}

TEST(FixedPoint, RunsWithoutAManager) {
  Graph G = parseGraph(kMulOne);
  PassContext Ctx;
  std::vector<std::unique_ptr<Pass>> Members;
  Members.push_back(createPass("simplify"));
  Members.push_back(createPass("cse"));
  std::unique_ptr<Pass> Fix = createFixedPoint(std::move(Members));
  EXPECT_EQ(Fix->name(), "fix(simplify,cse)");
  EXPECT_TRUE(Fix->run(G, Ctx));
  EXPECT_EQ(printGraph(G), kSimplified);
  EXPECT_THROW(createFixedPoint({}), Error);
}

TEST(Verifier, FailureNamesThePass) {
  PassManager PM;
  PM.add(createPass("cse"));
  PM.add(std::make_unique<CorruptPass>());
  Graph G = parseGraph(kScan);
  std::string E = runError(PM, G, {});
  EXPECT_THAT(E,
              ::testing::StartsWith("verifier failed after pass 'corrupt': "));
  EXPECT_THAT(E, HasSubstr("'scan': the body must return the 1 new carries"));
  // Without VerifyEach nothing checks (the graph is broken all the same).
  Instrumentation NoVerify;
  NoVerify.VerifyEach = false;
  Graph H = parseGraph(kScan);
  EXPECT_EQ(runError(PM, H, NoVerify), "(no error)");
}

TEST(CheckChangedReport, CatchesAPassThatLies) {
  Instrumentation Check;
  Check.CheckChangedReport = true;
  for (bool Claim : {false, true}) {
    PassManager PM;
    PM.add(std::make_unique<LiarPass>(Claim, !Claim));
    Graph G = parseGraph(kMulOne);
    EXPECT_EQ(runError(PM, G, Check),
              Claim ? "pass 'liar' reported that it changed the graph, but its "
                      "structural hash did not change"
                    : "pass 'liar' reported that it did not change the graph, "
                      "but its structural hash changed");
  }
  // Honest passes pass, dce included (it changes the arena, not the hash).
  PassManager PM = PassManager::parse("dce,cse,fix(simplify,cse),dce");
  Graph G = parseGraph(std::string(kMulOne).replace(
      std::string(kMulOne).find("  return"), 0, "  %9 = neg(%x) : f32[B,3]\n"));
  EXPECT_EQ(runError(PM, G, Check), "(no error)");
  Instrumentation Off;
  Off.CheckChangedReport = false;
  PassManager Liar;
  Liar.add(std::make_unique<LiarPass>(false, true));
  Graph H = parseGraph(kMulOne);
  EXPECT_EQ(runError(Liar, H, Off), "(no error)");
}

} // namespace
} // namespace netjit
