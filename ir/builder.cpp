//===- builder.cpp - numpy-style node construction -------------------------===//
#include "ir/builder.h"
#include "ir/error.h"

#include <algorithm>

namespace netjit {

Shape broadcastShapes(const Shape &A, const Shape &B) {
  size_t R = std::max(A.size(), B.size());
  Shape Out(R);
  for (size_t I = 0; I < R; ++I) {
    // Align trailing dims; a missing leading dim acts as 1.
    Dim X = I + A.size() >= R ? A[I + A.size() - R] : Dim(1);
    Dim Y = I + B.size() >= R ? B[I + B.size() - R] : Dim(1);
    if (X == Y || Y == Dim(1))
      Out[I] = X;
    else if (X == Dim(1))
      Out[I] = Y;
    else
      throw TypeError("cannot broadcast shapes " + shapeStr(A) + " and " + shapeStr(B) +
                      ": dim " + X.str() + " vs " + Y.str());
  }
  return Out;
}

NodeId Builder::make(OpCode Op, std::vector<NodeId> Inputs, Attrs A) {
  return G.make(Op, Inputs, std::move(A));
}

NodeId Builder::broadcastTo(NodeId X, const Shape &To) {
  if (type(X).Dims == To)
    return X;
  return make(OpCode::Broadcast, {X}, Attrs{{"shape", To}});
}

NodeId Builder::binary(OpCode Op, NodeId X, NodeId Y) {
  Shape S = broadcastShapes(type(X).Dims, type(Y).Dims);
  return make(Op, {broadcastTo(X, S), broadcastTo(Y, S)});
}

NodeId Builder::select(NodeId Cond, NodeId A, NodeId B) {
  Shape S = broadcastShapes(type(Cond).Dims, broadcastShapes(type(A).Dims, type(B).Dims));
  return make(OpCode::Select, {broadcastTo(Cond, S), broadcastTo(A, S), broadcastTo(B, S)});
}

NodeId Builder::clip(NodeId X, NodeId Lo, NodeId Hi) {
  const Shape &S = type(X).Dims;
  return make(OpCode::Clip, {X, broadcastTo(Lo, S), broadcastTo(Hi, S)});
}

NodeId Builder::cast(NodeId X, DType T) {
  if (type(X).Dtype == T)
    return X;
  return make(OpCode::Cast, {X}, Attrs{{"dtype", T}});
}

NodeId Builder::fill(double Value, const TensorType &T) {
  return broadcastTo(G.scalar(Value, T.Dtype), T.Dims);
}

NodeId Builder::fill(double Value, NodeId Like) { return fill(Value, type(Like)); }

NodeId Builder::dimValue(const Dim &D, DType T) {
  if (D.isConstant())
    return G.scalar(static_cast<double>(D.constant()), T);
  return G.make(OpCode::DimValue, {}, Attrs{{"dim", D}}, TensorType{T, {}});
}

NodeId Builder::reshape(NodeId X, const Shape &To) {
  if (type(X).Dims == To)
    return X;
  return make(OpCode::Reshape, {X}, Attrs{{"shape", To}});
}

NodeId Builder::transpose(NodeId X, std::vector<int64_t> Perm) {
  for (int64_t &P : Perm)
    P = normalizeAxis(P, type(X).rank());
  return make(OpCode::Transpose, {X}, Attrs{{"perm", Perm}});
}

int64_t Builder::normalizeAxis(int64_t Axis, size_t Rank) {
  int64_t R = static_cast<int64_t>(Rank);
  if (Axis < -R || Axis >= R)
    throw TypeError("axis " + std::to_string(Axis) + " is out of range for rank " +
                    std::to_string(Rank));
  return Axis < 0 ? Axis + R : Axis;
}

NodeId Builder::reduce(OpCode Op, NodeId X, std::vector<int64_t> Axes, bool KeepDims) {
  size_t Rank = type(X).rank();
  if (Axes.empty())
    for (size_t I = 0; I < Rank; ++I)
      Axes.push_back(static_cast<int64_t>(I));
  for (int64_t &A : Axes)
    A = normalizeAxis(A, Rank);
  std::sort(Axes.begin(), Axes.end());
  if (std::adjacent_find(Axes.begin(), Axes.end()) != Axes.end())
    throw TypeError("'" + std::string(opName(Op)) + "': an axis is repeated");
  return make(Op, {X}, Attrs{{"axes", Axes}, {"keepdims", KeepDims}});
}

NodeId Builder::argmax(NodeId X, int64_t Axis, bool KeepDims) {
  return make(OpCode::Argmax, {X},
              Attrs{{"axis", normalizeAxis(Axis, type(X).rank())}, {"keepdims", KeepDims}});
}

NodeId Builder::softmax(NodeId X, int64_t Axis) {
  return make(OpCode::Softmax, {X}, Attrs{{"axis", normalizeAxis(Axis, type(X).rank())}});
}

NodeId Builder::logSoftmax(NodeId X, int64_t Axis) {
  return make(OpCode::LogSoftmax, {X}, Attrs{{"axis", normalizeAxis(Axis, type(X).rank())}});
}

NodeId Builder::matmul(NodeId A, NodeId B) { return make(OpCode::MatMul, {A, B}); }

NodeId Builder::concat(std::vector<NodeId> Xs, int64_t Axis) {
  if (Xs.empty())
    throw TypeError("'concat': needs at least one operand");
  int64_t Ax = normalizeAxis(Axis, type(Xs[0]).rank());
  return make(OpCode::Concat, std::move(Xs), Attrs{{"axis", Ax}});
}

NodeId Builder::gather(NodeId X, NodeId Idx, int64_t Axis) {
  return make(OpCode::Gather, {X, Idx}, Attrs{{"axis", normalizeAxis(Axis, type(X).rank())}});
}

NodeId Builder::oneHot(NodeId Idx, const Dim &Depth, DType T) {
  return make(OpCode::OneHot, {Idx}, Attrs{{"depth", Depth}, {"dtype", T}});
}

NodeId Builder::result(NodeId Tuple, int64_t Index) {
  return make(OpCode::Result, {Tuple}, Attrs{{"index", Index}});
}

} // namespace netjit
