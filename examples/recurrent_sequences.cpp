//===- recurrent_sequences.cpp - Variable-length sequences, one batch -----===//
//
// A recurrent classifier learns to echo, at each step, the symbol of the
// previous step: a task that needs memory. The sequences have
// lengths 3 to 10; they share batches of T = 10 steps, padded at the end
// with garbage that weight 0 removes (forward layers never look ahead, so
// the padding changes nothing). The program trains a gru and reports the
// weighted accuracy over the real steps, then samples a sequence with
// predict_sequence.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"

#include <cmath>
#include <iostream>

using namespace netjit;

int main() {
  // Symbols 0 and 1, one-hot encoded; the label at step t is the symbol at
  // step t-1 (0 at step 0).
  const int64_t Rows = 96, Steps = 10;
  Tensor X(DType::F32, {Rows, Steps, 2}), Labels(DType::I32, {Rows, Steps});
  Tensor W(DType::F32, {Rows, Steps});
  for (int64_t R = 0; R < Rows; ++R) {
    int64_t Length = 3 + R % 8, Previous = 0;
    for (int64_t T = 0; T < Steps; ++T) {
      int64_t I = R * Steps + T;
      double V = std::sin(12.9898 * I) * 43758.5453;
      V -= std::floor(V); // a pseudo-random number in [0, 1)
      int64_t Symbol = V > 0.5;
      bool Real = T < Length;
      X.set(I * 2 + Symbol, 1);
      if (!Real) { // padding: garbage
        X.set(I * 2, 100 * V);
        X.set(I * 2 + 1, -70 * V);
      }
      Labels.set(I, Previous);
      W.set(I, Real ? 1.0 : 0.0);
      Previous = Symbol;
    }
  }

  recurrent::Classifier Net({2, {8, "gru", "tanh"}, 2}, {.Weighted = true});
  Dataset Train({{"in", X}, {"target", Labels}, {"weights", W}},
                {.BatchSize = 32});
  TrainOptions O;
  O.Algo = "adam";
  O.Hyper["learning_rate"] = 0.05;
  O.ValidateEvery = 5;
  O.MaxUpdates = 60;
  train(Net, Train, &Train, O);
  std::cout << "weighted accuracy over the real steps: "
            << Net.score(X, Labels, W) << "\n";
  // The model names the symbol one step back: after 1 0 1 it samples 0,
  // after 1 0 1 0 it samples 1, and so on.
  Tensor S = Net.predict_sequence({1, 0, 1}, 5);
  std::cout << "sampled after 1 0 1:";
  for (int64_t I = 0; I < S.numel(); ++I)
    std::cout << " " << S.at(I);
  std::cout << "\n";
}
