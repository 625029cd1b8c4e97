//===- evaluate.h - The one place the frontend runs a graph ---------------===//
//
// Every evaluation the frontend does (Function::run, check_grad, a model's
// predict, score and feed_forward) goes through evaluateGraph: it compiles
// the graph (CompiledFunction, cached by structure) and calls it. Graphs the
// JIT does not handle run on the reference interpreter, through the same
// CompiledFunction API.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"
#include "runtime/interpreter.h"

#include <memory>
#include <string_view>

namespace netjit {

class CompiledFunction;

/// A copy of G after Pipeline (the default pipeline when empty). Throws
/// Error naming a bad pipeline, TypeError for a graph the passes reject.
Graph optimizeGraph(const Graph &G, std::string_view Pipeline = "");

/// G compiled (shared with every other caller that compiles an equal graph).
std::shared_ptr<const CompiledFunction> compileGraph(const Graph &G);

/// Evaluates G's outputs on Args (every argument by name) and writes G's
/// updates back into Args. Throws RuntimeError for bad data.
TensorMap evaluateGraph(const Graph &G, TensorMap &Args,
                        const DimBindings &Bindings = {});

} // namespace netjit
