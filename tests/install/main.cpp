//===- main.cpp - A program built against an installed netjit -------------===//
//
// Builds a small regressor through the public headers and prints its loss,
// so the install test sees the whole API link and run.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"

#include <iostream>

int main() {
  netjit::Regressor Net({3, 4, 2}, {.Loss = "mae"});
  netjit::Tensor X(netjit::DType::F32, {5, 3}), Y(netjit::DType::F32, {5, 2});
  for (int64_t I = 0; I < Y.numel(); ++I)
    Y.set(I, 1.0);
  double Loss = Net.evaluate({{"in", X}, {"target", Y}}).at("loss").at(0);
  // With a zero input and zero biases the output is 0, so the mae is 1.
  std::cout << "installed netjit: mae = " << Loss << "\n";
  return Loss == 1.0 ? 0 : 1;
}
