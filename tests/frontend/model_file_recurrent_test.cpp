//===- model_file_recurrent_test.cpp - Saving and loading recurrent models
//-===//
//
// A saved recurrent model loads as the same recurrent:: class with the same
// parameters and predicts bit for bit what the saved one did, for the
// three model kinds and every recurrent form; the recurrent regularizers round
// trip. Both need format version 2, which a writer uses only for them: format-1
// files stay format 1, and a version-1 file that uses them is an error. A
// recurrent layer's size is bounded against the stored parameters before
// anything is drawn.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "model_file_util.h"
#include "test_util.h"

#include <typeinfo>

namespace netjit {
namespace {

using namespace test;
using ::testing::AllOf;
using ::testing::HasSubstr;

/// Deterministic sequences [B, T, D].
Tensor sequences(int64_t B, int64_t T, int64_t D, DType Ty = DType::F32) {
  Tensor Out(Ty, {B, T, D});
  for (int64_t I = 0; I < Out.numel(); ++I)
    Out.set(I, std::sin(0.37 * static_cast<double>(I) + 0.2));
  return Out;
}

std::string parseError(const std::string &Bytes) {
  return errorOf([&] { parseModelFile(Bytes, "r.njm"); });
}

/// Loads N's bytes and expects the same class, parameters and every output
/// on X bit for bit (when X is given), and the same bytes when saved again.
void expectExactRoundTrip(const Network &N, const Tensor *X = nullptr,
                          const Regularizers &R = {}) {
  std::string Bytes = serializeModel(N, R);
  EXPECT_EQ(le(Bytes, 8, 4), 2u);
  ModelFile F = parseModelFile(Bytes, "r.njm");
  const Network &Back = *F.Net;
  ASSERT_EQ(typeid(Back), typeid(N));
  EXPECT_TRUE(Back.recurrent());
  EXPECT_EQ(Back.variables(), N.variables());
  ASSERT_EQ(Back.params(), N.params());
  for (const std::string &P : N.params())
    expectSameBits(N.paramValues().at(P), Back.paramValues().at(P), P);
  // Every output, the last layer's (predict) included.
  if (X)
    expectSameOutputs(N.feed_forward(*X), Back.feed_forward(*X));
  EXPECT_EQ(serializeModel(Back, F.Regs, F.Metadata), Bytes);
}

TEST(ModelFileRecurrent, EveryKindAndFormRoundTripsExactly) {
  recurrent::Regressor R(
      {3, LayerSpec(4, "lstm").option("bptt_limit", 2.0),
       LayerSpec(3, "gru", "tanh").option("direction", "backward"), 2},
      {.Loss = LossSpec("mae"), .Seed = 5, .FloatType = DType::F64});
  Tensor RX = sequences(2, 4, 3, DType::F64);
  expectExactRoundTrip(R, &RX);
  // The other forms' parameters and options (running them would only
  // compile more graphs: outputs follow from the parameters).
  expectExactRoundTrip(recurrent::Regressor(
      {3, LayerSpec(4, "mrnn").option("factors", 3.0), {4, "scrn"}, 2}));

  recurrent::Classifier C(
      {6, LayerSpec(6, "bidirectional").option("worker", "gru"),
       LayerSpec(6, "rnn").option("h_0", "hid1").name("last"), 6},
      {.Weighted = true, .Seed = 11});
  C.add_loss(LossSpec("hinge").weight(0.5));
  Tensor X = sequences(3, 5, 6);
  expectExactRoundTrip(C, &X);
  ModelFile F = parseModelFile(serializeModel(C), "c.njm");
  auto *Back = dynamic_cast<recurrent::Classifier *>(F.Net.get());
  ASSERT_NE(Back, nullptr);
  expectSameBits(C.predict(X), Back->predict(X), "predict");
  expectSameBits(C.predict_sequence({1, 2, 3}, 2, 2, 9),
                 Back->predict_sequence({1, 2, 3}, 2, 2, 9), "sequence");
  Tensor Labels(DType::I32, {3, 5}), W(DType::F32, {3, 5});
  for (int64_t I = 0; I < 15; ++I) {
    Labels.set(I, I % 6);
    W.set(I, I % 4 ? 1 : 0);
  }
  TensorMap Batch{{"in", X}, {"target", Labels}, {"weights", W}};
  expectSameOutputs(C.evaluate(Batch), Back->evaluate(Batch));

  recurrent::Autoencoder A(
      {3, {4, "rnn", "tanh"}, {2, "sigmoid"}, {4, "tied"}, 3});
  Tensor AX = sequences(2, 3, 3);
  expectExactRoundTrip(A, &AX);
  ModelFile AF = parseModelFile(serializeModel(A), "a.njm");
  auto *Enc = dynamic_cast<recurrent::Autoencoder *>(AF.Net.get());
  ASSERT_NE(Enc, nullptr);
  expectSameBits(A.encode(AX), Enc->encode(AX), "encode");
}

TEST(ModelFileRecurrent, RecurrentRegularizersRoundTrip) {
  recurrent::Regressor N({2, {3, "lstm"}, 2});
  Regularizers R{.WeightL2 = 1e-3,
                 .RecurrentState = 0.25,
                 .RecurrentStatePattern = "hid1:cell",
                 .RecurrentNorm = 1.0 / 3,
                 .RecurrentNormPattern = "hid*:out"};
  ModelFile F = parseModelFile(serializeModel(N, R), "r.njm");
  EXPECT_EQ(F.Regs.RecurrentState, R.RecurrentState);
  EXPECT_EQ(F.Regs.RecurrentStatePattern, R.RecurrentStatePattern);
  EXPECT_EQ(F.Regs.RecurrentNorm, R.RecurrentNorm);
  EXPECT_EQ(F.Regs.RecurrentNormPattern, R.RecurrentNormPattern);
  EXPECT_EQ(F.Regs.WeightL2, R.WeightL2);
  TensorMap Batch{{"in", sequences(2, 3, 2)}, {"target", sequences(2, 3, 2)}};
  expectSameOutputs(N.evaluate(Batch, R), F.Net->evaluate(Batch, F.Regs));

  // The regularizers alone make a feedforward model's file format 2; the
  // model without them is format 1 and has no recurrent_* records.
  Regressor Flat({2, 3, 2});
  std::string V2 = serializeModel(Flat, {.RecurrentNorm = 0.5});
  EXPECT_EQ(le(V2, 8, 4), 2u);
  EXPECT_EQ(parseModelFile(V2, "f.njm").Regs.RecurrentNorm, 0.5);
  std::string V1 = serializeModel(Flat, {.WeightL2 = 0.5});
  EXPECT_EQ(le(V1, 8, 4), 1u);
  EXPECT_EQ(V1.find("recurrent"), std::string::npos);
}

TEST(ModelFileRecurrent, VersionOneFilesCannotHoldThem) {
  std::string Bytes = serializeModel(recurrent::Classifier({3, {2, "gru"}, 3}));
  auto Same = [](std::string T) { return T; };
  EXPECT_THAT(parseError(edited(Bytes, Same, 1)),
              HasSubstr("r.njm: architecture line 2:6: model kind "
                        "'recurrent_classifier' needs model format version 2, "
                        "but the file is version 1"));
  std::string Flat = serializeModel(Classifier({3, 2, 3}));
  EXPECT_THAT(parseError(edited(
                  Flat,
                  [](std::string T) {
                    return replaced(T, "regularizer weight_pattern",
                                    "regularizer recurrent_norm 1\n"
                                    "regularizer weight_pattern");
                  },
                  1)),
              HasSubstr("regularizer 'recurrent_norm' needs model format "
                        "version 2, but the file is version 1"));
  EXPECT_THAT(parseError(edited(Bytes,
                                [](std::string T) {
                                  return replaced(T,
                                                  "kind recurrent_classifier",
                                                  "kind recurrent_network");
                                })),
              HasSubstr("unknown model kind 'recurrent_network'"));
  // A recurrent layer in a model whose kind says feedforward.
  EXPECT_THAT(parseError(edited(Bytes,
                                [](std::string T) {
                                  return replaced(T,
                                                  "kind recurrent_classifier",
                                                  "kind classifier");
                                })),
              AllOf(HasSubstr("the architecture does not build"),
                    HasSubstr("reads sequences; use it in a recurrent model")));
}

TEST(ModelFileRecurrent, SizesAreBoundedBeforeAnythingIsDrawn) {
  std::string Bytes = serializeModel(recurrent::Regressor(
      {3,
       {2, "gru"},
       LayerSpec(4, "bidirectional").option("worker", "lstm"),
       {2, "mrnn"},
       2}));
  struct Case {
    std::string From, To, Expected;
  };
  // gru: 3n² + 3Dn + 3n; a bidirectional lstm of n/2 each way: 2·(4Dn' +
  // 4n'² + 7n'); mrnn with f factors: Dn + Df + 2nf + n.
  std::vector<Case> Cases = {
      {"layer \"hid1\" \"gru\" 2", "layer \"hid1\" \"gru\" 2000",
       "the architecture creates at least 12056092 parameter values but the "
       "file stores 160"},
      {"layer \"hid2\" \"bidirectional\" 4",
       "layer \"hid2\" \"bidirectional\" 4000",
       "the architecture creates at least 32076052 parameter values"},
      {"layer \"hid3\" \"mrnn\" 2 \"\"",
       "layer \"hid3\" \"mrnn\" 2 \"\"\nlayer_option \"factors\" number 1e9",
       "the architecture creates at least 8000000144 parameter values"},
  };
  for (const Case &C : Cases)
    EXPECT_THAT(
        parseError(edited(
            Bytes, [&](std::string T) { return replaced(T, C.From, C.To); })),
        AllOf(HasSubstr("r.njm: "), HasSubstr(C.Expected)))
        << C.To;
}

} // namespace
} // namespace netjit
