//===- fuzz_model_file.cpp - libFuzzer target for the model-file reader ---===//
//
// Feeds arbitrary bytes to parseModelFile twice: as they are, and "repaired"
// (the header's size field set to the input's size and the CRC-32 replaced
// by the right one), so that mutations get past the checksum and reach the
// architecture parser, the plausibility guard and the Network constructor.
// A netjit::Error is the expected answer to garbage; anything else (a
// crash, a sanitizer report, another exception, a leak) is a bug. A model
// that loads must serialize to bytes that load and serialize to the same
// bytes again. Run with scripts/fuzz.sh fuzz_model_file SECONDS; the seeds
// are tests/data/model/*.njm.
//
//===----------------------------------------------------------------------===//
#include "frontend/model_file.h"
#include "ir/error.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <zlib.h>

namespace {

void check(std::string_view Bytes) {
  netjit::ModelFile F;
  try {
    F = netjit::parseModelFile(Bytes, "<fuzz>");
  } catch (const netjit::Error &) {
    return;
  }
  std::string Once = netjit::serializeModel(*F.Net, F.Regs, F.Metadata);
  try {
    netjit::ModelFile G = netjit::parseModelFile(Once, "<again>");
    std::string Twice = netjit::serializeModel(*G.Net, G.Regs, G.Metadata);
    if (Twice != Once) {
      std::fprintf(stderr, "serialize(load(x)) is not a fixed point\n");
      std::abort();
    }
  } catch (const netjit::Error &E) {
    std::fprintf(stderr, "a saved model does not load: %s\n", E.what());
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  std::string Bytes(reinterpret_cast<const char *>(Data), Size);
  check(Bytes);
  if (Size < 36)
    return 0;
  for (int I = 0; I < 8; ++I)
    Bytes[16 + I] = static_cast<char>((uint64_t(Size) >> (8 * I)) & 0xff);
  uLong Crc = crc32(0L, reinterpret_cast<const Bytef *>(Bytes.data()),
                    static_cast<uInt>(Size - 4));
  for (int I = 0; I < 4; ++I)
    Bytes[Size - 4 + I] = static_cast<char>((Crc >> (8 * I)) & 0xff);
  check(Bytes);
  return 0;
}
