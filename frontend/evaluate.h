//===- evaluate.h - The one place the frontend runs a graph ---------------===//
//
// Every evaluation the frontend does (Function::run, check_grad, a model's
// predict, score and feed_forward) goes through evaluateGraph: it optimizes a
// copy of the graph with the pass pipeline (cached by structure) and runs it.
// Today it runs the reference interpreter; switching to compiled functions
// (codegen) is a change to this one function.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"
#include "runtime/interpreter.h"

#include <string_view>

namespace netjit {

/// A copy of G after Pipeline (the default pipeline when empty). Throws
/// Error naming a bad pipeline, TypeError for a graph the passes reject.
Graph optimizeGraph(const Graph &G, std::string_view Pipeline = "");

/// Evaluates G's outputs on Args (every argument by name) and writes G's
/// updates back into Args. Throws RuntimeError for bad data.
TensorMap evaluateGraph(const Graph &G, TensorMap &Args,
                        const DimBindings &Bindings = {});

} // namespace netjit
