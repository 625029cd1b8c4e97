//===- commands.h - The subcommands of the `netjit` tool -------------------===//
//
// Each subcommand takes its arguments (after the subcommand's name), writes
// its results to stdout and returns the process exit code. Usage mistakes
// throw UsageError (exit 2); everything a user's files or data can cause
// throws netjit::Error (exit 1). main() in netjit.cpp turns both into one
// `netjit: error: ...` line on stderr.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/graph.h"

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace netjit::tool {

/// A malformed command line: an unknown option or subcommand, a missing or
/// ill-formed argument. Reported with exit code 2.
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

using ArgList = std::span<const std::string>;

/// The help text of a subcommand ("print", "dot", "run"), ending in a newline.
std::string_view commandHelp(std::string_view Command);

/// True if Args asks for help (`-h` or `--help` anywhere).
bool wantsHelp(ArgList Args);

/// Reads and verifies a graph from a .nj file, or from stdin for "-". Parse
/// errors start with the file name ("model.nj:3:14: ...").
Graph loadGraph(const std::string &Path);

/// The value of the option at Args[I] ("--name VALUE" or "--name=VALUE"),
/// advancing I past it; throws UsageError when the value is missing.
std::string optionValue(ArgList Args, size_t &I, std::string_view Name);

/// `netjit print FILE`: parse, verify and print the text form.
int runPrintCommand(ArgList Args);
/// `netjit dot FILE`: the graph in Graphviz DOT.
int runDotCommand(ArgList Args);
/// `netjit run FILE --input NAME=PATH.npy ... [--bind B=32 ...]
/// [--output-dir DIR] [--check-finite] [--engine=jit|interp]`: evaluate,
/// JIT-compiled (the default) or with the interpreter.
int runRunCommand(ArgList Args);
/// `netjit opt FILE [--passes=...] [--print-after=NAME|all] [--print-changed]
/// [--time-passes] [--fast-math] [--emit=graph|fused|llvm|llvm-opt|asm]`:
/// run a pass pipeline, print the graph, or compile it and print a stage of
/// the JIT (tools/opt.cpp).
int runOptCommand(ArgList Args);
/// The help text of `netjit opt`.
std::string_view optHelp();

/// `netjit train --layers SPEC --data DATA ...` (tools/train_command.cpp).
int runTrainCommand(ArgList Args);
std::string_view trainHelp();
/// `netjit eval|predict|ir MODEL ...` (tools/model_commands.cpp).
int runEvalCommand(ArgList Args);
int runPredictCommand(ArgList Args);
int runIrCommand(ArgList Args);
std::string_view evalHelp();
std::string_view predictHelp();
std::string_view irHelp();

} // namespace netjit::tool
