//===- scalar_ops.h - The meaning of every elementwise op on one element --===//
//
// The single definition of what each elementwise op computes, shared by the
// reference interpreter (runtime/) and constant folding (passes/), so the two
// agree bit for bit by construction. Values are computed in the operand's
// C++ type (float arithmetic and float libm calls for f32). Integer arithmetic
// wraps modulo 2^n instead of being undefined, MIN / -1 wraps to MIN, and
// integer division by zero has no value (the caller reports it). NaN follows
// numpy: maximum, minimum, clip and relu propagate a NaN operand, sign(NaN)
// is NaN, comparisons with NaN are false (ne is true). xlogy(0, y) is 0 for
// every y. Float-to-integer casts saturate, and NaN casts to 0.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/ops.h"

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

namespace netjit::scalar {

template <class T>
constexpr bool IsInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;

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
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(X);
  else
    return false;
}

/// numpy's maximum: a NaN operand wins.
template <class T> T maximum(T A, T B) {
  return isNaN(A) ? A : isNaN(B) ? B : A < B ? B : A;
}
template <class T> T minimum(T A, T B) {
  return isNaN(A) ? A : isNaN(B) ? B : B < A ? B : A;
}
/// clip(x, lo, hi) = minimum(maximum(x, lo), hi).
template <class T> T clip(T X, T Lo, T Hi) { return minimum(maximum(X, Lo), Hi); }

/// The transcendental unary ops, on f32 or f64.
template <class T> std::optional<T> floatUnary(OpCode Op, T X) {
  switch (Op) {
  case OpCode::Exp: return std::exp(X);
  case OpCode::Log: return std::log(X);
  case OpCode::Log1p: return std::log1p(X);
  case OpCode::Expm1: return std::expm1(X);
  case OpCode::Sqrt: return std::sqrt(X);
  case OpCode::Rsqrt: return T(1) / std::sqrt(X);
  case OpCode::Tanh: return std::tanh(X);
  case OpCode::Sigmoid: // never exponentiates a positive number
    if (X >= 0)
      return T(1) / (T(1) + std::exp(-X));
    return std::exp(X) / (T(1) + std::exp(X));
  case OpCode::Softplus: // log(1 + e^x) = log1p(e^-|x|) + max(x, 0)
    return std::log1p(std::exp(-std::abs(X))) + (X > 0 ? X : T(0));
  default:
    return std::nullopt;
  }
}

/// op(X) in T, or nullopt when Op is not a unary op on T.
template <class T> std::optional<T> unary(OpCode Op, T X) {
  if constexpr (std::is_same_v<T, bool>) {
    if (Op == OpCode::Not)
      return !X;
    return std::nullopt;
  } else {
    switch (Op) {
    case OpCode::Neg: // IEEE negation for floats: neg(0.0) is -0.0
      if constexpr (IsInt<T>)
        return wrapSub(T(0), X);
      else
        return -X;
    case OpCode::Abs:
      if constexpr (IsInt<T>)
        return X < 0 ? wrapSub(T(0), X) : X;
      else
        return std::abs(X);
    case OpCode::Sign: return isNaN(X) ? X : X > 0 ? T(1) : X < 0 ? T(-1) : T(0);
    case OpCode::Square: return wrapMul(X, X);
    case OpCode::Relu: return isNaN(X) || X > 0 ? X : T(0);
    default:
      break;
    }
    if constexpr (std::is_floating_point_v<T>)
      return floatUnary(Op, X);
    return std::nullopt;
  }
}

/// op(A, B) in T for arithmetic and logical ops; nullopt for integer
/// division by zero or an op that is not arithmetic on T.
template <class T> std::optional<T> arithmetic(OpCode Op, T A, T B) {
  if constexpr (std::is_same_v<T, bool>) {
    if (Op == OpCode::And)
      return A && B;
    if (Op == OpCode::Or)
      return A || B;
    return std::nullopt;
  } else {
    switch (Op) {
    case OpCode::Add: return wrapAdd(A, B);
    case OpCode::Sub: return wrapSub(A, B);
    case OpCode::Mul: return wrapMul(A, B);
    case OpCode::Div:
      if constexpr (IsInt<T>) {
        if (B == 0)
          return std::nullopt;
        return B == -1 ? wrapSub(T(0), A) : A / B;
      } else {
        return A / B;
      }
    case OpCode::Maximum: return maximum(A, B);
    case OpCode::Minimum: return minimum(A, B);
    default:
      break;
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (Op == OpCode::Pow)
        return std::pow(A, B);
      if (Op == OpCode::Xlogy)
        return A == 0 ? T(0) : A * std::log(B);
    }
    return std::nullopt;
  }
}

/// A comparison op (kComparison) on two values.
template <class T> bool compare(OpCode Op, T A, T B) {
  switch (Op) {
  case OpCode::Eq: return A == B;
  case OpCode::Ne: return A != B;
  case OpCode::Lt: return A < B;
  case OpCode::Le: return A <= B;
  case OpCode::Gt: return A > B;
  default: return A >= B;
  }
}

/// A C cast, except that a float out of an integer's range saturates and
/// NaN becomes 0.
template <class To, class From> To convert(From X) {
  if constexpr (IsInt<To> && std::is_floating_point_v<From>) {
    if (std::isnan(X))
      return 0;
    if (X <= static_cast<From>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (X >= static_cast<From>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
  }
  return static_cast<To>(X);
}

} // namespace netjit::scalar
