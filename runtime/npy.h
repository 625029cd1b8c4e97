//===- npy.h - NumPy .npy files --------------------------------------------===//
#pragma once

#include "runtime/tensor.h"

#include <string>
#include <string_view>

namespace netjit {

/// Parses .npy bytes (format 1.0-3.0; dtypes '<f4', '<f8', '<i4', '<i8' and
/// '|b1' only: big-endian data and other dtypes such as '|u1' are rejected;
/// C order, or Fortran order which is transposed on read). Throws
/// RuntimeError naming Source and the problem for anything else.
Tensor parseNpy(std::string_view Bytes, std::string_view Source = "<memory>");
Tensor readNpy(const std::string &Path);
/// Serializes as format 1.0, little-endian, C order.
std::string serializeNpy(const Tensor &T);
/// Writes atomically (a temporary file in the same folder, then rename).
void writeNpy(const std::string &Path, const Tensor &T);

} // namespace netjit
