//===- verifier.h - Whole-graph invariants ---------------------------------===//
#pragma once

#include "ir/graph.h"

namespace netjit {

/// Checks every invariant of a graph: each node's arity, dtypes and shapes
/// (re-inferred from its operands), operands defined before use (so no
/// cycles), unique argument and output names, updates that target params
/// with the param's type and at most once each, and scan bodies recursively.
/// Throws TypeError naming the node (its printed line), operand and shapes.
void verify(const Graph &G);

} // namespace netjit
