//===- plot.h - Training curves as an SVG file ----------------------------===//
//
// `netjit train --plot PATH.svg` draws each monitor's curve over the
// epochs, one panel per monitor (loss, err, acc, ...), training and
// validation in two colours. Plain SVG, so any browser opens it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <map>
#include <string>
#include <vector>

namespace netjit::tool {

/// One series: (epoch, value) points.
using Curve = std::vector<std::pair<double, double>>;

struct PlotPanel {
  std::string Title;
  /// Series name ("train", "valid") -> points.
  std::map<std::string, Curve> Series;
};

/// The SVG document for the panels, laid out in a grid.
std::string renderSvg(const std::vector<PlotPanel> &Panels,
                      const std::string &Title);

} // namespace netjit::tool
