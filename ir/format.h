//===- format.h - Spelling of names and attribute values in IR text
//--------===//
//
// Shared by the printer and the Graphviz export (internal to ir/): how a
// name, a number and an attribute value are written in the text form of
// docs/ir.md.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/attrs.h"
#include "ir/graph.h"

#include <string>
#include <string_view>

namespace netjit {

/// An identifier as it is ([A-Za-z_][A-Za-z0-9_.]*), anything else quoted.
std::string formatName(std::string_view Name);
/// An attribute value; a constant's bytes are read with Type's dtype.
std::string formatAttrValue(const AttrValue &V, const TensorType &Type);
/// ` {key=value, ...}` in the sorted order of the node's attributes, or "".
std::string formatAttrs(const Node &N);

} // namespace netjit
