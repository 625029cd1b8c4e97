//===- harness.h - Interleaved A/B timing for netjit-bench ------*- C++ -*-===//
//
// The measuring side of netjit-bench. A case is a set of implementations of
// one computation, the first being the baseline. They are timed in the same
// run and interleaved (baseline, netjit, [libtorch], then the reverse order,
// and so on for Pairs rounds), so that a slow drift of the machine (other
// processes, frequency, thermal state) hits every side alike and shows up
// in the spread of the per-round ratios rather than in the ratio itself.
//
// One sample of an implementation is the median, over enough batches to
// last at least MinTime, of the time per call within a batch; a batch runs
// the implementation enough times back to back to last about MinTime / 20,
// so the clock's own cost never matters (a call of a few nanoseconds is
// timed by batches of thousands of calls). A case reports, per
// implementation, the median of its samples and the median (and range) of
// the per-round ratios sample / baseline sample.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace netjit::bench {

struct Options {
  /// Seconds one sample lasts at least.
  double MinTime = 0.02;
  /// Rounds of interleaved samples (each round samples every side once).
  int Pairs = 7;
};

/// One side of a case.
struct Impl {
  std::string Name;
  std::function<void()> Run;
  /// What the implementation is, for the report ("hand loop, -O3 ...").
  std::string Note;
};

/// One reported row: an implementation of a case.
struct Row {
  std::string Case, Implementation, Note;
  double MedianSeconds = 0;
  /// Median of the per-round ratios sample / baseline sample (1 for the
  /// baseline), with their smallest and largest value.
  double Ratio = 1, RatioMin = 1, RatioMax = 1;
  std::vector<double> Samples;
  int64_t CallsPerBatch = 0;
  int Batches = 0;
  /// Figures derived from the time (gbps, gflops, ...) and other numbers.
  std::vector<std::pair<std::string, double>> Extras;
  /// Problems found while checking the results (empty when they agree).
  std::string Mismatch;
};

/// Times Impls (Impls[0] is the baseline) interleaved and returns one row
/// per implementation. MinBatches bounds the batches of a sample from
/// below (1 for calls that take a large part of MinTime, like a compile).
std::vector<Row> compareInterleaved(const std::string &Case,
                                    const std::vector<Impl> &Impls,
                                    const Options &O, int MinBatches = 5);

/// The median of V (the mean of the middle two for an even count).
double median(std::vector<double> V);

/// Adds Name = Amount / MedianSeconds / Scale to every row (e.g. "gbps"
/// with Amount in bytes and Scale 1e9).
void addRate(std::vector<Row> &Rows, const std::string &Name, double Amount,
             double Scale);

/// The table printed to stdout.
void printTable(const std::vector<Row> &Rows);
/// Every row as JSON; throws std::runtime_error when Path cannot be written.
void writeJson(const std::string &Path, const std::vector<Row> &Rows,
               const std::vector<std::pair<std::string, std::string>> &Meta);

} // namespace netjit::bench
