//===- opt.cpp - `netjit opt`: run a pass pipeline on a graph -------------===//
//
// Reads a graph, runs a pipeline of registered passes on it (the default
// pipeline unless --passes says otherwise) and prints the resulting IR on
// stdout. The pass manager's instruments (printing after passes, timing and
// rule hit counts) write to stderr, as LLVM's opt does, so stdout stays a
// graph that `netjit print` or `netjit run` can read back. --emit=fused,
// llvm, llvm-opt and asm compile the graph as CompiledFunction::compile does
// (the codegen pipeline, or --passes in its place) and print what the JIT
// sees at each stage: the fused graph, the emitted LLVM IR, the IR after
// LLVM's O3 pipeline and the host assembly.
//
//===----------------------------------------------------------------------===//
#include "tools/commands.h"

#include "codegen/compiled_function.h"
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
                       [--emit=graph|fused|llvm|llvm-opt|asm]

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
  --emit=WHAT          what to print (default graph):
                         graph     the graph after the pipeline
                         fused     the graph the JIT compiles: after the
                                   codegen pipeline (the default one, then
                                   lower,fix(simplify,cse),fuse,dce), with
                                   its fused kernels
                         llvm      the LLVM IR netjit emits for it
                         llvm-opt  that IR after LLVM's O3 pipeline
                         asm       the host assembly of the optimized IR
                       With --passes, the pipeline replaces the codegen
                       pipeline. The instruments work with --emit=graph
                       only.

The graph goes to stdout; printed graphs and reports go to stderr. The
verifier runs after every pass that changed the graph. A graph the JIT does
not compile (a scan) has no LLVM IR: --emit=llvm, llvm-opt and asm fail on
it, naming the reason.
)";

/// What --emit prints.
enum class Emit { Graph, Fused, Llvm, LlvmOpt, Asm };

struct OptOptions {
  std::string File;
  std::string Pipeline{defaultPipeline()};
  bool PipelineGiven = false;
  Instrumentation Instr;
  bool FastMath = false;
  Emit What = Emit::Graph;
};

Emit parseEmit(const std::string &V) {
  if (V == "graph")
    return Emit::Graph;
  if (V == "fused")
    return Emit::Fused;
  if (V == "llvm")
    return Emit::Llvm;
  if (V == "llvm-opt")
    return Emit::LlvmOpt;
  if (V == "asm")
    return Emit::Asm;
  throw UsageError("bad --emit '" + V +
                   "': expected graph, fused, llvm, llvm-opt or asm");
}

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
      O.PipelineGiven = true;
    } else if (isOption(A, "--emit")) {
      O.What = parseEmit(optionValue(Args, I, "--emit"));
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
  if (O.What != Emit::Graph && (!O.Instr.PrintAfter.empty() ||
                                O.Instr.PrintChanged || O.Instr.TimePasses))
    throw UsageError("--print-after, --print-changed and --time-passes work "
                     "with --emit=graph only");
  if (O.What != Emit::Graph && O.PipelineGiven && O.Pipeline.empty())
    throw UsageError("--emit needs a pipeline to compile: --passes is empty");
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

void printText(const std::string &Text) {
  std::cout << Text;
  if (!Text.empty() && Text.back() != '\n')
    std::cout << "\n";
}

/// --emit=fused, llvm, llvm-opt, asm: compile G and print one stage.
int emitCompiled(const Graph &G, const OptOptions &O) {
  CompileOptions CO;
  CO.FastMath = O.FastMath;
  if (O.PipelineGiven)
    CO.Pipeline = O.Pipeline;
  CompiledFunction F = CompiledFunction::compile(G, CO);
  if (O.What == Emit::Fused) {
    printText(printGraph(F.fusedGraph()));
    return 0;
  }
  if (F.usesInterpreter())
    throw Error("the graph is not compiled (it runs on the interpreter: " +
                F.interpreterReason() + "), so it has no LLVM IR");
  printText(O.What == Emit::Llvm      ? F.llvmIR()
            : O.What == Emit::LlvmOpt ? F.optimizedIR()
                                      : F.assembly());
  return 0;
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
  if (O.What != Emit::Graph)
    return emitCompiled(G, O);
  PassContext Ctx;
  Ctx.Options.FastMath = O.FastMath;
  O.Instr.Out = &std::cerr;
  PM.run(G, Ctx, O.Instr);
  printText(printGraph(G));
  return 0;
}

} // namespace netjit::tool
