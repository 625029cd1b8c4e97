//===- printer.h - The IR text form ----------------------------------------===//
//
// Prints a graph as DAG-aware text, each live node once, in topological order,
// with its type on every line; the grammar is in docs/ir.md. Printing, parsing
// the text back and printing again gives the same text (a fixed point).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <ostream>
#include <string>

namespace netjit {

/// The whole graph: `graph @name(args) { ... }`.
std::string printGraph(const Graph &G);
/// One node's line as it appears in printGraph (without the indentation),
/// for error messages and debugging; operands are named %<index>.
std::string printNode(const Graph &G, NodeId Id);
std::ostream &operator<<(std::ostream &OS, const Graph &G);

} // namespace netjit
