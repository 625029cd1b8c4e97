//===- ops.cpp - Op names, arities and traits from ops.def -----------------===//
#include "ir/ops.h"

#include <array>

namespace netjit {
namespace {

struct OpInfo {
  std::string_view Mnemonic;
  int Arity;
  uint32_t Traits;
};

constexpr std::array<OpInfo, kNumOps> OpTable = {{
#define OP(Name, Mnemonic, Arity, Traits) {Mnemonic, Arity, Traits},
#include "ir/ops.def"
}};

} // namespace

std::string_view opName(OpCode Op) {
  return OpTable[static_cast<size_t>(Op)].Mnemonic;
}

std::optional<OpCode> parseOpName(std::string_view Mnemonic) {
  for (size_t I = 0; I < OpTable.size(); ++I)
    if (OpTable[I].Mnemonic == Mnemonic)
      return static_cast<OpCode>(I);
  return std::nullopt;
}

int opArity(OpCode Op) { return OpTable[static_cast<size_t>(Op)].Arity; }
uint32_t opTraits(OpCode Op) { return OpTable[static_cast<size_t>(Op)].Traits; }

} // namespace netjit
