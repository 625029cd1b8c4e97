//===- dim_expr.h - Symbolic dims evaluated at call time
//-------------------===//
//
// A compiled function receives the values of its symbolic dims as an array
// (one i64 per symbol, in the order of a SymbolTable). A DimExpr is a dim
// polynomial compiled against that order, so buffer sizes, shapes and dim
// conditions are evaluated per call without allocating or looking names up.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netjit {

/// The symbolic dims of a graph, sorted: position i of the dims array.
class SymbolTable {
public:
  /// Every symbol in the types and dim attributes of G's live nodes,
  /// kernel and scan bodies included.
  void collect(const Graph &G);
  /// The index of a symbol, or -1.
  int indexOf(std::string_view Name) const;
  const std::vector<std::string> &names() const { return Names; }
  size_t size() const { return Names.size(); }

private:
  std::vector<std::string> Names;
};

/// A dim polynomial compiled for evaluation from the dims array.
class DimExpr {
public:
  DimExpr() = default;
  DimExpr(const Dim &D, const SymbolTable &Symbols);
  /// The value under Values (one per symbol); false on int64 overflow.
  bool eval(const int64_t *Values, int64_t &Out) const;
  const Dim &dim() const { return Source; }

private:
  struct Term {
    int64_t Coeff;
    uint32_t First, Count; // into Syms
  };
  Dim Source;
  std::vector<Term> Terms;
  std::vector<uint32_t> Syms;
};

} // namespace netjit
