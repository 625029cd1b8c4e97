//===- philox_test.cpp - Philox-4x32-10 and the streams built on it -------===//
//
// The bijection is checked against the known-answer vectors published with
// Random123 (kat_vectors, "philox4x32 10"). The uniform and normal streams
// are checked against values computed by an independent Python
// implementation of the formulas in philox.h (written from the paper, itself
// checked against the same three vectors), run with /usr/bin/python3:
//   w = philox([b & M, b >> 32, 0, 0], [k & M, (k mod 2^64) >> 32])
//   uniform(k, i) = float32((w[i % 4] >> 8) * 2**-24) with b = i // 4
//   normal(k, i): b = i // 2, w0 = 2 * (i % 2),
//     u1 = ((w[w0] >> 8) + 1) * 2**-24, u2 = (w[w0 + 1] >> 8) * 2**-24,
//     sqrt(-2 log u1) * cos(2 pi u2)
//
//===----------------------------------------------------------------------===//
#include "runtime/philox.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace netjit;

namespace {

TEST(Philox, KnownAnswerVectors) {
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, {0, 0}),
            (PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                       {0xffffffff, 0xffffffff}),
            (PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                       {0xa4093822, 0x299f31d0}),
            (PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, KeySplitsIntoLowAndHighWords) {
  EXPECT_EQ(philoxKey(0x123456789abcdef0), (PhiloxKey{0x9abcdef0, 0x12345678}));
  EXPECT_EQ(philoxKey(-1), (PhiloxKey{0xffffffff, 0xffffffff}));
  EXPECT_EQ(philoxKey(42), (PhiloxKey{42, 0}));
}

TEST(Philox, UniformFromBitsUsesTheTop24Bits) {
  EXPECT_EQ(uniformFromBits(0), 0.0f);
  EXPECT_EQ(uniformFromBits(0xff), 0.0f);
  EXPECT_EQ(uniformFromBits(0x100), std::ldexp(1.0f, -24));
  EXPECT_EQ(uniformFromBits(0x80000000), 0.5f);
  EXPECT_EQ(uniformFromBits(0xffffffff), 1.0f - std::ldexp(1.0f, -24));
}

struct StreamCase {
  int64_t Key;
  std::vector<double> Uniform; // indices 0..5 and 4 * 2^32 + 1
  std::vector<double> Normal;  // indices 0..3 and 2^33 + 1
};

const StreamCase Cases[] = {
    {0,
     {0.3990464210510254, 0.8805201649665833, 0.7357127666473389,
      0.6054818034172058, 0.9722411632537842, 0.362091064453125,
      0.9146023988723755},
     {0.9911374751458971, -0.6176090549848544, -0.1536381124388446,
      0.8317351265968663, 1.2405918231029085}},
    {42,
     {0.6129598617553711, 0.4685865044593811, 0.07323169708251953,
      0.3408614993095398, 0.9877186417579651, 0.32706332206726074,
      0.4912012219429016},
     {-0.970189708191932, -1.2356200747928239, -0.07318130573074808,
      -1.1066648560793124, -1.5859384593018848}},
    {-1,
     {0.44782203435897827, 0.08311885595321655, 0.622096061706543,
      0.1346679925918579, 0.10154467821121216, 0.2945537567138672,
      0.9410730600357056},
     {1.0985957064486815, 0.6458600066717916, -0.5909481046125659,
      -0.7000360012272177, -0.008819308828757795}},
};

TEST(Philox, UniformStream) {
  const uint64_t Far = (uint64_t(1) << 32) * 4 + 1; // block 2^32: high word 1
  for (const StreamCase &C : Cases) {
    for (uint64_t I = 0; I < 6; ++I)
      EXPECT_EQ(philoxUniform(C.Key, I), static_cast<float>(C.Uniform[I]))
          << "key " << C.Key << " index " << I;
    EXPECT_EQ(philoxUniform(C.Key, Far), static_cast<float>(C.Uniform[6]));
  }
}

TEST(Philox, NormalStream) {
  const uint64_t Far = (uint64_t(1) << 33) + 1;
  for (const StreamCase &C : Cases) {
    for (uint64_t I = 0; I < 4; ++I)
      EXPECT_NEAR(philoxNormal(C.Key, I), C.Normal[I], 1e-14)
          << "key " << C.Key << " index " << I;
    EXPECT_NEAR(philoxNormal(C.Key, Far), C.Normal[4], 1e-14);
  }
}

TEST(Philox, StreamStatistics) {
  // A sanity check of the whole pipeline: moments of 40000 draws.
  double SumU = 0, SumN = 0, SumN2 = 0;
  const int N = 40000;
  for (int I = 0; I < N; ++I) {
    float U = philoxUniform(7, I);
    ASSERT_GE(U, 0.0f);
    ASSERT_LT(U, 1.0f);
    SumU += U;
    double Z = philoxNormal(7, I);
    ASSERT_TRUE(std::isfinite(Z));
    SumN += Z;
    SumN2 += Z * Z;
  }
  EXPECT_NEAR(SumU / N, 0.5, 0.01);
  EXPECT_NEAR(SumN / N, 0.0, 0.02);
  EXPECT_NEAR(SumN2 / N, 1.0, 0.03);
}

} // namespace
