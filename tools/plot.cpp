//===- plot.cpp - Training curves as an SVG file --------------------------===//
//
// Each panel gets "nice" axis ticks (1, 2 or 5 times a power of ten) and a
// polyline per series; a single point is drawn as a dot.
//
//===----------------------------------------------------------------------===//
#include "tools/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace netjit::tool {

namespace {

constexpr double PanelW = 420, PanelH = 260, Margin = 48;

std::string fmt(double V) {
  char Buf[32];
  std::snprintf(Buf, sizeof Buf, "%.4g", V);
  return Buf;
}

std::string escape(const std::string &S) {
  std::string Out;
  for (char C : S) {
    if (C == '<')
      Out += "&lt;";
    else if (C == '>')
      Out += "&gt;";
    else if (C == '&')
      Out += "&amp;";
    else
      Out += C;
  }
  return Out;
}

/// Ticks covering [Lo, Hi] at a 1/2/5 step.
std::vector<double> ticks(double Lo, double Hi) {
  double Span = Hi - Lo;
  double Raw = Span / 5;
  double Pow = std::pow(10.0, std::floor(std::log10(Raw)));
  double Step = Pow;
  for (double M : {1.0, 2.0, 5.0, 10.0})
    if (M * Pow >= Raw) {
      Step = M * Pow;
      break;
    }
  std::vector<double> Out;
  for (double T = std::ceil(Lo / Step) * Step; T <= Hi + Step * 1e-9;
       T += Step)
    Out.push_back(std::abs(T) < Step * 1e-9 ? 0.0 : T);
  return Out;
}

const char *colour(const std::string &Series) {
  if (Series == "train")
    return "#1f77b4";
  if (Series == "valid")
    return "#d62728";
  return "#2ca02c";
}

void panel(std::ostringstream &S, const PlotPanel &P, double X0, double Y0) {
  double XLo = 1e300, XHi = -1e300, YLo = 1e300, YHi = -1e300;
  for (const auto &[Name, C] : P.Series)
    for (auto [X, Y] : C) {
      if (!std::isfinite(Y))
        continue;
      XLo = std::min(XLo, X);
      XHi = std::max(XHi, X);
      YLo = std::min(YLo, Y);
      YHi = std::max(YHi, Y);
    }
  if (XLo > XHi)
    return;
  if (XHi - XLo < 1e-12)
    XHi = XLo + 1;
  if (YHi - YLo < 1e-12) {
    YLo -= 0.5;
    YHi += 0.5;
  }
  double Pad = (YHi - YLo) * 0.05;
  YLo -= Pad;
  YHi += Pad;
  double W = PanelW - 1.5 * Margin, H = PanelH - 2 * Margin;
  double Left = X0 + Margin, Top = Y0 + Margin * 0.8;
  auto MapX = [&](double X) { return Left + (X - XLo) / (XHi - XLo) * W; };
  auto MapY = [&](double Y) { return Top + H - (Y - YLo) / (YHi - YLo) * H; };

  S << "<text x='" << Left << "' y='" << Top - 10
    << "' font-weight='bold'>" << escape(P.Title)
    << "</text>\n";
  S << "<rect x='" << Left << "' y='" << Top << "' width='" << W
    << "' height='" << H << "' fill='none' stroke='#888'/>\n";
  for (double T : ticks(YLo, YHi)) {
    S << "<line x1='" << Left << "' x2='" << Left + W << "' y1='" << MapY(T)
      << "' y2='" << MapY(T) << "' stroke='#eee'/>\n";
    S << "<text x='" << Left - 4 << "' y='" << MapY(T) + 4
      << "' text-anchor='end' font-size='10'>" << fmt(T) << "</text>\n";
  }
  for (double T : ticks(XLo, XHi))
    S << "<text x='" << MapX(T) << "' y='" << Top + H + 14
      << "' text-anchor='middle' font-size='10'>" << fmt(T) << "</text>\n";
  S << "<text x='" << Left + W / 2 << "' y='" << Top + H + 30
    << "' text-anchor='middle' font-size='11'>epoch</text>\n";
  // The legend sits above the plot, right-aligned, clear of the curves.
  double LegendX = Left + W;
  for (auto It = P.Series.rbegin(); It != P.Series.rend(); ++It) {
    S << "<text x='" << LegendX << "' y='" << Top - 10
      << "' text-anchor='end' font-size='11' fill='" << colour(It->first)
      << "'>" << escape(It->first) << "</text>\n";
    LegendX -= 8.0 * static_cast<double>(It->first.size()) + 12;
  }
  for (const auto &[Name, C] : P.Series) {
    S << "<polyline fill='none' stroke-width='1.8' stroke='" << colour(Name)
      << "' points='";
    for (auto [X, Y] : C)
      if (std::isfinite(Y))
        S << MapX(X) << "," << MapY(Y) << " ";
    S << "'/>\n";
    for (auto [X, Y] : C)
      if (std::isfinite(Y) && C.size() < 60)
        S << "<circle r='2' fill='" << colour(Name) << "' cx='" << MapX(X)
          << "' cy='" << MapY(Y) << "'/>\n";
  }
}

} // namespace

std::string renderSvg(const std::vector<PlotPanel> &Panels,
                      const std::string &Title) {
  size_t Cols = std::min<size_t>(2, std::max<size_t>(1, Panels.size()));
  size_t Rows = (Panels.size() + Cols - 1) / Cols;
  double Width = Cols * PanelW, Height = Rows * PanelH + 30;
  std::ostringstream S;
  S << "<svg xmlns='http://www.w3.org/2000/svg' width='" << Width
    << "' height='" << Height << "' font-family='sans-serif' font-size='12'>\n"
    << "<rect width='100%' height='100%' fill='white'/>\n"
    << "<text x='" << Width / 2 << "' y='20' text-anchor='middle' "
    << "font-size='14'>" << escape(Title) << "</text>\n";
  for (size_t I = 0; I < Panels.size(); ++I)
    panel(S, Panels[I], static_cast<double>(I % Cols) * PanelW,
          30 + static_cast<double>(I / Cols) * PanelH);
  S << "</svg>\n";
  return S.str();
}

} // namespace netjit::tool
