//===- compiled_asm_test.cpp - The fused loss kernels are full-width SIMD -===//
//
// The optimized IR of the fused loss + gradient kernels must hold a
// vectorized loop (`vector.body`) with no call left in it (the vector math
// is inlined), and the host assembly must use the widest registers the host
// has: zmm with AVX-512, ymm with AVX2. This is what makes the loss kernels
// run at memory speed.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

#include "codegen/jit.h"

#include <regex>
#include <sstream>

namespace netjit::testing {
namespace {

/// The text of every block whose label starts with `vector.body`.
std::string vectorBodies(const std::string &IR) {
  std::istringstream In(IR);
  std::string Line, Out;
  bool Inside = false;
  std::regex Label(R"(^[A-Za-z0-9_.]+:.*)");
  while (std::getline(In, Line)) {
    if (std::regex_match(Line, Label) || Line.rfind("define", 0) == 0)
      Inside = Line.rfind("vector.body", 0) == 0;
    if (Inside)
      Out += Line + "\n";
  }
  return Out;
}

void checkVectorized(const char *Text, const char *What) {
  SCOPED_TRACE(What);
  CompiledFunction F = CompiledFunction::compile(parseGraph(Text));
  ASSERT_FALSE(F.usesInterpreter());
  std::string Opt = F.optimizedIR();
  std::string Bodies = vectorBodies(Opt);
  ASSERT_FALSE(Bodies.empty()) << "no vector.body in\n" << Opt;
  // Only intrinsics may be called in a vector loop.
  std::regex Call(R"(call [^@]*@([A-Za-z0-9_.]+))");
  for (std::sregex_iterator I(Bodies.begin(), Bodies.end(), Call), E; I != E;
       ++I)
    EXPECT_EQ((*I)[1].str().rfind("llvm.", 0), 0u)
        << "call to " << (*I)[1] << " in a vector loop";
  const Jit &J = F.jit();
  std::string Asm = F.assembly();
  if (J.hasFeature("avx512f")) {
    EXPECT_THAT(Asm, ::testing::ContainsRegex("%zmm[0-9]+")) << What;
  } else if (J.hasFeature("avx2")) {
    EXPECT_THAT(Asm, ::testing::ContainsRegex("%ymm[0-9]+")) << What;
  } else {
    EXPECT_THAT(Asm, ::testing::ContainsRegex("%xmm[0-9]+")) << What;
  }
}

TEST(CompiledAsm, LossKernelsAreFullWidthSimd) {
  checkVectorized(R"(graph @mse(%y: f32[N], %t: f32[N]) {
  %0 = sub(%y, %t) : f32[N]
  %1 = square(%0) : f32[N]
  %2 = mean(%1) {axes=[0], keepdims=false} : f32[]
  %3 = grad(%2, %y) : f32[N]
  return loss = %2, dy = %3
})",
                  "mse");
  checkVectorized(kXentGraph, "softmax cross-entropy");
  checkVectorized(R"(graph @bce(%z: f32[B,N], %t: f32[B,N]) {
  %0 = softplus(%z) : f32[B,N]
  %1 = mul(%z, %t) : f32[B,N]
  %2 = sub(%0, %1) : f32[B,N]
  %3 = mean(%2) {axes=[0, 1], keepdims=false} : f32[]
  %4 = grad(%3, %z) : f32[B,N]
  return loss = %3, dz = %4
})",
                  "binary cross-entropy on logits");
}

TEST(CompiledAsm, FloatSumsUseFullWidthF32Blocks) {
  // The f32 sum is carried in f32 within blocks of the k-loop, so the loop
  // runs 16 floats wide on AVX-512 (8 on AVX2), not at double width.
  CompiledFunction F =
      CompiledFunction::compile(parseGraph(R"(graph @s(%x: f32[N]) {
  %0 = sum(%x) {axes=[0], keepdims=false} : f32[]
  return s = %0
})"));
  std::string Bodies = vectorBodies(F.optimizedIR());
  if (F.jit().hasFeature("avx512f")) {
    EXPECT_THAT(Bodies, ::testing::HasSubstr("<16 x float>"));
  } else if (F.jit().hasFeature("avx2")) {
    EXPECT_THAT(Bodies, ::testing::HasSubstr("<8 x float>"));
  }
  EXPECT_THAT(Bodies, ::testing::Not(::testing::HasSubstr("double")));
}

} // namespace
} // namespace netjit::testing
