//===- math.h - Elementwise functions and reductions on Exprs --------------===//
//
// numpy-named free functions over the elementwise and reduction ops of the
// IR. Binary functions broadcast their operands as numpy does and accept a
// number for either one (a scalar of the other's dtype). There is no
// implicit dtype promotion: mixing f32 and f64 Exprs, or a float and an
// integer one, is a TypeError (use cast). Reductions take `Axes` (negative
// counts from the end; empty means every axis) and `KeepDims`.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"

#include <vector>

namespace netjit {

// Elementwise unary functions; the float-only ones reject integer Exprs.
Expr negative(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr abs(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr sign(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr exp(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr log(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr log1p(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr expm1(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr sqrt(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr rsqrt(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr square(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr tanh(const Expr &X, SourceLoc Loc = SourceLoc::current());
/// 1 / (1 + exp(-x)).
Expr sigmoid(const Expr &X, SourceLoc Loc = SourceLoc::current());
/// log(1 + exp(x)), computed stably.
Expr softplus(const Expr &X, SourceLoc Loc = SourceLoc::current());
/// max(x, 0).
Expr relu(const Expr &X, SourceLoc Loc = SourceLoc::current());
Expr logical_not(const Expr &X, SourceLoc Loc = SourceLoc::current());

// Elementwise binary functions (numpy broadcasting).
Expr add(const Operand &A, const Operand &B,
         SourceLoc Loc = SourceLoc::current());
Expr subtract(const Operand &A, const Operand &B,
              SourceLoc Loc = SourceLoc::current());
Expr multiply(const Operand &A, const Operand &B,
              SourceLoc Loc = SourceLoc::current());
Expr divide(const Operand &A, const Operand &B,
            SourceLoc Loc = SourceLoc::current());
Expr power(const Operand &A, const Operand &B,
           SourceLoc Loc = SourceLoc::current());
Expr maximum(const Operand &A, const Operand &B,
             SourceLoc Loc = SourceLoc::current());
Expr minimum(const Operand &A, const Operand &B,
             SourceLoc Loc = SourceLoc::current());
/// x * log(y), exactly 0 where x == 0 (whatever y is), as scipy's xlogy.
Expr xlogy(const Operand &X, const Operand &Y,
           SourceLoc Loc = SourceLoc::current());
Expr logical_and(const Operand &A, const Operand &B,
                 SourceLoc Loc = SourceLoc::current());
Expr logical_or(const Operand &A, const Operand &B,
                SourceLoc Loc = SourceLoc::current());
Expr equal(const Operand &A, const Operand &B,
           SourceLoc Loc = SourceLoc::current());
Expr not_equal(const Operand &A, const Operand &B,
               SourceLoc Loc = SourceLoc::current());
Expr less(const Operand &A, const Operand &B,
          SourceLoc Loc = SourceLoc::current());
Expr less_equal(const Operand &A, const Operand &B,
                SourceLoc Loc = SourceLoc::current());
Expr greater(const Operand &A, const Operand &B,
             SourceLoc Loc = SourceLoc::current());
Expr greater_equal(const Operand &A, const Operand &B,
                   SourceLoc Loc = SourceLoc::current());

/// Cond ? A : B elementwise (Cond bool; all three broadcast together). Its
/// gradient is exactly zero on the branch not taken, even where that branch
/// is inf or NaN.
Expr where(const Expr &Cond, const Operand &A, const Operand &B,
           SourceLoc Loc = SourceLoc::current());
/// min(max(x, lo), hi).
Expr clip(const Expr &X, const Operand &Lo, const Operand &Hi,
          SourceLoc Loc = SourceLoc::current());
/// Converts to another dtype (bool -> 0/1, float -> int truncates).
Expr cast(const Expr &X, DType T, SourceLoc Loc = SourceLoc::current());
/// The identity, with a zero gradient.
Expr stop_gradient(const Expr &X, SourceLoc Loc = SourceLoc::current());

// Reductions.
Expr sum(const Expr &X, std::vector<int64_t> Axes = {}, bool KeepDims = false,
         SourceLoc Loc = SourceLoc::current());
Expr mean(const Expr &X, std::vector<int64_t> Axes = {}, bool KeepDims = false,
          SourceLoc Loc = SourceLoc::current());
Expr max(const Expr &X, std::vector<int64_t> Axes = {}, bool KeepDims = false,
         SourceLoc Loc = SourceLoc::current());
Expr min(const Expr &X, std::vector<int64_t> Axes = {}, bool KeepDims = false,
         SourceLoc Loc = SourceLoc::current());
/// log(sum(exp(x))), computed stably.
Expr logsumexp(const Expr &X, std::vector<int64_t> Axes = {},
               bool KeepDims = false, SourceLoc Loc = SourceLoc::current());
/// The population variance and standard deviation (numpy's default ddof=0).
/// (numpy's var and std; renamed so `std` stays the standard namespace).
Expr variance(const Expr &X, std::vector<int64_t> Axes = {},
              bool KeepDims = false, SourceLoc Loc = SourceLoc::current());
Expr stddev(const Expr &X, std::vector<int64_t> Axes = {},
            bool KeepDims = false, SourceLoc Loc = SourceLoc::current());
/// The i64 index of the first maximum along Axis.
Expr argmax(const Expr &X, int64_t Axis = -1, bool KeepDims = false,
            SourceLoc Loc = SourceLoc::current());

} // namespace netjit
