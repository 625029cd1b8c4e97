//===- fold_layout.cpp - Folding reductions, argmax and layout ops --------===//
//
// Mirrors runtime/interpreter_reduce.cpp and interpreter_layout.cpp. Float
// reductions accumulate in double, visiting the operand in C order, and
// round once to the dtype (so the fold gives the interpreter's bits, not
// just a close value); integer reductions wrap in 64 bits. Layout ops move
// bytes. Attributes that name dims must be constant here; anything the
// interpreter would reject at run time (a slice out of range, argmax over an
// empty axis) is left unfolded.
//
//===----------------------------------------------------------------------===//
#include "passes/fold_kernels.h"

#include <cmath>
#include <limits>

namespace netjit::fold {
namespace {

double maxNaN(double A, double B) { return std::isnan(A) || A > B ? A : B; }
double minNaN(double A, double B) { return std::isnan(A) || A < B ? A : B; }

/// Output offsets of each input element (0 on reduced axes) and the number
/// of elements reduced into each output (interp::reducedStrides).
std::vector<int64_t> reducedStrides(const std::vector<int64_t> &Shape,
                                    const std::vector<int64_t> &Axes,
                                    int64_t &Count) {
  std::vector<int64_t> Kept = Shape;
  Count = 1;
  for (int64_t Ax : Axes) {
    Count *= Shape[Ax];
    Kept[Ax] = 1;
  }
  std::vector<int64_t> Strides = stridesOf(Kept);
  for (int64_t Ax : Axes)
    Strides[Ax] = 0;
  return Strides;
}

template <class T>
Bytes floatReduction(OpCode Op, const std::vector<int64_t> &Shape,
                     const std::vector<int64_t> &Strides, int64_t Count,
                     const Bytes &In, const TensorType &R) {
  const double Inf = std::numeric_limits<double>::infinity();
  bool UsesMax = Op == OpCode::Max || Op == OpCode::LogSumExp;
  double Init = UsesMax ? -Inf : Op == OpCode::Min ? Inf : 0.0;
  Bytes Out = zeros(R);
  std::vector<double> Acc(static_cast<size_t>(product(staticShape(R.Dims))),
                          Init);
  forEachOffset(Shape, Strides, 0, [&](int64_t I, int64_t J) {
    double V = load<T>(In, I);
    if (UsesMax)
      Acc[J] = maxNaN(Acc[J], V);
    else if (Op == OpCode::Min)
      Acc[J] = minNaN(Acc[J], V);
    else
      Acc[J] += V;
  });
  if (Op == OpCode::LogSumExp) {
    std::vector<double> Sum(Acc.size(), 0.0);
    forEachOffset(Shape, Strides, 0, [&](int64_t I, int64_t J) {
      Sum[J] += std::exp(load<T>(In, I) - Acc[J]);
    });
    for (size_t J = 0; J < Acc.size(); ++J)
      if (std::isfinite(Acc[J]))
        Acc[J] += std::log(Sum[J]);
  }
  for (size_t J = 0; J < Acc.size(); ++J)
    store(Out, J, static_cast<T>(Op == OpCode::Mean ? Acc[J] / Count : Acc[J]));
  return Out;
}

template <class T>
std::optional<Bytes> intReduction(OpCode Op, const std::vector<int64_t> &Shape,
                                  const std::vector<int64_t> &Strides,
                                  const Bytes &In, const TensorType &R) {
  if (Op != OpCode::Sum && Op != OpCode::Max && Op != OpCode::Min)
    return std::nullopt;
  T Init = Op == OpCode::Max   ? std::numeric_limits<T>::lowest()
           : Op == OpCode::Min ? std::numeric_limits<T>::max()
                               : T(0);
  std::vector<uint64_t> Acc(static_cast<size_t>(product(staticShape(R.Dims))),
                            static_cast<uint64_t>(Init));
  forEachOffset(Shape, Strides, 0, [&](int64_t I, int64_t J) {
    T X = load<T>(In, I), Cur = static_cast<T>(Acc[J]);
    if (Op == OpCode::Sum)
      Acc[J] += static_cast<uint64_t>(X);
    else if (Op == OpCode::Max ? X > Cur : X < Cur)
      Acc[J] = static_cast<uint64_t>(X);
  });
  Bytes Out = zeros(R);
  for (size_t J = 0; J < Acc.size(); ++J)
    store(Out, J, static_cast<T>(Acc[J]));
  return Out;
}

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
  std::vector<int64_t> Shape = staticShape(R.Dims);
  int64_t Outer = 1, Inner = 1, OutLen = Shape[Axis];
  for (int64_t D = 0; D < Axis; ++D)
    Outer *= Shape[D];
  for (size_t D = Axis + 1; D < Shape.size(); ++D)
    Inner *= Shape[D];
  size_t Size = dtypeSize(R.Dtype);
  Bytes Out = zeros(R);
  int64_t Offset = 0;
  for (const ConstantRef &X : In) {
    int64_t Len = X.Type->Dims[Axis].constant(), Chunk = Len * Inner;
    for (int64_t O = 0; O < Outer; ++O)
      std::memcpy(Out.Data.data() +
                      (O * OutLen * Inner + Offset * Inner) * Size,
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
  std::vector<int64_t> Shape = staticShape(X.Type->Dims);
  int64_t Count;
  std::vector<int64_t> Strides =
      reducedStrides(Shape, A.getInts("axes"), Count);
  return visitType(X.Type->Dtype, [&](auto Tag) -> std::optional<Bytes> {
    using T = decltype(Tag);
    if constexpr (std::is_floating_point_v<T>)
      return floatReduction<T>(Op, Shape, Strides, Count, *X.Value, R);
    else if constexpr (std::is_same_v<T, bool>)
      return std::nullopt;
    else
      return intReduction<T>(Op, Shape, Strides, *X.Value, R);
  });
}

std::optional<Bytes> foldArgmax(const Attrs &A, const TensorType &R,
                                const ConstantRef &X) {
  std::vector<int64_t> Shape = staticShape(X.Type->Dims);
  int64_t Axis = A.getInt("axis"), Outer = 1, Len = Shape[Axis], Inner = 1;
  for (int64_t D = 0; D < Axis; ++D)
    Outer *= Shape[D];
  for (size_t D = Axis + 1; D < Shape.size(); ++D)
    Inner *= Shape[D];
  if (Len == 0 && Outer * Inner > 0)
    return std::nullopt; // no index exists: a runtime error
  Bytes Out = zeros(R);
  return visitType(X.Type->Dtype, [&](auto Tag) -> std::optional<Bytes> {
    using T = decltype(Tag);
    if constexpr (std::is_same_v<T, bool>) {
      return std::nullopt;
    } else {
      for (int64_t O = 0; O < Outer; ++O)
        for (int64_t I = 0; I < Inner; ++I) {
          int64_t Row = O * Len * Inner + I, Best = 0;
          for (int64_t L = 1; L < Len; ++L) {
            T B = load<T>(*X.Value, Row + Best * Inner),
              V = load<T>(*X.Value, Row + L * Inner);
            if constexpr (std::is_floating_point_v<T>)
              if (std::isnan(B))
                break; // the first NaN is the maximum, as in numpy
            if (V > B || (std::is_floating_point_v<T> && V != V))
              Best = L;
          }
          store<int64_t>(Out, O * Inner + I, Best);
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
