//===- rewrite.h - Rebuilding a graph node by node -------------------------===//
//
// Nodes are immutable and interned, so a pass rewrites a graph by rebuilding
// it: rebuild() visits the live nodes in topological order, gives each rule
// the node with its operands already rewritten, and re-makes the node when
// the rule declines. Outputs and updates are re-pointed and the result is
// compacted, so dead nodes disappear. Interning makes the rebuilt graph CSE'd.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "ir/graph.h"

#include <functional>
#include <optional>
#include <span>

namespace netjit {

/// A rule sees the original node and its rewritten operands (ids in the new
/// graph) and returns a replacement in the new graph, or nullopt to keep the
/// node (re-made on the new operands).
using RewriteRule = std::function<std::optional<NodeId>(
    Builder &B, const Node &Old, std::span<const NodeId> NewInputs)>;

/// Rebuilds G through Rule into a fresh graph with the same interface and
/// replaces G with it. Returns whether the structure changed.
bool rebuild(Graph &G, const RewriteRule &Rule);

/// Re-makes Old on new operands in B's graph (same op, attrs, body, type).
NodeId remake(Builder &B, const Node &Old, std::span<const NodeId> NewInputs);

} // namespace netjit
