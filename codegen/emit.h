//===- emit.h - LLVM IR text for a planned graph
//----------------------------===//
//
// emitModule writes one LLVM module (as text) for a fused graph and its
// plan: a function per kernel step (a loop nest over the kernel's [R, K]
// schedule, passes/kernel_info.h), a function per layout step (emitted
// copy / gather / scatter loops), the constants as globals, and the entry
//
//   i32 @<EntryName>(ptr %buffers, ptr %dims, ptr %state)
//
// which runs the steps in order. %buffers holds one pointer per plan slot
// (arguments, outputs, workspace buffers), %dims one i64 per symbol of the
// plan's SymbolTable, %state is a CallState (runtime/jit_runtime.h). It
// returns 0, or a StatusCode after writing the failing check's site into the
// state; Sites describes every check by index.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/plan.h"

#include <string>
#include <vector>

namespace netjit {

struct EmitOptions {
  /// Float reductions keep their order (no `reassoc`): slower, not
  /// vectorized, and equal to a sequential double-precision sum.
  bool StrictFloat = false;
  /// The entry's symbol; must be unique within a Jit.
  std::string EntryName = "netjit_entry";
};

struct EmittedModule {
  std::string IR;
  std::string EntryName;
  /// What each runtime check tests ("'gather' (kernel %7, body %3)").
  std::vector<std::string> Sites;
};

/// The module of G (the fused graph P was planned from).
EmittedModule emitModule(const Graph &G, const Plan &P,
                         const EmitOptions &Options);

} // namespace netjit
