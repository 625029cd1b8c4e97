//===- run_netjit.cpp - Running the `netjit` executable from tests --------===//
//
// posix_spawnp with stdin, stdout and stderr redirected to files in a
// scratch directory, then waitpid. No shell is involved, so arguments reach
// the command exactly as written in the test.
//
//===----------------------------------------------------------------------===//
#include "tests/tools/run_netjit.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

extern char **environ;

namespace netjit::test {

std::string readFile(const std::string &Path) {
  std::ifstream In(Path, std::ios::binary);
  std::ostringstream SS;
  SS << In.rdbuf();
  return SS.str();
}

void writeFile(const std::string &Path, const std::string &Text) {
  std::ofstream Out(Path, std::ios::binary);
  Out << Text;
}

ScratchDir::ScratchDir() {
  std::string Template =
      (std::filesystem::temp_directory_path() / "netjit-test-XXXXXX").string();
  if (!mkdtemp(Template.data()))
    ADD_FAILURE() << "mkdtemp failed for " << Template;
  Path = Template;
}

ScratchDir::~ScratchDir() {
  std::error_code Ec;
  std::filesystem::remove_all(Path, Ec);
}

std::string ScratchDir::file(const std::string &Name) const {
  return Path + "/" + Name;
}

CommandResult runProgram(const std::vector<std::string> &Argv,
                         const std::string &StdinPath) {
  ScratchDir Capture;
  std::string OutPath = Capture.file("stdout"),
              ErrPath = Capture.file("stderr");
  posix_spawn_file_actions_t Actions;
  posix_spawn_file_actions_init(&Actions);
  posix_spawn_file_actions_addopen(&Actions, 0, StdinPath.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&Actions, 1, OutPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&Actions, 2, ErrPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char *> CArgs;
  for (const std::string &A : Argv)
    CArgs.push_back(const_cast<char *>(A.c_str()));
  CArgs.push_back(nullptr);

  CommandResult R;
  pid_t Pid = 0;
  int Rc =
      posix_spawnp(&Pid, CArgs[0], &Actions, nullptr, CArgs.data(), environ);
  posix_spawn_file_actions_destroy(&Actions);
  if (Rc != 0) {
    R.Err = "posix_spawnp failed for " + Argv[0] + ": " + std::strerror(Rc);
    return R;
  }
  int Status = 0;
  while (waitpid(Pid, &Status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(Status))
    R.ExitCode = WEXITSTATUS(Status);
  else if (WIFSIGNALED(Status))
    R.Signal = WTERMSIG(Status);
  R.Out = readFile(OutPath);
  R.Err = readFile(ErrPath);
  return R;
}

CommandResult runNetjit(const std::vector<std::string> &Args,
                        const std::string &StdinPath) {
  std::vector<std::string> Argv = {NETJIT_EXE};
  Argv.insert(Argv.end(), Args.begin(), Args.end());
  return runProgram(Argv, StdinPath);
}

double printed(const std::string &Out, const std::string &Key) {
  std::smatch M;
  std::regex R("(^|\\n)" + Key + " ?[:=] ([-+0-9.eE]+|nan|inf)");
  if (!std::regex_search(Out, M, R)) {
    ADD_FAILURE() << "no '" << Key << "' in:\n" << Out;
    return -1;
  }
  return std::stod(M[2]);
}

} // namespace netjit::test
