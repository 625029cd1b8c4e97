//===- netjit.cpp - The `netjit` command line ------------------------------===//
//
// `netjit print|dot|run|opt ...`: reads graphs in the IR text form, prints
// them, exports them to Graphviz, evaluates them (run_command.cpp) and
// optimizes them with a pass pipeline (opt.cpp). `netjit train` builds and
// trains a model (train_command.cpp); eval, predict and ir read a saved
// model (model_commands.cpp). Exit codes: 0 success, 1 an error in the
// user's files or data, 2 a malformed command line; every error is one line
// `netjit: error: ...` on stderr, and no input makes the process die of a
// signal (SIGPIPE is ignored; a failed write to stdout is an error).
//
//===----------------------------------------------------------------------===//
#include "tools/commands.h"

#include "ir/dot.h"
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#ifndef NETJIT_VERSION
#define NETJIT_VERSION "unknown"
#endif

namespace netjit::tool {

namespace {

constexpr std::string_view MainHelp =
    R"(usage: netjit <command> [options] [FILE]

netjit compiles neural-network loss graphs. Commands:
  print FILE    parse and verify a .nj graph, print its canonical text form
  dot FILE      print the graph in Graphviz DOT (netjit dot F | dot -Tsvg)
  run FILE ...  evaluate a graph (JIT-compiled, or with the interpreter)
  opt FILE ...  run a pass pipeline on a graph and print the result
  train ...     build and train a model, report its test accuracy, save it
  eval MODEL    evaluate a saved model on data
  predict MODEL run a saved model on inputs
  ir MODEL      print a saved model's graph at any stage

Options:
  -h, --help    show this help; `netjit COMMAND --help` for a command's
  --version     print the version

FILE may be '-' to read standard input.
Exit status: 0 on success, 1 on an error in a file or in data, 2 on a
malformed command line.
)";

constexpr std::string_view PrintHelp =
    R"(usage: netjit print FILE

Parses the graph in FILE (the IR text form, docs/ir.md), verifies it and
prints it in canonical form: each live node once, in topological order, with
its type. Printing the output again gives the same text.
)";

constexpr std::string_view DotHelp =
    R"(usage: netjit dot FILE

Parses and verifies the graph in FILE and prints it as a Graphviz digraph:
one box per node with its op, attributes and type. Render it with
`netjit dot FILE | dot -Tsvg -o graph.svg`.
)";

constexpr std::string_view RunHelp =
    R"(usage: netjit run FILE --input NAME=PATH.npy ... [--bind SYM=N ...]
                       [--output-dir DIR] [--check-finite]
                       [--engine=jit|interp]

Evaluates the graph in FILE: JIT-compiled (the default; grad requests are
expanded, and compiled functions are kept in the compile cache,
NETJIT_CACHE_DIR) or with the reference interpreter. Prints each scalar
output as `NAME = VALUE` (shortest round-trip formatting) and each other
output as `NAME : TYPE` (e.g. `logits : f32[2,3]`).

  --input NAME=PATH.npy  the value of the graph's input or param NAME; every
                         input and param needs one
  --bind SYM=N           the value of a symbolic dim that the inputs' shapes
                         do not determine
  --output-dir DIR       write each output as DIR/NAME.npy and each updated
                         param as DIR/updated.NAME.npy (DIR is created)
  --check-finite         fail at the first node that produces a NaN or an
                         infinity, naming it (with the JIT: when an output
                         or updated param is not finite, the interpreter
                         finds that node)
  --engine=ENGINE        jit (default): compile with LLVM and run natively;
                         interp: the reference interpreter, node by node
                         (it does not expand grad requests: run
                         `netjit opt` first)
)";

/// The subcommand being run, for the hint after a usage error.
std::string CurrentCommand;

std::string oneLine(std::string_view Message) {
  std::string Out;
  for (char C : Message)
    Out += C == '\n' ? ' ' : C;
  while (!Out.empty() && Out.back() == ' ')
    Out.pop_back();
  return Out;
}

int reportError(std::string_view Message, int Code) {
  std::cout.flush();
  std::cerr << "netjit: error: " << oneLine(Message) << "\n";
  std::cerr.flush();
  return Code;
}

/// The one FILE argument of print and dot.
std::string singleFile(ArgList Args, std::string_view Command) {
  std::vector<std::string> Files;
  for (const std::string &A : Args) {
    if (A.size() > 1 && A[0] == '-')
      throw UsageError("unknown option '" + A + "' for '" +
                       std::string(Command) + "'");
    Files.push_back(A);
  }
  if (Files.size() != 1)
    throw UsageError("'" + std::string(Command) + "' takes one FILE, got " +
                     std::to_string(Files.size()));
  return Files[0];
}

int dispatch(const std::vector<std::string> &Argv) {
  if (Argv.empty()) {
    std::cerr << MainHelp;
    throw UsageError("no command given");
  }
  const std::string &Command = Argv[0];
  ArgList Rest(Argv.data() + 1, Argv.size() - 1);
  if (Command == "-h" || Command == "--help" || Command == "help") {
    std::cout << (Rest.empty() ? MainHelp : commandHelp(Rest[0]));
    return 0;
  }
  if (Command == "--version") {
    std::cout << "netjit " << NETJIT_VERSION << "\n";
    return 0;
  }
  CurrentCommand = Command;
  if (Command == "print" || Command == "dot" || Command == "run" ||
      Command == "opt" || Command == "train" || Command == "eval" ||
      Command == "predict" || Command == "ir") {
    if (wantsHelp(Rest)) {
      std::cout << commandHelp(Command);
      return 0;
    }
    if (Command == "print")
      return runPrintCommand(Rest);
    if (Command == "dot")
      return runDotCommand(Rest);
    if (Command == "opt")
      return runOptCommand(Rest);
    if (Command == "train")
      return runTrainCommand(Rest);
    if (Command == "eval")
      return runEvalCommand(Rest);
    if (Command == "predict")
      return runPredictCommand(Rest);
    if (Command == "ir")
      return runIrCommand(Rest);
    return runRunCommand(Rest);
  }
  CurrentCommand.clear();
  if (Command.size() > 1 && Command[0] == '-')
    throw UsageError("unknown option '" + Command + "'");
  throw UsageError("unknown command '" + Command + "'");
}

} // namespace

std::string_view commandHelp(std::string_view Command) {
  if (Command == "print")
    return PrintHelp;
  if (Command == "dot")
    return DotHelp;
  if (Command == "run")
    return RunHelp;
  if (Command == "opt")
    return optHelp();
  if (Command == "train")
    return trainHelp();
  if (Command == "eval")
    return evalHelp();
  if (Command == "predict")
    return predictHelp();
  if (Command == "ir")
    return irHelp();
  throw UsageError("unknown command '" + std::string(Command) + "'");
}

bool wantsHelp(ArgList Args) {
  for (const std::string &A : Args)
    if (A == "-h" || A == "--help")
      return true;
  return false;
}

Graph loadGraph(const std::string &Path) {
  if (Path == "-") {
    std::string Text(std::istreambuf_iterator<char>(std::cin), {});
    try {
      Graph G = parseGraph(Text);
      verify(G);
      return G;
    } catch (const ParseError &E) {
      throw Error("<stdin>:" + std::string(E.what()));
    }
  }
  std::error_code Ec;
  if (!std::filesystem::exists(Path, Ec))
    throw Error("cannot read '" + Path + "': no such file");
  if (std::filesystem::is_directory(Path, Ec))
    throw Error("cannot read '" + Path + "': it is a directory");
  Graph G = parseGraphFile(Path);
  verify(G);
  return G;
}

std::string optionValue(ArgList Args, size_t &I, std::string_view Name) {
  const std::string &A = Args[I];
  if (A.size() > Name.size() && A[Name.size()] == '=')
    return A.substr(Name.size() + 1);
  if (I + 1 >= Args.size())
    throw UsageError("option '" + std::string(Name) + "' needs a value");
  return Args[++I];
}

int runPrintCommand(ArgList Args) {
  Graph G = loadGraph(singleFile(Args, "print"));
  std::string Text = printGraph(G);
  std::cout << Text;
  if (!Text.empty() && Text.back() != '\n')
    std::cout << "\n";
  return 0;
}

int runDotCommand(ArgList Args) {
  Graph G = loadGraph(singleFile(Args, "dot"));
  std::string Text = toDot(G);
  std::cout << Text;
  if (!Text.empty() && Text.back() != '\n')
    std::cout << "\n";
  return 0;
}

} // namespace netjit::tool

int main(int Argc, char **Argv) {
  using namespace netjit::tool;
  // A closed stdout pipe (netjit print big.nj | head) must not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> Args(Argv + 1, Argv + Argc);
  int Code = 0;
  try {
    Code = dispatch(Args);
  } catch (const UsageError &E) {
    std::string Hint = CurrentCommand.empty()
                           ? " (see 'netjit --help')"
                           : " (see 'netjit " + CurrentCommand + " --help')";
    return reportError(std::string(E.what()) + Hint, 2);
  } catch (const netjit::Error &E) {
    return reportError(E.what(), 1);
  } catch (const std::bad_alloc &) {
    return reportError("out of memory", 1);
  } catch (const std::exception &E) {
    return reportError(E.what(), 1);
  }
  std::cout.flush();
  if (!std::cout)
    return reportError("cannot write to standard output", 1);
  return Code;
}
