//===- fold.cpp - Constant folding: elementwise ops and the dispatcher ----===//
//
// Elementwise ops fold through ir/scalar_ops.h, the per-element semantics
// the interpreter uses too, so folded constants agree with evaluation bit for
// bit (fold_test.cpp compares them for every foldable op). An op with no
// value (integer division by zero) is left unfolded so that the runtime
// reports it.
//
//===----------------------------------------------------------------------===//
#include "ir/scalar_ops.h"
#include "passes/fold_kernels.h"

#include <cmath>
#include <limits>

namespace netjit::fold {
namespace {

/// Folds an elementwise op; every operand has the result's element count.
std::optional<Bytes> foldElementwise(OpCode Op, const Attrs &A,
                                     const TensorType &R,
                                     std::span<const ConstantRef> In) {
  int64_t N = product(staticShape(R.Dims));
  Bytes Out = zeros(R);
  DType OperandType = In.back().Type->Dtype; // select's cond is operand 0
  return visitDType(OperandType, [&](auto Tag) -> std::optional<Bytes> {
    using T = decltype(Tag);
    auto At = [&](size_t K, int64_t I) { return load<T>(*In[K].Value, I); };
    for (int64_t I = 0; I < N; ++I) {
      if (Op == OpCode::Cast) {
        visitDType(R.Dtype, [&](auto ToTag) {
          store(Out, I, scalar::convert<decltype(ToTag)>(At(0, I)));
          return 0;
        });
      } else if (Op == OpCode::Select) {
        store(Out, I, load<bool>(*In[0].Value, I) ? At(1, I) : At(2, I));
      } else if (Op == OpCode::Clip) {
        if constexpr (std::is_same_v<T, bool>)
          return std::nullopt;
        else
          store(Out, I, scalar::clip(At(0, I), At(1, I), At(2, I)));
      } else if (hasTrait(Op, kComparison)) {
        store(Out, I, scalar::compare(Op, At(0, I), At(1, I)));
      } else if (In.size() == 1) {
        std::optional<T> V = scalar::unary(Op, At(0, I));
        if (!V)
          return std::nullopt;
        store(Out, I, *V);
      } else {
        std::optional<T> V = scalar::arithmetic(Op, At(0, I), At(1, I));
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
