//===- emit_impl.h - Shared pieces of the emitters (private)
//---------------===//
//
// The state of one module being emitted, and the entry points of the step
// emitters (emit_kernel.cpp, emit_layout.cpp) used by emit_entry.cpp.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/emit.h"
#include "codegen/ir_text.h"

#include <map>
#include <string>
#include <vector>

namespace netjit::codegen {

/// One module in the making.
struct ModuleContext {
  const Graph &G;
  const Plan &P;
  const EmitOptions &Options;
  Declarations Decls;
  /// Function definitions, in order.
  std::vector<std::string> Functions;
  std::vector<std::string> Sites;
  /// Constant node index -> global name.
  std::map<uint32_t, std::string> Globals;
  /// Printed statement number of each live top-level node ("%7").
  std::vector<int> Number;
  /// Prepended to the names of this graph's functions and globals: empty
  /// for the top-level graph, "s<step>_" per level of scan body, so the
  /// bodies emitted into the same module never clash.
  std::string Prefix;
  /// Globals of scan bodies (their constants belong to another graph).
  std::vector<std::string> BodyGlobals;

  ModuleContext(const Graph &G, const Plan &P, const EmitOptions &O);
  /// Registers a check site; returns its index.
  int addSite(std::string What);
  /// The global holding a constant node's elements.
  std::string global(NodeId Constant);
  /// "%7" for a top-level node.
  std::string name(NodeId Id) const {
    return "%" + std::to_string(Number[Id.Index]);
  }
};

/// Writes `br Bad, err, ok`; the error block records Code, Site, Value and
/// Bound (i64 values) in the state and returns Code. Continues in ok.
void emitCheck(FunctionWriter &F, const std::string &State,
               const std::string &Bad, int Code, int Site,
               const std::string &Value, const std::string &Bound);

/// Emits a dim as an i64 value from the dims array (cached per function in
/// Cache; call it where the result dominates its uses).
std::string emitDim(FunctionWriter &F, const SymbolTable &Symbols,
                    const std::string &Dims, const Dim &D,
                    std::map<std::string, std::string> &Cache);

/// The function of a kernel step: `i32 @Name(ptr noalias operands...,
/// ptr noalias results..., ptr noalias scratch..., i64 %R, i64 %K,
/// ptr %dims, ptr %state)`.
void emitKernelFunction(ModuleContext &M, const plan::Step &S,
                        const std::string &Name);

/// The function of a layout step: `i32 @Name(ptr operands..., ptr result,
/// ptr %dims, ptr %state)`.
void emitLayoutFunction(ModuleContext &M, const plan::Step &S,
                        const std::string &Name);

} // namespace netjit::codegen
