//===- interpreter_elementwise.cpp - Elementwise kernels ------------------===//
//
// Elementwise ops apply the per-element semantics of ir/scalar_ops.h (shared
// with constant folding) over whole tensors; integer division by zero is a
// RuntimeError naming the node.
//
//===----------------------------------------------------------------------===//
#include "ir/scalar_ops.h"
#include "runtime/interpreter_kernels.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace netjit::interp {
namespace {

template <class T, class F> Tensor mapUnary(const NodeContext &C, F &&Fn) {
  Tensor R = C.result();
  const T *X = C.in(0).data<T>();
  T *Out = R.data<T>();
  for (int64_t I = 0, N = R.numel(); I < N; ++I)
    Out[I] = Fn(X[I]);
  return R;
}

template <class T, class F> Tensor mapBinary(const NodeContext &C, F &&Fn) {
  using R = decltype(Fn(T(), T()));
  Tensor Out = C.result();
  const T *A = C.in(0).data<T>();
  const T *B = C.in(1).data<T>();
  R *O = Out.data<R>();
  for (int64_t I = 0, N = Out.numel(); I < N; ++I)
    O[I] = Fn(A[I], B[I]);
  return Out;
}

template <class T> Tensor unaryOp(const NodeContext &C) {
  OpCode Op = C.N.Op;
  return mapUnary<T>(C, [&](T X) {
    std::optional<T> V = scalar::unary(Op, X);
    NJ_CHECK(V, "not a unary op on " << dtypeName(C.N.Type.Dtype) << ": " << opName(Op));
    return *V;
  });
}

template <class T> Tensor binaryOp(const NodeContext &C) {
  OpCode Op = C.N.Op;
  if (hasTrait(Op, kComparison))
    return mapBinary<T>(C, [Op](T A, T B) { return scalar::compare(Op, A, B); });
  return mapBinary<T>(C, [&](T A, T B) {
    std::optional<T> V = scalar::arithmetic(Op, A, B);
    if (!V) {
      if constexpr (scalar::IsInt<T>)
        if (Op == OpCode::Div && B == 0)
          C.fail("integer division by zero (" + std::to_string(A) + " / 0)");
      NJ_CHECK(false, "not a binary op on " << dtypeName(C.in(0).dtype()) << ": "
                                            << opName(Op));
    }
    return *V;
  });
}

} // namespace

Tensor evalUnary(const NodeContext &C) {
  if (C.N.Op == OpCode::StopGradient)
    return C.in(0);
  return visitDType(C.N.Type.Dtype, [&](auto T) { return unaryOp<decltype(T)>(C); });
}

Tensor evalBinary(const NodeContext &C) {
  return visitDType(C.in(0).dtype(), [&](auto T) { return binaryOp<decltype(T)>(C); });
}

Tensor evalTernary(const NodeContext &C) {
  return visitDType(C.N.Type.Dtype, [&](auto Tag) {
    using T = decltype(Tag);
    Tensor R = C.result();
    T *Out = R.data<T>();
    if (C.N.Op == OpCode::Select) {
      const bool *Cond = C.in(0).data<bool>();
      const T *A = C.in(1).data<T>(), *B = C.in(2).data<T>();
      for (int64_t I = 0, N = R.numel(); I < N; ++I)
        Out[I] = Cond[I] ? A[I] : B[I];
      return R;
    }
    NJ_CHECK(C.N.Op == OpCode::Clip, "not a ternary op");
    const T *X = C.in(0).data<T>(), *Lo = C.in(1).data<T>(), *Hi = C.in(2).data<T>();
    for (int64_t I = 0, N = R.numel(); I < N; ++I)
      Out[I] = scalar::clip(X[I], Lo[I], Hi[I]);
    return R;
  });
}

Tensor evalCast(const NodeContext &C) {
  return visitDType(C.in(0).dtype(), [&](auto FromTag) {
    using From = decltype(FromTag);
    return visitDType(C.N.Type.Dtype, [&](auto ToTag) {
      using To = decltype(ToTag);
      Tensor R = C.result();
      const From *X = C.in(0).data<From>();
      To *Out = R.data<To>();
      for (int64_t I = 0, N = R.numel(); I < N; ++I)
        Out[I] = scalar::convert<To>(X[I]);
      return R;
    });
  });
}

} // namespace netjit::interp
