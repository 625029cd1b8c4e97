//===- compiled_impl.h - The state behind CompiledFunction (private)
//-------===//
//
// Shared by compiled_function.cpp (compiling, bindings, accessors) and
// compiled_call.cpp (the call path). Not a public header: it names the JIT
// module, the plan and the runtime state.
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

} // namespace netjit::detail
