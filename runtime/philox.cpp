//===- philox.cpp - Counter-based random numbers (Philox-4x32-10) ---------===//
//
// Philox-4x32 with ten rounds, exactly as in Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC'11) and the Random123
// reference implementation: each round multiplies counter words 0 and 2 by
// the constants below, mixes the high and low halves with the other words and
// the key, and then bumps the key by the Weyl constants.
//
// The streams built on top of it (see philox.h):
//   uniform  element i: block {i/4 lo32, i/4 hi32, 0, 0}, word i%4,
//            u = (word >> 8) * 2^-24, in [0, 1);
//   normal   element i: block i/2, words w0 = 2*(i%2) and w1 = w0 + 1,
//            u1 = ((w0 >> 8) + 1) * 2^-24 in (0, 1], u2 = (w1 >> 8) * 2^-24,
//            z = sqrt(-2 ln u1) * cos(2 pi u2), in double.
//
//===----------------------------------------------------------------------===//
#include "runtime/philox.h"

#include <cmath>
#include <numbers>

namespace netjit {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53u;
constexpr uint32_t kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;
constexpr uint32_t kWeyl1 = 0xBB67AE85u;
constexpr double kTwoPow24Inv = 1.0 / 16777216.0;

void mulHiLo(uint32_t A, uint32_t B, uint32_t &Hi, uint32_t &Lo) {
  uint64_t P = static_cast<uint64_t>(A) * B;
  Hi = static_cast<uint32_t>(P >> 32);
  Lo = static_cast<uint32_t>(P);
}

PhiloxCounter philoxRound(const PhiloxCounter &C, const PhiloxKey &K) {
  uint32_t Hi0, Lo0, Hi1, Lo1;
  mulHiLo(kMul0, C[0], Hi0, Lo0);
  mulHiLo(kMul1, C[2], Hi1, Lo1);
  return {Hi1 ^ C[1] ^ K[0], Lo1, Hi0 ^ C[3] ^ K[1], Lo0};
}

/// The counter block holding stream position Block.
PhiloxCounter blockCounter(uint64_t Block) {
  return {static_cast<uint32_t>(Block), static_cast<uint32_t>(Block >> 32), 0,
          0};
}

} // namespace

PhiloxCounter philox4x32(PhiloxCounter Counter, PhiloxKey Key) {
  for (int Round = 0; Round < 10; ++Round) {
    if (Round > 0) {
      Key[0] += kWeyl0;
      Key[1] += kWeyl1;
    }
    Counter = philoxRound(Counter, Key);
  }
  return Counter;
}

PhiloxKey philoxKey(int64_t Key) {
  uint64_t U = static_cast<uint64_t>(Key);
  return {static_cast<uint32_t>(U), static_cast<uint32_t>(U >> 32)};
}

float uniformFromBits(uint32_t Word) {
  return static_cast<float>((Word >> 8) * kTwoPow24Inv);
}

float philoxUniform(int64_t Key, uint64_t Index) {
  PhiloxCounter Words = philox4x32(blockCounter(Index / 4), philoxKey(Key));
  return uniformFromBits(Words[Index % 4]);
}

double philoxNormal(int64_t Key, uint64_t Index) {
  PhiloxCounter Words = philox4x32(blockCounter(Index / 2), philoxKey(Key));
  size_t W0 = 2 * (Index % 2);
  double U1 = ((Words[W0] >> 8) + 1) * kTwoPow24Inv;
  double U2 = (Words[W0 + 1] >> 8) * kTwoPow24Inv;
  return std::sqrt(-2.0 * std::log(U1)) * std::cos(2.0 * std::numbers::pi * U2);
}

} // namespace netjit
