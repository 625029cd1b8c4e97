//===- harness.cpp - Interleaved A/B timing, the table and the JSON -------===//
//
// Calibration: each implementation runs once (warming caches, letting a
// compiled function size its workspace), then batches of doubling length
// until one lasts MinTime / 20; that batch length is kept for every sample
// of the run so that all samples of a side measure the same thing. The
// rounds then alternate the order of the sides (A B C, C B A, A B C, ...),
// so no side always runs right after another one's cache footprint.
//
//===----------------------------------------------------------------------===//
#include "bench/harness.h"

#include "ir/error.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace netjit::bench {
namespace {

using Clock = std::chrono::steady_clock;

/// Seconds per call over one batch of Calls calls.
double timeBatch(const Impl &I, int64_t Calls) {
  auto Start = Clock::now();
  for (int64_t C = 0; C < Calls; ++C)
    I.Run();
  std::chrono::duration<double> D = Clock::now() - Start;
  return D.count() / static_cast<double>(Calls);
}

struct Plan {
  int64_t Calls = 1;
  int Batches = 1;
};

Plan calibrate(const Impl &I, const Options &O, int MinBatches) {
  double Target = O.MinTime / 20;
  I.Run();
  Plan P;
  double PerCall = timeBatch(I, 1);
  while (PerCall * static_cast<double>(P.Calls) < Target &&
         P.Calls < (int64_t(1) << 40)) {
    double Want = PerCall > 0 ? 1.2 * Target / PerCall
                              : static_cast<double>(P.Calls) * 16;
    P.Calls = std::max<int64_t>(
        P.Calls * 2,
        std::min<int64_t>(P.Calls * 64, static_cast<int64_t>(Want)));
    PerCall = timeBatch(I, P.Calls);
  }
  double Batch = PerCall * static_cast<double>(P.Calls);
  P.Batches =
      std::max(MinBatches,
               static_cast<int>(std::ceil(O.MinTime / std::max(Batch, 1e-9))));
  return P;
}

double sample(const Impl &I, const Plan &P) {
  std::vector<double> T(P.Batches);
  for (double &X : T)
    X = timeBatch(I, P.Calls);
  return median(std::move(T));
}

std::string formatTime(double S) {
  char Buf[32];
  if (S < 1e-6)
    std::snprintf(Buf, sizeof Buf, "%.1f ns", S * 1e9);
  else if (S < 1e-3)
    std::snprintf(Buf, sizeof Buf, "%.2f us", S * 1e6);
  else if (S < 1)
    std::snprintf(Buf, sizeof Buf, "%.3f ms", S * 1e3);
  else
    std::snprintf(Buf, sizeof Buf, "%.3f s", S);
  return Buf;
}

std::string jsonString(const std::string &S) {
  std::string Out = "\"";
  for (char C : S) {
    if (C == '"' || C == '\\') {
      Out += '\\';
      Out += C;
    } else if (static_cast<unsigned char>(C) < 0x20) {
      char Buf[8];
      std::snprintf(Buf, sizeof Buf, "\\u%04x", C);
      Out += Buf;
    } else {
      Out += C;
    }
  }
  return Out + "\"";
}

std::string jsonNumber(double V) {
  if (!std::isfinite(V))
    return "null";
  char Buf[32];
  std::snprintf(Buf, sizeof Buf, "%.9g", V);
  return Buf;
}

const double *extra(const Row &R, const std::string &Name) {
  for (const auto &[K, V] : R.Extras)
    if (K == Name)
      return &V;
  return nullptr;
}

} // namespace

double median(std::vector<double> V) {
  if (V.empty())
    return NAN;
  std::sort(V.begin(), V.end());
  size_t N = V.size();
  return N % 2 ? V[N / 2] : (V[N / 2 - 1] + V[N / 2]) / 2;
}

std::vector<Row> compareInterleaved(const std::string &Case,
                                    const std::vector<Impl> &Impls,
                                    const Options &O, int MinBatches) {
  std::vector<Plan> Plans;
  for (const Impl &I : Impls)
    Plans.push_back(calibrate(I, O, MinBatches));
  size_t N = Impls.size();
  std::vector<std::vector<double>> Samples(N);
  std::vector<std::vector<double>> Ratios(N);
  for (int Round = 0; Round < O.Pairs; ++Round) {
    std::vector<double> This(N);
    for (size_t K = 0; K < N; ++K) {
      size_t I = Round % 2 ? N - 1 - K : K;
      This[I] = sample(Impls[I], Plans[I]);
    }
    for (size_t I = 0; I < N; ++I) {
      Samples[I].push_back(This[I]);
      Ratios[I].push_back(This[I] / This[0]);
    }
  }
  std::vector<Row> Rows;
  for (size_t I = 0; I < N; ++I) {
    Row R;
    R.Case = Case;
    R.Implementation = Impls[I].Name;
    R.Note = Impls[I].Note;
    R.MedianSeconds = median(Samples[I]);
    R.Ratio = median(Ratios[I]);
    R.RatioMin = *std::min_element(Ratios[I].begin(), Ratios[I].end());
    R.RatioMax = *std::max_element(Ratios[I].begin(), Ratios[I].end());
    R.Samples = Samples[I];
    R.CallsPerBatch = Plans[I].Calls;
    R.Batches = Plans[I].Batches;
    Rows.push_back(std::move(R));
  }
  return Rows;
}

void addRate(std::vector<Row> &Rows, const std::string &Name, double Amount,
             double Scale) {
  for (Row &R : Rows)
    R.Extras.emplace_back(Name, Amount / R.MedianSeconds / Scale);
}

void printTable(const std::vector<Row> &Rows) {
  std::printf("%-20s %-10s %10s %22s %8s %8s  %s\n", "case", "impl", "median",
              "ratio [min..max]", "GB/s", "GFLOP/s", "check, extras");
  std::string Last;
  std::vector<std::pair<std::string, std::string>> Legend;
  for (const Row &R : Rows) {
    if (!Last.empty() && R.Case != Last)
      std::printf("\n");
    Last = R.Case;
    char Ratio[48], Gbps[16] = "", Gflops[16] = "";
    std::snprintf(Ratio, sizeof Ratio, "%.3f [%.2f..%.2f]", R.Ratio, R.RatioMin,
                  R.RatioMax);
    if (const double *G = extra(R, "gbps"))
      std::snprintf(Gbps, sizeof Gbps, "%.2f", *G);
    if (const double *G = extra(R, "gflops"))
      std::snprintf(Gflops, sizeof Gflops, "%.1f", *G);
    std::string Notes = R.Mismatch.empty() ? "" : "MISMATCH: " + R.Mismatch;
    for (const auto &[K, V] : R.Extras) {
      if (K == "gbps" || K == "gflops")
        continue;
      char Buf[64];
      std::snprintf(Buf, sizeof Buf, "%s%s=%.3g", Notes.empty() ? "" : ", ",
                    K.c_str(), V);
      Notes += Buf;
    }
    std::printf("%-20s %-10s %10s %22s %8s %8s  %s\n", R.Case.c_str(),
                R.Implementation.c_str(), formatTime(R.MedianSeconds).c_str(),
                Ratio, Gbps, Gflops, Notes.c_str());
    std::pair<std::string, std::string> L(R.Implementation, R.Note);
    if (std::find(Legend.begin(), Legend.end(), L) == Legend.end())
      Legend.push_back(L);
  }
  std::printf("\nimplementations:\n");
  for (const auto &[Impl, Note] : Legend)
    std::printf("  %-10s %s\n", Impl.c_str(), Note.c_str());
}

void writeJson(const std::string &Path, const std::vector<Row> &Rows,
               const std::vector<std::pair<std::string, std::string>> &Meta) {
  std::ostringstream Out;
  Out << "{\n  \"meta\": {";
  for (size_t I = 0; I < Meta.size(); ++I)
    Out << (I ? ", " : "") << jsonString(Meta[I].first) << ": "
        << jsonString(Meta[I].second);
  Out << "},\n  \"rows\": [";
  for (size_t I = 0; I < Rows.size(); ++I) {
    const Row &R = Rows[I];
    Out << (I ? "," : "") << "\n    {\"case\": " << jsonString(R.Case)
        << ", \"implementation\": " << jsonString(R.Implementation)
        << ", \"median_seconds\": " << jsonNumber(R.MedianSeconds)
        << ", \"ratio_to_baseline\": " << jsonNumber(R.Ratio)
        << ", \"ratio_min\": " << jsonNumber(R.RatioMin)
        << ", \"ratio_max\": " << jsonNumber(R.RatioMax)
        << ", \"calls_per_batch\": " << R.CallsPerBatch
        << ", \"batches_per_sample\": " << R.Batches
        << ", \"note\": " << jsonString(R.Note)
        << ", \"mismatch\": " << jsonString(R.Mismatch);
    for (const auto &[K, V] : R.Extras)
      Out << ", " << jsonString(K) << ": " << jsonNumber(V);
    Out << ", \"samples_seconds\": [";
    for (size_t S = 0; S < R.Samples.size(); ++S)
      Out << (S ? ", " : "") << jsonNumber(R.Samples[S]);
    Out << "]}";
  }
  Out << "\n  ]\n}\n";
  std::ofstream F(Path);
  F << Out.str();
  F.close();
  if (!F)
    throw Error("netjit-bench: cannot write '" + Path + "'");
}

} // namespace netjit::bench
