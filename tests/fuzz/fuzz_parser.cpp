//===- fuzz_parser.cpp - libFuzzer target for the IR text parser
//-----------===//
//
// Feeds arbitrary bytes to parseGraph. A netjit::Error is the expected answer
// to malformed text; anything else (a crash, a sanitizer report, another
// exception) is a bug. Text that parses must print to text that parses back
// to the same text (the printer's fixed point), and must export to DOT.
// Run with scripts/fuzz.sh fuzz_ir_parser SECONDS.
//
//===----------------------------------------------------------------------===//
#include "ir/dot.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  std::string_view Text(reinterpret_cast<const char *>(Data), Size);
  std::string Printed;
  try {
    netjit::Graph G = netjit::parseGraph(Text);
    Printed = netjit::printGraph(G);
    (void)netjit::toDot(G);
  } catch (const netjit::Error &) {
    return 0;
  }
  try {
    std::string Again = netjit::printGraph(netjit::parseGraph(Printed));
    if (Again != Printed) {
      std::fprintf(stderr, "print is not a fixed point:\n%s\n---\n%s\n",
                   Printed.c_str(), Again.c_str());
      std::abort();
    }
  } catch (const netjit::Error &E) {
    std::fprintf(stderr, "printed text does not parse: %s\n%s\n", E.what(),
                 Printed.c_str());
    std::abort();
  }
  return 0;
}
