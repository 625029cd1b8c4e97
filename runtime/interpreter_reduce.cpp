//===- interpreter_reduce.cpp - Reductions, matmul, softmax, randomness ---===//
//
// Float reductions and products accumulate in double and round once to the
// node's dtype; integer ones accumulate in 64 bits, wrapping. max and min
// propagate NaN like numpy. Over an empty axis, sum is 0, mean is NaN (0/0),
// max and logsumexp are -inf (min +inf; the lowest and highest integer for
// integers), and argmax is an error because no index exists. softmax,
// log_softmax, logsumexp and softmax_xent subtract the maximum before
// exponentiating; softmax_xent(z, label) = logsumexp(z) - z[label] per row.
//
//===----------------------------------------------------------------------===//
#include "runtime/interpreter_kernels.h"
#include "runtime/philox.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace netjit::interp {
namespace {

double maxNaN(double A, double B) { return std::isnan(A) || A > B ? A : B; }
double minNaN(double A, double B) { return std::isnan(A) || A < B ? A : B; }

/// The offsets of an input element in the reduced output (0 on reduced
/// axes), and the number of elements reduced into each output.
std::vector<int64_t> reducedStrides(const std::vector<int64_t> &Shape,
                                    const std::vector<int64_t> &Axes,
                                    int64_t &Count) {
  std::vector<int64_t> Kept = Shape;
  Count = 1;
  for (int64_t A : Axes) {
    Count *= Shape[A];
    Kept[A] = 1;
  }
  std::vector<int64_t> Strides = stridesOf(Kept);
  for (int64_t A : Axes)
    Strides[A] = 0;
  return Strides;
}

template <class T> Tensor floatReduction(const NodeContext &C) {
  const Tensor &X = C.in(0);
  int64_t Count;
  std::vector<int64_t> Strides =
      reducedStrides(X.shape(), C.N.Attributes.getInts("axes"), Count);
  Tensor R = C.result();
  OpCode Op = C.N.Op;
  const double Inf = std::numeric_limits<double>::infinity();
  bool UsesMax = Op == OpCode::Max || Op == OpCode::LogSumExp;
  double Init = UsesMax ? -Inf : Op == OpCode::Min ? Inf : 0.0;
  std::vector<double> Acc(static_cast<size_t>(R.numel()), Init);
  const T *In = X.data<T>();
  forEachOffset(X.shape(), Strides, 0, [&](int64_t I, int64_t J) {
    double V = In[I];
    if (UsesMax)
      Acc[J] = maxNaN(Acc[J], V);
    else if (Op == OpCode::Min)
      Acc[J] = minNaN(Acc[J], V);
    else
      Acc[J] += V;
  });
  if (Op == OpCode::LogSumExp) {
    std::vector<double> Sum(Acc.size(), 0.0);
    forEachOffset(X.shape(), Strides, 0, [&](int64_t I, int64_t J) {
      Sum[J] += std::exp(In[I] - Acc[J]);
    });
    for (size_t J = 0; J < Acc.size(); ++J)
      if (std::isfinite(Acc[J]))
        Acc[J] += std::log(Sum[J]);
  }
  T *Out = R.data<T>();
  for (size_t J = 0; J < Acc.size(); ++J)
    Out[J] = static_cast<T>(Op == OpCode::Mean ? Acc[J] / Count : Acc[J]);
  return R;
}

template <class T> Tensor intReduction(const NodeContext &C) {
  const Tensor &X = C.in(0);
  int64_t Count;
  std::vector<int64_t> Strides =
      reducedStrides(X.shape(), C.N.Attributes.getInts("axes"), Count);
  Tensor R = C.result();
  OpCode Op = C.N.Op;
  NJ_CHECK(Op == OpCode::Sum || Op == OpCode::Max || Op == OpCode::Min,
           opName(Op) << " on integers");
  T Init = Op == OpCode::Max   ? std::numeric_limits<T>::lowest()
           : Op == OpCode::Min ? std::numeric_limits<T>::max()
                               : T(0);
  std::vector<uint64_t> Acc(static_cast<size_t>(R.numel()),
                            static_cast<uint64_t>(Init));
  const T *In = X.data<T>();
  forEachOffset(X.shape(), Strides, 0, [&](int64_t I, int64_t J) {
    T Cur = static_cast<T>(Acc[J]);
    if (Op == OpCode::Sum)
      Acc[J] += static_cast<uint64_t>(In[I]);
    else if (Op == OpCode::Max ? In[I] > Cur : In[I] < Cur)
      Acc[J] = static_cast<uint64_t>(In[I]);
  });
  T *Out = R.data<T>();
  for (size_t J = 0; J < Acc.size(); ++J)
    Out[J] = static_cast<T>(Acc[J]);
  return R;
}

/// The sizes before, along and after Axis.
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

} // namespace

Tensor evalReduction(const NodeContext &C) {
  return visitNumeric(C.N.Type.Dtype, [&](auto Tag) {
    using T = decltype(Tag);
    if constexpr (std::is_floating_point_v<T>)
      return floatReduction<T>(C);
    else
      return intReduction<T>(C);
  });
}

Tensor evalArgmax(const NodeContext &C) {
  const Tensor &X = C.in(0);
  AxisSplit S(X.shape(), C.N.Attributes.getInt("axis"));
  Tensor R = C.result();
  if (S.Len == 0 && R.numel() > 0)
    C.fail("argmax over an empty axis of " + X.typeStr());
  int64_t *Out = R.data<int64_t>();
  visitNumeric(X.dtype(), [&](auto Tag) {
    using T = decltype(Tag);
    const T *In = X.data<T>();
    for (int64_t O = 0; O < S.Outer; ++O)
      for (int64_t I = 0; I < S.Inner; ++I) {
        const T *Row = In + O * S.Len * S.Inner + I;
        int64_t Best = 0;
        for (int64_t L = 1; L < S.Len; ++L) {
          T B = Row[Best * S.Inner], V = Row[L * S.Inner];
          if constexpr (std::is_floating_point_v<T>)
            if (std::isnan(B))
              break; // the first NaN is the maximum, as in numpy
          if (V > B || (std::is_floating_point_v<T> && V != V))
            Best = L;
        }
        Out[O * S.Inner + I] = Best;
      }
    return 0;
  });
  return R;
}

Tensor evalMatMul(const NodeContext &C) {
  const Tensor &A = C.in(0), &B = C.in(1);
  size_t Rank = A.rank();
  int64_t M = A.shape()[Rank - 2], K = A.shape()[Rank - 1],
          N = B.shape()[Rank - 1];
  int64_t Batch = 1;
  for (size_t D = 0; D + 2 < Rank; ++D)
    Batch *= A.shape()[D];
  Tensor R = C.result();
  visitNumeric(R.dtype(), [&](auto Tag) {
    using T = decltype(Tag);
    using Acc =
        std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
    const T *PA = A.data<T>(), *PB = B.data<T>();
    T *PR = R.data<T>();
    std::vector<Acc> Row(static_cast<size_t>(N));
    for (int64_t Bt = 0; Bt < Batch; ++Bt)
      for (int64_t I = 0; I < M; ++I) {
        std::fill(Row.begin(), Row.end(), Acc(0));
        const T *ARow = PA + (Bt * M + I) * K;
        for (int64_t Kk = 0; Kk < K; ++Kk) {
          const T *BRow = PB + (Bt * K + Kk) * N;
          for (int64_t J = 0; J < N; ++J)
            Row[J] += static_cast<Acc>(ARow[Kk]) * static_cast<Acc>(BRow[J]);
        }
        for (int64_t J = 0; J < N; ++J)
          PR[(Bt * M + I) * N + J] = static_cast<T>(Row[J]);
      }
    return 0;
  });
  return R;
}

Tensor evalSoftmax(const NodeContext &C, bool Log) {
  const Tensor &X = C.in(0);
  AxisSplit S(X.shape(), C.N.Attributes.getInt("axis"));
  Tensor R = C.result();
  visitFloat(X.dtype(), [&](auto Tag) {
    using T = decltype(Tag);
    const T *In = X.data<T>();
    T *Out = R.data<T>();
    for (int64_t O = 0; O < S.Outer; ++O)
      for (int64_t I = 0; I < S.Inner; ++I) {
        int64_t Base = O * S.Len * S.Inner + I;
        double Max = -std::numeric_limits<double>::infinity(), Sum = 0;
        for (int64_t L = 0; L < S.Len; ++L)
          Max = maxNaN(Max, In[Base + L * S.Inner]);
        for (int64_t L = 0; L < S.Len; ++L)
          Sum += std::exp(In[Base + L * S.Inner] - Max);
        for (int64_t L = 0; L < S.Len; ++L) {
          double Shifted = In[Base + L * S.Inner] - Max;
          Out[Base + L * S.Inner] = static_cast<T>(
              Log ? Shifted - std::log(Sum) : std::exp(Shifted) / Sum);
        }
      }
    return 0;
  });
  return R;
}

Tensor evalSoftmaxXent(const NodeContext &C) {
  const Tensor &Z = C.in(0), &Labels = C.in(1);
  int64_t K = Z.shape().back(), Rows = Labels.numel();
  Tensor R = C.result();
  visitFloat(Z.dtype(), [&](auto Tag) {
    using T = decltype(Tag);
    const T *In = Z.data<T>();
    T *Out = R.data<T>();
    for (int64_t Row = 0; Row < Rows; ++Row) {
      int64_t Label = Labels.dtype() == DType::I32
                          ? Labels.data<int32_t>()[Row]
                          : Labels.data<int64_t>()[Row];
      if (Label < 0 || Label >= K)
        C.fail("label " + std::to_string(Label) + " of row " +
               std::to_string(Row) + " is out of range [0, " +
               std::to_string(K) + ")");
      const T *X = In + Row * K;
      double Max = -std::numeric_limits<double>::infinity(), Sum = 0;
      for (int64_t J = 0; J < K; ++J)
        Max = maxNaN(Max, X[J]);
      for (int64_t J = 0; J < K; ++J)
        Sum += std::exp(X[J] - Max);
      double Lse = std::isfinite(Max) ? Max + std::log(Sum) : Max;
      Out[Row] = static_cast<T>(Lse - X[Label]);
    }
    return 0;
  });
  return R;
}

Tensor evalRandom(const NodeContext &C, bool Normal) {
  int64_t Key = C.in(0).data<int64_t>()[0];
  Tensor R = C.result();
  visitFloat(R.dtype(), [&](auto Tag) {
    using T = decltype(Tag);
    T *Out = R.data<T>();
    for (int64_t I = 0, N = R.numel(); I < N; ++I) {
      uint64_t Index = static_cast<uint64_t>(I);
      Out[I] = Normal ? static_cast<T>(philoxNormal(Key, Index))
                      : static_cast<T>(philoxUniform(Key, Index));
    }
    return 0;
  });
  return R;
}

} // namespace netjit::interp
