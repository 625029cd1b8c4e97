//===- philox.h - Counter-based random numbers (Philox-4x32-10) ------------===//
//
// netjit's random ops draw from Philox-4x32-10 (Salmon et al., SC'11), keyed by
// the op's i64 key operand: element i of a random_uniform uses block i/4, word
// i%4; element i of a random_normal uses block i/2, words 2*(i%2) and
// 2*(i%2)+1 (Box-Muller, cosine branch). The interpreter and the JIT give
// bit-identical draws. See docs/ir.md for the exact formulas.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>

namespace netjit {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

/// The ten-round Philox-4x32 bijection.
PhiloxCounter philox4x32(PhiloxCounter Counter, PhiloxKey Key);

/// The key words of an i64 key: low 32 bits, then high 32 bits.
PhiloxKey philoxKey(int64_t Key);
/// The top 24 bits of a word, scaled to [0, 1).
float uniformFromBits(uint32_t Word);
/// Element Index of a uniform [0,1) stream under Key.
float philoxUniform(int64_t Key, uint64_t Index);
/// Element Index of a standard normal stream under Key (computed in double,
/// rounded to the requested precision by the caller).
double philoxNormal(int64_t Key, uint64_t Index);

} // namespace netjit
