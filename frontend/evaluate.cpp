//===- evaluate.cpp - The one place the frontend runs a graph -------------===//
//
// Graphs are compiled once (CompiledFunction: the pass pipeline, then the
// JIT) and kept in a small most-recently-used list keyed by the structural
// hash and confirmed by structural equality, so a model's predict() or a
// check_grad loop compiles its graph once and then only calls it.
//
//===----------------------------------------------------------------------===//
#include "frontend/evaluate.h"
#include "codegen/compiled_function.h"
#include "passes/pass_manager.h"

#include <list>
#include <memory>
#include <mutex>

namespace netjit {

Graph optimizeGraph(const Graph &G, std::string_view Pipeline) {
  Graph Copy = G.compact();
  PassContext Ctx;
  PassManager::parse(Pipeline.empty() ? defaultPipeline() : Pipeline)
      .run(Copy, Ctx);
  return Copy;
}

namespace {

struct CacheEntry {
  uint64_t Hash;
  std::shared_ptr<const Graph> Original;
  std::shared_ptr<const CompiledFunction> Compiled;
};

/// The compiled form of G, from the cache when an equal graph was seen.
std::shared_ptr<const CompiledFunction> compiledCached(const Graph &G) {
  static std::mutex Lock;
  static std::list<CacheEntry> Cache;
  constexpr size_t Capacity = 64;
  uint64_t Hash = G.structuralHash();
  {
    std::lock_guard<std::mutex> Guard(Lock);
    for (auto It = Cache.begin(); It != Cache.end(); ++It)
      if (It->Hash == Hash && structurallyEqual(*It->Original, G)) {
        Cache.splice(Cache.begin(), Cache, It);
        return Cache.front().Compiled;
      }
  }
  auto Original = std::make_shared<const Graph>(G.compact());
  auto Compiled =
      std::make_shared<const CompiledFunction>(CompiledFunction::compile(G));
  std::lock_guard<std::mutex> Guard(Lock);
  Cache.push_front({Hash, Original, Compiled});
  if (Cache.size() > Capacity)
    Cache.pop_back();
  return Compiled;
}

} // namespace

std::shared_ptr<const CompiledFunction> compileGraph(const Graph &G) {
  return compiledCached(G);
}

TensorMap evaluateGraph(const Graph &G, TensorMap &Args,
                        const DimBindings &Bindings) {
  std::shared_ptr<const CompiledFunction> F = compiledCached(G);
  // One context per thread and function would avoid this allocation; the
  // trainer, which calls in a loop, keeps its own context instead.
  CallContext Ctx = F->newContext();
  return F->call(Ctx, TensorMap{}, Args, Bindings);
}

} // namespace netjit
