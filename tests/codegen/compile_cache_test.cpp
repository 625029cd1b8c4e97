//===- compile_cache_test.cpp - The memory and disk compile caches --------===//
//
// Every test compiles into a temporary cache directory of its own (removed
// afterwards) and starts with an empty memory cache. Hits are observed
// through compileCacheStats(): a memory hit runs neither the passes nor LLVM
// (Compiles does not move), a disk hit is counted as such. Results of cached
// functions are compared bit for bit with a fresh compile
// (CompileOptions::UseCache = false) and with the interpreter. Corrupt
// entries (a flipped byte anywhere, truncations, another format version)
// must be rejected, rebuilt and rewritten byte-identical to the original
// (compiling is deterministic). Eviction tests give entries explicit
// modification times (std::filesystem::last_write_time) so that the order
// of least recent use is known, and derive size limits from the entries'
// actual sizes. NETJIT_CACHE_BENCH=1 prints the time of a disk hit for the
// MLP (no timing is asserted).
//
//===----------------------------------------------------------------------===//
#include "codegen/compile_cache.h"
#include "codegen/jit.h"

#include "compiled_check.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <thread>

namespace netjit::testing {
namespace {

namespace fs = std::filesystem;

const char *kMlpFile = NETJIT_SOURCE_DIR "/examples/mlp_classifier_grad.nj";

std::string readBytes(const std::string &Path) {
  std::ifstream In(Path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(In), {});
}

void writeBytes(const std::string &Path, const std::string &Bytes) {
  std::ofstream Out(Path, std::ios::binary | std::ios::trunc);
  Out << Bytes;
}

size_t fileCount(const std::string &Dir) {
  if (!fs::exists(Dir))
    return 0;
  return static_cast<size_t>(
      std::distance(fs::directory_iterator(Dir), fs::directory_iterator()));
}

/// Restores an environment variable when the test ends.
class ScopedEnv {
public:
  ScopedEnv(const char *Name, const char *Value) : Name(Name) {
    if (const char *Old = std::getenv(Name))
      Saved = Old;
    if (Value)
      ::setenv(Name, Value, 1);
    else
      ::unsetenv(Name);
  }
  ~ScopedEnv() {
    if (Saved)
      ::setenv(Name, Saved->c_str(), 1);
    else
      ::unsetenv(Name);
  }

private:
  const char *Name;
  std::optional<std::string> Saved;
};

class CompileCache : public ::testing::Test {
protected:
  void SetUp() override {
    std::string Template =
        (fs::temp_directory_path() / "netjit-cache-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(Template.data()), nullptr);
    Dir = Template;
    Options.CacheDir = Dir + "/cache";
    clearCompileCache();
  }
  void TearDown() override {
    clearCompileCache();
    std::error_code Ec;
    fs::remove_all(Dir, Ec);
  }

  CompileCacheStats delta() const {
    CompileCacheStats Now = compileCacheStats();
    return CompileCacheStats{Now.MemoryHits - Start.MemoryHits,
                             Now.DiskHits - Start.DiskHits,
                             Now.Compiles - Start.Compiles,
                             Now.DiskWrites - Start.DiskWrites,
                             Now.DiskRejects - Start.DiskRejects,
                             Now.DiskWriteFailures - Start.DiskWriteFailures,
                             Now.Evictions - Start.Evictions,
                             Now.EvictedBytes - Start.EvictedBytes};
  }
  void mark() { Start = compileCacheStats(); }

  std::string Dir;
  CompileOptions Options;
  CompileCacheStats Start = compileCacheStats();
  /// The size limit is the default's unless a test sets it.
  ScopedEnv MaxSize{"NETJIT_CACHE_MAX_SIZE", nullptr};
};

const std::vector<DimBindings> kMlpBatches = {{{"B", 1}}, {{"B", 7}}};

/// F's outputs on the MLP's random arguments for each batch size.
std::vector<TensorMap> mlpOutputs(const CompiledFunction &F, const Graph &G) {
  std::vector<TensorMap> Out;
  CallContext Ctx = F.newContext();
  uint64_t Seed = 11;
  for (const DimBindings &B : kMlpBatches) {
    TensorMap Args = randomArgs(G, B, Seed++, -1, 1, 10);
    Out.push_back(runCompiled(F, Ctx, Args, B).Outputs);
  }
  return Out;
}

void expectBitIdentical(const std::vector<TensorMap> &A,
                        const std::vector<TensorMap> &B) {
  ASSERT_EQ(A.size(), B.size());
  for (size_t I = 0; I < A.size(); ++I)
    for (const auto &[Name, T] : A[I]) {
      const Tensor &U = B[I].at(Name);
      ASSERT_EQ(T.shape(), U.shape()) << Name;
      EXPECT_EQ(std::memcmp(T.raw(), U.raw(), T.numel() * dtypeSize(T.dtype())),
                0)
          << Name;
    }
}

/// F computes the MLP's loss and gradients as the interpreter does.
void expectMlpMatchesInterpreter(const CompiledFunction &F, const Graph &G) {
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  Graph Ref = referenceGraph(G);
  std::vector<TensorMap> Got = mlpOutputs(F, G);
  uint64_t Seed = 11;
  for (size_t I = 0; I < kMlpBatches.size(); ++I) {
    TensorMap Args = randomArgs(G, kMlpBatches[I], Seed++, -1, 1, 10);
    Reference Want = interpret(Ref, Args, kMlpBatches[I]);
    for (const auto &[Name, T] : Want.Outputs)
      expectClose(Got[I].at(Name), T, "output " + Name,
                  Tolerance{4, 0, nullptr, 2e-5});
  }
}

TEST_F(CompileCache, KeyIsCanonical) {
  Graph A = parseGraphFile(kMlpFile);
  Graph B = parseGraphFile(kMlpFile);
  // A dead node changes the arena, not the graph.
  B.make(OpCode::Neg, std::vector<NodeId>{B.arguments()[0]});
  EXPECT_NE(A.size(), B.size());
  EXPECT_TRUE(structurallyEqual(A, B));
  EXPECT_EQ(compileCacheKey(A, Options), compileCacheKey(B, Options));
  EXPECT_EQ(compileCacheEntryPath(A, Options),
            compileCacheEntryPath(B, Options));
  std::string Key = compileCacheKey(A, Options);
  EXPECT_THAT(Key, ::testing::HasSubstr("llvm 19."));
  EXPECT_THAT(Key,
              ::testing::HasSubstr(
                  CompiledFunction::compile(A, Options).jit().hostCpuName()));
  EXPECT_THAT(Key, ::testing::HasSubstr(printGraph(A)));
  EXPECT_THAT(compileCacheEntryPath(A, Options),
              ::testing::MatchesRegex(".*/cache/[0-9a-f]{32}\\.njc"));
}

TEST_F(CompileCache, KeysSeparateOptionsAndGraphs) {
  Graph G = parseGraphFile(kMlpFile);
  std::string Base = compileCacheKey(G, Options);
  std::vector<CompileOptions> Others(5, Options);
  Others[0].FastMath = true;
  Others[1].StrictFloat = true;
  Others[2].OptLevel = 2;
  Others[3].ForceInterpreter = true;
  Others[4].Pipeline = codegenPipeline();
  std::set<std::string> Keys = {Base};
  for (const CompileOptions &O : Others)
    Keys.insert(compileCacheKey(G, O));
  EXPECT_EQ(Keys.size(), 1 + Others.size());

  // Where the cache lives is not part of what is compiled.
  CompileOptions Elsewhere = Options;
  Elsewhere.CacheDir = "off";
  Elsewhere.UseCache = false;
  EXPECT_EQ(compileCacheKey(G, Elsewhere), Base);

  Graph Renamed = parseGraph(R"(graph @g(%x: f32[N]) {
  %0 = exp(%x) : f32[N]
  return y = %0
})");
  Graph Other = parseGraph(R"(graph @g(%x: f32[N]) {
  %0 = exp(%x) : f32[N]
  return z = %0
})");
  Graph Constant = parseGraph(R"(graph @g(%x: f32[N]) {
  %0 = constant() {value=2.0} : f32[]
  %1 = broadcast(%0) {shape=[N]} : f32[N]
  %2 = mul(%x, %1) : f32[N]
  return y = %2
})");
  Graph Constant2 = parseGraph(R"(graph @g(%x: f32[N]) {
  %0 = constant() {value=2.5} : f32[]
  %1 = broadcast(%0) {shape=[N]} : f32[N]
  %2 = mul(%x, %1) : f32[N]
  return y = %2
})");
  EXPECT_NE(compileCacheKey(Renamed), compileCacheKey(Other));
  EXPECT_NE(compileCacheKey(Constant), compileCacheKey(Constant2));
  EXPECT_NE(compileCacheEntryPath(Constant, Options),
            compileCacheEntryPath(Constant2, Options));
}

TEST_F(CompileCache, MemoryHitReturnsTheSameCodeWithoutCompiling) {
  Graph A = parseGraphFile(kMlpFile);
  Graph B = parseGraphFile(kMlpFile);
  Options.CacheDir = "off";
  mark();
  CompiledFunction F = CompiledFunction::compile(A, Options);
  EXPECT_EQ(delta().Compiles, 1u);
  CompiledFunction G = CompiledFunction::compile(B, Options);
  EXPECT_EQ(delta().Compiles, 1u) << "the second compile ran the pipeline";
  EXPECT_EQ(delta().MemoryHits, 1u);
  EXPECT_EQ(&F.fusedGraph(), &G.fusedGraph()) << "not the same function";
  CompileOptions Fresh = Options;
  Fresh.UseCache = false;
  CompiledFunction H = CompiledFunction::compile(A, Fresh);
  EXPECT_EQ(delta().Compiles, 2u);
  EXPECT_NE(&H.fusedGraph(), &F.fusedGraph());
  // The entry symbol comes from the key, not from a counter.
  EXPECT_EQ(H.llvmIR(), F.llvmIR());
  EXPECT_THAT(F.llvmIR(),
              ::testing::ContainsRegex("@netjit_entry_[0-9a-f]{16}\\("));
  expectBitIdentical(mlpOutputs(G, A), mlpOutputs(H, A));
  expectMlpMatchesInterpreter(G, A);
}

TEST_F(CompileCache, DiskHitInAFreshMemoryCache) {
  Graph G = parseGraphFile(kMlpFile);
  mark();
  std::vector<TensorMap> First;
  {
    CompiledFunction F = CompiledFunction::compile(G, Options);
    EXPECT_EQ(delta().Compiles, 1u);
    EXPECT_EQ(delta().DiskWrites, 1u);
    EXPECT_EQ(fileCount(Options.CacheDir), 1u);
    EXPECT_TRUE(fs::exists(compileCacheEntryPath(G, Options)));
    First = mlpOutputs(F, G);
  }
  clearCompileCache();
  CompiledFunction F = CompiledFunction::compile(G, Options);
  EXPECT_EQ(delta().Compiles, 1u) << "the disk entry was not used";
  EXPECT_EQ(delta().DiskHits, 1u);
  EXPECT_EQ(delta().DiskRejects, 0u);
  expectBitIdentical(mlpOutputs(F, G), First);
  expectMlpMatchesInterpreter(F, G);
  EXPECT_FALSE(F.llvmIR().empty());
  EXPECT_EQ(F.fusedGraph().str(),
            CompiledFunction::compile(G, Options).fusedGraph().str());

  // The same entry loads again while the first copy is alive (the object
  // is linked into a library of its own), and the two agree.
  clearCompileCache();
  CompiledFunction Again = CompiledFunction::compile(G, Options);
  EXPECT_EQ(delta().DiskHits, 2u);
  EXPECT_NE(&Again.fusedGraph(), &F.fusedGraph());
  expectBitIdentical(mlpOutputs(Again, G), First);
}

TEST_F(CompileCache, CorruptEntriesAreRebuiltAndReplaced) {
  Graph G = parseGraphFile(kMlpFile);
  std::vector<TensorMap> Want =
      mlpOutputs(CompiledFunction::compile(G, Options), G);
  std::string Path = compileCacheEntryPath(G, Options);
  const std::string Good = readBytes(Path);
  ASSERT_GT(Good.size(), 1000u);
  size_t KeyAt = 40, PayloadAt = 40 + compileCacheKey(G, Options).size();
  std::vector<std::pair<std::string, std::string>> Bad;
  for (size_t At : {size_t(0), size_t(8), size_t(13), size_t(17), size_t(25),
                    size_t(33), KeyAt + 5, PayloadAt + 3, Good.size() / 2,
                    Good.size() - 100, Good.size() - 1}) {
    std::string B = Good;
    B[At] = static_cast<char>(B[At] ^ 0x20);
    Bad.emplace_back("byte " + std::to_string(At) + " flipped", B);
  }
  Bad.emplace_back("truncated to half", Good.substr(0, Good.size() / 2));
  Bad.emplace_back("last byte missing", Good.substr(0, Good.size() - 1));
  Bad.emplace_back("header only", Good.substr(0, 40));
  Bad.emplace_back("empty", "");
  Bad.emplace_back("a byte too many", Good + "x");
  std::string Version = Good;
  Version[8] = 2; // format version 2, otherwise consistent
  Bad.emplace_back("another format version", Version);
  for (const auto &[What, Bytes] : Bad) {
    SCOPED_TRACE(What);
    writeBytes(Path, Bytes);
    clearCompileCache();
    mark();
    CompiledFunction F = CompiledFunction::compile(G, Options);
    EXPECT_EQ(delta().DiskRejects, 1u);
    EXPECT_EQ(delta().DiskHits, 0u);
    EXPECT_EQ(delta().Compiles, 1u);
    EXPECT_EQ(delta().DiskWrites, 1u);
    EXPECT_TRUE(readBytes(Path) == Good) << "the entry was not replaced";
    expectBitIdentical(mlpOutputs(F, G), Want);
  }
  // And the rewritten entry is used again.
  clearCompileCache();
  mark();
  CompiledFunction F = CompiledFunction::compile(G, Options);
  EXPECT_EQ(delta().DiskHits, 1u);
  expectMlpMatchesInterpreter(F, G);
}

TEST_F(CompileCache, EntryOfAnotherKeyIsNotTrusted) {
  // A valid entry of another graph copied under this graph's name: the
  // whole key is compared, so it is rejected, not run.
  Graph G = parseGraphFile(kMlpFile);
  Graph Other = parseGraphFile(NETJIT_SOURCE_DIR "/examples/regress_mse.nj");
  CompiledFunction::compile(Other, Options);
  fs::copy_file(compileCacheEntryPath(Other, Options),
                compileCacheEntryPath(G, Options));
  clearCompileCache();
  mark();
  CompiledFunction F = CompiledFunction::compile(G, Options);
  EXPECT_EQ(delta().DiskRejects, 1u);
  EXPECT_EQ(delta().Compiles, 1u);
  expectMlpMatchesInterpreter(F, G);
}

TEST_F(CompileCache, DisabledCachesWriteNothing) {
  Graph G = parseGraphFile(kMlpFile);
  {
    ScopedEnv Env("NETJIT_CACHE_DIR", Options.CacheDir.c_str());
    CompileOptions Off;
    Off.CacheDir = "off";
    EXPECT_EQ(compileCacheDirectory(Off), "");
    EXPECT_EQ(compileCacheEntryPath(G, Off), "");
    CompiledFunction::compile(G, Off);
    EXPECT_EQ(fileCount(Options.CacheDir), 0u);
  }
  {
    ScopedEnv Env("NETJIT_CACHE_DIR", "off");
    EXPECT_EQ(compileCacheDirectory(), "");
    clearCompileCache();
    CompiledFunction::compile(G);
    EXPECT_EQ(fileCount(Options.CacheDir), 0u);
  }
  clearCompileCache();
  CompileOptions NoCache = Options;
  NoCache.UseCache = false;
  mark();
  CompiledFunction A = CompiledFunction::compile(G, NoCache);
  CompiledFunction B = CompiledFunction::compile(G, NoCache);
  EXPECT_EQ(delta().Compiles, 2u);
  EXPECT_EQ(delta().MemoryHits, 0u);
  EXPECT_NE(&A.fusedGraph(), &B.fusedGraph());
  EXPECT_EQ(fileCount(Options.CacheDir), 0u);
}

TEST_F(CompileCache, DirectoryFromTheEnvironment) {
  CompileOptions Default;
  {
    ScopedEnv Env("NETJIT_CACHE_DIR", (Dir + "/env").c_str());
    EXPECT_EQ(compileCacheDirectory(Default), Dir + "/env");
    EXPECT_EQ(compileCacheDirectory(Options), Options.CacheDir)
        << "the option wins over the variable";
    Graph G = parseGraphFile(NETJIT_SOURCE_DIR "/examples/regress_mse.nj");
    CompiledFunction::compile(G);
    EXPECT_EQ(fileCount(Dir + "/env"), 1u);
  }
  ScopedEnv Unset("NETJIT_CACHE_DIR", nullptr);
  {
    ScopedEnv Xdg("XDG_CACHE_HOME", "/some/xdg");
    EXPECT_EQ(compileCacheDirectory(Default), "/some/xdg/netjit");
  }
  {
    ScopedEnv Xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv Home("HOME", "/home/someone");
    EXPECT_EQ(compileCacheDirectory(Default), "/home/someone/.cache/netjit");
  }
}

TEST_F(CompileCache, UnwritableDirectoryStillCompiles) {
  // A directory below a regular file can never be created.
  writeBytes(Dir + "/file", "x");
  Options.CacheDir = Dir + "/file/cache";
  Graph G = parseGraphFile(kMlpFile);
  mark();
  ::testing::internal::CaptureStderr();
  CompiledFunction F = CompiledFunction::compile(G, Options);
  Graph Other = parseGraphFile(NETJIT_SOURCE_DIR "/examples/regress_mse.nj");
  CompiledFunction::compile(Other, Options);
  std::string Err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(delta().DiskWriteFailures, 2u);
  EXPECT_EQ(delta().DiskWrites, 0u);
  // One warning per directory, naming it.
  EXPECT_THAT(Err, ::testing::HasSubstr("cannot write the compile cache in '" +
                                        Options.CacheDir + "'"));
  EXPECT_EQ(Err.find("warning"), Err.rfind("warning"));
  expectMlpMatchesInterpreter(F, G);
}

TEST_F(CompileCache, InterpretedFunctionsAreCachedToo) {
  Graph G = parseGraphFile(kMlpFile);
  Options.ForceInterpreter = true;
  CompiledFunction F = CompiledFunction::compile(G, Options);
  ASSERT_TRUE(F.usesInterpreter());
  clearCompileCache();
  mark();
  CompiledFunction Again = CompiledFunction::compile(G, Options);
  EXPECT_EQ(delta().DiskHits, 1u);
  EXPECT_TRUE(Again.usesInterpreter());
  EXPECT_EQ(Again.interpreterReason(), F.interpreterReason());
  expectBitIdentical(mlpOutputs(Again, G), mlpOutputs(F, G));
}

TEST_F(CompileCache, ThreadsCompilingOneGraphShareOneCompile) {
  Graph G = parseGraphFile(kMlpFile);
  Options.CacheDir = "off";
  mark();
  std::vector<std::optional<CompiledFunction>> Fs(4);
  std::vector<std::thread> Threads;
  for (auto &F : Fs)
    Threads.emplace_back([&] { F = CompiledFunction::compile(G, Options); });
  for (std::thread &T : Threads)
    T.join();
  EXPECT_EQ(delta().Compiles, 1u);
  EXPECT_EQ(delta().MemoryHits, 3u);
  for (auto &F : Fs)
    EXPECT_EQ(&F->fusedGraph(), &Fs[0]->fusedGraph());
}

TEST_F(CompileCache, CompileErrorsAreNotCached) {
  Graph G = parseGraphFile(kMlpFile);
  Options.Pipeline = "no-such-pass";
  mark();
  EXPECT_THROW(CompiledFunction::compile(G, Options), Error);
  EXPECT_THROW(CompiledFunction::compile(G, Options), Error);
  EXPECT_EQ(delta().MemoryHits, 0u);
  EXPECT_EQ(fileCount(Options.CacheDir), 0u);
}

//===----------------------------------------------------------------------===//
// Size limit and eviction
//===----------------------------------------------------------------------===//

/// y = x * (I + 0.5): graphs whose entries differ only in one digit, so they
/// all have about the same size.
Graph scaleGraph(int I) {
  return parseGraph("graph @g(%x: f32[N]) {\n"
                    "  %0 = constant() {value=" +
                    std::to_string(I) +
                    ".5} : f32[]\n"
                    "  %1 = broadcast(%0) {shape=[N]} : f32[N]\n"
                    "  %2 = mul(%x, %1) : f32[N]\n"
                    "  return y = %2\n"
                    "}");
}

/// Checks that F computes scaleGraph(I): y = x * (I + 0.5) rounded to f32,
/// computed here independently.
void expectScales(const CompiledFunction &F, int I) {
  ASSERT_FALSE(F.usesInterpreter()) << F.interpreterReason();
  Graph G = scaleGraph(I);
  DimBindings B{{"N", 37}};
  TensorMap Args = randomArgs(G, B, 5 + I, -3, 3);
  CallContext Ctx = F.newContext();
  Tensor Y = runCompiled(F, Ctx, Args, B).Outputs.at("y");
  const Tensor &X = Args.at("x");
  ASSERT_EQ(Y.numel(), 37);
  for (int64_t K = 0; K < 37; ++K)
    EXPECT_EQ(static_cast<float>(Y.at(K)),
              static_cast<float>(X.at(K)) * (static_cast<float>(I) + 0.5f))
        << "element " << K;
}

/// Names of the entry files in Dir (<32 hex>.njc), sorted.
std::set<std::string> entryNames(const std::string &Dir) {
  std::set<std::string> Out;
  if (!fs::exists(Dir))
    return Out;
  for (const fs::directory_entry &E : fs::directory_iterator(Dir)) {
    std::string Name = E.path().filename().string();
    if (Name.size() == 36 && Name.ends_with(".njc"))
      Out.insert(Name);
  }
  return Out;
}

std::string fileName(const std::string &Path) {
  return fs::path(Path).filename().string();
}

/// Sets Path's modification time to Age before now.
void setAge(const std::string &Path, std::chrono::seconds Age) {
  fs::last_write_time(Path, fs::file_time_type::clock::now() - Age);
}

/// The smallest limit under which eviction keeps exactly the first Keep of
/// Sizes (newest first): the entries are trimmed to 90% of the limit (at
/// least Limit - Limit / 10 bytes), aimed halfway into the next entry so
/// that a few bytes more or less in an entry change nothing.
uint64_t limitKeeping(const std::vector<uint64_t> &Sizes, size_t Keep) {
  uint64_t Kept = 0;
  for (size_t I = 0; I < Keep; ++I)
    Kept += Sizes[I];
  uint64_t Target = Kept + Sizes[Keep] / 2;
  uint64_t Limit = Target + Target / 9;
  while (Limit - Limit / 10 < Target)
    ++Limit;
  while (Limit - Limit / 10 > Target)
    --Limit;
  return Limit;
}

TEST_F(CompileCache, EvictsLeastRecentlyUsedEntriesFirst) {
  Options.CacheMaxBytes = uint64_t(1) << 30;
  std::vector<std::string> Paths;
  std::vector<uint64_t> Sizes;
  uint64_t Total = 0;
  for (int I = 0; I < 6; ++I) {
    Graph G = scaleGraph(I);
    CompiledFunction::compile(G, Options);
    Paths.push_back(compileCacheEntryPath(G, Options));
    Sizes.push_back(fs::file_size(Paths.back()));
    Total += Sizes.back();
  }
  ASSERT_EQ(entryNames(Options.CacheDir).size(), 6u);
  // Least recently used first: not the order of writing, nor of names.
  const std::vector<int> Order = {3, 0, 5, 1, 4, 2};
  for (size_t R = 0; R < Order.size(); ++R)
    setAge(Paths[Order[R]], std::chrono::hours(10 - R));
  std::vector<uint64_t> NewestFirst;
  for (size_t R = Order.size(); R-- > 0;)
    NewestFirst.push_back(Sizes[Order[R]]);
  uint64_t Limit = limitKeeping(NewestFirst, 3);
  ASSERT_GT(Total, Limit);

  Options.CacheMaxBytes = Limit;
  mark();
  uint64_t Removed = trimCompileCache(Options);
  std::set<std::string> Left = entryNames(Options.CacheDir);
  EXPECT_EQ(Left, (std::set<std::string>{fileName(Paths[1]),
                                         fileName(Paths[4]),
                                         fileName(Paths[2])}));
  uint64_t Want = Sizes[3] + Sizes[0] + Sizes[5];
  EXPECT_EQ(Removed, Want);
  EXPECT_EQ(delta().Evictions, 3u);
  EXPECT_EQ(delta().EvictedBytes, Want);
  EXPECT_LE(Total - Removed, Limit - Limit / 10);
  // Within the limit now: another trim deletes nothing.
  EXPECT_EQ(trimCompileCache(Options), 0u);
  EXPECT_EQ(delta().Evictions, 3u);
}

TEST_F(CompileCache, WriteEvictsAndARecentlyHitEntrySurvives) {
  Options.CacheMaxBytes = uint64_t(1) << 30;
  std::vector<std::string> Paths;
  std::vector<uint64_t> Sizes;
  for (int I = 0; I < 5; ++I) {
    Graph G = scaleGraph(I);
    CompiledFunction::compile(G, Options);
    Paths.push_back(compileCacheEntryPath(G, Options));
    Sizes.push_back(fs::file_size(Paths.back()));
    setAge(Paths.back(), std::chrono::hours(5 - I)); // 0 oldest, 4 newest
  }
  // A disk hit of the oldest entry makes it the most recently used.
  clearCompileCache();
  mark();
  auto Before = fs::last_write_time(Paths[0]);
  expectScales(CompiledFunction::compile(scaleGraph(0), Options), 0);
  ASSERT_EQ(delta().DiskHits, 1u);
  EXPECT_GT(fs::last_write_time(Paths[0]), Before);
  EXPECT_GT(fs::last_write_time(Paths[0]), fs::last_write_time(Paths[4]));

  // Writing a sixth entry under a limit that holds three: the scan after
  // the write keeps the new entry, the hit one and the newest before them.
  Graph Sixth = scaleGraph(5);
  uint64_t Limit =
      limitKeeping({Sizes[4], Sizes[0], Sizes[4], Sizes[3], Sizes[2]}, 3);
  Options.CacheMaxBytes = Limit;
  mark();
  expectScales(CompiledFunction::compile(Sixth, Options), 5);
  EXPECT_EQ(delta().DiskWrites, 1u);
  std::string SixthPath = compileCacheEntryPath(Sixth, Options);
  EXPECT_EQ(entryNames(Options.CacheDir),
            (std::set<std::string>{fileName(SixthPath), fileName(Paths[0]),
                                   fileName(Paths[4])}));
  EXPECT_EQ(delta().Evictions, 3u);
  EXPECT_EQ(delta().EvictedBytes, Sizes[1] + Sizes[2] + Sizes[3]);

  // An evicted graph is a plain miss (not a reject): compiled again,
  // written again, and it computes the same.
  clearCompileCache();
  Options.CacheMaxBytes = uint64_t(1) << 30;
  mark();
  expectScales(CompiledFunction::compile(scaleGraph(2), Options), 2);
  EXPECT_EQ(delta().Compiles, 1u);
  EXPECT_EQ(delta().DiskHits, 0u);
  EXPECT_EQ(delta().DiskRejects, 0u);
  EXPECT_EQ(delta().DiskWrites, 1u);
  EXPECT_TRUE(fs::exists(Paths[2]));
}

TEST_F(CompileCache, EvictedGraphRecompilesToTheSameResults) {
  Graph G = parseGraphFile(kMlpFile);
  std::vector<TensorMap> First;
  std::string MlpPath = compileCacheEntryPath(G, Options);
  {
    CompiledFunction F = CompiledFunction::compile(G, Options);
    First = mlpOutputs(F, G);
  }
  const std::string Original = readBytes(MlpPath);
  setAge(MlpPath, std::chrono::hours(2));

  // A small entry written under a limit that holds it but not the MLP's.
  Graph Small = scaleGraph(1);
  std::string SmallPath = compileCacheEntryPath(Small, Options);
  CompileOptions Tight = Options;
  CompiledFunction::compile(Small, Options); // sizes it
  uint64_t SmallSize = fs::file_size(SmallPath);
  fs::remove(SmallPath);
  clearCompileCache();
  Tight.CacheMaxBytes = SmallSize + SmallSize / 2;
  mark();
  CompiledFunction::compile(Small, Tight);
  EXPECT_FALSE(fs::exists(MlpPath)) << "the least recently used entry stayed";
  EXPECT_TRUE(fs::exists(SmallPath));
  EXPECT_EQ(delta().Evictions, 1u);
  EXPECT_EQ(delta().EvictedBytes, Original.size());

  clearCompileCache();
  mark();
  CompiledFunction F = CompiledFunction::compile(G, Options);
  EXPECT_EQ(delta().Compiles, 1u);
  EXPECT_EQ(delta().DiskHits, 0u);
  EXPECT_EQ(delta().DiskRejects, 0u);
  expectBitIdentical(mlpOutputs(F, G), First);
  expectMlpMatchesInterpreter(F, G);
  EXPECT_TRUE(readBytes(MlpPath) == Original)
      << "the recompiled entry differs from the evicted one";
  clearCompileCache();
  CompiledFunction Again = CompiledFunction::compile(G, Options);
  EXPECT_EQ(delta().DiskHits, 1u);
  expectBitIdentical(mlpOutputs(Again, G), First);
}

TEST_F(CompileCache, EvictionDeletesOnlyEntriesAndStaleTemporaries) {
  Options.CacheMaxBytes = uint64_t(1) << 30;
  std::vector<std::string> Entries;
  uint64_t EntryBytes = 0;
  for (int I = 0; I < 2; ++I) {
    Graph G = scaleGraph(I);
    CompiledFunction::compile(G, Options);
    Entries.push_back(compileCacheEntryPath(G, Options));
    EntryBytes += fs::file_size(Entries.back());
  }
  const std::string C = Options.CacheDir + "/";
  const std::string Hex = "0123456789abcdef0123456789abcdef";
  const std::string Big(100000, 'x');
  // Files that are not entries (each older and larger than the entries),
  // and a temporary file of a write that may still be running.
  std::vector<std::string> Kept = {
      C + "notes.txt",
      C + "0123456789ABCDEF0123456789ABCDEF.njc", // upper case
      C + Hex.substr(1) + ".njc",                 // 31 digits
      C + "x" + Hex + ".njc",
      C + Hex + ".NJC",
      C + Hex + ".njc.bak",
      C + Hex + ".njc.tmp.12",
      C + Hex + ".njc.tmp.12.x",
      C + Hex + ".njc.tmp..3",
      C + Hex + ".njcx.tmp.1.2",
      C + "fedcba9876543210fedcba9876543210.njc/inside.njc",
      C + Hex + ".njc.tmp.999.1", // fresh: ten minutes old
  };
  fs::create_directory(C + "fedcba9876543210fedcba9876543210.njc");
  for (const std::string &P : Kept) {
    writeBytes(P, Big);
    setAge(P, std::chrono::hours(24 * 30));
  }
  setAge(Kept.back(), std::chrono::minutes(10));
  setAge(C + "fedcba9876543210fedcba9876543210.njc", std::chrono::hours(720));
  // A symbolic link named as an entry, to a file outside the directory.
  writeBytes(Dir + "/outside", Big);
  setAge(Dir + "/outside", std::chrono::hours(720));
  fs::create_symlink(Dir + "/outside", C + "00112233445566778899aabbccddeeff.njc");
  // A temporary file left by a write that died two hours ago.
  const std::string Stale = C + Hex + ".njc.tmp.999.0";
  writeBytes(Stale, "half an entry");
  setAge(Stale, std::chrono::hours(2));

  Options.CacheMaxBytes = 1;
  mark();
  EXPECT_EQ(trimCompileCache(Options), EntryBytes + 13);
  EXPECT_EQ(delta().Evictions, 2u);
  EXPECT_EQ(delta().EvictedBytes, EntryBytes);
  for (const std::string &P : Entries)
    EXPECT_FALSE(fs::exists(P)) << P;
  EXPECT_FALSE(fs::exists(Stale));
  for (const std::string &P : Kept)
    EXPECT_TRUE(readBytes(P) == Big) << P << " was touched";
  EXPECT_TRUE(fs::is_symlink(C + "00112233445566778899aabbccddeeff.njc"));
  EXPECT_TRUE(readBytes(Dir + "/outside") == Big);
  // The fresh temporary file is only ever removed once it is stale.
  setAge(Kept.back(), std::chrono::hours(2));
  EXPECT_EQ(trimCompileCache(Options), Big.size());
  EXPECT_FALSE(fs::exists(Kept.back()));
  EXPECT_EQ(delta().Evictions, 2u);

  // Trimming a directory that does not exist, or no directory, does nothing.
  CompileOptions Missing = Options;
  Missing.CacheDir = Dir + "/never-created";
  EXPECT_EQ(trimCompileCache(Missing), 0u);
  EXPECT_FALSE(fs::exists(Missing.CacheDir));
  Missing.CacheDir = "off";
  EXPECT_EQ(trimCompileCache(Missing), 0u);
}

TEST_F(CompileCache, WritesScanAfterATenthOfTheLimit) {
  // A process scans a directory after its first write there, then once it
  // has written another tenth of the limit: not after every write.
  Graph First = scaleGraph(0);
  CompiledFunction::compile(First, Options);
  uint64_t Size = fs::file_size(compileCacheEntryPath(First, Options));
  Options.CacheMaxBytes = 10 * (Size + Size / 2); // a scan every 1.5 entries
  // A file named as an entry (any bytes count) twice the limit's size.
  const std::string Fake =
      Options.CacheDir + "/ffffffffffffffffffffffffffffffff.njc";
  writeBytes(Fake, std::string(2 * Options.CacheMaxBytes, 'x'));
  setAge(Fake, std::chrono::hours(3));
  mark();
  CompiledFunction::compile(scaleGraph(1), Options);
  EXPECT_TRUE(fs::exists(Fake)) << "scanned after one entry";
  EXPECT_EQ(delta().Evictions, 0u);
  CompiledFunction::compile(scaleGraph(2), Options);
  EXPECT_FALSE(fs::exists(Fake)) << "not scanned after two entries";
  EXPECT_EQ(delta().Evictions, 1u);
  EXPECT_EQ(delta().EvictedBytes, 2 * Options.CacheMaxBytes);
  EXPECT_EQ(entryNames(Options.CacheDir).size(), 3u);
}

TEST_F(CompileCache, MaxSizeFromTheEnvironment) {
  constexpr uint64_t Default = uint64_t(512) << 20;
  CompileOptions Default0;
  {
    ScopedEnv Env("NETJIT_CACHE_MAX_SIZE", nullptr);
    EXPECT_EQ(compileCacheMaxBytes(Default0), Default);
  }
  const std::vector<std::pair<std::string, uint64_t>> Valid = {
      {"1000", 1000},
      {"1", 1},
      {"64K", uint64_t(64) << 10},
      {"64k", uint64_t(64) << 10},
      {"256M", uint64_t(256) << 20},
      {"7m", uint64_t(7) << 20},
      {"2G", uint64_t(2) << 30},
      {"3g", uint64_t(3) << 30},
      {"1024G", uint64_t(1) << 40},
      {"18446744073709551615", UINT64_MAX},
      {"", Default}, // set but empty: as unset
  };
  for (const auto &[Text, Want] : Valid) {
    SCOPED_TRACE("NETJIT_CACHE_MAX_SIZE='" + Text + "'");
    ScopedEnv Env("NETJIT_CACHE_MAX_SIZE", Text.c_str());
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(compileCacheMaxBytes(Default0), Want);
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    CompileOptions Set;
    Set.CacheMaxBytes = 12345;
    EXPECT_EQ(compileCacheMaxBytes(Set), 12345u) << "the option wins";
  }

  // Each bad value warns once per process; a suffix makes them new in every
  // repetition of the test.
  static int Run = 0;
  std::string New(Run++, 'x');
  const std::vector<std::string> Invalid = {
      "abc" + New,  "12X" + New,  "-5" + New,   "1.5G" + New,
      "256MB" + New, " 12" + New, "12 " + New,  "0x10" + New,
      "G" + New,    std::string(Run, '0'), "18446744073709551616" + New,
      "17179869184G" + New};
  for (const std::string &Text : Invalid) {
    SCOPED_TRACE("NETJIT_CACHE_MAX_SIZE='" + Text + "'");
    ScopedEnv Env("NETJIT_CACHE_MAX_SIZE", Text.c_str());
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(compileCacheMaxBytes(Default0), Default);
    EXPECT_EQ(compileCacheMaxBytes(Default0), Default);
    std::string Err = ::testing::internal::GetCapturedStderr();
    std::string Named = "NETJIT_CACHE_MAX_SIZE='" + Text + "'";
    EXPECT_THAT(Err, ::testing::HasSubstr(Named));
    EXPECT_THAT(Err, ::testing::HasSubstr("512M"));
    EXPECT_EQ(Err.find("warning"), Err.rfind("warning")) << "warned twice";
  }

  // The variable's limit applies to compile(): one byte holds no entry, so
  // the scan after the first write deletes it.
  ScopedEnv Env("NETJIT_CACHE_MAX_SIZE", "1");
  Graph G = scaleGraph(3);
  mark();
  expectScales(CompiledFunction::compile(G, Options), 3);
  EXPECT_EQ(delta().DiskWrites, 1u);
  EXPECT_EQ(delta().Evictions, 1u);
  EXPECT_FALSE(fs::exists(compileCacheEntryPath(G, Options)));
}

TEST_F(CompileCache, DiskHitTimeWhenAsked) {
  if (!std::getenv("NETJIT_CACHE_BENCH"))
    GTEST_SKIP() << "set NETJIT_CACHE_BENCH=1 to time disk hits";
  Graph G = parseGraphFile(kMlpFile);
  auto Time = [&](bool Clear) {
    if (Clear)
      clearCompileCache();
    auto T0 = std::chrono::steady_clock::now();
    CompiledFunction F = CompiledFunction::compile(G, Options);
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - T0)
        .count();
  };
  double Miss = Time(true);
  std::vector<double> Disk, Memory;
  for (int I = 0; I < 21; ++I) {
    Disk.push_back(Time(true));
    Memory.push_back(Time(false));
  }
  std::sort(Disk.begin(), Disk.end());
  std::sort(Memory.begin(), Memory.end());
  std::printf("MLP loss+grad compile: miss %.2f ms, disk hit median %.3f ms "
              "(min %.3f, max %.3f), memory hit median %.4f ms\n",
              Miss, Disk[10], Disk[0], Disk[20], Memory[10]);
}

} // namespace
} // namespace netjit::testing
