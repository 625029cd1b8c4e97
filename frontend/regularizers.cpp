//===- regularizers.cpp - Regularizer options ------------------------------===//
//
// The options and glob matching; the terms and graph changes themselves are
// built with the model's graph (model_graph.cpp).
//
//===----------------------------------------------------------------------===//
#include "frontend/regularizers.h"

#include <fnmatch.h>

namespace netjit {

bool Regularizers::random() const {
  if (InputDropout || HiddenDropout || OutputDropout || InputNoise ||
      HiddenNoise || OutputNoise)
    return true;
  for (const auto &[P, V] : Dropout)
    if (V)
      return true;
  for (const auto &[P, V] : Noise)
    if (V)
      return true;
  return false;
}

bool globMatch(const std::string &Pattern, const std::string &Name) {
  return fnmatch(Pattern.c_str(), Name.c_str(), 0) == 0;
}

} // namespace netjit
