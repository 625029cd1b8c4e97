//===- weighted_classifier.cpp - A rare class made to count ---------------===//
//
// A classifier with `Weighted = true` reads a weight per example. Class 1 is
// rare here (1 example in 16), so its example gets a weight of 15: the loss
// and the accuracy then count it as much as all the others together. Bad
// weights (negative, or summing to zero) are an error when the batch is fed.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"

#include <iostream>

using namespace netjit;

int main() {
  Classifier Net({4, {8, "tanh"}, 2}, {.Weighted = true});

  Tensor X(DType::F32, {16, 4}), Labels(DType::I32, {16});
  Tensor Even(DType::F32, {16}), Rare(DType::F32, {16});
  for (int64_t I = 0; I < 16; ++I) {
    for (int64_t J = 0; J < 4; ++J)
      X.set(I * 4 + J, ((I * 7 + J * 3) % 11) / 10.0 - 0.5);
    Labels.set(I, I == 5 ? 1 : 0);
    Even.set(I, 1.0);
    Rare.set(I, I == 5 ? 15.0 : 1.0);
  }

  for (const auto &[Name, W] : {std::pair{"even weights", Even},
                                std::pair{"rare class x15", Rare}}) {
    TensorMap M =
        Net.evaluate({{"in", X}, {"target", Labels}, {"weights", W}});
    std::cout << Name << ": xe = " << M.at("loss").at(0)
              << ", accuracy = " << M.at("acc").at(0) << "\n";
  }
  std::cout << "predicted classes of the untrained model:";
  Tensor P = Net.predict(X);
  for (int64_t I = 0; I < P.numel(); ++I)
    std::cout << " " << P.at(I);
  std::cout << "\n";

  Rare.set(0, -1.0);
  try {
    Net.evaluate({{"in", X}, {"target", Labels}, {"weights", Rare}});
  } catch (const Error &E) {
    std::cout << "bad weights: " << E.what() << "\n";
  }
  return 0;
}
