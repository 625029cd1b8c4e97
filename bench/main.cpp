//===- main.cpp - netjit-bench: netjit against hand-written baselines -----===//
//
// The command line of the benchmark (bench/README.md):
//
//   netjit-bench [--filter REGEX] [--pairs N] [--min-time S] [--json PATH]
//                [--list]
//
// It prints the machine's load before and after (the benchmark's figures
// are only as good as the machine was quiet), runs the selected cases, and
// prints the table; --json writes every row. It exits 1 when a side's
// results disagree with the baseline's, 2 on bad arguments.
//
//===----------------------------------------------------------------------===//
#include "bench/cases.h"
#include "bench/harness.h"

#include "ir/error.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

using namespace netjit::bench;

namespace {

const char *kUsage =
    "usage: netjit-bench [--filter REGEX] [--pairs N] [--min-time S] "
    "[--json PATH] [--list]\n"
    "  --filter REGEX  run the cases whose name matches (default: all but\n"
    "                  train/fashion-mnist, which needs a matching --filter)\n"
    "  --pairs N       interleaved rounds per case (default 7)\n"
    "  --min-time S    seconds each sample lasts at least (default 0.02)\n"
    "  --json PATH     also write every row as JSON to PATH\n"
    "  --list          print the case names and exit\n";

std::string firstLine(const char *Path, const char *Prefix = nullptr) {
  std::ifstream F(Path);
  std::string Line;
  while (std::getline(F, Line))
    if (!Prefix || Line.rfind(Prefix, 0) == 0)
      return Prefix ? Line.substr(Line.find(':') + 2) : Line;
  return "";
}

/// The BLAS library libblas.so.3 resolves to (libtorch's GEMMs go there).
std::string blasLibrary() {
  std::error_code Ignored;
  for (const char *P : {"/lib/x86_64-linux-gnu/libblas.so.3",
                        "/usr/lib/x86_64-linux-gnu/libblas.so.3"}) {
    std::filesystem::path R = std::filesystem::canonical(P, Ignored);
    if (!Ignored)
      return R.string();
  }
  return "";
}

std::string now() {
  std::time_t T = std::time(nullptr);
  char Buf[64];
  std::strftime(Buf, sizeof Buf, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&T));
  return Buf;
}

[[noreturn]] void usageError(const std::string &Problem) {
  std::fprintf(stderr, "netjit-bench: %s\n%s", Problem.c_str(), kUsage);
  std::exit(2);
}

double number(const char *Flag, const char *Text, double Lo, double Hi) {
  char *End = nullptr;
  double V = std::strtod(Text, &End);
  if (End == Text || *End || !(V >= Lo && V <= Hi)) {
    char Range[64];
    std::snprintf(Range, sizeof Range, "in [%g, %g]", Lo, Hi);
    usageError(std::string(Flag) + " wants a number " + Range + ", got '" +
               Text + "'");
  }
  return V;
}

} // namespace

int main(int Argc, char **Argv) {
  Options O;
  std::string Filter = ".*", Json;
  bool FilterGiven = false;
  for (int I = 1; I < Argc; ++I) {
    std::string A = Argv[I];
    if (A == "--list") {
      for (const std::string &N : caseNames())
        std::printf("%s\n", N.c_str());
      return 0;
    }
    if (A == "-h" || A == "--help") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (A != "--filter" && A != "--pairs" && A != "--min-time" && A != "--json")
      usageError("unknown argument '" + A + "'");
    if (I + 1 >= Argc)
      usageError(A + " needs a value");
    const char *V = Argv[++I];
    if (A == "--filter") {
      Filter = V;
      FilterGiven = true;
    } else if (A == "--pairs")
      O.Pairs = static_cast<int>(number("--pairs", V, 1, 1e6));
    else if (A == "--min-time")
      O.MinTime = number("--min-time", V, 1e-6, 1e3);
    else
      Json = V;
  }
  std::regex Re;
  try {
    Re = std::regex(Filter);
  } catch (const std::regex_error &E) {
    usageError("bad --filter '" + Filter + "': " + E.what());
  }

  std::string Cpu = firstLine("/proc/cpuinfo", "model name"),
              Load = firstLine("/proc/loadavg"), Torch = torchVersion(),
              Blas = blasLibrary();
  std::vector<std::pair<std::string, std::string>> Meta = {
      {"date", now()},
      {"cpu", Cpu},
      {"loadavg_before", Load},
      {"pairs", std::to_string(O.Pairs)},
      {"min_time_seconds", std::to_string(O.MinTime)},
      {"filter", Filter},
      {"compiler", __VERSION__},
      {"libtorch", Torch},
      {"blas", Blas}};
  std::printf("netjit-bench: %s, load average %s\n", Cpu.c_str(), Load.c_str());
  if (!Torch.empty())
    std::printf("%s, its BLAS: %s\n", Torch.c_str(),
                Blas.empty() ? "?" : Blas.c_str());
  std::printf("pairs %d, samples >= %g s; ratio = median over pairs of "
              "(side / baseline), baseline first in each case\n\n",
              O.Pairs, O.MinTime);
  std::fflush(stdout);
  std::vector<Row> Rows;
  try {
    Rows = runCases(O, Re, FilterGiven);
  } catch (const netjit::Error &E) {
    std::fprintf(stderr, "netjit-bench: %s\n", E.what());
    return 1;
  }
  Meta.emplace_back("loadavg_after", firstLine("/proc/loadavg"));
  if (!Rows.empty()) {
    printTable(Rows);
    std::printf("\nload average after: %s\n", Meta.back().second.c_str());
  }

  bool Bad = false;
  for (const Row &R : Rows)
    Bad |= !R.Mismatch.empty();
  if (!Json.empty()) {
    try {
      writeJson(Json, Rows, Meta);
    } catch (const netjit::Error &E) {
      std::fprintf(stderr, "%s\n", E.what());
      return 1;
    }
  }
  bool Matched = false;
  for (const std::string &N : caseNames())
    Matched |= std::regex_search(N, Re) && (FilterGiven || !optInCase(N));
  if (!Matched)
    std::fprintf(stderr, "netjit-bench: no case matches '%s' (--list)\n",
                 Filter.c_str());
  return Bad ? 1 : 0;
}
