//===- fold_layout.cpp - Folding reductions, argmax and layout ops --------===//
//
// Mirrors runtime/interpreter_reduce.cpp and interpreter_layout.cpp. The
// reductions and argmax are the interpreter's own loops (ir/strided.h) over
// the constant's bytes, so the fold gives the interpreter's bits, not just a
// close value. Layout ops move bytes. Attributes that name dims must be
// constant here; anything the interpreter would reject at run time (a slice
// out of range, argmax over an empty axis) is left unfolded.
//
//===----------------------------------------------------------------------===//
#include "passes/fold_kernels.h"

namespace netjit::fold {
namespace {

/// Every entry of a dim-list attribute, when all are constant.
std::optional<std::vector<int64_t>> constantDims(const Attrs &A,
                                                 std::string_view Key) {
  std::vector<int64_t> Out;
  for (const Dim &D : A.getDims(Key)) {
    if (!D.isConstant())
      return std::nullopt;
    Out.push_back(D.constant());
  }
  return Out;
}

std::optional<Bytes> foldSlice(const Attrs &A, const TensorType &R,
                               const ConstantRef &X) {
  auto Starts = constantDims(A, "starts"), Stops = constantDims(A, "stops");
  if (!Starts || !Stops)
    return std::nullopt;
  std::vector<int64_t> Steps = A.getInts("steps"),
                       Shape = staticShape(X.Type->Dims);
  std::vector<int64_t> In = stridesOf(Shape), Strides;
  int64_t Base = 0;
  for (size_t D = 0; D < Shape.size(); ++D) {
    if ((*Starts)[D] < 0 || (*Starts)[D] > (*Stops)[D] ||
        (*Stops)[D] > Shape[D])
      return std::nullopt; // the interpreter reports it
    Base += (*Starts)[D] * In[D];
    Strides.push_back(In[D] * Steps[D]);
  }
  Bytes Out = zeros(R);
  size_t Size = dtypeSize(R.Dtype);
  forEachOffset(staticShape(R.Dims), Strides, Base, [&](int64_t I, int64_t J) {
    copyElement(Out, I, *X.Value, J, Size);
  });
  return Out;
}

std::optional<Bytes> foldPad(const Attrs &A, const TensorType &R,
                             const ConstantRef &X) {
  auto Low = constantDims(A, "low");
  if (!Low)
    return std::nullopt;
  std::vector<int64_t> Interior = A.getInts("interior");
  std::vector<int64_t> OutStrides = stridesOf(staticShape(R.Dims)), Strides;
  int64_t Base = 0;
  for (size_t D = 0; D < X.Type->rank(); ++D) {
    Base += (*Low)[D] * OutStrides[D];
    Strides.push_back(OutStrides[D] * (Interior[D] + 1));
  }
  Bytes Out = zeros(R);
  size_t Size = dtypeSize(R.Dtype);
  forEachOffset(
      staticShape(X.Type->Dims), Strides, Base,
      [&](int64_t I, int64_t J) { copyElement(Out, J, *X.Value, I, Size); });
  return Out;
}

Bytes foldConcat(const Attrs &A, const TensorType &R,
                 std::span<const ConstantRef> In) {
  int64_t Axis = A.getInt("axis");
  strided::AxisSplit S(staticShape(R.Dims), Axis);
  size_t Size = dtypeSize(R.Dtype);
  Bytes Out = zeros(R);
  int64_t Offset = 0;
  for (const ConstantRef &X : In) {
    int64_t Len = X.Type->Dims[Axis].constant(), Chunk = Len * S.Inner;
    for (int64_t O = 0; O < S.Outer; ++O)
      std::memcpy(Out.Data.data() +
                      (O * S.Len * S.Inner + Offset * S.Inner) * Size,
                  X.Value->Data.data() + O * Chunk * Size, Chunk * Size);
    Offset += Len;
  }
  return Out;
}

Bytes foldMove(OpCode Op, const Attrs &A, const TensorType &R,
               const ConstantRef &X) {
  std::vector<int64_t> Shape = staticShape(X.Type->Dims), In = stridesOf(Shape),
                       Strides;
  std::vector<int64_t> OutShape = staticShape(R.Dims);
  if (Op == OpCode::Transpose) {
    for (int64_t P : A.getInts("perm"))
      Strides.push_back(In[P]);
  } else { // broadcast: stride 0 on new and size-1 axes
    size_t Off = OutShape.size() - Shape.size();
    Strides.assign(OutShape.size(), 0);
    for (size_t D = 0; D < Shape.size(); ++D)
      Strides[Off + D] = Shape[D] == 1 ? 0 : In[D];
  }
  Bytes Out = zeros(R);
  size_t Size = dtypeSize(R.Dtype);
  forEachOffset(OutShape, Strides, 0, [&](int64_t I, int64_t J) {
    copyElement(Out, I, *X.Value, J, Size);
  });
  return Out;
}

} // namespace

std::optional<Bytes> foldReduction(OpCode Op, const Attrs &A,
                                   const TensorType &R, const ConstantRef &X) {
  std::vector<int64_t> Shape = staticShape(X.Type->Dims),
                       Axes = A.getInts("axes");
  int64_t OutSize = product(staticShape(R.Dims));
  return visitDType(X.Type->Dtype, [&](auto Tag) -> std::optional<Bytes> {
    using T = decltype(Tag);
    if constexpr (std::is_same_v<T, bool>) {
      return std::nullopt;
    } else {
      if (!std::is_floating_point_v<T> && Op != OpCode::Sum &&
          Op != OpCode::Max && Op != OpCode::Min)
        return std::nullopt; // mean and logsumexp take floats
      std::vector<T> Values =
          strided::reduce<T>(Op, Shape, Axes, OutSize,
                             [&](int64_t I) { return load<T>(*X.Value, I); });
      Bytes Out = zeros(R);
      for (size_t J = 0; J < Values.size(); ++J)
        store(Out, J, Values[J]);
      return Out;
    }
  });
}

std::optional<Bytes> foldArgmax(const Attrs &A, const TensorType &R,
                                const ConstantRef &X) {
  strided::AxisSplit S(staticShape(X.Type->Dims), A.getInt("axis"));
  if (S.Len == 0 && S.Outer * S.Inner > 0)
    return std::nullopt; // no index exists: a runtime error
  Bytes Out = zeros(R);
  return visitDType(X.Type->Dtype, [&](auto Tag) -> std::optional<Bytes> {
    using T = decltype(Tag);
    if constexpr (std::is_same_v<T, bool>) {
      return std::nullopt;
    } else {
      for (int64_t O = 0; O < S.Outer; ++O)
        for (int64_t I = 0; I < S.Inner; ++I) {
          int64_t Row = O * S.Len * S.Inner + I;
          store<int64_t>(Out, O * S.Inner + I,
                         strided::argmax<T>(S.Len, [&](int64_t L) {
                           return load<T>(*X.Value, Row + L * S.Inner);
                         }));
        }
      return Out;
    }
  });
}

std::optional<Bytes> foldLayout(OpCode Op, const Attrs &A, const TensorType &R,
                                std::span<const ConstantRef> In) {
  switch (Op) {
  case OpCode::Reshape:
    return *In[0].Value; // C order: the same bytes
  case OpCode::Transpose:
  case OpCode::Broadcast:
    return foldMove(Op, A, R, In[0]);
  case OpCode::Slice:
    return foldSlice(A, R, In[0]);
  case OpCode::Pad:
    return foldPad(A, R, In[0]);
  case OpCode::Concat:
    return foldConcat(A, R, In);
  default:
    return std::nullopt;
  }
}

} // namespace netjit::fold
