//===- adjoint_rule.h - Helpers shared by the adjoint rules (private) -----===//
//
// Used by passes/adjoints.cpp and passes/adjoints_layout.cpp only: the
// context one rule is applied in (the node, its adjoint, the operands the
// caller needs) with arithmetic helpers that broadcast scalars and skip
// multiplying by ones, the longer rules that live in adjoints_layout.cpp,
// and the scan rule of adjoints_scan.cpp.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/builder.h"
#include "passes/adjoints.h"

#include <functional>
#include <span>
#include <vector>

namespace netjit::adjoint {

/// One application of a rule: the node Y = op(X...), its adjoint G, the
/// operands' adjoints built so far, and arithmetic helpers.
class Rule {
public:
  Rule(Builder &B, NodeId Y, NodeId G, const std::vector<bool> &Needs)
      : B(B), Y(Y), N(B.graph().node(Y)), G(G), Needs(Needs),
        Out(N.Inputs.size()) {}

  Builder &B;
  const NodeId Y;
  const Node &N;
  const NodeId G;

  NodeId in(size_t I) const { return N.Inputs[I]; }
  const TensorType &type(NodeId X) const { return B.type(X); }
  const Shape &shape(NodeId X) const { return B.type(X).Dims; }
  /// Sets operand I's adjoint to Make() when the caller needs it.
  void set(size_t I, const std::function<NodeId()> &Make) {
    if (Needs[I])
      Out[I] = Make();
  }
  std::vector<NodeId> take() { return std::move(Out); }

  /// A scalar constant of Like's dtype.
  NodeId c(double V, NodeId Like) { return B.scalar(V, type(Like).Dtype); }
  NodeId c(double V) { return c(V, Y); }
  NodeId mul(NodeId A, NodeId X) {
    Shape S = broadcastShapes(shape(A), shape(X));
    if (isOne(B.graph(), A))
      return B.broadcastTo(X, S);
    if (isOne(B.graph(), X))
      return B.broadcastTo(A, S);
    return B.binary(OpCode::Mul, A, X);
  }
  NodeId div(NodeId A, NodeId X) { return B.binary(OpCode::Div, A, X); }
  NodeId add(NodeId A, NodeId X) { return B.binary(OpCode::Add, A, X); }
  NodeId sub(NodeId A, NodeId X) { return B.binary(OpCode::Sub, A, X); }
  NodeId neg(NodeId X) { return B.unary(OpCode::Neg, X); }
  NodeId cmp(OpCode Op, NodeId A, NodeId X) { return B.binary(Op, A, X); }
  /// g where Cond holds, 0 elsewhere (or the reverse).
  NodeId where(NodeId Cond, NodeId V) { return B.select(Cond, V, c(0, V)); }
  NodeId unless(NodeId Cond, NodeId V) { return B.select(Cond, c(0, V), V); }

private:
  const std::vector<bool> &Needs;
  std::vector<NodeId> Out;
};

/// X's shape with the reduced axes set to 1 (the keepdims shape).
Shape keptShape(const Shape &X, const std::vector<int64_t> &Axes);
/// V, the result of a reduction whose keepdims shape is Kept, spread back
/// to shape To (looking through broadcasts of a single value).
NodeId spread(Rule &R, NodeId V, const Shape &Kept, const Shape &To);
/// A value V of a reduction of X over Axes (keepdims or not), broadcast
/// back to X's shape.
NodeId unreduce(Rule &R, NodeId V, NodeId X, const std::vector<int64_t> &Axes);

// The layout rules (adjoints_layout.cpp); each sets or returns the adjoint
// of the node's operand(s).
NodeId broadcastAdjoint(Rule &R);
NodeId sliceAdjoint(Rule &R);
NodeId padAdjoint(Rule &R);
void concatAdjoint(Rule &R);
void matmulAdjoint(Rule &R);
NodeId transposeAdjoint(Rule &R);

/// The scan rule (adjoints_scan.cpp), as multiResultAdjoints.
std::vector<NodeId> scanAdjoint(Builder &B, NodeId Y,
                                std::span<const NodeId> ResultAdjoints,
                                const std::vector<bool> &Needs);

} // namespace netjit::adjoint
