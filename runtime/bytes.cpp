//===- bytes.cpp - CRC-32 of byte strings ---------------------------------===//
#include "runtime/bytes.h"

#include <algorithm>
#include <zlib.h>

namespace netjit {

uint32_t crc32Of(std::string_view Bytes) {
  uLong Crc = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed it at most 1 GiB at a time.
  for (size_t Done = 0; Done < Bytes.size();) {
    size_t Chunk = std::min<size_t>(Bytes.size() - Done, size_t(1) << 30);
    Crc = crc32(Crc, reinterpret_cast<const Bytef *>(Bytes.data() + Done),
                static_cast<uInt>(Chunk));
    Done += Chunk;
  }
  return static_cast<uint32_t>(Crc);
}

} // namespace netjit
