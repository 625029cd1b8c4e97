//===- dtype_visit.h - Dispatch from a dtype to its C++ type --------------===//
//
// Calls a generic lambda with a value of the C++ type of a dtype (float,
// double, int32_t, int64_t, bool), so that one template serves every dtype.
// Shared by the reference interpreter (runtime/interpreter*.cpp) and
// constant folding (passes/fold*.cpp).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dtype.h"
#include "ir/error.h"

#include <cstdint>

namespace netjit {

/// Calls Fn(T{}) with T the C++ type of a numeric dtype (bool is an
/// internal error, and Fn is never instantiated for it).
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

} // namespace netjit
