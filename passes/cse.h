//===- cse.h - Common subexpression elimination ---------------------------===//
//
// Interning makes structurally equal nodes one node as they are built, so
// most CSE is free. What interning cannot see is equality up to operand
// order: add(a, b) and add(b, a), or lt(a, b) and gt(b, a). The cse pass
// puts every node in a canonical form and rebuilds the graph, so that such
// pairs meet in the interning table.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/pass.h"

namespace netjit {

/// Canonical forms (each exact, NaN and signed zeros included):
///   commutative op (ops.def kCommutative): operands sorted by node index
///       add(%5, %2) => add(%2, %5)                      "cse.commute"
///   gt(a, b) => lt(b, a),  ge(a, b) => le(b, a)          "cse.compare"
/// Assumes a verified graph; guarantees the same interface and values, and
/// that running it twice changes nothing the second time. Scan bodies are
/// left as they are (interning already merges equal bodies).
class CsePass : public Pass {
public:
  std::string_view name() const override { return "cse"; }
  bool run(Graph &G, PassContext &Ctx) override;
};

} // namespace netjit
