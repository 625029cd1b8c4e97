//===- compiled_function.h - A graph compiled to native code
//---------------===//
//
// The public face of codegen: compile a graph (with its grad requests and
// updates) once, then call it many times. compile() runs the pass pipeline
// (the default one, then lower, simplify/cse, fuse and dce), plans buffers,
// emits LLVM IR and JITs it; one call computes every output and applies the
// updates, with no heap allocation once a CallContext has seen a binding at
// least as large. Scans run as native loops over the call-time trip count.
// Graphs the JIT does not handle (an unexpanded grad, an op a custom pipeline
// left unlowered) run on the reference interpreter instead, with the same
// API (usesInterpreter()).
//
// Concurrency: the function is immutable once compiled; each thread calls it
// with its own CallContext. A function with updates writes the params bound
// to the call, so two concurrent calls must not share param buffers (it is
// not reentrant on the same params).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/bindings.h"
#include "ir/graph.h"
#include "runtime/interpreter.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace netjit {

class Jit;

struct CompileOptions {
  /// PassOptions::FastMath for the pipeline (docs/passes.md).
  bool FastMath = false;
  /// Float reductions accumulate in order, without `reassoc` (not vectorized).
  bool StrictFloat = false;
  /// LLVM's optimization level, 0 to 3.
  int OptLevel = 3;
  /// Replaces the whole pass pipeline when not empty (codegenPipeline()).
  std::string Pipeline;
  /// Skip the JIT and run the interpreter (for debugging and tests).
  bool ForceInterpreter = false;
  /// Look the graph up in the compile cache (codegen/compile_cache.h): an
  /// equal graph compiled with equal options gives the same function, from
  /// memory or from the disk cache. False compiles from scratch and caches
  /// nothing.
  bool UseCache = true;
  /// The disk cache's directory. Empty: $NETJIT_CACHE_DIR if set, else
  /// $XDG_CACHE_HOME/netjit or ~/.cache/netjit. "off" (here or in
  /// NETJIT_CACHE_DIR): no disk cache, memory only.
  std::string CacheDir;
  /// The most bytes the disk cache's entries may take before the least
  /// recently used ones are deleted (compileCacheMaxBytes()). 0: the
  /// NETJIT_CACHE_MAX_SIZE environment variable if set (a byte count with an
  /// optional K, M or G suffix), else 512 MiB.
  uint64_t CacheMaxBytes = 0;
};

/// "<defaultPipeline()>,lower,fix(simplify,cse),fuse,dce".
std::string codegenPipeline();

namespace detail {
struct CompiledImpl;
struct ContextImpl;
} // namespace detail

/// Per-thread call state: the workspace, GEMM packing space, the status of
/// the last call and the outputs not bound to caller memory.
class CallContext {
public:
  CallContext(CallContext &&) noexcept;
  CallContext &operator=(CallContext &&) noexcept;
  ~CallContext();
  /// An output of the last call (bound or context-owned).
  TensorView output(std::string_view Name) const;
  /// Bytes of workspace held.
  size_t workspaceBytes() const;

private:
  friend class CompiledFunction;
  explicit CallContext(std::unique_ptr<detail::ContextImpl> I);
  std::unique_ptr<detail::ContextImpl> Impl;
};

class CompiledFunction {
public:
  /// Compiles G, or returns the cached function of an equal graph compiled
  /// with equal options (CompileOptions::UseCache); throws Error for a graph
  /// the passes reject. Never throws for a graph the JIT cannot handle: that
  /// runs on the interpreter.
  static CompiledFunction compile(const Graph &G,
                                  const CompileOptions &Options = {});

  CallContext newContext() const;
  /// Bindings with a slot for every argument and output of the function.
  Bindings newBindings() const;

  /// Runs one call on caller memory: checks every argument's dtype and
  /// shape against the graph (binding symbolic dims), writes the outputs,
  /// then the updates into the bound params. Throws RuntimeError naming the
  /// argument and shapes, or the node whose index was out of range.
  void call(CallContext &Ctx, Bindings &B) const;
  /// The same with tensors: arguments are looked up in Params, then Inputs;
  /// updates write into Params' tensors; Dims binds symbols the arguments
  /// do not determine. Returns every output (allocating them).
  TensorMap call(CallContext &Ctx, const TensorMap &Inputs, TensorMap &Params,
                 const DimBindings &Dims = {}) const;

  /// Whether calls run on the interpreter, and why (one line).
  bool usesInterpreter() const;
  const std::string &interpreterReason() const;
  /// The graph after the pipeline (with its kernels).
  const Graph &fusedGraph() const;
  /// The emitted LLVM IR (empty on the interpreter), after O3, and as
  /// host assembly.
  const std::string &llvmIR() const;
  std::string optimizedIR() const;
  std::string assembly() const;
  /// The JIT the function was compiled with.
  const Jit &jit() const;

private:
  explicit CompiledFunction(std::shared_ptr<const detail::CompiledImpl> I);
  std::shared_ptr<const detail::CompiledImpl> Impl;
};

} // namespace netjit
