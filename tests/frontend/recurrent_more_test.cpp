//===- recurrent_more_test.cpp - The clockwork and bcrnn recurrent forms --===//
//
// clockwork and bcrnn: forward values for T = 5 and T = 1 against an
// independent numpy implementation (tests/data/recurrent/make_data.py wrote
// kModularCases in recurrent_expected.h), the block-triangular mask (masked
// weights change nothing), gradients against finite differences in f64, a
// save -> load -> predict round trip, the model-file size bound, and the
// errors a user meets.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "model_file_util.h"
#include "recurrent_expected.h"
#include "recurrent_fixture.h"
#include "test_util.h"

#include <cmath>

namespace netjit {
namespace {

using test::errorOf;
using test::expectValues;
using testing::AllOf;
using testing::HasSubstr;

constexpr int64_t B = test::RecB, T = test::RecT, D = test::RecD;
using test::firstSteps;
using test::formula;

LayerSpec hiddenSpec(const test::ModularCase &Case) {
  LayerSpec Hidden(4, Case.Form.c_str(), "tanh");
  Hidden.option("direction", Case.Direction);
  if (Case.Option == "periods")
    Hidden.option("periods", Case.Values);
  else
    Hidden.option(Case.Option, static_cast<double>(Case.Values.at(0)));
  return Hidden;
}

/// The case's model {3, (4, form, "tanh"), 2} with the formula parameters.
recurrent::Regressor caseModel(const test::ModularCase &Case) {
  recurrent::Regressor N({3, hiddenSpec(Case), 2}, {.FloatType = DType::F64});
  EXPECT_EQ(N.params(), (std::vector<std::string>{"hid1.xh", "hid1.hh",
                                                  "hid1.b", "out.w", "out.b"}));
  N.find("hid1", "xh") = formula({3, 4}, 1);
  N.find("hid1", "hh") = formula({4, 4}, 2);
  N.find("hid1", "b") = formula({4}, 3);
  N.find("out", "w") = formula({4, 2}, 11);
  N.find("out", "b") = formula({2}, 12);
  return N;
}

const test::ModularCase &findCase(const std::string &Name) {
  for (const test::ModularCase &Case : test::kModularCases)
    if (Case.Name == Name)
      return Case;
  throw std::runtime_error("no case " + Name);
}

TEST(ModularRecurrent, ForwardValuesMatchNumpy) {
  ASSERT_EQ(test::kModularCases.size(), 6u);
  for (const test::ModularCase &Case : test::kModularCases) {
    SCOPED_TRACE(Case.Name);
    recurrent::Regressor N = caseModel(Case);
    TensorMap Out = N.feed_forward(test::sequenceInputs());
    ASSERT_NO_FATAL_FAILURE(test::expectNamedOutputs(Out, Case.Outputs));
    if (Case.Direction != "forward")
      continue;
    // One step: every module updates at t = 0.
    Out = N.feed_forward(test::sequenceInputs(1));
    for (const auto &[Name, Expected] : Case.Outputs) {
      SCOPED_TRACE(Name + " (T = 1)");
      expectValues(Out.at(Name), firstSteps(Expected, 1), 1e-12);
    }
  }
}

TEST(ModularRecurrent, ClockworkHoldsSlowModulesBetweenTicks) {
  // periods {3, 1} sort to {1, 3}: units 2 and 3 change at t = 0 and 3 only.
  recurrent::Regressor N = caseModel(findCase("clockwork"));
  Tensor Pre = N.feed_forward(test::sequenceInputs()).at("hid1:pre");
  for (int64_t Bi = 0; Bi < B; ++Bi)
    for (int64_t U = 2; U < 4; ++U) {
      auto At = [&](int64_t Ti) { return Pre.at((Bi * T + Ti) * 4 + U); };
      EXPECT_EQ(At(1), At(0));
      EXPECT_EQ(At(2), At(0));
      EXPECT_EQ(At(4), At(3));
      EXPECT_NE(At(3), At(0));
    }
}

TEST(ModularRecurrent, MaskedRecurrentWeightsChangeNothing) {
  // Two modules of 2: module 0 (fast) hears both, module 1 only itself, so
  // hh[r, c] for r in module 0 and c in module 1 is masked out.
  for (const char *Name : {"clockwork_backward", "bcrnn"}) {
    SCOPED_TRACE(Name);
    recurrent::Regressor N = caseModel(findCase(Name));
    TensorMap Before = N.feed_forward(test::sequenceInputs());
    Tensor &Hh = N.find("hid1", "hh");
    for (int64_t R = 0; R < 2; ++R)
      for (int64_t C = 2; C < 4; ++C)
        Hh.set(R * 4 + C, 100.0);
    TensorMap After = N.feed_forward(test::sequenceInputs());
    expectValues(After.at("out:out"), test::values(Before.at("out:out")), 0);
    // An unmasked entry does change the output.
    Hh.set(2 * 4 + 0, 5.0);
    After = N.feed_forward(test::sequenceInputs());
    EXPECT_NE(test::values(After.at("out:out")),
              test::values(Before.at("out:out")));
  }
}

TEST(ModularRecurrent, GradientsMatchFiniteDifferences) {
  for (const char *Name : {"clockwork", "clockwork_backward", "bcrnn"}) {
    SCOPED_TRACE(Name);
    recurrent::Regressor N = caseModel(findCase(Name));
    TensorMap Batch = {{"in", test::sequenceInputs()},
                       {"target", formula({B, T, 2}, 13)}};
    GradCheckResult R = N.check_grad(Batch);
    EXPECT_GT(R.Checked, 20u);
    EXPECT_TRUE(R.ok(1e-6))
        << R.Worst << ": " << R.Analytic << " vs " << R.Numeric;
  }
}

TEST(ModularRecurrent, SaveLoadPredictRoundTrip) {
  recurrent::Regressor N(
      {3,
       LayerSpec(4, "clockwork").option("periods", std::vector<int64_t>{2, 1}),
       LayerSpec(6, "bidirectional")
           .option("worker", "bcrnn")
           .option("num_modules", 3.0),
       2},
      {.Seed = 7, .FloatType = DType::F64});
  EXPECT_EQ(N.find("hid2", "fw_hh").shape(), (std::vector<int64_t>{3, 3}));
  std::string Bytes = serializeModel(N);
  ModelFile F = parseModelFile(Bytes, "m.njm");
  auto *Back = dynamic_cast<recurrent::Regressor *>(F.Net.get());
  ASSERT_NE(Back, nullptr);
  ASSERT_EQ(Back->params(), N.params());
  Tensor X = test::sequenceInputs();
  test::expectSameOutputs(N.feed_forward(X), Back->feed_forward(X));
  test::expectSameBits(N.predict(X), Back->predict(X), "predict");
  EXPECT_EQ(serializeModel(*Back, F.Regs, F.Metadata), Bytes);

  // The size bound knows the forms: xh, hh, b as an rnn's.
  std::string Huge = test::edited(Bytes, [](std::string Text) {
    return test::replaced(Text, "layer \"hid1\" \"clockwork\" 4",
                          "layer \"hid1\" \"clockwork\" 4000");
  });
  EXPECT_THAT(errorOf([&] { parseModelFile(Huge, "m.njm"); }),
              AllOf(HasSubstr("m.njm: "),
                    HasSubstr("the architecture creates at least")));
}

TEST(ModularRecurrent, ClearErrors) {
  auto Build = [](LayerSpec Hidden) {
    return errorOf([&] { recurrent::Regressor N({3, Hidden, 2}); });
  };
  EXPECT_THAT(Build(LayerSpec(4, "clockwork")), HasSubstr("needs 'periods'"));
  EXPECT_THAT(Build(LayerSpec(4, "clockwork")
                        .option("periods", std::vector<int64_t>{1, 0})),
              HasSubstr("every period must be >= 1, got 0"));
  EXPECT_THAT(Build(LayerSpec(4, "clockwork")
                        .option("periods", std::vector<int64_t>{1, 2, 4})),
              HasSubstr("do not divide evenly"));
  EXPECT_THAT(Build(LayerSpec(4, "clockwork").option("periods", 2.0)),
              HasSubstr("must be a list of integers"));
  EXPECT_THAT(Build(LayerSpec(4, "bcrnn")), HasSubstr("needs 'num_modules'"));
  EXPECT_THAT(Build(LayerSpec(4, "bcrnn").option("num_modules", 3.0)),
              HasSubstr("do not divide evenly"));
  EXPECT_THAT(Build(LayerSpec(4, "bcrnn").option("num_modules", 1.5)),
              HasSubstr("'num_modules' must be an integer in [1, size]"));
  EXPECT_THAT(errorOf([] {
                Regressor N({3, {4, "clockwork"}, 2});
              }),
              HasSubstr("reads sequences"));
}

} // namespace
} // namespace netjit
