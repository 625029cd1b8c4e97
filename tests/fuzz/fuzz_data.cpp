//===- fuzz_data.cpp - libFuzzer target for the .npz, IDX and CSV readers -===//
//
// Feeds arbitrary bytes to each data reader of runtime/data_io.h: the .npz
// (zip) parser, the IDX parser (gunzipped first when the bytes start with
// the gzip magic) and the CSV parser (with the delimiter and header options
// taken from the first byte). A netjit::Error is the expected answer to
// garbage; anything else (a crash, a sanitizer report, another exception)
// is a bug. Run with scripts/fuzz.sh fuzz_data SECONDS; the seeds are
// tests/data/npz and tests/data/npy.
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "runtime/data_io.h"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  std::string_view Bytes(reinterpret_cast<const char *>(Data), Size);
  try {
    (void)netjit::parseNpz(Bytes, "<fuzz>");
  } catch (const netjit::Error &) {
  }
  try {
    if (netjit::isGzip(Bytes))
      (void)netjit::parseIdx(netjit::gunzip(Bytes, "<fuzz>"), "<fuzz>");
    else
      (void)netjit::parseIdx(Bytes, "<fuzz>");
  } catch (const netjit::Error &) {
  }
  if (Size == 0)
    return 0;
  netjit::CsvOptions O;
  const char Delimiters[] = {',', ';', '\t', ' '};
  O.Delimiter = Delimiters[Data[0] & 3];
  O.SkipHeader = Data[0] & 4;
  try {
    (void)netjit::parseCsv(Bytes.substr(1), "<fuzz>", O);
  } catch (const netjit::Error &) {
  }
  return 0;
}
