//===- compiled_alloc_test.cpp - Calls allocate nothing after warm-up -----===//
//
// This file interposes glibc's allocation functions for the whole test
// executable (malloc, calloc, realloc, aligned_alloc, posix_memalign,
// memalign forward to glibc's __libc_* entry points) and counts the calls a
// thread makes while its counting flag is on; operator new and Eigen reach
// them through malloc. A call of a compiled function must make none once its
// context has seen a binding at least as large: the workspace, the GEMM
// packing space (the MLP's 784x256 products take Eigen's blocked path) and
// the context-owned outputs are all reused. Products split between the
// caller and the GEMM worker (runtime/gemm.h) take both halves' packing space
// from the context too.
//
// Under AddressSanitizer (NETJIT_SANITIZE) the sanitizer owns malloc: the
// hook is left out and the tests skip.
//
//===----------------------------------------------------------------------===//
#include "compiled_check.h"

#include "runtime/gemm.h"

#include <atomic>
#include <cerrno>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define NETJIT_MALLOC_HOOK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NETJIT_MALLOC_HOOK 0
#endif
#endif
#ifndef NETJIT_MALLOC_HOOK
#define NETJIT_MALLOC_HOOK 1
#endif

namespace {
thread_local bool Counting = false;
std::atomic<long> Allocations{0};
[[maybe_unused]] void counted() {
  if (Counting)
    Allocations.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

#if NETJIT_MALLOC_HOOK
extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
}

extern "C" {
void *malloc(size_t N) {
  counted();
  return __libc_malloc(N);
}
void *calloc(size_t A, size_t B) {
  counted();
  return __libc_calloc(A, B);
}
void *realloc(void *P, size_t N) {
  counted();
  return __libc_realloc(P, N);
}
void *memalign(size_t A, size_t N) {
  counted();
  return __libc_memalign(A, N);
}
void *aligned_alloc(size_t A, size_t N) {
  counted();
  return __libc_memalign(A, N);
}
int posix_memalign(void **P, size_t A, size_t N) {
  counted();
  *P = __libc_memalign(A, N);
  return *P ? 0 : ENOMEM;
}
}
#endif

namespace netjit::testing {
namespace {

/// The number of allocations Fn makes on this thread.
template <class Fn> long allocationsOf(Fn &&F) {
  long Before = Allocations.load();
  Counting = true;
  F();
  Counting = false;
  return Allocations.load() - Before;
}

class CompiledAlloc : public ::testing::Test {
protected:
  void SetUp() override {
    if (!NETJIT_MALLOC_HOOK)
      GTEST_SKIP() << "the malloc hook is off under AddressSanitizer";
  }
};

TEST_F(CompiledAlloc, TheHookSeesAllocations) {
  // Through a volatile pointer, so the compiler cannot elide the pair.
  void *(*volatile New)(size_t) = &::operator new;
  void (*volatile Delete)(void *) noexcept = &::operator delete;
  EXPECT_GE(allocationsOf([&] { Delete(New(16)); }), 1);
  EXPECT_GE(allocationsOf([] { Tensor T(DType::F32, {1000}); }), 1);
}

TEST_F(CompiledAlloc, MlpStepAllocatesNothingAfterWarmUp) {
  Graph G =
      parseGraphFile(NETJIT_SOURCE_DIR "/examples/mlp_classifier_grad.nj");
  CompiledFunction F = CompiledFunction::compile(G);
  ASSERT_FALSE(F.usesInterpreter());
  CallContext Ctx = F.newContext();
  Bindings B = F.newBindings();
  TensorMap Big = randomArgs(G, {{"B", 64}}, 1, -1, 1, 10);
  TensorMap Small = randomArgs(G, {{"B", 17}}, 2, -1, 1, 10);
  TensorMap Huge = randomArgs(G, {{"B", 256}}, 3, -1, 1, 10);
  Tensor Loss(DType::F32, {}), Dw1(DType::F32, {784, 256});
  auto bindAll = [&](TensorMap &Args) {
    for (auto &[Name, T] : Args)
      B.bindParam(Name, T);
    B.bindOutput("loss", Loss);
    B.bindOutput("dw1", Dw1); // the other gradients stay in the context
  };
  bindAll(Big);
  F.call(Ctx, B); // warm-up: the workspace and packing space grow here
  EXPECT_EQ(allocationsOf([&] { F.call(Ctx, B); }), 0);
  bindAll(Small); // a smaller batch re-plans without allocating
  EXPECT_EQ(allocationsOf([&] { F.call(Ctx, B); }), 0);
  bindAll(Big);
  EXPECT_EQ(allocationsOf([&] {
              for (int I = 0; I < 5; ++I)
                F.call(Ctx, B);
            }),
            0);
  // A larger batch than ever seen grows the workspace once.
  bindAll(Huge);
  EXPECT_GT(allocationsOf([&] { F.call(Ctx, B); }), 0);
  EXPECT_EQ(allocationsOf([&] { F.call(Ctx, B); }), 0);
  // And the results are still right.
  Reference Want = interpret(referenceGraph(G), Huge);
  expectClose(Dw1, Want.Outputs.at("dw1"), "dw1",
              Tolerance{4, 0, nullptr, 2e-5});
  TensorView Db1 = Ctx.output("db1");
  Tensor Got(DType::F32, {256});
  std::memcpy(Got.raw(), Db1.Data, Got.nbytes());
  expectClose(Got, Want.Outputs.at("db1"), "db1",
              Tolerance{4, 0, nullptr, 2e-5});
}

TEST_F(CompiledAlloc, SplitGemmAllocatesNothingAfterWarmUp) {
  int Saved = gemmThreads();
  setGemmThreads(2);
  // [64,784]x[784,256]: above kGemmParallelFlops, so split in two.
  const int64_t M = 64, K = 784, N = 256;
  ASSERT_GE(2.0 * M * N * K, kGemmParallelFlops);
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  GemmContext Gemm;
  auto product = [&](int64_t Rows) {
    netjit_gemm_f32(&Gemm, 0, Rows, N, K, A.data(), K, B.data(), N, C.data(), N,
                    1.0f, 0, 1, 0, 0, 0);
  };
  uint64_t Before = gemmSplitProducts();
  product(M); // warm-up: the worker starts, both halves' space grows
  EXPECT_EQ(allocationsOf([&] {
              for (int I = 0; I < 3; ++I)
                product(M);
              product(48); // fewer rows fit in the same space
            }),
            0);
  setGemmThreads(Saved);
  EXPECT_EQ(gemmSplitProducts() - Before, 5u);
  EXPECT_EQ(C[0], 0.5f * 0.25f * K);
}

TEST_F(CompiledAlloc, LossKernelsAllocateNothing) {
  Graph G = parseGraph(kXentGraph);
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  Bindings B = F.newBindings();
  TensorMap Args = randomArgs(G, {{"B", 100}, {"N", 64}}, 1, -2, 2, 64);
  for (auto &[Name, T] : Args)
    B.bind(Name, T);
  F.call(Ctx, B);
  EXPECT_EQ(allocationsOf([&] { F.call(Ctx, B); }), 0);
}

} // namespace
} // namespace netjit::testing
