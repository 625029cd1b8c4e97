//===- run_netjit.h - Running the `netjit` executable from tests ----------===//
//
// The tool tests drive the real command as a child process (posix_spawn),
// with stdout and stderr captured through files so neither pipe can fill up,
// and report how it ended: an exit code, or the signal that killed it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <vector>

namespace netjit::test {

struct CommandResult {
  int ExitCode = -1; ///< -1 when the process did not exit normally
  int Signal = 0;    ///< the terminating signal, 0 if it exited
  std::string Out;   ///< everything written to stdout
  std::string Err;   ///< everything written to stderr
};

/// Runs NETJIT_EXE with Args; stdin reads StdinPath (or /dev/null).
CommandResult runNetjit(const std::vector<std::string> &Args,
                        const std::string &StdinPath = "/dev/null");

/// Runs an arbitrary program found on PATH (used for `dot -Tsvg`).
CommandResult runProgram(const std::vector<std::string> &Argv,
                         const std::string &StdinPath = "/dev/null");

/// A fresh empty directory, removed with its contents on destruction.
class ScratchDir {
public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  const std::string &path() const { return Path; }
  /// Path + "/" + Name.
  std::string file(const std::string &Name) const;

private:
  std::string Path;
};

/// The number printed after `Key:` or `Key =` (e.g. "test accuracy: 0.91",
/// "loss = 0.25") in a command's output; a test failure and -1 when absent.
double printed(const std::string &Out, const std::string &Key);

std::string readFile(const std::string &Path);
void writeFile(const std::string &Path, const std::string &Text);

} // namespace netjit::test
