//===- recurrent_layers.h - The recurrent layer forms (internal) ----------===//
//
// Internal to the frontend: makeLayer (layers.cpp) builds the recurrent
// forms through this header. The forms, their parameters and equations are
// documented in frontend/recurrent.h and docs/guide.md.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/layers.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace netjit {

/// Whether Form (lower-case) is one of rnn, lstm, gru, mrnn, scrn,
/// clockwork, bcrnn, bidirectional.
bool isRecurrentForm(std::string_view Form);

/// The recurrent layer of that form. DefaultActivation is the activation a
/// bidirectional layer hands its workers when Spec names none.
std::unique_ptr<Layer> makeRecurrentLayer(const std::string &Form,
                                          const LayerSpec &Spec,
                                          std::string Name,
                                          std::vector<std::string> Inputs,
                                          const std::string &DefaultActivation);

} // namespace netjit
