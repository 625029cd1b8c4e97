//===- fold_kernels.h - Constant folding kernels (private) ----------------===//
//
// Shared by passes/fold.cpp (elementwise ops and the dispatcher) and
// passes/fold_layout.cpp (reductions, argmax and layout ops): typed access to
// a constant's bytes. The dtype dispatch (ir/dtype_visit.h), the C-order
// index walks and the reduction loops (ir/strided.h) are the interpreter's.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dtype_visit.h"
#include "ir/strided.h"
#include "passes/fold.h"

#include <cstring>
#include <type_traits>
#include <vector>

namespace netjit::fold {

using strided::forEachOffset;
using strided::product;
using strided::stridesOf;

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

/// The concrete shape of a static shape.
std::vector<int64_t> staticShape(const Shape &S);
/// A zero-filled constant of the type (which must have a static shape).
Bytes zeros(const TensorType &T);
/// Copies element SrcIndex of Src to element DstIndex of Dst.
inline void copyElement(Bytes &Dst, int64_t DstIndex, const Bytes &Src,
                        int64_t SrcIndex, size_t Size) {
  std::memcpy(Dst.Data.data() + DstIndex * Size,
              Src.Data.data() + SrcIndex * Size, Size);
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
