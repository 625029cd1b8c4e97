//===- interpreter_elementwise.cpp - Elementwise kernels ------------------===//
//
// Elementwise ops compute in the node's dtype (float arithmetic and float
// libm calls for f32). Integer arithmetic wraps modulo 2^n instead of being
// undefined, and integer division by zero is a RuntimeError. NaN semantics
// follow numpy: maximum, minimum, clip and relu propagate a NaN operand, sign
// of NaN is NaN, comparisons with NaN are false (ne is true).
//
//===----------------------------------------------------------------------===//
#include "runtime/interpreter_kernels.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace netjit::interp {
namespace {

template <class T> constexpr bool IsInt = std::is_integral_v<T>;

template <class T> T wrapAdd(T A, T B) {
  if constexpr (IsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(A) + static_cast<U>(B));
  } else {
    return A + B;
  }
}

template <class T> T wrapSub(T A, T B) {
  if constexpr (IsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(A) - static_cast<U>(B));
  } else {
    return A - B;
  }
}

template <class T> T wrapMul(T A, T B) {
  if constexpr (IsInt<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(A) * static_cast<U>(B));
  } else {
    return A * B;
  }
}

template <class T> bool isNaN(T X) {
  if constexpr (IsInt<T>)
    return false;
  else
    return std::isnan(X);
}

/// numpy's maximum: a NaN operand wins.
template <class T> T maximum(T A, T B) {
  if (isNaN(A))
    return A;
  if (isNaN(B))
    return B;
  return A < B ? B : A;
}

template <class T> T minimum(T A, T B) {
  if (isNaN(A))
    return A;
  if (isNaN(B))
    return B;
  return B < A ? B : A;
}

template <class T, class F> Tensor mapUnary(const NodeContext &C, F &&Fn) {
  Tensor R = C.result();
  const T *X = C.in(0).data<T>();
  T *Out = R.data<T>();
  for (int64_t I = 0, N = R.numel(); I < N; ++I)
    Out[I] = Fn(X[I]);
  return R;
}

template <class T> Tensor floatUnary(const NodeContext &C) {
  switch (C.N.Op) {
  case OpCode::Exp:
    return mapUnary<T>(C, [](T X) { return std::exp(X); });
  case OpCode::Log:
    return mapUnary<T>(C, [](T X) { return std::log(X); });
  case OpCode::Log1p:
    return mapUnary<T>(C, [](T X) { return std::log1p(X); });
  case OpCode::Expm1:
    return mapUnary<T>(C, [](T X) { return std::expm1(X); });
  case OpCode::Sqrt:
    return mapUnary<T>(C, [](T X) { return std::sqrt(X); });
  case OpCode::Rsqrt:
    return mapUnary<T>(C, [](T X) { return T(1) / std::sqrt(X); });
  case OpCode::Tanh:
    return mapUnary<T>(C, [](T X) { return std::tanh(X); });
  case OpCode::Sigmoid:
    // Stable: never exponentiate a positive number.
    return mapUnary<T>(C, [](T X) {
      if (X >= 0)
        return T(1) / (T(1) + std::exp(-X));
      T E = std::exp(X);
      return E / (T(1) + E);
    });
  case OpCode::Softplus:
    // log(1 + e^x) = log1p(e^-|x|) + max(x, 0).
    return mapUnary<T>(C, [](T X) {
      return std::log1p(std::exp(-std::abs(X))) + (X > 0 ? X : T(0));
    });
  default:
    break;
  }
  NJ_CHECK(false, "not a float unary op: " << opName(C.N.Op));
  return Tensor();
}

template <class T> Tensor numericUnary(const NodeContext &C) {
  switch (C.N.Op) {
  case OpCode::Neg: // IEEE negation for floats: neg(0.0) is -0.0, not 0 - 0.0
    return mapUnary<T>(C, [](T X) {
      if constexpr (IsInt<T>)
        return wrapSub(T(0), X);
      else
        return -X;
    });
  case OpCode::Abs:
    return mapUnary<T>(C, [](T X) {
      if constexpr (IsInt<T>)
        return X < 0 ? wrapSub(T(0), X) : X;
      else
        return std::abs(X);
    });
  case OpCode::Sign:
    return mapUnary<T>(C, [](T X) {
      return isNaN(X) ? X : X > 0 ? T(1) : X < 0 ? T(-1) : T(0);
    });
  case OpCode::Square:
    return mapUnary<T>(C, [](T X) { return wrapMul(X, X); });
  case OpCode::Relu:
    return mapUnary<T>(C, [](T X) { return isNaN(X) || X > 0 ? X : T(0); });
  default:
    break;
  }
  if constexpr (IsInt<T>)
    NJ_CHECK(false, "not an integer unary op: " << opName(C.N.Op));
  else
    return floatUnary<T>(C);
  return Tensor();
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

/// Comparisons, valid for every dtype (eq and ne also on bool).
template <class T> Tensor compare(const NodeContext &C) {
  switch (C.N.Op) {
  case OpCode::Eq:
    return mapBinary<T>(C, [](T A, T B) { return A == B; });
  case OpCode::Ne:
    return mapBinary<T>(C, [](T A, T B) { return A != B; });
  case OpCode::Lt:
    return mapBinary<T>(C, [](T A, T B) { return A < B; });
  case OpCode::Le:
    return mapBinary<T>(C, [](T A, T B) { return A <= B; });
  case OpCode::Gt:
    return mapBinary<T>(C, [](T A, T B) { return A > B; });
  case OpCode::Ge:
    return mapBinary<T>(C, [](T A, T B) { return A >= B; });
  default:
    break;
  }
  NJ_CHECK(false, "not a comparison: " << opName(C.N.Op));
  return Tensor();
}

/// Truncating integer division; division by zero is the user's error, and
/// MIN / -1 wraps to MIN instead of trapping.
template <class T> T intDiv(const NodeContext &C, T A, T B) {
  if (B == 0)
    C.fail("integer division by zero (" + std::to_string(A) + " / 0)");
  if (B == -1)
    return wrapSub(T(0), A);
  return A / B;
}

template <class T> Tensor arithmetic(const NodeContext &C) {
  switch (C.N.Op) {
  case OpCode::Add:
    return mapBinary<T>(C, wrapAdd<T>);
  case OpCode::Sub:
    return mapBinary<T>(C, wrapSub<T>);
  case OpCode::Mul:
    return mapBinary<T>(C, wrapMul<T>);
  case OpCode::Div:
    if constexpr (IsInt<T>)
      return mapBinary<T>(C, [&C](T A, T B) { return intDiv(C, A, B); });
    else
      return mapBinary<T>(C, [](T A, T B) { return A / B; });
  case OpCode::Maximum:
    return mapBinary<T>(C, maximum<T>);
  case OpCode::Minimum:
    return mapBinary<T>(C, minimum<T>);
  default:
    break;
  }
  if constexpr (!IsInt<T>) {
    if (C.N.Op == OpCode::Pow)
      return mapBinary<T>(C, [](T A, T B) { return std::pow(A, B); });
    if (C.N.Op == OpCode::Xlogy)
      return mapBinary<T>(
          C, [](T X, T Y) { return X == 0 ? T(0) : X * std::log(Y); });
  }
  NJ_CHECK(false, "not an arithmetic op on " << dtypeName(C.N.Type.Dtype)
                                             << ": " << opName(C.N.Op));
  return Tensor();
}

/// Converts one value like a C cast, except that a float out of an
/// integer's range saturates (NaN gives 0) instead of being undefined.
template <class To, class From> To convert(From X) {
  if constexpr (IsInt<To> && !std::is_same_v<To, bool> &&
                std::is_floating_point_v<From>) {
    if (std::isnan(X))
      return 0;
    if (X <= static_cast<From>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (X >= static_cast<From>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
  }
  return static_cast<To>(X);
}

} // namespace

Tensor evalUnary(const NodeContext &C) {
  switch (C.N.Op) {
  case OpCode::Not:
    return mapUnary<bool>(C, [](bool X) { return !X; });
  case OpCode::StopGradient:
    return C.in(0);
  default:
    return visitNumeric(C.N.Type.Dtype,
                        [&](auto T) { return numericUnary<decltype(T)>(C); });
  }
}

Tensor evalBinary(const NodeContext &C) {
  DType T = C.in(0).dtype();
  if (hasTrait(C.N.Op, kComparison))
    return visitDType(T, [&](auto X) { return compare<decltype(X)>(C); });
  if (C.N.Op == OpCode::And)
    return mapBinary<bool>(C, [](bool A, bool B) { return A && B; });
  if (C.N.Op == OpCode::Or)
    return mapBinary<bool>(C, [](bool A, bool B) { return A || B; });
  return visitNumeric(T, [&](auto X) { return arithmetic<decltype(X)>(C); });
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
    const T *X = C.in(0).data<T>(), *Lo = C.in(1).data<T>(),
            *Hi = C.in(2).data<T>();
    for (int64_t I = 0, N = R.numel(); I < N; ++I)
      Out[I] = minimum(maximum(X[I], Lo[I]), Hi[I]);
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
        Out[I] = convert<To>(X[I]);
      return R;
    });
  });
}

} // namespace netjit::interp
