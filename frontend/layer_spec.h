//===- layer_spec.h - How a user writes one layer of a model --------------===//
//
// A model's layers are a brace list of LayerSpecs in theanets' forms:
//
//   Regressor Net({10, {20, "tanh"}, {20, "tied"},
//                  LayerSpec(3).activation("relu").option("std", 0.1)});
//
// A number is a layer size; {size, "word"} takes a layer form when the word
// names one (feedforward/ff, classifier/softmax, tied, concatenate/concat,
// product/prod, flatten/flat, reshape, input, and the recurrent rnn, lstm,
// gru, mrnn, scrn, clockwork, bcrnn, bidirectional) and an activation
// otherwise; {size, form, activation} gives both. The fluent setters cover
// the rest: name, inputs (output names, "hid1" meaning "hid1:out"), and named
// options (init options std/mean/sparsity/diagonal/radius and their _<param>
// variants, partner for tied layers, shape for reshape, direction, h_0 and
// bptt_limit for recurrent layers).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace netjit {

class LayerSpec {
public:
  using Value = std::variant<double, std::string, std::vector<int64_t>>;

  LayerSpec(int Size);                                   // NOLINT
  LayerSpec(int Size, const char *FormOrActivation);     // NOLINT
  LayerSpec(int Size, const char *Form, const char *Activation);
  /// A layer without a size of its own (flatten, concatenate, ...).
  LayerSpec(const char *Form); // NOLINT

  LayerSpec &form(std::string F);
  LayerSpec &activation(std::string A);
  LayerSpec &name(std::string N);
  LayerSpec &size(int64_t S);
  LayerSpec &inputs(std::vector<std::string> Names);
  LayerSpec &option(std::string Key, Value V);

  std::optional<int64_t> Size;
  std::string Form, Activation, Name;
  std::vector<std::string> Inputs;
  std::map<std::string, Value> Options;

  /// Option readers for layers; reading marks a key as used. number() with
  /// a second key falls back to it ("std_w", then "std").
  bool has(std::string_view Key) const;
  double number(std::string_view Key, double Default) const;
  double number(std::string_view Key, std::string_view Fallback,
                double Default) const;
  std::string text(std::string_view Key, std::string Default) const;
  std::vector<int64_t> ints(std::string_view Key) const;
  /// TypeError naming the first option nothing read.
  void checkAllUsed(std::string_view Layer) const;

private:
  void setWord(const char *Word);
  mutable std::set<std::string, std::less<>> Used;
};

/// Whether Word names a layer form (case-insensitive).
bool isLayerForm(std::string_view Word);

} // namespace netjit
