//===- pass_manager.h - Pipelines, instrumentation and the registry --------===//
//
// A pipeline is text: "stabilize,autodiff,simplify,cse,dce", where a group
// "fix(simplify,cse)" reruns its passes until none changes the graph (an
// iteration cap makes a non-converging group fail loudly). The manager owns
// every instrument: printing after passes, timing with per-rule hit counts,
// and running the verifier after each pass that changed the graph (an
// invariant failure names the pass).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/pass.h"

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace netjit {

struct Instrumentation {
  /// Pass names to print the graph after ("all" for every pass).
  std::vector<std::string> PrintAfter;
  /// Print after a pass only if it changed the graph.
  bool PrintChanged = false;
  /// Report time per pass and rule hit counts at the end of run().
  bool TimePasses = false;
  /// Run the verifier after every changing pass (on by default).
  bool VerifyEach = true;
  /// Compare structural hashes before and after each pass to catch a pass
  /// whose "changed" result is wrong (on in debug builds and in tests).
#ifdef NDEBUG
  bool CheckChangedReport = false;
#else
  bool CheckChangedReport = true;
#endif
  /// Where prints and reports go (std::cerr when null).
  std::ostream *Out = nullptr;
};

/// Every registered pass name, in registry order (passes/passes.def).
std::vector<std::string_view> registeredPasses();
/// A new instance of a registered pass; throws Error for an unknown name.
std::unique_ptr<Pass> createPass(std::string_view Name);
/// The default optimization pipeline text.
std::string_view defaultPipeline();
/// A group that reruns Passes until none changes the graph; after Limit
/// iterations that all changed it, running it throws Error. Its name is
/// "fix(a,b)". PassManager::parse builds these from `fix(...)`.
std::unique_ptr<Pass>
createFixedPoint(std::vector<std::unique_ptr<Pass>> Passes, int Limit = 25);

class PassManager {
public:
  PassManager() = default;
  /// Parses a pipeline; throws Error naming an unknown pass or bad syntax.
  static PassManager parse(std::string_view Pipeline, int FixedPointLimit = 25);

  void add(std::unique_ptr<Pass> P);
  /// Runs every pass in order; returns whether any changed the graph.
  bool run(Graph &G, PassContext &Ctx, const Instrumentation &Instr = {});

private:
  std::vector<std::unique_ptr<Pass>> Passes;
};

} // namespace netjit
