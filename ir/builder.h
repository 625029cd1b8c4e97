//===- builder.h - numpy-style node construction ---------------------------===//
//
// The IR is explicit: binary operands have one shape, reduction axes are
// sorted and non-negative, every attribute is present. The Builder adds the
// conveniences a graph author expects and makes them explicit nodes: numpy
// broadcasting of operands (inserting `broadcast`), negative axes, "all axes"
// reductions, scalars shaped like another value. The frontend's Expr API and
// the passes build graphs through it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <vector>

namespace netjit {

/// The numpy broadcast of two shapes; throws TypeError naming both shapes
/// when they are incompatible.
Shape broadcastShapes(const Shape &A, const Shape &B);

class Builder {
public:
  explicit Builder(Graph &G) : G(G) {}
  Graph &graph() { return G; }
  const TensorType &type(NodeId X) const { return G.type(X); }

  /// Any op, with explicit operands and attributes (Graph::make).
  NodeId make(OpCode Op, std::vector<NodeId> Inputs, Attrs A = {});

  NodeId unary(OpCode Op, NodeId X) { return make(Op, {X}); }
  /// A binary elementwise op (arithmetic or comparison); operands are
  /// broadcast to their common shape.
  NodeId binary(OpCode Op, NodeId X, NodeId Y);
  NodeId select(NodeId Cond, NodeId A, NodeId B);
  NodeId clip(NodeId X, NodeId Lo, NodeId Hi);
  NodeId cast(NodeId X, DType T);

  /// A constant scalar of X's dtype, broadcast to X's shape.
  NodeId fill(double Value, NodeId Like);
  NodeId fill(double Value, const TensorType &T);
  NodeId scalar(double Value, DType T) { return G.scalar(Value, T); }
  /// The runtime value of a dim as a scalar.
  NodeId dimValue(const Dim &D, DType T);
  NodeId broadcastTo(NodeId X, const Shape &To);
  NodeId reshape(NodeId X, const Shape &To);
  NodeId transpose(NodeId X, std::vector<int64_t> Perm);

  /// A reduction (sum, mean, max, min, logsumexp) over Axes (negative axes
  /// count from the end; empty means every axis).
  NodeId reduce(OpCode Op, NodeId X, std::vector<int64_t> Axes = {},
                bool KeepDims = false);
  NodeId argmax(NodeId X, int64_t Axis, bool KeepDims = false);
  NodeId softmax(NodeId X, int64_t Axis = -1);
  NodeId logSoftmax(NodeId X, int64_t Axis = -1);
  NodeId matmul(NodeId A, NodeId B);
  NodeId concat(std::vector<NodeId> Xs, int64_t Axis);
  NodeId gather(NodeId X, NodeId Idx, int64_t Axis);
  NodeId oneHot(NodeId Idx, const Dim &Depth, DType T);
  NodeId grad(NodeId Cost, NodeId Wrt) { return make(OpCode::Grad, {Cost, Wrt}); }
  NodeId result(NodeId Tuple, int64_t Index);

  /// A normalised axis in [0, Rank); throws TypeError when out of range.
  static int64_t normalizeAxis(int64_t Axis, size_t Rank);

private:
  Graph &G;
};

} // namespace netjit
