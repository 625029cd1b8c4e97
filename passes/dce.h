//===- dce.h - Dead code elimination --------------------------------------===//
//
// A node is dead when no output or update reaches it (arguments are never
// dead: they are the graph's interface). Rebuilding passes leave dead nodes
// in the arena, since nodes are immutable and interned; dce drops them.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/pass.h"

namespace netjit {

/// Replaces the graph by its compacted copy (Graph::compact): only live
/// nodes, in the same order, with the same interface. Reports a change when
/// nodes were dropped; the printed graph is the same either way (it shows
/// live nodes only), but the arena shrinks. Counts "dce.nodes-removed".
class DcePass : public Pass {
public:
  std::string_view name() const override { return "dce"; }
  bool run(Graph &G, PassContext &Ctx) override;
};

} // namespace netjit
