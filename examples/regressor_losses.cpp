//===- regressor_losses.cpp - Several weighted losses on one regressor ----===//
//
// The seed's example in C++: a Regressor([10, 20, 3]) with the MAE loss,
// then an MSE loss added, the MAE made twice as strong, and finally the loss
// reset to the plain MSE. The objective is always Σ weight · loss.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"

#include <iostream>

using namespace netjit;

/// A batch of B rows of deterministic data in [-1, 1).
Tensor batchData(int64_t B, int64_t D, unsigned Seed) {
  Tensor T(DType::F32, {B, D});
  for (int64_t I = 0; I < T.numel(); ++I) {
    Seed = Seed * 1664525u + 1013904223u;
    T.set(I, (Seed >> 8) / double(1 << 24) * 2 - 1);
  }
  return T;
}

void report(const Network &Net, const TensorMap &Batch) {
  TensorMap M = Net.evaluate(Batch);
  std::cout << "  loss = " << M.at("loss").at(0)
            << ", err = " << M.at("err").at(0) << "\n";
}

int main() {
  Regressor Net({10, 20, 3}, {.Loss = "mae"});
  TensorMap Batch{{"in", batchData(32, 10, 1)},
                  {"target", batchData(32, 3, 2)}};

  std::cout << "mae only:\n";
  report(Net, Batch);

  Net.add_loss("mse");
  std::cout << "mae + mse:\n";
  report(Net, Batch);

  // losses() keeps insertion order: [0] is the MAE, [1] the MSE.
  Net.losses()[0]->setWeight(2);
  std::cout << "2 * mae + mse:\n";
  report(Net, Batch);

  Net.set_loss(LossSpec("mse").weight(1));
  std::cout << "mse only:\n";
  report(Net, Batch);
  std::cout << "R^2 of the untrained model: "
            << Net.score(Batch.at("in"), Batch.at("target")) << "\n";
  return 0;
}
