//===- interpreter_kernels.h - The interpreter's per-op kernels (private) -===//
//
// Shared by the interpreter's .cpp files only: the context one node is
// evaluated in (its operands' values, its concrete result shape, the dim
// bindings) and the kernels for each family of ops. The helpers that walk
// C-ordered index spaces (ir/strided.h) and dispatch on dtypes
// (ir/dtype_visit.h) are shared with constant folding.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dim.h"
#include "ir/dtype_visit.h"
#include "ir/error.h"
#include "ir/graph.h"
#include "ir/strided.h"
#include "runtime/tensor.h"

#include <cstring>
#include <string>
#include <vector>

namespace netjit::interp {

using strided::forEachOffset;
using strided::stridesOf;

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

/// Copies element SrcIndex of Src to element DstIndex of Dst (same dtype).
inline void copyElement(Tensor &Dst, int64_t DstIndex, const Tensor &Src,
                        int64_t SrcIndex) {
  size_t Size = dtypeSize(Dst.dtype());
  std::memcpy(static_cast<uint8_t *>(Dst.raw()) + DstIndex * Size,
              static_cast<const uint8_t *>(Src.raw()) + SrcIndex * Size, Size);
}

} // namespace netjit::interp
