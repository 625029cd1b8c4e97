//===- opt.cpp - `netjit opt`: run a pass pipeline on a graph -------------===//
//
// Reads a graph, runs a pipeline of registered passes on it (the default
// pipeline unless --passes says otherwise) and prints the resulting IR on
// stdout. The pass manager's instruments (printing after passes, timing and
// rule hit counts) write to stderr, as LLVM's opt does, so stdout stays a
// graph that `netjit print` or `netjit run` can read back.
//
//===----------------------------------------------------------------------===//
#include "tools/commands.h"

#include "ir/error.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"

#include <iostream>
#include <string>
#include <vector>

namespace netjit::tool {

namespace {

constexpr std::string_view OptHelp =
    R"(usage: netjit opt FILE [--passes=PIPELINE] [--print-after=NAME|all]
                       [--print-changed] [--time-passes] [--fast-math]

Runs a pass pipeline on the graph in FILE and prints the resulting graph.
The default pipeline is stabilize,autodiff,fix(simplify,cse),dce: it lifts
naive formulas into stable ops, expands grad requests, simplifies to a
fixed point and removes dead nodes (docs/passes.md lists every pass).

  --passes=PIPELINE    passes to run, e.g. 'stabilize,autodiff,simplify';
                       'fix(a,b)' reruns a and b until neither changes the
                       graph; an empty pipeline runs nothing
  --print-after=NAME   print the graph after each run of pass NAME (or of
                       every pass for 'all'); may be repeated
  --print-changed      print after a pass only if it changed the graph
                       (alone: after every pass that changed it)
  --time-passes        report the time of each pass and the hit count of
                       every rewrite rule
  --fast-math          allow rewrites exact only in real arithmetic
                       (x*0 -> 0, x-x -> 0), which change NaN/inf results

The graph goes to stdout; printed graphs and reports go to stderr. The
verifier runs after every pass that changed the graph.
)";

struct OptOptions {
  std::string File;
  std::string Pipeline{defaultPipeline()};
  Instrumentation Instr;
  bool FastMath = false;
};

bool isOption(const std::string &A, std::string_view Name) {
  return A == Name || (A.size() > Name.size() && A.starts_with(Name) &&
                       A[Name.size()] == '=');
}

OptOptions parseOptOptions(ArgList Args) {
  OptOptions O;
  for (size_t I = 0; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    if (isOption(A, "--passes")) {
      O.Pipeline = optionValue(Args, I, "--passes");
    } else if (isOption(A, "--print-after")) {
      std::string Name = optionValue(Args, I, "--print-after");
      if (Name.empty())
        throw UsageError("--print-after needs a pass name or 'all'");
      O.Instr.PrintAfter.push_back(Name);
    } else if (A == "--print-changed") {
      O.Instr.PrintChanged = true;
    } else if (A == "--time-passes") {
      O.Instr.TimePasses = true;
    } else if (A == "--fast-math") {
      O.FastMath = true;
    } else if (A.size() > 1 && A[0] == '-') {
      throw UsageError("unknown option '" + A + "' for 'opt'");
    } else if (!O.File.empty()) {
      throw UsageError("'opt' takes one FILE, got '" + O.File + "' and '" + A +
                       "'");
    } else {
      O.File = A;
    }
  }
  if (O.File.empty())
    throw UsageError("'opt' needs a FILE");
  return O;
}

/// A --print-after name must be a pass of the pipeline's registry (or a
/// fix(...) group, or 'all'), so a typo is not silently ignored.
void checkPrintAfter(const std::vector<std::string> &Names) {
  std::vector<std::string_view> Known = registeredPasses();
  for (const std::string &N : Names) {
    bool Ok = N == "all" || N.starts_with("fix(");
    for (std::string_view K : Known)
      Ok |= N == K;
    if (!Ok)
      throw UsageError("--print-after: unknown pass '" + N + "'");
  }
}

} // namespace

std::string_view optHelp() { return OptHelp; }

int runOptCommand(ArgList Args) {
  OptOptions O = parseOptOptions(Args);
  checkPrintAfter(O.Instr.PrintAfter);
  PassManager PM;
  try {
    PM = PassManager::parse(O.Pipeline);
  } catch (const Error &E) {
    throw UsageError(std::string("--passes: ") + E.what());
  }
  Graph G = loadGraph(O.File);
  PassContext Ctx;
  Ctx.Options.FastMath = O.FastMath;
  O.Instr.Out = &std::cerr;
  PM.run(G, Ctx, O.Instr);
  std::string Text = printGraph(G);
  std::cout << Text;
  if (!Text.empty() && Text.back() != '\n')
    std::cout << "\n";
  return 0;
}

} // namespace netjit::tool
