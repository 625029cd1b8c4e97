//===- fold.cpp - Constant folding: elementwise ops and the dispatcher ----===//
//
// A scalar evaluator for every elementwise op, written to agree bit for bit
// with runtime/interpreter_elementwise.cpp: the same computation in the same
// C++ type (float for f32), the same libm calls, integer arithmetic wrapping
// modulo 2^n, numpy's NaN rules for maximum/minimum/clip/relu/sign, and the
// interpreter's saturating float-to-integer casts. Keep the two in step: a
// change to one is a change to the other (fold_test.cpp compares them).
//
//===----------------------------------------------------------------------===//
#include "passes/fold_kernels.h"

#include <cmath>
#include <limits>

namespace netjit::fold {
namespace {

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
  if constexpr (IsInt<T>)
    return false;
  else
    return std::isnan(X);
}

template <class T> T maximum(T A, T B) {
  return isNaN(A) ? A : isNaN(B) ? B : A < B ? B : A;
}
template <class T> T minimum(T A, T B) {
  return isNaN(A) ? A : isNaN(B) ? B : B < A ? B : A;
}

template <class T> std::optional<T> floatUnary(OpCode Op, T X) {
  switch (Op) {
  case OpCode::Exp:
    return std::exp(X);
  case OpCode::Log:
    return std::log(X);
  case OpCode::Log1p:
    return std::log1p(X);
  case OpCode::Expm1:
    return std::expm1(X);
  case OpCode::Sqrt:
    return std::sqrt(X);
  case OpCode::Rsqrt:
    return T(1) / std::sqrt(X);
  case OpCode::Tanh:
    return std::tanh(X);
  case OpCode::Sigmoid:
    if (X >= 0)
      return T(1) / (T(1) + std::exp(-X));
    return std::exp(X) / (T(1) + std::exp(X));
  case OpCode::Softplus:
    return std::log1p(std::exp(-std::abs(X))) + (X > 0 ? X : T(0));
  default:
    return std::nullopt;
  }
}

/// op(X) computed in T, or nullopt when Op is not a unary op on T.
template <class T> std::optional<T> unary(OpCode Op, T X) {
  if constexpr (std::is_same_v<T, bool>) {
    if (Op == OpCode::Not)
      return !X;
    return std::nullopt;
  } else {
    switch (Op) {
    case OpCode::Neg:
      if constexpr (IsInt<T>)
        return wrapSub(T(0), X);
      else
        return -X;
    case OpCode::Abs:
      if constexpr (IsInt<T>)
        return X < 0 ? wrapSub(T(0), X) : X;
      else
        return std::abs(X);
    case OpCode::Sign:
      return isNaN(X) ? X : X > 0 ? T(1) : X < 0 ? T(-1) : T(0);
    case OpCode::Square:
      return wrapMul(X, X);
    case OpCode::Relu:
      return isNaN(X) || X > 0 ? X : T(0);
    default:
      break;
    }
    if constexpr (std::is_floating_point_v<T>)
      return floatUnary(Op, X);
    return std::nullopt;
  }
}

/// op(A, B) computed in T for arithmetic ops; nullopt for a runtime error
/// (integer division by zero) or an op that is not arithmetic on T.
template <class T> std::optional<T> arithmetic(OpCode Op, T A, T B) {
  if constexpr (std::is_same_v<T, bool>) {
    if (Op == OpCode::And)
      return A && B;
    if (Op == OpCode::Or)
      return A || B;
    return std::nullopt;
  } else {
    switch (Op) {
    case OpCode::Add:
      return wrapAdd(A, B);
    case OpCode::Sub:
      return wrapSub(A, B);
    case OpCode::Mul:
      return wrapMul(A, B);
    case OpCode::Div:
      if constexpr (IsInt<T>) {
        if (B == 0)
          return std::nullopt;
        return B == -1 ? wrapSub(T(0), A) : A / B;
      } else {
        return A / B;
      }
    case OpCode::Maximum:
      return maximum(A, B);
    case OpCode::Minimum:
      return minimum(A, B);
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

template <class T> bool compare(OpCode Op, T A, T B) {
  switch (Op) {
  case OpCode::Eq:
    return A == B;
  case OpCode::Ne:
    return A != B;
  case OpCode::Lt:
    return A < B;
  case OpCode::Le:
    return A <= B;
  case OpCode::Gt:
    return A > B;
  default:
    return A >= B;
  }
}

/// A C cast, except that a float out of an integer's range saturates and
/// NaN becomes 0 (interp::convert).
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

/// Folds an elementwise op; every operand has the result's element count.
std::optional<Bytes> foldElementwise(OpCode Op, const Attrs &A,
                                     const TensorType &R,
                                     std::span<const ConstantRef> In) {
  int64_t N = product(staticShape(R.Dims));
  Bytes Out = zeros(R);
  DType OperandType = In.back().Type->Dtype; // select's cond is operand 0
  return visitType(OperandType, [&](auto Tag) -> std::optional<Bytes> {
    using T = decltype(Tag);
    auto At = [&](size_t K, int64_t I) { return load<T>(*In[K].Value, I); };
    for (int64_t I = 0; I < N; ++I) {
      if (Op == OpCode::Cast) {
        visitType(R.Dtype, [&](auto ToTag) {
          store(Out, I, convert<decltype(ToTag)>(At(0, I)));
          return 0;
        });
      } else if (Op == OpCode::Select) {
        store(Out, I, load<bool>(*In[0].Value, I) ? At(1, I) : At(2, I));
      } else if (Op == OpCode::Clip) {
        if constexpr (std::is_same_v<T, bool>)
          return std::nullopt;
        else
          store(Out, I, minimum(maximum(At(0, I), At(1, I)), At(2, I)));
      } else if (hasTrait(Op, kComparison)) {
        store(Out, I, compare(Op, At(0, I), At(1, I)));
      } else if (In.size() == 1) {
        std::optional<T> V = unary(Op, At(0, I));
        if (!V)
          return std::nullopt;
        store(Out, I, *V);
      } else {
        std::optional<T> V = arithmetic(Op, At(0, I), At(1, I));
        if (!V)
          return std::nullopt;
        store(Out, I, *V);
      }
    }
    return Out;
  });
}

} // namespace

std::vector<int64_t> staticShape(const Shape &S) {
  std::vector<int64_t> Out;
  for (const Dim &D : S)
    Out.push_back(D.constant());
  return Out;
}

int64_t product(const std::vector<int64_t> &Shape) {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return N;
}

std::vector<int64_t> stridesOf(const std::vector<int64_t> &Shape) {
  std::vector<int64_t> Strides(Shape.size(), 1);
  for (size_t D = Shape.size(); D-- > 1;)
    Strides[D - 1] = Strides[D] * Shape[D];
  return Strides;
}

Bytes zeros(const TensorType &T) {
  Bytes B;
  B.Data.assign(static_cast<size_t>(product(staticShape(T.Dims))) *
                    dtypeSize(T.Dtype),
                0);
  return B;
}

} // namespace netjit::fold

namespace netjit {

bool isFoldable(OpCode Op) {
  if (Op == OpCode::StopGradient)
    return false;
  if (hasTrait(Op, kElementwise) || hasTrait(Op, kReduction))
    return true;
  switch (Op) {
  case OpCode::Argmax:
  case OpCode::Transpose:
  case OpCode::Reshape:
  case OpCode::Broadcast:
  case OpCode::Slice:
  case OpCode::Pad:
  case OpCode::Concat:
    return true;
  default:
    return false;
  }
}

std::optional<Bytes> foldConstant(OpCode Op, const Attrs &A,
                                  const TensorType &Result,
                                  std::span<const ConstantRef> Operands) {
  if (!isFoldable(Op) || Operands.empty())
    return std::nullopt;
  for (const Dim &D : Result.Dims)
    if (!D.isConstant())
      return std::nullopt;
  if (numElements(Result.Dims).constant() > kMaxFoldElements)
    return std::nullopt;
  if (hasTrait(Op, kElementwise))
    return fold::foldElementwise(Op, A, Result, Operands);
  if (hasTrait(Op, kReduction))
    return fold::foldReduction(Op, A, Result, Operands[0]);
  if (Op == OpCode::Argmax)
    return fold::foldArgmax(A, Result, Operands[0]);
  return fold::foldLayout(Op, A, Result, Operands);
}

} // namespace netjit
