//===- literal.h - Attribute literals of the IR text form
//------------------===//
//
// The parser reads an attribute value before it knows what it must become: a
// constant's `value` is converted with the declared dtype, which follows the
// attributes on the line. A Literal keeps a number's spelling until then, so
// an f32 constant is rounded once from its decimal text. Conversions throw
// ParseError at the literal's location.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/attrs.h"
#include "ir/graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netjit {

struct Literal {
  enum KindT { Int, Float, NanBits, Bool, String, DTypeName, DimExpr, List };
  KindT Kind = Int;
  int Line = 1;
  int Col = 1;
  /// Int/Float: written with a leading '-'. NanBits: flips the sign bit.
  bool Negative = false;
  /// Int and Float: the spelling without the sign ("12", "0x1f", "1.5e3",
  /// "inf", "nan"). String: the decoded text.
  std::string Text;
  uint64_t Bits = 0; ///< NanBits: the raw pattern in nan(0x...)
  bool BoolValue = false;
  DType Type = DType::F32;
  Dim DimValue;
  std::vector<Literal> Elems; ///< List
};

/// The literal as a generic attribute value: ints, doubles, bools, strings,
/// dtypes, dims and lists of ints or dims.
AttrValue toAttrValue(const Literal &L);

/// The literal (a number, or a flat list in C order) as the bytes of a
/// constant of type T: the element count must match the static shape, ints
/// must fit the dtype, floats must be in range.
Bytes toConstantBytes(const Literal &L, const TensorType &T);

/// The value of an integer spelling (decimal or 0x hex) with a sign; nullopt
/// when it does not fit int64.
std::optional<int64_t> parseIntText(const std::string &Text, bool Negative);

} // namespace netjit
