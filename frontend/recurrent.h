//===- recurrent.h - Recurrent models and the recurrent layer forms -------===//
//
// The recurrent variants of the three models read batch-major sequences:
//
//   recurrent::Regressor R({3, {16, "lstm"}, 2});    // in [B,T,3] -> [B,T,2]
//   recurrent::Classifier C({28, {64, "gru"}, 28});  // labels i32 [B,T]
//   recurrent::Autoencoder A({3, {10, "rnn"}, 3}, {.Weighted = true});
//
// Data: inputs [B, T, D]; targets [B, T, K] (a classifier's labels [B, T]);
// weights shaped like the target. T may change from call to call. Every
// sequence of a batch has T steps; 0/1 weights let sequences of different
// lengths share a batch (pad the short ones, give the padding weight 0: in
// forward-direction layers padding at the end then changes neither the loss
// nor any gradient; see docs/guide.md for backward layers). Feedforward
// layers work on every step alike; a classifier's softmax and accuracy are
// per step.
//
// recurrent_state and recurrent_norm are theanets' penalties on a sequence
// output: Regularizers::RecurrentState and RecurrentNorm add them to a
// model's objective, and a custom loss can use them directly
// (docs/guide.md). recurrent::Text (frontend/text_data.h) makes a
// character model's data from a text.
//
// Recurrent layer forms (LayerSpec forms; a recurrent layer in a
// feedforward model is a TypeError). x_t is the input row at step t, h the
// state (zeros at the start unless h_0 names an output), act the layer's
// activation (relu by default for hidden layers, as theanets), σ the
// logistic function. Options of every form: direction ("forward" or
// "backward": step T-1 first; outputs stay in forward time order), h_0 (an
// output name, "layer:out" or "layer": a [B, n] value, or a [B, T, n] one
// whose last step is taken), bptt_limit (back-propagate through the last
// K steps only, Theano's truncate_gradient; -1, the default, for all), and
// the weight init options.
//   rnn   params xh, hh, b;  pre = x_t·xh + b + h·hh; h' = act(pre).
//         outputs pre, out.
//   lstm  params xh [D,4n], hh [n,4n], b [4n] (mean 2), ci, cf, co [n];
//         z = x_t·xh + b + h·hh split [i|f|c|o]; i = σ(z_i + c·ci),
//         f = σ(z_f + c·cf), c' = f·c + i·tanh(z_c), o = σ(z_o + c'·co),
//         h' = o·tanh(c'). No activation; c_0 names an initial cell.
//         outputs out, cell.
//   gru   params hh, hr, hz [n,n], w [D,3n], b [3n]; [a|ρ|ζ] = x_t·w + b;
//         r = σ(ρ + h·hr), z = σ(ζ + h·hz), pre = a + (r·h)·hh,
//         hid = act(pre), h' = (1-z)·h + z·hid. outputs pre, hid, rate (z),
//         out.
//   mrnn  params xh, xf, hf, fh, b (option factors, default ceil(√n));
//         pre = x_t·xh + b + ((h·hf) ⊙ (x_t·xf))·fh; h' = act(pre).
//         outputs pre, factors, out.
//   scrn  params w [D,2n], sh, hh, ho, so [n,n], b, r [n] (rate "vector");
//         [u|v] = x_t·w, ρ = σ(r), s' = (1-ρ)·s + ρ·v,
//         h' = act(u + h·hh + s'·sh); out = h·ho + s·so + b (no
//         activation). s_0 names an initial state. outputs rate, state,
//         hid, out.
//   clockwork  params xh, hh, b; option periods (integers >= 1, one per
//         module, sorted ascending; n a multiple of their count). Units
//         form equal modules, the fastest first; M = hh ⊙ mask, mask[r,c]
//         = 1 when r's module is c's or a slower one. cand = x_t·xh + b +
//         h·M; a module's pre = cand at scan steps k (0 = the first step
//         read) with k mod its period = 0, its previous pre otherwise;
//         h' = act(pre). outputs pre, out.
//   bcrnn params xh, hh, b; option num_modules (required); the same mask;
//         ρ = 1 - logspace(-1e-4, -6, modules) per module; pre' = ρ·pre +
//         (1-ρ)·(x_t·xh + b + h·M); h' = act(pre'). outputs pre, out.
//         Both start pre at the initial state.
//   bidirectional  option worker (rnn by default; any form above): a
//         forward and a backward worker of n/2 units each, parameters
//         "<layer>.fw_<param>" and "<layer>.bw_<param>". out (and pre or
//         cell when the worker has them) = [forward | backward] on the last
//         axis, both in forward time order; fw_<output>, bw_<output> are
//         each worker's own.
// Biases and peepholes start at zero, an lstm's b at 2 (std_<param> and
// mean_<param> override); weights are drawn as theanets draws recurrent
// weights (init.h, initRecurrentWeights).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/expr.h"
#include "frontend/models.h"

#include <vector>

namespace netjit::recurrent {

/// theanets' recurrent_state penalty of one sequence output H [B, T, n]:
/// the mean over b, t < T-1 and the units of (H[b,t+1] - H[b,t])².
Expr recurrent_state(const Expr &H, SourceLoc Loc = SourceLoc::current());
/// theanets' recurrent_norm penalty, squared as its documentation says: the
/// mean over b, t < T-1 of (‖H[b,t+1]‖² - ‖H[b,t]‖²)², ‖·‖² the sum of
/// squares over the units. (theanets' code leaves out the outer square; the
/// unsquared sum telescopes.)
Expr recurrent_norm(const Expr &H, SourceLoc Loc = SourceLoc::current());

class Regressor : public netjit::Regressor {
public:
  explicit Regressor(std::vector<LayerSpec> Layers, ModelOptions Options = {},
                     SourceLoc Loc = SourceLoc::current());
};

class Classifier : public netjit::Classifier {
public:
  explicit Classifier(std::vector<LayerSpec> Layers, ModelOptions Options = {},
                      SourceLoc Loc = SourceLoc::current());
  /// Samples Steps labels after the seed Labels, as theanets: the seed is
  /// one-hot encoded (the input layer's size must exceed every label), and
  /// at each step the model reruns on the whole prefix and a label is drawn
  /// from the last step's probabilities, then appended. Streams sequences
  /// are drawn at once from Seed; the result is i64 [Streams, Steps].
  Tensor predict_sequence(const std::vector<int64_t> &Labels, int64_t Steps,
                          int64_t Streams = 1, uint64_t Seed = 13) const;
};

class Autoencoder : public netjit::Autoencoder {
public:
  explicit Autoencoder(std::vector<LayerSpec> Layers, ModelOptions Options = {},
                       SourceLoc Loc = SourceLoc::current());
};

} // namespace netjit::recurrent
