//===- fold_kernels.h - Constant folding kernels (private) ----------------===//
//
// Shared by passes/fold.cpp (elementwise ops and the dispatcher) and
// passes/fold_layout.cpp (reductions, argmax and layout ops): typed access to
// a constant's bytes, dtype dispatch and C-order index walks, mirroring
// runtime/interpreter_kernels.h.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/fold.h"

#include <cstring>
#include <type_traits>
#include <vector>

namespace netjit::fold {

template <class T> T load(const Bytes &B, int64_t I) {
  if constexpr (std::is_same_v<T, bool>) {
    return B.Data[I] != 0;
  } else {
    T V;
    std::memcpy(&V, B.Data.data() + I * sizeof(T), sizeof(T));
    return V;
  }
}

template <class T> void store(Bytes &B, int64_t I, T V) {
  if constexpr (std::is_same_v<T, bool>)
    B.Data[I] = V ? 1 : 0;
  else
    std::memcpy(B.Data.data() + I * sizeof(T), &V, sizeof(T));
}

/// Calls Fn(T{}) with T the C++ type of the dtype.
template <class F> decltype(auto) visitType(DType T, F &&Fn) {
  switch (T) {
  case DType::F32:
    return Fn(float{});
  case DType::F64:
    return Fn(double{});
  case DType::I32:
    return Fn(int32_t{});
  case DType::I64:
    return Fn(int64_t{});
  case DType::Bool:
    break;
  }
  return Fn(bool{});
}

/// The concrete shape of a static shape.
std::vector<int64_t> staticShape(const Shape &S);
int64_t product(const std::vector<int64_t> &Shape);
std::vector<int64_t> stridesOf(const std::vector<int64_t> &Shape);
/// A zero-filled constant of the type (which must have a static shape).
Bytes zeros(const TensorType &T);
/// Copies element SrcIndex of Src to element DstIndex of Dst.
inline void copyElement(Bytes &Dst, int64_t DstIndex, const Bytes &Src,
                        int64_t SrcIndex, size_t Size) {
  std::memcpy(Dst.Data.data() + DstIndex * Size,
              Src.Data.data() + SrcIndex * Size, Size);
}

/// Calls Fn(I, J) for every element of Shape in C order: I its flat index,
/// J = Base + sum(index[d] * Strides[d]) (interp::forEachOffset).
template <class F>
void forEachOffset(const std::vector<int64_t> &Shape,
                   const std::vector<int64_t> &Strides, int64_t Base, F &&Fn) {
  int64_t N = product(Shape);
  if (N == 0)
    return;
  size_t Rank = Shape.size();
  std::vector<int64_t> Index(Rank, 0);
  int64_t J = Base;
  for (int64_t I = 0; I < N; ++I) {
    Fn(I, J);
    for (size_t D = Rank; D-- > 0;) {
      J += Strides[D];
      if (++Index[D] < Shape[D])
        break;
      J -= Strides[D] * Shape[D];
      Index[D] = 0;
    }
  }
}

// Families implemented in fold_layout.cpp; each returns nullopt when the
// op cannot be folded (a runtime error, a symbolic attribute).
std::optional<Bytes> foldReduction(OpCode Op, const Attrs &A,
                                   const TensorType &R, const ConstantRef &X);
std::optional<Bytes> foldArgmax(const Attrs &A, const TensorType &R,
                                const ConstantRef &X);
std::optional<Bytes> foldLayout(OpCode Op, const Attrs &A, const TensorType &R,
                                std::span<const ConstantRef> In);

} // namespace netjit::fold
