//===- pass.h - The pass interface -----------------------------------------===//
//
// A pass is a small named unit that rewrites a graph in place and reports
// honestly whether it changed it. Passes stay free of instrumentation: the
// PassManager (passes/pass_manager.h) prints, times and verifies around them.
// A pass counts the rewrites it performs in the context's statistics, under
// "pass-name.rule" keys, which --time-passes reports.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace netjit {

/// Options every pass may read.
struct PassOptions {
  /// Allow rewrites that are exact only in real arithmetic (x*0 -> 0,
  /// x-x -> 0, reassociation): off by default, since they change NaN/inf
  /// results. See docs/passes.md.
  bool FastMath = false;
};

/// Shared state of one pipeline run.
struct PassContext {
  PassOptions Options;
  /// Rewrite hit counts, keyed "pass.rule".
  std::map<std::string, int64_t> Stats;
  void count(std::string_view Key, int64_t N = 1) { Stats[std::string(Key)] += N; }
};

class Pass {
public:
  virtual ~Pass() = default;
  /// The registry name used in pipelines ("simplify").
  virtual std::string_view name() const = 0;
  /// Rewrites G; returns whether the graph changed.
  virtual bool run(Graph &G, PassContext &Ctx) = 0;
};

} // namespace netjit
