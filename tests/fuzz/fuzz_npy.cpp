//===- fuzz_npy.cpp - libFuzzer target for the .npy parser ----------------===//
//
// Feeds arbitrary bytes to parseNpy. A netjit::Error is the expected answer
// to garbage; anything else (a crash, a sanitizer report, another exception)
// is a bug. Whatever parses must serialize and parse back to the same bytes.
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "runtime/npy.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  std::string_view Bytes(reinterpret_cast<const char *>(Data), Size);
  try {
    netjit::Tensor T = netjit::parseNpy(Bytes, "<fuzz>");
    netjit::Tensor Back = netjit::parseNpy(netjit::serializeNpy(T), "<again>");
    NJ_CHECK(Back.typeStr() == T.typeStr() &&
                 std::memcmp(Back.raw(), T.raw(), T.nbytes()) == 0,
             "npy round trip changed " << T.typeStr());
  } catch (const netjit::Error &) {
  }
  return 0;
}
