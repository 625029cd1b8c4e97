//===- matrix_completion.cpp - An autoencoder that ignores unknown values -===//
//
// An autoencoder's target is its input. With 0/1 weights the loss counts
// only the known entries of the matrix: an unknown entry (weight 0, stored
// as 0 in the input) contributes nothing and gets a gradient of exactly
// zero, so a model trained this way learns to fill the unknowns in from the
// known values.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"

#include <cmath>
#include <iostream>

using namespace netjit;

int main() {
  Autoencoder Net({6, {3, "tanh"}, 6}, {.Weighted = true});

  Tensor X(DType::F32, {8, 6}), Known(DType::F32, {8, 6});
  for (int64_t I = 0; I < X.numel(); ++I) {
    bool IsKnown = I % 5 != 2;
    X.set(I, IsKnown ? std::sin(0.3 * I) : 0.0);
    Known.set(I, IsKnown ? 1.0 : 0.0);
  }

  // The data is the input "in" (also the target) and the weights.
  TensorMap M = Net.evaluate({{"in", X}, {"weights", Known}});
  std::cout << "mse over the known entries: " << M.at("loss").at(0) << "\n";
  std::cout << "R^2 over the known entries: " << Net.score(X, Known) << "\n";

  Tensor Filled = Net.predict(X);
  std::cout << "row 0 reconstructed:";
  for (int64_t J = 0; J < 6; ++J)
    std::cout << " " << Filled.at(J);
  Tensor Code = Net.encode(X);
  std::cout << "\nrow 0 encoded (layer hid1):";
  for (int64_t J = 0; J < 3; ++J)
    std::cout << " " << Code.at(J);
  std::cout << "\n";
  return 0;
}
