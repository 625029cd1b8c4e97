//===- cases.h - The cases of netjit-bench ----------------------*- C++ -*-===//
//
// Every case netjit-bench knows, by name ("loss/mse/n=1048576",
// "mlp/b=32", "tiny/add-one", ...; bench/README.md lists them). A case
// builds its data, compiles netjit's graph, sets up the baseline (and
// libtorch when built with it), checks that all sides compute the same
// loss and gradients, then times them interleaved (bench/harness.h). The
// train group (bench/train_cases.h) trains a whole model instead and runs
// only when --filter asks for it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "bench/harness.h"

#include <regex>
#include <string>
#include <vector>

namespace netjit::bench {

/// Every case name, in the order they run.
std::vector<std::string> caseNames();

/// Whether a case runs only when --filter is given (and matches it): the
/// train group, which takes about a minute.
bool optInCase(const std::string &Name);

/// Runs the cases whose name Filter matches (std::regex_search), the opt-in
/// ones only when FilterGiven; rows of every side of every case, in order.
/// Progress goes to stderr.
std::vector<Row> runCases(const Options &O, const std::regex &Filter,
                          bool FilterGiven);

/// "libtorch <version>" when built with libtorch, else "".
std::string torchVersion();

} // namespace netjit::bench
