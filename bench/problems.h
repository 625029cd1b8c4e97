//===- problems.h - The computations netjit-bench times ---------*- C++ -*-===//
//
// Plain descriptions of a case's data (caller-owned arrays), shared by the
// implementations that do not see each other's headers: netjit's compiled
// functions, the hand-written baselines and libtorch.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace netjit::bench {

/// A loss and its gradient with respect to the prediction. Kind is "mse",
/// "mae", "hinge" (Y and T of Rows * Cols elements) or "xent" (logits Y of
/// [Rows, Cols], Labels of Rows elements in [0, Cols)).
struct LossProblem {
  std::string Kind;
  int64_t Rows = 0, Cols = 0;
  const float *Y = nullptr, *T = nullptr;
  const int64_t *Labels = nullptr;

  int64_t elements() const { return Rows * Cols; }
  /// Bytes read and written once: the inputs and the gradient.
  double bytes() const {
    double N = static_cast<double>(elements());
    return Kind == "xent" ? 8.0 * N + 8.0 * static_cast<double>(Rows)
                          : 12.0 * N;
  }
};

/// x [Batch, In] -> act(x w1 + b1) [Batch, Hidden] -> z = h w2 + b2 [Batch,
/// Out], then the mean softmax cross-entropy at Labels (Xent) or
/// mean((z - y)^2), and the gradients of the four parameters. Row-major.
struct TwoLayerProblem {
  int64_t Batch = 0, In = 0, Hidden = 0, Out = 0;
  bool Tanh = false; // relu otherwise
  bool Xent = false; // mse otherwise
  const float *X = nullptr, *Y = nullptr;
  const int64_t *Labels = nullptr;
  const float *W1 = nullptr, *B1 = nullptr, *W2 = nullptr, *B2 = nullptr;

  /// 2 m n k summed over the five products of a step (two forward, three
  /// backward: dw2, dh, dw1).
  double gemmFlops() const {
    return 2.0 * static_cast<double>(Batch) *
           (2.0 * static_cast<double>(In * Hidden) +
            3.0 * static_cast<double>(Hidden * Out));
  }
};

/// Where an implementation writes the loss and the parameter gradients.
struct TwoLayerGrads {
  float *Loss = nullptr, *DW1 = nullptr, *DB1 = nullptr, *DW2 = nullptr,
        *DB2 = nullptr;
};

/// The train cases' model and optimizer: in -> relu(x w1 + b1) [Hidden] ->
/// softmax(h w2 + b2) [Out], mean cross-entropy over each batch, and adam
/// with bias correction, u = lr (m / (1 - Beta1^t)) / (sqrt(v / (1 - Beta2^t))
/// + Epsilon). W1..B2 are the initial values (row-major, w1 [In, Hidden]),
/// which the trainers copy.
struct TrainProblem {
  int64_t In = 0, Hidden = 0, Out = 0;
  double LearningRate = 0, Beta1 = 0, Beta2 = 0, Epsilon = 0;
  const float *W1 = nullptr, *B1 = nullptr, *W2 = nullptr, *B2 = nullptr;

  /// 2 m n k over one epoch's five products per row of data.
  double gemmFlopsPerRow() const {
    return 2.0 * (2.0 * static_cast<double>(In * Hidden) +
                  3.0 * static_cast<double>(Hidden * Out));
  }
};

/// Row ranges [Begin, End) of the data, in the order one epoch visits them.
using BatchList = std::vector<std::pair<int64_t, int64_t>>;

/// A training loop outside netjit (Eigen, libtorch). Epoch runs one adam
/// step per batch of X [rows, In] with i32 Labels and returns the mean of
/// the batches' losses; Accuracy is the fraction of Rows rows whose most
/// probable class is the label, with the current parameters.
struct TrainLoop {
  std::function<double(const float *X, const int32_t *Labels,
                       const BatchList &Batches)>
      Epoch;
  std::function<double(const float *X, const int32_t *Labels, int64_t Rows)>
      Accuracy;
};

} // namespace netjit::bench
