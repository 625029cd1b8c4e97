//===- interpreter_kernels.h - The interpreter's per-op kernels (private) -===//
//
// Shared by the interpreter's .cpp files only: the context one node is
// evaluated in (its operands' values, its concrete result shape, the dim
// bindings), the kernels for each family of ops, and small helpers to walk
// C-ordered index spaces and dispatch on dtypes.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dim.h"
#include "ir/error.h"
#include "ir/graph.h"
#include "runtime/tensor.h"

#include <cstring>
#include <string>
#include <vector>

namespace netjit::interp {

/// One node being evaluated.
struct NodeContext {
  const Node &N;
  /// The operands' values, in operand order.
  std::vector<const Tensor *> In;
  /// The node's result shape under the bindings.
  std::vector<int64_t> OutShape;
  const DimBindings &Bindings;

  const Tensor &in(size_t I) const { return *In[I]; }
  /// A RuntimeError "'op': Problem".
  [[noreturn]] void fail(const std::string &Problem) const;
  /// A dim attribute evaluated under the bindings; an unbound symbol or a
  /// negative value is a RuntimeError naming the op and the attribute.
  int64_t dim(std::string_view Key) const;
  /// A dim-list attribute evaluated under the bindings, checked likewise.
  std::vector<int64_t> dims(std::string_view Key) const;
  std::vector<int64_t> dimList(std::string_view Key, const Shape &Dims) const;
  /// A zero-filled result of the node's dtype and shape.
  Tensor result() const { return Tensor(N.Type.Dtype, OutShape); }
};

// Kernels, by family. Each returns the node's value.
Tensor evalUnary(const NodeContext &C);   // neg ... not, stop_gradient
Tensor evalBinary(const NodeContext &C);  // add ... ge
Tensor evalTernary(const NodeContext &C); // select, clip
Tensor evalCast(const NodeContext &C);
Tensor evalReduction(const NodeContext &C); // sum, mean, max, min, logsumexp
Tensor evalArgmax(const NodeContext &C);
Tensor evalMatMul(const NodeContext &C);
Tensor evalSoftmax(const NodeContext &C, bool Log);
Tensor evalSoftmaxXent(const NodeContext &C);
Tensor evalTranspose(const NodeContext &C);
Tensor evalBroadcast(const NodeContext &C);
Tensor evalSlice(const NodeContext &C);
Tensor evalPad(const NodeContext &C);
Tensor evalConcat(const NodeContext &C);
Tensor evalGather(const NodeContext &C);
Tensor evalScatterAdd(const NodeContext &C);
Tensor evalOneHot(const NodeContext &C);
Tensor evalRandom(const NodeContext &C, bool Normal);

/// C-order strides (in elements) of Shape.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &Shape);

/// Calls Fn(I, J) for every element of Shape in C order, I its flat index
/// and J = Base + sum(index[d] * Strides[d]), an offset into another tensor.
template <class F>
void forEachOffset(const std::vector<int64_t> &Shape,
                   const std::vector<int64_t> &Strides, int64_t Base, F &&Fn) {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
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

/// Copies element SrcIndex of Src to element DstIndex of Dst (same dtype).
inline void copyElement(Tensor &Dst, int64_t DstIndex, const Tensor &Src,
                        int64_t SrcIndex) {
  size_t Size = dtypeSize(Dst.dtype());
  std::memcpy(static_cast<uint8_t *>(Dst.raw()) + DstIndex * Size,
              static_cast<const uint8_t *>(Src.raw()) + SrcIndex * Size, Size);
}

/// Calls Fn(T{}) with T the C++ type of a numeric dtype (bool is an
/// internal error: the type rules keep it out).
template <class F> decltype(auto) visitNumeric(DType T, F &&Fn) {
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
  NJ_CHECK(false, "numeric kernel called on bool");
  return Fn(float{});
}

/// Like visitNumeric, bool included.
template <class F> decltype(auto) visitDType(DType T, F &&Fn) {
  if (T == DType::Bool)
    return Fn(bool{});
  return visitNumeric(T, Fn);
}

/// Calls Fn(T{}) with T float or double (anything else is an internal error).
template <class F> decltype(auto) visitFloat(DType T, F &&Fn) {
  NJ_CHECK(isFloat(T), "float kernel called on " << dtypeName(T));
  if (T == DType::F64)
    return Fn(double{});
  return Fn(float{});
}

} // namespace netjit::interp
