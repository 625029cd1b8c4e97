//===- dot.h - Graphviz export ---------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <string>

namespace netjit {

/// The live part of the graph as a Graphviz digraph (written through
/// Boost.Graph's write_graphviz): one box per node labelled with its op,
/// attributes and type; arguments and outputs highlighted; scan bodies as
/// clusters.
std::string toDot(const Graph &G);

} // namespace netjit
