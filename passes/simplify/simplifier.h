//===- simplifier.h - The simplify pass's rule engine (private) -----------===//
//
// A Simplifier builds nodes in the graph under construction and offers each
// new node to the rules; a rule returns a replacement built through make(),
// so replacements are simplified too. Results are memoized per node, so a
// DAG is simplified in linear time. The rules are grouped by the op at the
// root of the pattern, one file per family under passes/simplify/.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "passes/pass.h"

#include <optional>
#include <string_view>
#include <vector>

namespace netjit::simplify {

class Simplifier {
public:
  Simplifier(Builder &B, PassContext &Ctx) : B(B), G(B.graph()), Ctx(Ctx) {}

  /// Op(Ins) {A}, replaced by what the rules make of it.
  NodeId make(OpCode Op, std::vector<NodeId> Ins, const Attrs &A = {});
  /// The simplified form of a node of the graph under construction.
  NodeId simplify(NodeId X);
  /// Keeps X as it is: simplify(X) returns X.
  void freeze(NodeId X);

  // Matching helpers for the rules.
  const Node &node(NodeId X) const { return G.node(X); }
  const TensorType &type(NodeId X) const { return G.type(X); }
  bool is(NodeId X, OpCode Op) const { return node(X).Op == Op; }
  NodeId in(NodeId X, size_t I = 0) const { return node(X).Inputs[I]; }
  bool fast() const { return Ctx.Options.FastMath; }
  bool isFloatType(NodeId X) const { return isFloat(type(X).Dtype); }

  /// The constant behind X: X itself, or the operand of a broadcast of a
  /// constant. Null otherwise.
  const Node *constantSource(NodeId X) const;
  /// Whether every element of X has the bits of V in X's dtype (so 0.0
  /// does not match a -0.0 constant, and integers match 0 for both).
  bool isSplat(NodeId X, double V) const;
  /// Whether X is a constant or a broadcast of one.
  bool isConstantLike(NodeId X) const { return constantSource(X) != nullptr; }

  /// Counts "simplify.<Rule>" and returns R.
  NodeId fire(std::string_view Rule, NodeId R) {
    Ctx.count("simplify." + std::string(Rule));
    return R;
  }

  // Building helpers (through make(), skipping identities).
  NodeId fill(double V, const TensorType &T);
  NodeId reshape(NodeId X, const Shape &To);
  NodeId broadcast(NodeId X, const Shape &To);

  Builder &B;
  Graph &G;
  PassContext &Ctx;

private:
  std::optional<NodeId> rules(NodeId X);
  std::vector<NodeId> Memo; // by node index; invalid when not yet visited
  int Depth = 0;
};

// Rule families; each returns X's replacement or nullopt.
std::optional<NodeId> foldRules(Simplifier &S, NodeId X); // fold_rules.cpp
std::optional<NodeId> arithmeticRules(Simplifier &S, NodeId X); // arith.cpp
std::optional<NodeId> unaryRules(Simplifier &S, NodeId X);      // arith.cpp
std::optional<NodeId> layoutRules(Simplifier &S, NodeId X);     // layout.cpp
std::optional<NodeId> reduceRules(Simplifier &S, NodeId X);     // reduce.cpp
std::optional<NodeId> selectRules(Simplifier &S, NodeId X);     // misc.cpp
std::optional<NodeId> miscRules(Simplifier &S, NodeId X);       // misc.cpp

} // namespace netjit::simplify
