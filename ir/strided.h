//===- strided.h - C-order index walks and the reductions over them -------===//
//
// The index arithmetic of the reference interpreter (runtime/interpreter*.cpp)
// and of constant folding (passes/fold*.cpp), which walk the same C-ordered
// index spaces of concrete shapes: strides, strided views, the split of a
// shape around one axis. The reductions and argmax are defined here once
// too, over an accessor for the operand's elements, so that a folded
// constant has the interpreter's bits by construction. Float reductions
// accumulate in double in C order and round once to the dtype; integer ones
// accumulate in 64 bits, wrapping. max and min propagate NaN like numpy.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/ops.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace netjit::strided {

/// The number of elements of Shape (1 for a scalar).
inline int64_t product(const std::vector<int64_t> &Shape) {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return N;
}

/// C-order strides (in elements) of Shape.
inline std::vector<int64_t> stridesOf(const std::vector<int64_t> &Shape) {
  std::vector<int64_t> Strides(Shape.size(), 1);
  for (size_t D = Shape.size(); D-- > 1;)
    Strides[D - 1] = Strides[D] * Shape[D];
  return Strides;
}

/// Calls Fn(I, J) for every element of Shape in C order, I its flat index
/// and J = Base + sum(index[d] * Strides[d]), an offset into another tensor.
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

/// The offset of each input element in the output of a reduction over Axes
/// (as strides of Shape, 0 on the reduced axes), and in Count the number of
/// elements reduced into each output.
inline std::vector<int64_t> reducedStrides(const std::vector<int64_t> &Shape,
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

/// The sizes before, along and after Axis: element (O, L, I) of the split is
/// at flat index (O * Len + L) * Inner + I.
struct AxisSplit {
  int64_t Outer = 1, Len, Inner = 1;
  AxisSplit(const std::vector<int64_t> &Shape, int64_t Axis)
      : Len(Shape[Axis]) {
    for (int64_t D = 0; D < Axis; ++D)
      Outer *= Shape[D];
    for (size_t D = Axis + 1; D < Shape.size(); ++D)
      Inner *= Shape[D];
  }
};

/// max and min for reductions: a NaN accumulator stays NaN, and a NaN
/// element replaces the accumulator. On a tie they give B, where
/// scalar::maximum and minimum give A (which differs for -0.0 and +0.0).
inline double maxNaN(double A, double B) {
  return std::isnan(A) || A > B ? A : B;
}
inline double minNaN(double A, double B) {
  return std::isnan(A) || A < B ? A : B;
}

/// sum, mean, max, min or logsumexp over Axes of an operand of Shape whose
/// element I (in C order) is At(I); the result has OutSize elements, in C
/// order. Floats accumulate in double and round once to T; over an empty
/// axis, sum is 0, mean NaN, max and logsumexp -inf, min +inf. Integers take
/// sum, max and min only (the caller checks Op): sums wrap, and over an
/// empty axis max is the lowest value of T and min the highest.
template <class T, class F>
std::vector<T> reduce(OpCode Op, const std::vector<int64_t> &Shape,
                      const std::vector<int64_t> &Axes, int64_t OutSize,
                      F &&At) {
  int64_t Count;
  std::vector<int64_t> Strides = reducedStrides(Shape, Axes, Count);
  std::vector<T> Out(static_cast<size_t>(OutSize));
  if constexpr (std::is_floating_point_v<T>) {
    const double Inf = std::numeric_limits<double>::infinity();
    bool UsesMax = Op == OpCode::Max || Op == OpCode::LogSumExp;
    double Init = UsesMax ? -Inf : Op == OpCode::Min ? Inf : 0.0;
    std::vector<double> Acc(Out.size(), Init);
    forEachOffset(Shape, Strides, 0, [&](int64_t I, int64_t J) {
      double V = At(I);
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
        Sum[J] += std::exp(At(I) - Acc[J]);
      });
      for (size_t J = 0; J < Acc.size(); ++J)
        if (std::isfinite(Acc[J]))
          Acc[J] += std::log(Sum[J]);
    }
    for (size_t J = 0; J < Acc.size(); ++J)
      Out[J] = static_cast<T>(Op == OpCode::Mean ? Acc[J] / Count : Acc[J]);
  } else {
    T Init = Op == OpCode::Max   ? std::numeric_limits<T>::lowest()
             : Op == OpCode::Min ? std::numeric_limits<T>::max()
                                 : T(0);
    std::vector<uint64_t> Acc(Out.size(), static_cast<uint64_t>(Init));
    forEachOffset(Shape, Strides, 0, [&](int64_t I, int64_t J) {
      T X = At(I), Cur = static_cast<T>(Acc[J]);
      if (Op == OpCode::Sum)
        Acc[J] += static_cast<uint64_t>(X);
      else if (Op == OpCode::Max ? X > Cur : X < Cur)
        Acc[J] = static_cast<uint64_t>(X);
    });
    for (size_t J = 0; J < Acc.size(); ++J)
      Out[J] = static_cast<T>(Acc[J]);
  }
  return Out;
}

/// The index of the first maximum of Len elements, element L being At(L):
/// the first NaN is the maximum, as in numpy. 0 when Len is 0 (the caller
/// reports an empty axis).
template <class T, class F> int64_t argmax(int64_t Len, F &&At) {
  int64_t Best = 0;
  for (int64_t L = 1; L < Len; ++L) {
    T B = At(Best), V = At(L);
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(B))
        break; // the first NaN is the maximum, as in numpy
    if (V > B || (std::is_floating_point_v<T> && V != V))
      Best = L;
  }
  return Best;
}

} // namespace netjit::strided
