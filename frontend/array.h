//===- array.h - Linear algebra, layout, indexing and NN ops on Exprs -----===//
//
// numpy-named free functions over the layout, indexing, random and
// high-level ops of the IR: matmul, transpose, reshape (with one -1),
// broadcast_to, concatenate, slicing, padding, take_along_axis, one_hot,
// softmax and friends, and counter-based random draws. Axes may be negative
// (counted from the end). Loops (the IR's scan) are in frontend/scan.h.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"

#include <optional>
#include <vector>

namespace netjit {

/// [..., M, K] x [..., K, N] -> [..., M, N]; a 1-D operand is promoted to a
/// matrix (a row on the left, a column on the right) and the added axis is
/// dropped again, as numpy does.
Expr matmul(const Expr &A, const Expr &B, SourceLoc Loc = SourceLoc::current());
/// Permutes the axes; an empty Perm reverses them (numpy's default).
Expr transpose(const Expr &X, std::vector<int64_t> Perm = {},
               SourceLoc Loc = SourceLoc::current());
/// A new shape with the same number of elements; one dim may be -1 (inferred,
/// also when the other dims are symbolic: [B,28,28] -> {"B", -1}).
Expr reshape(const Expr &X, const std::vector<DimSpec> &Dims,
             SourceLoc Loc = SourceLoc::current());
/// numpy broadcast_to.
Expr broadcast_to(const Expr &X, const std::vector<DimSpec> &Dims,
                  SourceLoc Loc = SourceLoc::current());
/// Joins Exprs along an existing axis.
Expr concatenate(const std::vector<Expr> &Xs, int64_t Axis = 0,
                 SourceLoc Loc = SourceLoc::current());

/// x[..., Start:Stop:Step, ...] on one axis. Start and Stop may be symbolic
/// ("T-1"); a negative constant counts from the end; no Stop means the end.
Expr slice(const Expr &X, int64_t Axis, DimSpec Start,
           std::optional<DimSpec> Stop = std::nullopt, int64_t Step = 1,
           SourceLoc Loc = SourceLoc::current());
/// The IR's slice: one start, stop and step per axis.
Expr slice(const Expr &X, const std::vector<DimSpec> &Starts,
           const std::vector<DimSpec> &Stops, std::vector<int64_t> Steps,
           SourceLoc Loc = SourceLoc::current());
/// Zero padding: Low/High per axis, and optional Interior (between elements).
Expr pad(const Expr &X, const std::vector<DimSpec> &Low,
         const std::vector<DimSpec> &High, std::vector<int64_t> Interior = {},
         SourceLoc Loc = SourceLoc::current());

/// numpy take_along_axis: out[..i..] = x[..idx[..i..]..] on Axis; Idx is an
/// integer Expr of X's rank. An index out of range is a runtime error.
Expr take_along_axis(const Expr &X, const Expr &Idx, int64_t Axis,
                     SourceLoc Loc = SourceLoc::current());
/// The adjoint of take_along_axis: zeros of extent Size on Axis, then
/// out[..idx[p]..] += upd[p].
Expr scatter_add(const Expr &Idx, const Expr &Upd, int64_t Axis, DimSpec Size,
                 SourceLoc Loc = SourceLoc::current());
/// A new last axis of extent Depth, 1 at each index and 0 elsewhere.
Expr one_hot(const Expr &Idx, DimSpec Depth, DType T = DType::F32,
             SourceLoc Loc = SourceLoc::current());

Expr softmax(const Expr &X, int64_t Axis = -1,
             SourceLoc Loc = SourceLoc::current());
Expr log_softmax(const Expr &X, int64_t Axis = -1,
                 SourceLoc Loc = SourceLoc::current());
/// Per row, -log softmax(logits)[label] over the last axis: logits f[..., K],
/// labels int[...]. Its gradient is softmax(logits) - one_hot(labels).
Expr softmax_cross_entropy(const Expr &Logits, const Expr &Labels,
                           SourceLoc Loc = SourceLoc::current());

/// The runtime extent of X's Axis (symbolic dims included) as a scalar.
Expr dim_size(const Expr &X, int64_t Axis, DType T,
              SourceLoc Loc = SourceLoc::current());
/// The runtime number of elements of X as a scalar.
Expr num_elements(const Expr &X, DType T, SourceLoc Loc = SourceLoc::current());

/// Draws from Philox-4x32-10 under an i64[] Key: uniform in [0, 1), and
/// standard normal. Equal keys give equal draws (see docs/ir.md).
Expr random_uniform(const Expr &Key, DType T, const std::vector<DimSpec> &Dims,
                    SourceLoc Loc = SourceLoc::current());
Expr random_normal(const Expr &Key, DType T, const std::vector<DimSpec> &Dims,
                   SourceLoc Loc = SourceLoc::current());

} // namespace netjit
