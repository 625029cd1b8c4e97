//===- ops.h - Op codes and their traits, generated from ops.def -----------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace netjit {

/// Traits of an op; algebraic properties are data, not if-chains.
enum OpTrait : uint32_t {
  kNone = 0,
  kLeaf = 1u << 0,        // no operands; value given by attributes or the call
  kElementwise = 1u << 1, // result[i] depends on operand[i] only
  kCommutative = 1u << 2,
  kAssociative = 1u << 3,
  kComparison = 1u << 4, // result is bool
  kReduction = 1u << 5,  // attrs `axes` and `keepdims`
  kFloatOnly = 1u << 6,  // operands must be f32 or f64
  kBoolOnly = 1u << 7,   // operands must be bool
  kRandom = 1u << 8,     // draws from a key operand
  kMultiResult = 1u << 9,
  kHasBody = 1u << 10,
};

enum class OpCode : uint16_t {
#define OP(Name, Mnemonic, Arity, Traits) Name,
#include "ir/ops.def"
};

inline constexpr int kNumOps = 0
#define OP(Name, Mnemonic, Arity, Traits) +1
#include "ir/ops.def"
    ;

std::string_view opName(OpCode Op);
/// The op for a mnemonic, or nullopt.
std::optional<OpCode> parseOpName(std::string_view Mnemonic);
/// Fixed operand count, or -1 for variadic ops.
int opArity(OpCode Op);
uint32_t opTraits(OpCode Op);
inline bool hasTrait(OpCode Op, OpTrait T) { return (opTraits(Op) & T) != 0; }

// The elementwise families of ops.def; the third, eq ... ge (a bool result
// by scalar::compare), is the ops with trait kComparison. Cast,
// stop_gradient, select and clip are elementwise but in no family.

/// neg ... not: one operand, computed per element by scalar::unary.
constexpr bool isUnaryMath(OpCode Op) {
  switch (Op) {
#define UNARY_MATH_OP(Name, Mnemonic, Traits) case OpCode::Name:
#include "ir/ops.def"
    return true;
  default:
    return false;
  }
}

/// add ... or: two operands, computed per element by scalar::arithmetic.
constexpr bool isBinaryMath(OpCode Op) {
  switch (Op) {
#define BINARY_MATH_OP(Name, Mnemonic, Traits) case OpCode::Name:
#include "ir/ops.def"
    return true;
  default:
    return false;
  }
}

} // namespace netjit
