//===- dtype.cpp - Element type names and sizes ----------------------------===//
#include "ir/dtype.h"

namespace netjit {

std::string_view dtypeName(DType T) {
  switch (T) {
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::Bool: return "bool";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view Name) {
  for (DType T : {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool})
    if (dtypeName(T) == Name)
      return T;
  return std::nullopt;
}

size_t dtypeSize(DType T) {
  switch (T) {
  case DType::F32: return 4;
  case DType::F64: return 8;
  case DType::I32: return 4;
  case DType::I64: return 8;
  case DType::Bool: return 1;
  }
  return 0;
}

} // namespace netjit
