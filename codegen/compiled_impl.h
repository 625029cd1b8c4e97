//===- compiled_impl.h - The state behind CompiledFunction (private)
//-------===//
//
// Shared by compiled_function.cpp (compiling, bindings, accessors),
// compiled_call.cpp (the call path) and compile_cache.cpp (which stores and
// reloads functions). Not a public header: it names the JIT module, the plan
// and the runtime state.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/compiled_function.h"
#include "codegen/emit.h"
#include "codegen/jit.h"
#include "codegen/plan.h"
#include "runtime/gemm.h"
#include "runtime/jit_runtime.h"

#include <optional>

namespace netjit::detail {

/// An argument or output of the function as calls see it.
struct PortInfo {
  std::string Name;
  TensorType Type;
  /// The type's dims, compiled.
  std::vector<DimExpr> Dims;
  /// Arguments: a param that an update writes.
  bool Updated = false;
};

struct CompiledImpl {
  CompileOptions Options;
  /// The graph calls run: after the pipeline (JIT), or whatever the
  /// pipeline got to (interpreter).
  Graph Fused;
  std::optional<Plan> P;
  EmittedModule Module;
  Jit *J = nullptr;
  JitModule Code;
  using EntryFn = int32_t (*)(void **Buffers, const int64_t *Dims,
                              CallState *State);
  EntryFn Entry = nullptr;
  bool Interpreted = false;
  std::string Reason;
  SymbolTable Symbols;
  std::vector<PortInfo> Args, Outs;
  /// Per symbol: the argument and axis its value is read from (-1: none).
  std::vector<std::pair<int, int>> SymbolSource;
};

struct ContextImpl {
  std::shared_ptr<const CompiledImpl> Fn;
  GemmContext Gemm;
  CallState State;
  void *Workspace = nullptr;
  size_t WorkspaceCap = 0;
  std::vector<void *> Table;
  std::vector<int64_t> Sym, LastSym;
  bool Planned = false;
  WorkspaceLayout Layout;
  /// The layout that sized the workspace: any binding whose buffers are
  /// each no larger fits at these offsets (first-fit is not monotone).
  std::vector<int64_t> MaxOffsets, MaxSizes;
  /// Outputs not bound by the caller, and the view of every output.
  struct OutputBuffer {
    void *Owned = nullptr;
    size_t Capacity = 0;
    std::vector<int64_t> Shape;
    const void *Data = nullptr;
  };
  std::vector<OutputBuffer> Outs;
  ~ContextImpl();
};

/// The JIT for an optimization level (created once per process).
Jit &sharedJit(int OptLevel);

/// What the disk cache keeps of a function besides its key: enough to
/// rebuild it without the passes or LLVM's optimizer and code generator.
struct StoredFunction {
  bool Interpreted = false;
  /// interpreterReason().
  std::string Reason;
  /// The graph after the pipeline, printed; the function's fused graph is
  /// always this text parsed back, so a reload plans the same graph.
  std::string FusedText;
  /// A hash of the emitted LLVM IR: a reload emits the module again from
  /// the parsed graph and must get the same text the object was made from.
  uint64_t IRHash = 0;
  /// The object file (empty on the interpreter).
  std::string Object;
};

/// Compiles G from scratch (the pipeline, plan, emit, LLVM), naming the
/// entry EntryName. When Stored is not null it receives what the disk
/// cache needs, or an empty FusedText when the fused graph does not survive
/// a round trip through its text (then the function is not stored).
std::shared_ptr<CompiledImpl> buildFunction(const Graph &G,
                                            const CompileOptions &Options,
                                            const std::string &EntryName,
                                            StoredFunction *Stored);

/// Rebuilds a function from what buildFunction stored under the same key.
/// Throws Error when the stored parts do not fit together (a graph that
/// does not parse or plan, an IR hash that differs, an object that does not
/// link or lacks the entry).
std::shared_ptr<CompiledImpl> loadFunction(const StoredFunction &S,
                                           const CompileOptions &Options,
                                           const std::string &EntryName);

/// A hash of bytes (xxh3, 64 bits): the disk entries' checksum.
uint64_t checksum(std::string_view Bytes);

} // namespace netjit::detail
