//===- interpreter.h - The reference interpreter ---------------------------===//
//
// Evaluates any graph node by node on host tensors: slowly and obviously, as
// the oracle every rewrite, gradient rule and JIT result is checked against.
// Elementwise ops compute in the node's dtype; reductions and matmul
// accumulate in double. Symbolic dims are bound from the arguments' shapes and
// the explicit bindings, and checked for consistency.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dim.h"
#include "ir/graph.h"
#include "runtime/tensor.h"

#include <functional>
#include <map>
#include <string>

namespace netjit {

/// Tensors by argument or output name.
using TensorMap = std::map<std::string, Tensor, std::less<>>;

struct EvalOptions {
  /// Values of symbolic dims that the arguments do not determine.
  DimBindings Bindings;
  /// Report the first node that produces a NaN or an infinity.
  bool CheckFinite = false;
};

/// Evaluates G's outputs from Args (every input and param by name), then
/// applies G's updates by replacing the targeted params in Args. Throws
/// RuntimeError for a missing or mistyped argument, an unbound dim, an index
/// out of range, a `grad` node (expand it with the autodiff pass first), or,
/// with CheckFinite, the first non-finite value (naming the node and op).
TensorMap evaluate(const Graph &G, TensorMap &Args,
                   const EvalOptions &Options = {});

} // namespace netjit
