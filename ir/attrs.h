//===- attrs.h - Node attributes: a small sorted dictionary ----------------===//
//
// Every op's static parameters (reduction axes, a reshape target, an input's
// name, a constant's bytes) live in one generic dictionary, so the printer and
// the parser handle every op the same way. Values are kept canonical so that
// interning sees equal attributes as equal: a Dim that is constant is stored
// as an Int, a dim list whose dims are all constant as an IntList.
//
// Spelling in the IR text (docs/ir.md): `{axes=[1], keepdims=false}`;
// ints `3`, floats `0.5` / `1.0` / `inf` / `nan`, bools `true`, strings
// `"x"`, dtypes `f32`, dims `B*T`, lists `[B, 10]`, and a constant's value
// as a list of numbers (`value=[1.0, 2.0]`, or a bare number for a scalar).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/dim.h"
#include "ir/dtype.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace netjit {

/// Raw element bytes of a constant; compared and hashed by bit pattern, so a
/// NaN constant equals itself and -0.0 differs from 0.0.
struct Bytes {
  std::vector<uint8_t> Data;
  bool operator==(const Bytes &O) const = default;
};

using AttrValue = std::variant<int64_t, double, bool, std::string, DType,
                               std::vector<int64_t>, Dim, std::vector<Dim>,
                               Bytes>;

/// A sorted map from attribute names to values.
class Attrs {
public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<std::string, AttrValue>> Init);

  /// Sets (or replaces) an attribute, canonicalizing its value.
  Attrs &set(std::string_view Key, AttrValue Value);
  bool has(std::string_view Key) const;
  const AttrValue *find(std::string_view Key) const;
  const std::vector<std::pair<std::string, AttrValue>> &entries() const {
    return Entries;
  }
  bool empty() const { return Entries.empty(); }

  // Typed accessors. Each throws TypeError naming the attribute when it is
  // missing or of another kind. Ints are accepted where a double or a dim is
  // asked for, and int lists where a dim list is.
  int64_t getInt(std::string_view Key) const;
  double getDouble(std::string_view Key) const;
  bool getBool(std::string_view Key) const;
  const std::string &getString(std::string_view Key) const;
  DType getDType(std::string_view Key) const;
  std::vector<int64_t> getInts(std::string_view Key) const;
  Dim getDim(std::string_view Key) const;
  std::vector<Dim> getDims(std::string_view Key) const;
  const Bytes &getBytes(std::string_view Key) const;

  // Accessors with a default for optional attributes.
  int64_t getInt(std::string_view Key, int64_t Default) const;
  bool getBool(std::string_view Key, bool Default) const;

  /// Doubles compare by bit pattern (NaN equals itself, -0.0 differs).
  bool operator==(const Attrs &O) const;
  size_t hash() const;

private:
  std::vector<std::pair<std::string, AttrValue>> Entries;
};

} // namespace netjit
