//===- interpreter_reduce.cpp - Reductions, matmul, softmax, randomness ---===//
//
// Float reductions and products accumulate in double and round once to the
// node's dtype; integer ones accumulate in 64 bits, wrapping. max and min
// propagate NaN like numpy. Over an empty axis, sum is 0, mean is NaN (0/0),
// max and logsumexp are -inf (min +inf; the lowest and highest integer for
// integers), and argmax is an error because no index exists. softmax,
// log_softmax, logsumexp and softmax_xent subtract the maximum before
// exponentiating; softmax_xent(z, label) = logsumexp(z) - z[label] per row.
// The reduction and argmax loops are ir/strided.h's, shared with constant
// folding.
//
//===----------------------------------------------------------------------===//
#include "runtime/interpreter_kernels.h"
#include "runtime/philox.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace netjit::interp {

using strided::AxisSplit;
using strided::maxNaN;

Tensor evalReduction(const NodeContext &C) {
  const Tensor &X = C.in(0);
  std::vector<int64_t> Axes = C.N.Attributes.getInts("axes");
  OpCode Op = C.N.Op;
  Tensor R = C.result();
  visitNumeric(C.N.Type.Dtype, [&](auto Tag) {
    using T = decltype(Tag);
    NJ_CHECK(std::is_floating_point_v<T> || Op == OpCode::Sum ||
                 Op == OpCode::Max || Op == OpCode::Min,
             opName(Op) << " on integers");
    const T *In = X.data<T>();
    std::vector<T> Values = strided::reduce<T>(
        Op, X.shape(), Axes, R.numel(), [In](int64_t I) { return In[I]; });
    std::copy(Values.begin(), Values.end(), R.data<T>());
    return 0;
  });
  return R;
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
        Out[O * S.Inner + I] = strided::argmax<T>(
            S.Len, [&](int64_t L) { return Row[L * S.Inner]; });
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
