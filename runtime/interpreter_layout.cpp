//===- interpreter_layout.cpp - Layout and indexing kernels ---------------===//
//
// Kernels that move elements without computing on them (transpose,
// broadcast, slice, pad, concat, gather, one_hot) plus scatter_add, gather's
// adjoint. They walk index spaces with strides. Every attribute that names
// a dim is evaluated under the bindings and checked against the operand's
// concrete shape, and every index read from a tensor is range-checked: a bad
// index is a RuntimeError naming the op and the index, never a stray read.
//
//===----------------------------------------------------------------------===//
#include "runtime/interpreter_kernels.h"

#include <type_traits>

namespace netjit::interp {
namespace {

/// Element I of an integer index tensor.
int64_t indexAt(const Tensor &Idx, int64_t I) {
  if (Idx.dtype() == DType::I32)
    return Idx.data<int32_t>()[I];
  return Idx.data<int64_t>()[I];
}

/// Checks that index V is in [0, Size) along Axis.
void checkIndex(const NodeContext &C, int64_t V, int64_t Size, int64_t Axis,
                const std::string &What) {
  if (V < 0 || V >= Size)
    C.fail("index " + std::to_string(V) + " is out of range [0, " +
           std::to_string(Size) + ") along axis " + std::to_string(Axis) +
           " of " + What);
}

std::string shapeText(const std::vector<int64_t> &Shape) {
  std::string S = "[";
  for (size_t I = 0; I < Shape.size(); ++I) {
    if (I)
      S += ',';
    S += std::to_string(Shape[I]);
  }
  return S + "]";
}

} // namespace

Tensor evalTranspose(const NodeContext &C) {
  const Tensor &X = C.in(0);
  std::vector<int64_t> Perm = C.N.Attributes.getInts("perm");
  std::vector<int64_t> In = stridesOf(X.shape()), Strides;
  for (int64_t P : Perm)
    Strides.push_back(In[P]);
  Tensor R = C.result();
  forEachOffset(R.shape(), Strides, 0,
                [&](int64_t I, int64_t J) { copyElement(R, I, X, J); });
  return R;
}

Tensor evalBroadcast(const NodeContext &C) {
  const Tensor &X = C.in(0);
  Tensor R = C.result();
  size_t Off = R.rank() - X.rank();
  std::vector<int64_t> In = stridesOf(X.shape()), Strides(R.rank(), 0);
  for (size_t D = 0; D < X.rank(); ++D) {
    int64_t From = X.shape()[D], To = R.shape()[Off + D];
    if (From != 1 && From != To)
      C.fail("cannot broadcast " + X.typeStr() + " to " + shapeText(R.shape()));
    Strides[Off + D] = From == 1 ? 0 : In[D];
  }
  forEachOffset(R.shape(), Strides, 0,
                [&](int64_t I, int64_t J) { copyElement(R, I, X, J); });
  return R;
}

Tensor evalSlice(const NodeContext &C) {
  const Tensor &X = C.in(0);
  std::vector<int64_t> Starts = C.dims("starts"), Stops = C.dims("stops");
  std::vector<int64_t> Steps = C.N.Attributes.getInts("steps");
  std::vector<int64_t> In = stridesOf(X.shape()), Strides, Shape;
  int64_t Base = 0;
  for (size_t D = 0; D < X.rank(); ++D) {
    if (Starts[D] < 0 || Starts[D] > Stops[D] || Stops[D] > X.shape()[D])
      C.fail("slice " + std::to_string(Starts[D]) + ":" +
             std::to_string(Stops[D]) + " is out of range for dim " +
             std::to_string(D) + " of " + X.typeStr());
    // ceil((stop - start) / step), without overflow for huge steps; the
    // stride of a dim of extent <= 1 is never used, so keep it 0.
    int64_t Len = Stops[D] - Starts[D];
    Shape.push_back(Len == 0 ? 0 : (Len - 1) / Steps[D] + 1);
    Base += Starts[D] * In[D];
    Strides.push_back(Shape.back() > 1 ? In[D] * Steps[D] : 0);
  }
  NJ_CHECK(Shape == C.OutShape, "slice shape " << shapeText(Shape) << " vs "
                                               << shapeText(C.OutShape));
  Tensor R = C.result();
  forEachOffset(R.shape(), Strides, Base,
                [&](int64_t I, int64_t J) { copyElement(R, I, X, J); });
  return R;
}

Tensor evalPad(const NodeContext &C) {
  const Tensor &X = C.in(0);
  std::vector<int64_t> Low = C.dims("low"), High = C.dims("high");
  std::vector<int64_t> Interior = C.N.Attributes.getInts("interior");
  Tensor R = C.result();
  std::vector<int64_t> Out = stridesOf(R.shape()), Strides;
  int64_t Base = 0;
  for (size_t D = 0; D < X.rank(); ++D) {
    Base += Low[D] * Out[D];
    Strides.push_back(Out[D] * (Interior[D] + 1));
  }
  forEachOffset(X.shape(), Strides, Base,
                [&](int64_t I, int64_t J) { copyElement(R, J, X, I); });
  return R;
}

Tensor evalConcat(const NodeContext &C) {
  int64_t Axis = C.N.Attributes.getInt("axis");
  Tensor R = C.result();
  strided::AxisSplit S(R.shape(), Axis);
  size_t Size = dtypeSize(R.dtype());
  auto *Dst = static_cast<uint8_t *>(R.raw());
  int64_t Offset = 0;
  for (const Tensor *X : C.In) {
    int64_t Chunk = X->shape()[Axis] * S.Inner;
    const auto *Src = static_cast<const uint8_t *>(X->raw());
    for (int64_t O = 0; O < S.Outer; ++O)
      std::memcpy(Dst + (O * S.Len * S.Inner + Offset * S.Inner) * Size,
                  Src + O * Chunk * Size, Chunk * Size);
    Offset += X->shape()[Axis];
  }
  NJ_CHECK(Offset == S.Len, "concat lengths");
  return R;
}

Tensor evalGather(const NodeContext &C) {
  const Tensor &X = C.in(0), &Idx = C.in(1);
  int64_t Axis = C.N.Attributes.getInt("axis");
  std::vector<int64_t> Strides = stridesOf(X.shape());
  int64_t AxisStride = Strides[Axis], Size = X.shape()[Axis];
  Strides[Axis] = 0;
  Tensor R = C.result();
  forEachOffset(Idx.shape(), Strides, 0, [&](int64_t I, int64_t J) {
    int64_t K = indexAt(Idx, I);
    checkIndex(C, K, Size, Axis, X.typeStr());
    copyElement(R, I, X, J + K * AxisStride);
  });
  return R;
}

Tensor evalScatterAdd(const NodeContext &C) {
  const Tensor &Idx = C.in(0), &Upd = C.in(1);
  int64_t Axis = C.N.Attributes.getInt("axis");
  Tensor R = C.result();
  std::vector<int64_t> Strides = stridesOf(R.shape());
  int64_t AxisStride = Strides[Axis], Size = R.shape()[Axis];
  Strides[Axis] = 0;
  visitNumeric(R.dtype(), [&](auto Tag) {
    using T = decltype(Tag);
    using Acc =
        std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
    std::vector<Acc> Sum(static_cast<size_t>(R.numel()), Acc(0));
    const T *U = Upd.data<T>();
    forEachOffset(Idx.shape(), Strides, 0, [&](int64_t I, int64_t J) {
      int64_t K = indexAt(Idx, I);
      checkIndex(C, K, Size, Axis, R.typeStr() + " (the result)");
      Sum[J + K * AxisStride] += static_cast<Acc>(U[I]);
    });
    T *Out = R.data<T>();
    for (size_t J = 0; J < Sum.size(); ++J)
      Out[J] = static_cast<T>(Sum[J]);
    return 0;
  });
  return R;
}

Tensor evalOneHot(const NodeContext &C) {
  const Tensor &Idx = C.in(0);
  Tensor R = C.result();
  int64_t Depth = R.shape().back();
  for (int64_t I = 0, N = Idx.numel(); I < N; ++I) {
    int64_t K = indexAt(Idx, I);
    if (K < 0 || K >= Depth)
      C.fail("label " + std::to_string(K) + " is out of range [0, " +
             std::to_string(Depth) + ") (depth " + std::to_string(Depth) + ")");
    R.set(I * Depth + K, 1.0);
  }
  return R;
}

} // namespace netjit::interp
