//===- init.cpp - LayerSpec and parameter initialisation ------------------===//
//
// LayerSpec's constructors and option readers, and theanets' weight
// initialisation on top of a per-layer Philox stream.
//
//===----------------------------------------------------------------------===//
#include "frontend/init.h"
#include "ir/error.h"
#include "runtime/philox.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace netjit {

//===----------------------------------------------------------------------===//
// LayerSpec
//===----------------------------------------------------------------------===//

namespace {
std::string lower(std::string_view S) {
  std::string Out(S);
  std::transform(Out.begin(), Out.end(), Out.begin(),
                 [](unsigned char C) { return std::tolower(C); });
  return Out;
}
} // namespace

bool isLayerForm(std::string_view Word) {
  static const std::set<std::string, std::less<>> Forms = {
      "input",  "feedforward", "ff",   "classifier", "softmax",
      "tied",   "concatenate", "concat", "product",  "prod",
      "flatten", "flat",       "reshape", "rnn",      "lstm",
      "gru",     "mrnn",       "scrn",    "clockwork",  "bcrnn",
      "bidirectional"};
  return Forms.count(lower(Word)) > 0;
}

LayerSpec::LayerSpec(int S) : Size(S) {}

LayerSpec::LayerSpec(int S, const char *Word) : Size(S) { setWord(Word); }

LayerSpec::LayerSpec(int S, const char *F, const char *A)
    : Size(S), Form(F), Activation(A) {}

LayerSpec::LayerSpec(const char *F) : Form(F) {}

void LayerSpec::setWord(const char *Word) {
  if (isLayerForm(Word))
    Form = Word;
  else
    Activation = Word;
}

LayerSpec &LayerSpec::form(std::string F) {
  Form = std::move(F);
  return *this;
}
LayerSpec &LayerSpec::activation(std::string A) {
  Activation = std::move(A);
  return *this;
}
LayerSpec &LayerSpec::name(std::string N) {
  Name = std::move(N);
  return *this;
}
LayerSpec &LayerSpec::size(int64_t S) {
  Size = S;
  return *this;
}
LayerSpec &LayerSpec::inputs(std::vector<std::string> Names) {
  Inputs = std::move(Names);
  return *this;
}
LayerSpec &LayerSpec::option(std::string Key, Value V) {
  Options[std::move(Key)] = std::move(V);
  return *this;
}

bool LayerSpec::has(std::string_view Key) const {
  Used.insert(std::string(Key));
  return Options.count(std::string(Key)) > 0;
}

double LayerSpec::number(std::string_view Key, double Default) const {
  if (!has(Key))
    return Default;
  const Value &V = Options.at(std::string(Key));
  if (const double *D = std::get_if<double>(&V))
    return *D;
  throw TypeError("layer option '" + std::string(Key) + "' must be a number");
}

double LayerSpec::number(std::string_view Key, std::string_view Fallback,
                         double Default) const {
  return has(Key) ? number(Key, Default) : number(Fallback, Default);
}

std::string LayerSpec::text(std::string_view Key, std::string Default) const {
  if (!has(Key))
    return Default;
  const Value &V = Options.at(std::string(Key));
  if (const std::string *S = std::get_if<std::string>(&V))
    return *S;
  throw TypeError("layer option '" + std::string(Key) + "' must be a string");
}

std::vector<int64_t> LayerSpec::ints(std::string_view Key) const {
  if (!has(Key))
    return {};
  const Value &V = Options.at(std::string(Key));
  if (const auto *L = std::get_if<std::vector<int64_t>>(&V))
    return *L;
  throw TypeError("layer option '" + std::string(Key) +
                  "' must be a list of integers");
}

void LayerSpec::checkAllUsed(std::string_view Layer) const {
  for (const auto &[Key, V] : Options)
    if (!Used.count(Key))
      throw TypeError("layer '" + std::string(Layer) + "' has no option '" +
                      Key + "'");
}

//===----------------------------------------------------------------------===//
// Streams and initialisers
//===----------------------------------------------------------------------===//

uint64_t fnv1a(std::string_view Text, uint64_t Seed) {
  uint64_t H = 1469598103934665603ull ^ Seed;
  for (unsigned char C : Text)
    H = (H ^ C) * 1099511628211ull;
  return H;
}

InitStream::InitStream(uint64_t ModelSeed, std::string_view LayerName) {
  // FNV-1a of the name, mixed with the seed (splitmix64's finalizer).
  uint64_t Z = fnv1a(LayerName) ^ (ModelSeed + 0x9e3779b97f4a7c15ull);
  Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ull;
  Z = (Z ^ (Z >> 27)) * 0x94d049bb133111ebull;
  Key = static_cast<int64_t>(Z ^ (Z >> 31));
}

double InitStream::normal() { return philoxNormal(Key, Counter++); }

double InitStream::uniform() { return philoxUniform(Key, Counter++); }

namespace {

/// Rescales W (Rows x Cols) so its largest singular value is Radius.
void scaleToRadius(std::vector<double> &W, int64_t Rows, int64_t Cols,
                   double Radius) {
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                           Eigen::RowMajor>>
      M(W.data(), Rows, Cols);
  Eigen::JacobiSVD<Eigen::MatrixXd> Svd(M);
  double Largest = Svd.singularValues()(0);
  if (Largest > 0)
    M *= Radius / Largest;
}

} // namespace

namespace {

/// One Rows x Cols draw; DefaultStd applies unless std(_<Param>) is set.
std::vector<double> drawWeights(const LayerSpec &Spec, std::string_view Param,
                                int64_t Rows, int64_t Cols, double DefaultStd,
                                InitStream &S) {
  std::string P(Param);
  double Std = Spec.number("std_" + P, "std", DefaultStd);
  double Mean = Spec.number("mean_" + P, "mean", 0);
  double Sparsity = Spec.number("sparsity_" + P, "sparsity", 0);
  double Diagonal = Spec.number("diagonal_" + P, "diagonal", 0);
  double Radius = Spec.number("radius_" + P, "radius", 0);
  if (Sparsity < 0 || Sparsity >= 1)
    throw TypeError("layer option 'sparsity' must be in [0, 1)");
  std::vector<double> W(static_cast<size_t>(Rows * Cols));
  for (double &V : W)
    V = Mean + Std * S.normal();
  if (Sparsity > 0)
    for (int64_t I = 0; I < Rows * Cols; ++I) {
      bool Keep = S.uniform() >= Sparsity || I / Cols == I % Cols;
      if (!Keep)
        W[I] = 0;
    }
  if (Radius > 0 && !W.empty())
    scaleToRadius(W, Rows, Cols, Radius);
  if (Diagonal != 0)
    for (int64_t I = 0; I < Rows * Cols; ++I)
      W[I] = I / Cols == I % Cols ? Diagonal : 0;
  return W;
}

} // namespace

Tensor initWeights(const LayerSpec &Spec, std::string_view Param, int64_t Rows,
                   int64_t Cols, InitStream &S, DType T) {
  std::vector<double> W =
      drawWeights(Spec, Param, Rows, Cols,
                  1 / std::sqrt(static_cast<double>(Rows + Cols)), S);
  Tensor Out(T, {Rows, Cols});
  for (int64_t I = 0; I < Rows * Cols; ++I)
    Out.set(I, W[I]);
  return Out;
}

Tensor initRecurrentWeights(const LayerSpec &Spec, std::string_view Param,
                            int64_t Rows, int64_t Cols, int64_t Units,
                            InitStream &S, DType T) {
  if (Rows != Units || Rows == 0 || Cols % Rows != 0)
    return initWeights(Spec, Param, Rows, Cols, S, T);
  double Std = 1 / std::sqrt(static_cast<double>(Rows + Cols));
  Tensor Out(T, {Rows, Cols});
  for (int64_t Block = 0; Block < Cols / Rows; ++Block) {
    std::vector<double> W = drawWeights(Spec, Param, Rows, Rows, Std, S);
    for (int64_t I = 0; I < Rows; ++I)
      for (int64_t J = 0; J < Rows; ++J)
        Out.set(I * Cols + Block * Rows + J, W[I * Rows + J]);
  }
  return Out;
}

Tensor initBias(const LayerSpec &Spec, std::string_view Param, int64_t Size,
                InitStream &S, DType T, double DefaultMean) {
  std::string P(Param);
  double Std = Spec.number("std_" + P, 0);
  double Mean = Spec.number("mean_" + P, DefaultMean);
  return fillTensor({Size}, T, [&] { return Mean + Std * S.normal(); });
}

} // namespace netjit
