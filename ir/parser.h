//===- parser.h - Parsing the IR text form ---------------------------------===//
#pragma once

#include "ir/graph.h"

#include <string_view>

namespace netjit {

/// Parses one graph in the text form of docs/ir.md and verifies it. Throws
/// ParseError ("LINE:COLUMN: problem") for malformed or ill-typed text.
Graph parseGraph(std::string_view Text);

/// Reads and parses a .nj file; errors are prefixed with the path
/// ("model.nj:3:14: unknown op 'mull'").
Graph parseGraphFile(const std::string &Path);

} // namespace netjit
