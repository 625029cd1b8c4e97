//===- bytes.h - Little-endian fields and CRC-32 of byte strings ----------===//
//
// The binary formats netjit reads and writes (.npy and .npz headers, model
// files, compile cache entries) store their integers little-endian; these
// helpers encode and decode them one way everywhere. Bounds are the
// caller's to check.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace netjit {

/// The unsigned integer stored little-endian in Bytes (at most 8) bytes at P.
inline uint64_t readLittleEndian(const void *P, size_t Bytes) {
  const auto *B = static_cast<const uint8_t *>(P);
  uint64_t V = 0;
  for (size_t I = 0; I < Bytes; ++I)
    V |= uint64_t(B[I]) << (8 * I);
  return V;
}

/// Appends the low Bytes (at most 8) bytes of V to Out, little-endian.
inline void appendLittleEndian(std::string &Out, uint64_t V, size_t Bytes) {
  for (size_t I = 0; I < Bytes; ++I)
    Out += static_cast<char>((V >> (8 * I)) & 0xff);
}

/// zlib's CRC-32 of Bytes (of any length).
uint32_t crc32Of(std::string_view Bytes);

} // namespace netjit
