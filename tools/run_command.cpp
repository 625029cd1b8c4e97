//===- run_command.cpp - `netjit run`: evaluate a graph on .npy inputs ----===//
//
// Reads a graph and one .npy file per input and param, evaluates the graph
// JIT-compiled (CompiledFunction, through the compile cache) or, with
// --engine=interp, with the reference interpreter (runtime/interpreter.h),
// prints each output (a scalar's value with the shortest text that reads
// back to the same number, otherwise its type) and optionally writes every
// output and every updated param as .npy files. Names are checked before
// evaluation, so a misspelled or missing input is reported by name with the
// graph's list. The JIT has no per-node checks: with --check-finite it
// checks the outputs and updated params, and traces a non-finite one to the
// first node that produced it by running the interpreter.
//
//===----------------------------------------------------------------------===//
#include "tools/commands.h"

#include "codegen/compiled_function.h"
#include "ir/error.h"
#include "passes/pass_manager.h"
#include "runtime/interpreter.h"
#include "runtime/npy.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace netjit::tool {

namespace {

struct RunOptions {
  std::string File;
  /// (name, path) in command-line order.
  std::vector<std::pair<std::string, std::string>> Inputs;
  DimBindings Bindings;
  std::string OutputDir;
  bool CheckFinite = false;
  /// --engine=jit (the default) or interp.
  bool Jit = true;
};

/// Splits "NAME=VALUE" at the first '='; both parts must be non-empty.
std::pair<std::string, std::string> splitAssignment(const std::string &Text,
                                                    std::string_view Option,
                                                    std::string_view Shape) {
  size_t Eq = Text.find('=');
  if (Eq == std::string::npos || Eq == 0 || Eq + 1 == Text.size())
    throw UsageError("bad " + std::string(Option) + " '" + Text +
                     "': expected " + std::string(Shape));
  return {Text.substr(0, Eq), Text.substr(Eq + 1)};
}

void addBinding(RunOptions &O, const std::string &Text) {
  auto [Name, Value] = splitAssignment(Text, "--bind", "SYM=N");
  int64_t N = 0;
  auto [End, Ec] =
      std::from_chars(Value.data(), Value.data() + Value.size(), N);
  if (Ec != std::errc() || End != Value.data() + Value.size() || N < 0)
    throw UsageError("bad --bind '" + Text +
                     "': the value must be a non-negative integer");
  if (!O.Bindings.emplace(Name, N).second)
    throw UsageError("--bind '" + Name + "' given twice");
}

void addInput(RunOptions &O, const std::string &Text) {
  auto Input = splitAssignment(Text, "--input", "NAME=PATH.npy");
  for (const auto &[Name, Path] : O.Inputs)
    if (Name == Input.first)
      throw UsageError("--input '" + Name + "' given twice");
  O.Inputs.push_back(std::move(Input));
}

bool isOption(const std::string &A, std::string_view Name) {
  return A == Name || (A.size() > Name.size() && A.starts_with(Name) &&
                       A[Name.size()] == '=');
}

RunOptions parseRunOptions(ArgList Args) {
  RunOptions O;
  for (size_t I = 0; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    if (isOption(A, "--input")) {
      addInput(O, optionValue(Args, I, "--input"));
    } else if (isOption(A, "--bind")) {
      addBinding(O, optionValue(Args, I, "--bind"));
    } else if (isOption(A, "--output-dir")) {
      O.OutputDir = optionValue(Args, I, "--output-dir");
      if (O.OutputDir.empty())
        throw UsageError("--output-dir needs a directory");
    } else if (A == "--check-finite") {
      O.CheckFinite = true;
    } else if (isOption(A, "--engine")) {
      std::string E = optionValue(Args, I, "--engine");
      if (E != "jit" && E != "interp")
        throw UsageError("bad --engine '" + E + "': expected jit or interp");
      O.Jit = E == "jit";
    } else if (A.size() > 1 && A[0] == '-') {
      throw UsageError("unknown option '" + A + "' for 'run'");
    } else if (!O.File.empty()) {
      throw UsageError("'run' takes one FILE, got '" + O.File + "' and '" + A +
                       "'");
    } else {
      O.File = A;
    }
  }
  if (O.File.empty())
    throw UsageError("'run' needs a FILE");
  return O;
}

const std::string &argumentName(const Graph &G, NodeId Id) {
  return G.node(Id).Attributes.getString("name");
}

std::string argumentList(const Graph &G) {
  std::string List;
  for (NodeId Id : G.arguments())
    List += (List.empty() ? "" : ", ") + argumentName(G, Id);
  return List.empty() ? "none" : List;
}

/// Reads every --input and checks that each argument of G has exactly one.
TensorMap loadArguments(const Graph &G, const RunOptions &O) {
  TensorMap Args;
  for (const auto &[Name, Path] : O.Inputs) {
    if (!G.findArgument(Name).valid())
      throw Error("the graph has no input or param named '" + Name +
                  "' (its arguments: " + argumentList(G) + ")");
    Args.emplace(Name, readNpy(Path));
  }
  for (NodeId Id : G.arguments()) {
    const std::string &Name = argumentName(G, Id);
    if (!Args.contains(Name))
      throw Error("missing --input for " + std::string(opName(G.node(Id).Op)) +
                  " '" + Name + "' (" + G.type(Id).str() + ")");
  }
  return Args;
}

template <class T> std::string shortest(T V) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(V))
      return "nan"; // a NaN's sign and payload mean nothing here
  char Buf[64];
  auto [End, Ec] = std::to_chars(Buf, Buf + sizeof(Buf), V);
  return Ec == std::errc() ? std::string(Buf, End) : std::string("?");
}

/// A rank-0 tensor's value: the shortest text that reads back to it.
std::string formatScalar(const Tensor &T) {
  switch (T.dtype()) {
  case DType::F32:
    return shortest(T.data<float>()[0]);
  case DType::F64:
    return shortest(T.data<double>()[0]);
  case DType::I32:
    return shortest(T.data<int32_t>()[0]);
  case DType::I64:
    return shortest(T.data<int64_t>()[0]);
  case DType::Bool:
    return T.at(0) != 0 ? "true" : "false";
  }
  return "?";
}

/// DIR/FILE for an output or param name that is a plain file name.
std::string outputPath(const std::string &Dir, const std::string &Name,
                       std::string_view Prefix) {
  if (Name.empty() || Name == "." || Name == ".." ||
      Name.find('/') != std::string::npos ||
      Name.find('\0') != std::string::npos)
    throw Error("cannot write output '" + Name +
                "' to --output-dir: the name is not a plain file name");
  return (std::filesystem::path(Dir) / (std::string(Prefix) + Name + ".npy"))
      .string();
}

void writeOutputs(const Graph &G, const RunOptions &O, const TensorMap &Outs,
                  const TensorMap &Args) {
  std::error_code Ec;
  std::filesystem::create_directories(O.OutputDir, Ec);
  if (Ec || !std::filesystem::is_directory(O.OutputDir))
    throw Error("cannot create output directory '" + O.OutputDir +
                "': " + (Ec ? Ec.message() : "not a directory"));
  for (const Output &Out : G.outputs())
    writeNpy(outputPath(O.OutputDir, Out.Name, ""), Outs.at(Out.Name));
  for (const Update &U : G.updates()) {
    const std::string &Name = argumentName(G, U.Target);
    writeNpy(outputPath(O.OutputDir, Name, "updated."), Args.at(Name));
  }
}

bool allFinite(const Tensor &T) {
  if (!isFloat(T.dtype()))
    return true;
  for (int64_t I = 0; I < T.numel(); ++I)
    if (!std::isfinite(T.at(I)))
      return false;
  return true;
}

/// The name of the first output or updated param with a NaN or an infinity
/// ("" when there is none).
std::string firstNonFinite(const Graph &G, const TensorMap &Outs,
                           const TensorMap &Args) {
  for (const Output &Out : G.outputs())
    if (auto It = Outs.find(Out.Name);
        It != Outs.end() && !allFinite(It->second))
      return "output '" + Out.Name + "'";
  for (const Update &U : G.updates()) {
    const std::string &Name = argumentName(G, U.Target);
    if (!allFinite(Args.at(Name)))
      return "updated param '" + Name + "'";
  }
  return "";
}

/// Runs the interpreter with CheckFinite on G (on G after the default
/// pipeline when it asks for gradients, which the interpreter cannot
/// expand), so that it throws naming the first non-finite node.
void traceNonFinite(const Graph &G, TensorMap Args, const RunOptions &O) {
  Graph Traced = G.compact();
  for (NodeId Id : Traced.liveNodes())
    if (Traced.node(Id).Op == OpCode::Grad) {
      PassContext Ctx;
      PassManager::parse(defaultPipeline()).run(Traced, Ctx);
      break;
    }
  EvalOptions Eval;
  Eval.Bindings = O.Bindings;
  Eval.CheckFinite = true;
  evaluate(Traced, Args, Eval);
}

/// Runs G JIT-compiled on Args (updating its params). With --check-finite,
/// a non-finite result is traced by the interpreter to its first node.
TensorMap runJit(const Graph &G, TensorMap &Args, const RunOptions &O) {
  CompiledFunction F = CompiledFunction::compile(G);
  CallContext Ctx = F.newContext();
  TensorMap Before;
  if (O.CheckFinite)
    Before = Args;
  TensorMap Outs = F.call(Ctx, TensorMap{}, Args, O.Bindings);
  if (O.CheckFinite) {
    std::string Bad = firstNonFinite(G, Outs, Args);
    if (!Bad.empty()) {
      traceNonFinite(G, std::move(Before), O);
      throw Error(Bad + " is not finite");
    }
  }
  return Outs;
}

} // namespace

int runRunCommand(ArgList CommandLine) {
  RunOptions O = parseRunOptions(CommandLine);
  Graph G = loadGraph(O.File);
  TensorMap Args = loadArguments(G, O);
  TensorMap Outs;
  if (O.Jit) {
    Outs = runJit(G, Args, O);
  } else {
    EvalOptions Eval;
    Eval.Bindings = O.Bindings;
    Eval.CheckFinite = O.CheckFinite;
    Outs = evaluate(G, Args, Eval);
  }
  for (const Output &Out : G.outputs()) {
    auto It = Outs.find(Out.Name);
    if (It == Outs.end())
      throw Error("no value was computed for output '" + Out.Name + "'");
    if (It->second.rank() == 0)
      std::cout << Out.Name << " = " << formatScalar(It->second) << "\n";
    else
      std::cout << Out.Name << " : " << It->second.typeStr() << "\n";
  }
  if (!O.OutputDir.empty())
    writeOutputs(G, O, Outs, Args);
  return 0;
}

} // namespace netjit::tool
