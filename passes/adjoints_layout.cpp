//===- adjoints_layout.cpp - Adjoint rules of the layout ops --------------===//
//
// The rules of the ops that move elements (broadcast, slice, pad, concat,
// transpose) and of matmul, plus the helper that spreads a reduced value
// back over the reduced axes. Each rule's calculus is in the comment above
// it; operandAdjoints (adjoints.cpp) dispatches to them.
//
//===----------------------------------------------------------------------===//
#include "passes/adjoint_rule.h"

#include "ir/error.h"

#include <algorithm>

namespace netjit::adjoint {
namespace {

/// Whether every dim of S is 1 (a scalar or [1, 1, ...]): one element.
bool isSingle(const Shape &S) {
  return std::all_of(S.begin(), S.end(),
                     [](const Dim &D) { return D == Dim(1); });
}

} // namespace

Shape keptShape(const Shape &X, const std::vector<int64_t> &Axes) {
  Shape S = X;
  for (int64_t A : Axes)
    S[A] = 1;
  return S;
}

/// V, the result of a reduction whose keepdims shape is Kept, spread back
/// to shape To. A broadcast of a single value (the seed and its scalings)
/// is broadcast directly, and the reshape to Kept is skipped when V already
/// aligns with it (reduced axes leading), so the seed's path stays short.
NodeId spread(Rule &R, NodeId V, const Shape &Kept, const Shape &To) {
  NodeId Src = V;
  for (;;) {
    const Node &N = R.B.graph().node(Src);
    if ((N.Op != OpCode::Broadcast && N.Op != OpCode::Reshape) ||
        !isSingle(R.shape(N.Inputs[0])))
      break;
    Src = N.Inputs[0];
  }
  if (isSingle(R.shape(Src)) && R.shape(Src).size() <= To.size())
    return R.B.broadcastTo(Src, To);
  const Shape &S = R.shape(V);
  size_t Off = Kept.size() - std::min(Kept.size(), S.size());
  bool Aligned = S.size() <= Kept.size() &&
                 std::equal(S.begin(), S.end(), Kept.begin() + Off) &&
                 isSingle(Shape(Kept.begin(), Kept.begin() + Off));
  return R.B.broadcastTo(Aligned ? V : R.B.reshape(V, Kept), To);
}

/// A value V of a reduction of X over Axes (keepdims or not), broadcast
/// back to X's shape.
NodeId unreduce(Rule &R, NodeId V, NodeId X, const std::vector<int64_t> &Axes) {
  return spread(R, V, keptShape(R.shape(X), Axes), R.shape(X));
}

// d/dx broadcast(x) = sum over the broadcast axes, reshaped to x's shape:
// the new leading axes and the axes where x has 1 and the result does not.
NodeId broadcastAdjoint(Rule &R) {
  const Shape &From = R.shape(R.in(0)), &To = R.N.Type.Dims;
  size_t Off = To.size() - From.size();
  std::vector<int64_t> Axes;
  for (size_t D = 0; D < To.size(); ++D)
    if (D < Off || (From[D - Off] == Dim(1) && To[D] != Dim(1)))
      Axes.push_back(static_cast<int64_t>(D));
  NodeId Summed = Axes.empty() ? R.G : R.B.reduce(OpCode::Sum, R.G, Axes);
  return R.B.reshape(Summed, From);
}

// d/dx x[start:stop:step] = g placed back: pad with `start` below, the rest
// of the dim above, and step-1 zeros between neighbours.
NodeId sliceAdjoint(Rule &R) {
  const Shape &X = R.shape(R.in(0)), &Out = R.N.Type.Dims;
  std::vector<Dim> Starts = R.N.Attributes.getDims("starts");
  std::vector<int64_t> Steps = R.N.Attributes.getInts("steps");
  std::vector<Dim> Low, High;
  std::vector<int64_t> Interior;
  for (size_t D = 0; D < X.size(); ++D) {
    // The last element taken is start + (len-1)*step (len constant when
    // step > 1); an empty slice leaves everything after start as padding.
    Dim End = Starts[D] + Out[D];
    if (Steps[D] > 1)
      End = Out[D].constant() == 0
                ? Starts[D]
                : Starts[D] + (Out[D].constant() - 1) * Steps[D] + 1;
    Low.push_back(Starts[D]);
    High.push_back(X[D] - End);
    Interior.push_back(Steps[D] - 1);
  }
  return R.B.make(OpCode::Pad, {R.G},
                  Attrs{{"low", Low}, {"high", High}, {"interior", Interior}});
}

// d/dx pad(x) = the slice of g holding x's elements: from `low`, every
// (interior+1)-th element, x's dim many.
NodeId padAdjoint(Rule &R) {
  const Shape &X = R.shape(R.in(0));
  std::vector<Dim> Low = R.N.Attributes.getDims("low");
  std::vector<int64_t> Interior = R.N.Attributes.getInts("interior");
  std::vector<Dim> Stops;
  std::vector<int64_t> Steps;
  for (size_t D = 0; D < X.size(); ++D) {
    const Dim &Len = X[D];
    if (Interior[D] > 0 && !Len.isConstant())
      throw Error(
          "the gradient of 'pad' with interior padding is not supported on the "
          "symbolic dim " +
          Len.str() + " (dim " + std::to_string(D) + " of " +
          R.type(R.in(0)).str() + ")");
    Dim Extent = Interior[D] == 0 ? Len
                 : Len.constant() == 0
                     ? Dim(0)
                     : Dim((Len.constant() - 1) * (Interior[D] + 1) + 1);
    Stops.push_back(Low[D] + Extent);
    Steps.push_back(Interior[D] + 1);
  }
  return R.B.make(OpCode::Slice, {R.G},
                  Attrs{{"starts", Low}, {"stops", Stops}, {"steps", Steps}});
}

// d/dx_i concat(x...) = the slice of g along the axis where x_i landed.
void concatAdjoint(Rule &R) {
  int64_t Axis = R.N.Attributes.getInt("axis");
  const Shape &Out = R.N.Type.Dims;
  Dim Offset = 0;
  for (size_t I = 0; I < R.N.Inputs.size(); ++I) {
    const Shape &X = R.shape(R.in(I));
    R.set(I, [&] {
      std::vector<Dim> Starts(Out.size(), Dim(0)), Stops = Out;
      Starts[Axis] = Offset;
      Stops[Axis] = Offset + X[Axis];
      return R.B.make(OpCode::Slice, {R.G},
                      Attrs{{"starts", Starts},
                            {"stops", Stops},
                            {"steps", std::vector<int64_t>(Out.size(), 1)}});
    });
    Offset = Offset + X[Axis];
  }
}

// d/dA A·B = g·Bᵀ, d/dB A·B = Aᵀ·g, transposing the last two axes (the
// leading batch axes pair up).
void matmulAdjoint(Rule &R) {
  size_t Rank = R.N.Type.rank();
  std::vector<int64_t> Swap(Rank);
  for (size_t D = 0; D < Rank; ++D)
    Swap[D] = static_cast<int64_t>(D);
  std::swap(Swap[Rank - 2], Swap[Rank - 1]);
  R.set(0, [&] { return R.B.matmul(R.G, R.B.transpose(R.in(1), Swap)); });
  R.set(1, [&] { return R.B.matmul(R.B.transpose(R.in(0), Swap), R.G); });
}

// d/dx transpose(x, perm) = transpose(g, perm⁻¹).
NodeId transposeAdjoint(Rule &R) {
  std::vector<int64_t> Perm = R.N.Attributes.getInts("perm"),
                       Inverse(Perm.size());
  for (size_t D = 0; D < Perm.size(); ++D)
    Inverse[Perm[D]] = static_cast<int64_t>(D);
  return R.B.transpose(R.G, Inverse);
}
} // namespace netjit::adjoint
