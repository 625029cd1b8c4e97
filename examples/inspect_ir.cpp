//===- inspect_ir.cpp - What a model compiles to ---------------------------===//
//
// Every model can print the graphs it is made of: the loss graph (every
// layer output and every loss by name), the loss + gradient graph (one
// grad(<param>) output per parameter) and the same after the optimization
// pipeline, where the cross-entropy of the softmax output has become the
// fused softmax_xent. Pass "dot" to get Graphviz instead.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"

#include <cstring>
#include <iostream>

using namespace netjit;

int main(int Argc, char **Argv) {
  bool Dot = Argc > 1 && std::strcmp(Argv[1], "dot") == 0;
  Classifier Net({4, {5, "tanh"}, 3}, {.Weighted = true});
  Regularizers R{.WeightL2 = 1e-4};
  if (Dot) {
    std::cout << Net.dot(GraphStage::Optimized, R);
    return 0;
  }
  std::cout << "== loss graph\n" << Net.ir(GraphStage::Loss, R) << "\n";
  std::cout << "== loss + gradient graph\n"
            << Net.ir(GraphStage::Gradient, R) << "\n";
  std::cout << "== optimized\n" << Net.ir(GraphStage::Optimized, R) << "\n";
  return 0;
}
