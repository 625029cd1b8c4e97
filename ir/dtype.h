//===- dtype.h - Element types of netjit tensors ---------------------------===//
//
// Five element types: f32, f64, i32, i64 and bool. There is no implicit
// promotion anywhere in the IR; a `cast` node converts explicitly.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace netjit {

enum class DType : uint8_t { F32, F64, I32, I64, Bool };

/// The IR spelling: "f32", "f64", "i32", "i64", "bool".
std::string_view dtypeName(DType T);
/// Parses an IR spelling; nullopt for anything else.
std::optional<DType> parseDType(std::string_view Name);
/// Bytes per element (bool is one byte holding 0 or 1).
size_t dtypeSize(DType T);

inline bool isFloat(DType T) { return T == DType::F32 || T == DType::F64; }
inline bool isInteger(DType T) { return T == DType::I32 || T == DType::I64; }

} // namespace netjit
