//===- literal.cpp - Attribute literals of the IR text form
//----------------===//
//
// Converts parsed literals into attribute values and constant bytes. Every
// number is range-checked against the type it must fit (an int64 attribute,
// an i32 element, an f32 element), and every failure is a ParseError at the
// literal. NaNs keep their bits: `nan` is the canonical quiet NaN, `-nan` the
// same with the sign bit, `nan(0x7fc00001)` exactly those bits.
//
//===----------------------------------------------------------------------===//
#include "ir/literal.h"

#include "ir/error.h"
#include "ir/lexer.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <type_traits>

namespace netjit {
namespace {

[[noreturn]] void fail(const Literal &L, const std::string &Msg) {
  throw ParseError(L.Line, L.Col, Msg);
}

std::string hexBits(uint64_t Bits) {
  static const char Hex[] = "0123456789abcdef";
  std::string Digits;
  do {
    Digits.insert(Digits.begin(), Hex[Bits & 15]);
    Bits >>= 4;
  } while (Bits);
  return "0x" + Digits;
}

/// The literal as written, for messages.
std::string spelling(const Literal &L) {
  std::string Sign = L.Negative ? "-" : "";
  switch (L.Kind) {
  case Literal::Int:
  case Literal::Float:
    return "'" + Sign + L.Text + "'";
  case Literal::NanBits:
    return "'" + Sign + "nan(" + hexBits(L.Bits) + ")'";
  case Literal::Bool:
    return L.BoolValue ? "'true'" : "'false'";
  case Literal::String:
    return "string " + quoteString(L.Text);
  case Literal::DTypeName:
    return "dtype '" + std::string(dtypeName(L.Type)) + "'";
  case Literal::DimExpr:
    return "dim '" + L.DimValue.str() + "'";
  case Literal::List:
    return "a list";
  }
  return "a value";
}

int64_t needInt(const Literal &L, std::string_view For) {
  if (L.Kind != Literal::Int)
    fail(L, "expected an integer" + std::string(For) + ", got " + spelling(L));
  std::optional<int64_t> V = parseIntText(L.Text, L.Negative);
  if (!V)
    fail(L,
         "integer literal overflow: " + spelling(L) + " does not fit 64 bits");
  return *V;
}

template <class F> F flipSign(F V) {
  using Bits = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;
  return std::bit_cast<F>(std::bit_cast<Bits>(V) ^
                          (Bits(1) << (sizeof(F) * 8 - 1)));
}

/// A float or double from an int, a decimal spelling, inf, nan or nan bits.
template <class F> F toFloating(const Literal &L, std::string_view DTypeStr) {
  using Bits = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;
  F V;
  switch (L.Kind) {
  case Literal::Int:
    V = static_cast<F>(needInt(L, ""));
    return V;
  case Literal::Float:
    if (L.Text == "inf") {
      V = std::numeric_limits<F>::infinity();
    } else if (L.Text == "nan") {
      V = std::bit_cast<F>(sizeof(F) == 4 ? Bits(0x7fc00000u)
                                          : Bits(0x7ff8000000000000ull));
    } else {
      const char *End = L.Text.data() + L.Text.size();
      auto R = std::from_chars(L.Text.data(), End, V);
      if (R.ec != std::errc() || R.ptr != End)
        fail(L, "number " + spelling(L) + " is out of range for " +
                    std::string(DTypeStr));
    }
    return L.Negative ? flipSign(V) : V;
  case Literal::NanBits: {
    if (L.Bits > std::numeric_limits<Bits>::max())
      fail(L,
           spelling(L) + " does not fit the bits of " + std::string(DTypeStr));
    V = std::bit_cast<F>(static_cast<Bits>(L.Bits));
    if (V == V) // not a NaN
      fail(L, spelling(L) + " is not a NaN bit pattern of " +
                  std::string(DTypeStr));
    return L.Negative ? flipSign(V) : V;
  }
  default:
    fail(L, "expected a number for " + std::string(DTypeStr) + ", got " +
                spelling(L));
  }
}

AttrValue toListValue(const Literal &L) {
  bool AllInts = true;
  for (const Literal &E : L.Elems) {
    if (E.Kind != Literal::Int && E.Kind != Literal::DimExpr)
      fail(E, "a list attribute holds integers or dims, got " + spelling(E));
    AllInts = AllInts && E.Kind == Literal::Int;
  }
  if (AllInts) {
    std::vector<int64_t> Ints;
    for (const Literal &E : L.Elems)
      Ints.push_back(needInt(E, ""));
    return Ints;
  }
  std::vector<Dim> Dims;
  for (const Literal &E : L.Elems)
    Dims.push_back(E.Kind == Literal::Int ? Dim(needInt(E, "")) : E.DimValue);
  return Dims;
}

/// The number of elements of a static shape, checked.
uint64_t staticCount(const Literal &L, const TensorType &T) {
  uint64_t Count = 1;
  for (const Dim &D : T.Dims) {
    if (!D.isConstant())
      fail(L, "a constant needs a static shape, got " + T.str());
    if (D.constant() < 0)
      fail(L, "a constant's shape " + T.str() + " has a negative dim");
    if (__builtin_mul_overflow(Count, static_cast<uint64_t>(D.constant()),
                               &Count))
      fail(L, "a constant's shape " + T.str() + " is too large");
  }
  return Count;
}

template <class V> void append(Bytes &B, V Value) {
  size_t At = B.Data.size();
  B.Data.resize(At + sizeof(V));
  std::memcpy(B.Data.data() + At, &Value, sizeof(V));
}

void appendElement(Bytes &B, const Literal &E, DType T) {
  switch (T) {
  case DType::F32:
    return append(B, toFloating<float>(E, "f32"));
  case DType::F64:
    return append(B, toFloating<double>(E, "f64"));
  case DType::I32: {
    int64_t V = needInt(E, " for i32");
    if (V < INT32_MIN || V > INT32_MAX)
      fail(E, "integer literal overflow: " + spelling(E) + " does not fit i32");
    return append(B, static_cast<int32_t>(V));
  }
  case DType::I64:
    return append(B, needInt(E, " for i64"));
  case DType::Bool:
    if (E.Kind != Literal::Bool)
      fail(E, "expected true or false for bool, got " + spelling(E));
    B.Data.push_back(E.BoolValue ? 1 : 0);
    return;
  }
}

} // namespace

std::optional<int64_t> parseIntText(const std::string &Text, bool Negative) {
  bool IsHex =
      Text.size() > 2 && Text[0] == '0' && (Text[1] == 'x' || Text[1] == 'X');
  const char *Begin = Text.data() + (IsHex ? 2 : 0),
             *End = Text.data() + Text.size();
  uint64_t Mag = 0;
  auto R = std::from_chars(Begin, End, Mag, IsHex ? 16 : 10);
  if (R.ec != std::errc() || R.ptr != End)
    return std::nullopt;
  constexpr uint64_t Max = static_cast<uint64_t>(INT64_MAX);
  if (Mag > Max + (Negative ? 1 : 0))
    return std::nullopt;
  if (!Negative)
    return static_cast<int64_t>(Mag);
  return Mag == Max + 1 ? INT64_MIN : -static_cast<int64_t>(Mag);
}

AttrValue toAttrValue(const Literal &L) {
  switch (L.Kind) {
  case Literal::Int:
    return needInt(L, "");
  case Literal::Float:
  case Literal::NanBits:
    return toFloating<double>(L, "f64");
  case Literal::Bool:
    return L.BoolValue;
  case Literal::String:
    return L.Text;
  case Literal::DTypeName:
    return L.Type;
  case Literal::DimExpr:
    return L.DimValue;
  case Literal::List:
    return toListValue(L);
  }
  fail(L, "bad attribute value");
}

Bytes toConstantBytes(const Literal &L, const TensorType &T) {
  uint64_t Count = staticCount(L, T);
  std::vector<const Literal *> Elems;
  if (L.Kind == Literal::List) {
    for (const Literal &E : L.Elems) {
      if (E.Kind == Literal::List)
        fail(E,
             "a constant's value is a flat list in C order, not nested lists");
      Elems.push_back(&E);
    }
  } else {
    Elems.push_back(&L);
  }
  if (Elems.size() != Count)
    fail(L, "constant of type " + T.str() + " needs " + std::to_string(Count) +
                " value" + (Count == 1 ? "" : "s") + ", got " +
                std::to_string(Elems.size()));
  Bytes B;
  B.Data.reserve(Count * dtypeSize(T.Dtype));
  for (const Literal *E : Elems)
    appendElement(B, *E, T.Dtype);
  return B;
}

} // namespace netjit
