//===- model_file_test.cpp - Saving and loading models --------------------===//
//
// Round trips must reproduce a model exactly: the same kind, layers, losses
// (with weights and options), regularizers, metadata and step counter, the
// same parameter bytes, outputs equal bit for bit, and a file that
// serializes back to the same bytes. Every damaged file (each prefix, each
// flipped byte, edited architecture text with a valid checksum) must be a
// RuntimeError naming the file and the problem, and a save that crashes
// half-way must leave the previous file loadable.
//
//===----------------------------------------------------------------------===//
#include "frontend/model_file.h"

#include "frontend/math.h"
#include "frontend/recurrent.h"
#include "model_file_util.h"
#include "runtime/data_io.h"
#include "runtime/npy.h"
#include "test_util.h"

#include <filesystem>
#include <mutex>
#include <typeinfo>

using namespace netjit;
using namespace netjit::test;
using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

/// mean(|o - t|) * scale: a user's loss with an option.
class ScaledMae : public Loss {
public:
  explicit ScaledMae(const LossSpec &S)
      : Loss(S), Scale(S.number("scale", 1.0)) {}
  Expr compute(const LossInputs &In) const override {
    return mean(abs(In.output() - In.target())) * Scale;
  }

private:
  double Scale;
};

void registerScaledMae() {
  static std::once_flag Once;
  std::call_once(Once, [] { registerLoss<ScaledMae>("model_file_scaled_mae"); });
}

struct TempDir {
  fs::path Path;
  explicit TempDir(const std::string &Name)
      : Path(fs::path(::testing::TempDir()) / ("netjit_model_file_" + Name)) {
    fs::remove_all(Path);
    fs::create_directories(Path);
  }
  ~TempDir() { fs::remove_all(Path); }
  std::string file(const std::string &Name) const {
    return (Path / Name).string();
  }
};

Classifier makeClassifier() {
  Classifier C({4, {5, "tanh"}, {6, "prelu"}, 3}, {.Seed = 7});
  C.add_loss(LossSpec("hinge").weight(0.25).option("margin", 0.5));
  return C;
}

std::string parseError(const std::string &Bytes) {
  return errorOf([&] { parseModelFile(Bytes, "m.njm"); });
}

} // namespace

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(ModelFile, ClassifierRoundTripIsExact) {
  Classifier C = makeClassifier();
  TempDir Dir("classifier");
  std::string Path = Dir.file("c.njm");
  saveModel(C, Path);
  ModelFile F = readModelFile(Path);
  auto *Back = dynamic_cast<Classifier *>(F.Net.get());
  ASSERT_NE(Back, nullptr);
  ASSERT_EQ(Back->params(), C.params());
  for (const std::string &P : C.params())
    expectSameBits(C.paramValues().at(P), Back->paramValues().at(P), P);
  ASSERT_EQ(Back->losses().size(), 2u);
  EXPECT_EQ(Back->losses()[0]->name(), "xe");
  EXPECT_EQ(Back->losses()[1]->name(), "hinge");
  EXPECT_EQ(Back->losses()[1]->weight(), 0.25);
  EXPECT_EQ(std::get<double>(Back->losses()[1]->options().at("margin")), 0.5);

  Tensor X = inputs(7, 4);
  expectSameBits(C.predict(X), Back->predict(X), "predict");
  expectSameBits(C.predict_proba(X), Back->predict_proba(X), "proba");
  expectSameOutputs(C.feed_forward(X), Back->feed_forward(X));
  Tensor Labels = Tensor::fromValues(DType::I32, {7}, std::vector<double>{
                                                          0, 1, 2, 0, 1, 2, 0});
  expectSameOutputs(C.evaluate({{"in", X}, {"target", Labels}}),
                    Back->evaluate({{"in", X}, {"target", Labels}}));
  // The rebuilt model writes the very same file.
  EXPECT_EQ(serializeModel(*Back), readFileBytes(Path));
}

TEST(ModelFile, RegressorAutoencoderAndMultiInputLayersRoundTrip) {
  Regressor R({LayerSpec(6), LayerSpec(4, "maxout:2").name("a"),
               LayerSpec(3, "lgrelu").name("b").inputs({"in"}),
               LayerSpec("concat").inputs({"a", "b"}),
               LayerSpec(2).option("std", 0.25), LayerSpec(3, "elu")},
              {.Loss = LossSpec("mae").weight(2), .Seed = 99,
               .FloatType = DType::F64});
  Autoencoder A({LayerSpec(6), LayerSpec(3, "sigmoid"), LayerSpec(6, "tied")},
                {.Weighted = true});
  Regressor Shaped({LayerSpec("input").option("shape", std::vector<int64_t>{2, 3}),
                    LayerSpec("flatten"), LayerSpec(4),
                    LayerSpec("reshape").option("shape",
                                                std::vector<int64_t>{2, 2}),
                    LayerSpec(5)});
  for (const Network *N : {static_cast<const Network *>(&R),
                           static_cast<const Network *>(&A),
                           static_cast<const Network *>(&Shaped)}) {
    std::string Bytes = serializeModel(*N);
    ModelFile F = parseModelFile(Bytes, "x.njm");
    EXPECT_EQ(typeid(*F.Net), typeid(*N));
    EXPECT_EQ(F.Net->floatType(), N->floatType());
    EXPECT_EQ(F.Net->weighted(), N->weighted());
    EXPECT_EQ(F.Net->variables(), N->variables());
    EXPECT_EQ(serializeModel(*F.Net), Bytes);
    Tensor X = N == &Shaped ? Tensor::fromValues(DType::F32, {3, 2, 3},
                                                 values(inputs(3, 6)))
                            : inputs(5, 6, N->floatType());
    expectSameBits(N->predict(X), F.Net->predict(X), "predict");
    expectSameOutputs(N->feed_forward(X), F.Net->feed_forward(X));
  }
  EXPECT_EQ(R.losses()[0]->weight(), 2);
  ModelFile AF = parseModelFile(serializeModel(A), "a.njm");
  auto *Enc = dynamic_cast<Autoencoder *>(AF.Net.get());
  ASSERT_NE(Enc, nullptr);
  expectSameBits(A.encode(inputs(2, 6)), Enc->encode(inputs(2, 6)), "encode");
}

TEST(ModelFile, RegularizersMetadataAndStepRoundTrip) {
  Regressor N({3, 4, 2});
  Regularizers R;
  R.WeightL1 = 0.1;
  R.WeightL2 = 1e-4;
  R.WeightPattern = "hid*";
  R.HiddenL1 = 0.3;
  R.HiddenPattern = "hid1:out";
  R.Contractive = 0.01;
  R.ContractivePattern = "*:out";
  R.InputDropout = 0.2;
  R.HiddenDropout = 0.5;
  R.OutputDropout = 0.125;
  R.InputNoise = 0.05;
  R.HiddenNoise = 1.0 / 3;
  R.OutputNoise = 2;
  R.Dropout = {{"hid1:out", 0.25}};
  R.Noise = {{"out:*", 0.75}, {"in:out", 1e-300}};
  ModelMetadata Meta{{"epochs", "12"},
                     {"odd \"key\"\\", "line\nbreak \x01 \xc3\xa9 end"},
                     {"", ""}};
  // Random draws advance the step counter; the loaded model continues it.
  Regularizers Drop;
  Drop.HiddenDropout = 0.5;
  Tensor X = inputs(4, 3);
  (void)N.feed_forward(X, Drop);
  (void)N.feed_forward(X, Drop);
  std::string Bytes = serializeModel(N, R, Meta);
  ModelFile F = parseModelFile(Bytes, "r.njm");
  EXPECT_EQ(F.Metadata, Meta);
  const Regularizers &B = F.Regs;
  EXPECT_EQ(B.WeightL1, R.WeightL1);
  EXPECT_EQ(B.WeightL2, R.WeightL2);
  EXPECT_EQ(B.WeightPattern, R.WeightPattern);
  EXPECT_EQ(B.HiddenL1, R.HiddenL1);
  EXPECT_EQ(B.HiddenPattern, R.HiddenPattern);
  EXPECT_EQ(B.Contractive, R.Contractive);
  EXPECT_EQ(B.ContractivePattern, R.ContractivePattern);
  EXPECT_EQ(B.InputDropout, R.InputDropout);
  EXPECT_EQ(B.HiddenDropout, R.HiddenDropout);
  EXPECT_EQ(B.OutputDropout, R.OutputDropout);
  EXPECT_EQ(B.InputNoise, R.InputNoise);
  EXPECT_EQ(B.HiddenNoise, R.HiddenNoise);
  EXPECT_EQ(B.OutputNoise, R.OutputNoise);
  EXPECT_EQ(B.Dropout, R.Dropout);
  EXPECT_EQ(B.Noise, R.Noise);
  expectSameOutputs(N.feed_forward(X, Drop), F.Net->feed_forward(X, Drop));
  expectSameOutputs(N.feed_forward(X, Drop), F.Net->feed_forward(X, Drop));
  EXPECT_EQ(serializeModel(*F.Net, F.Regs, F.Metadata),
            serializeModel(N, R, Meta));
}

TEST(ModelFile, CustomLossRoundTripsByName) {
  registerScaledMae();
  Regressor N({3, 4, 2},
              {.Loss = LossSpec("Model_File_Scaled_MAE").option("scale", 3.5)});
  ModelFile F = parseModelFile(serializeModel(N), "c.njm");
  ASSERT_EQ(F.Net->losses().size(), 1u);
  EXPECT_EQ(F.Net->losses()[0]->name(), "model_file_scaled_mae");
  EXPECT_EQ(std::get<double>(F.Net->losses()[0]->options().at("scale")), 3.5);
  Tensor X = inputs(4, 3), Y = inputs(4, 2);
  TensorMap Batch{{"in", X}, {"target", Y}};
  expectSameOutputs(N.evaluate(Batch), F.Net->evaluate(Batch));

  // A loss object whose name nobody registered saves, but does not load.
  Regressor U({3, 2}, {.Loss = LossSpec(std::shared_ptr<Loss>(
                           std::make_shared<ScaledMae>(
                               LossSpec("nobody_registered_this"))))});
  EXPECT_THAT(parseError(serializeModel(U)),
              AllOf(HasSubstr("m.njm: loss 'nobody_registered_this' is not "
                              "registered in this program"),
                    HasSubstr("registerLoss"), HasSubstr("model_file_scaled_mae")));
}

//===----------------------------------------------------------------------===//
// Damaged files
//===----------------------------------------------------------------------===//

TEST(ModelFile, EveryTruncationAndEveryFlippedByteIsAnError) {
  std::string Bytes = serializeModel(makeClassifier());
  for (size_t N = 0; N < Bytes.size(); ++N) {
    std::string Message = parseError(Bytes.substr(0, N));
    ASSERT_THAT(Message, AllOf(HasSubstr("m.njm: truncated model file")))
        << "prefix " << N;
  }
  for (size_t I = 0; I < Bytes.size(); ++I) {
    std::string Bad = Bytes;
    Bad[I] ^= static_cast<char>(1 << (I % 8));
    std::string Message = parseError(Bad);
    const char *Expected = I < 8    ? "m.njm: not a netjit model file (bad magic)"
                           : I >= 16 && I < 24 ? "m.njm: "
                                               : "m.njm: checksum mismatch";
    ASSERT_THAT(Message, HasSubstr(Expected)) << "byte " << I;
    if (I >= 16 && I < 24) {
      ASSERT_THAT(Message, HasSubstr("the header says")) << "byte " << I;
    }
  }
  EXPECT_THAT(parseError(Bytes + "x"),
              HasSubstr("m.njm: model file has trailing bytes: the header "
                        "says " + std::to_string(Bytes.size()) +
                        " bytes, the file has " +
                        std::to_string(Bytes.size() + 1)));
  EXPECT_THAT(parseError(serializeNpy(inputs(2, 2))),
              HasSubstr("m.njm: not a netjit model file (bad magic)"));
  EXPECT_THAT(errorOf([] { loadModel("/nonexistent/m.njm"); }),
              HasSubstr("/nonexistent/m.njm: cannot open for reading"));
}

TEST(ModelFile, VersionAndHeaderFields) {
  std::string Bytes = serializeModel(Regressor({2, 2}));
  auto Same = [](std::string T) { return T; };
  EXPECT_THAT(parseError(edited(Bytes, Same, 3)),
              HasSubstr("m.njm: model format version 3 is newer than this "
                        "netjit reads (up to 2); load it with a newer netjit"));
  // A feedforward model without recurrent regularizers is format 1, which
  // every netjit reads; a format-2 reader reads it as version 2 as well.
  EXPECT_EQ(le(Bytes, 8, 4), 1u);
  EXPECT_NO_THROW(parseModelFile(edited(Bytes, Same, 2), "m.njm"));
  EXPECT_THAT(parseError(edited(Bytes, Same, 0)),
              HasSubstr("m.njm: model format version 0 is invalid"));
  EXPECT_NO_THROW(parseModelFile(edited(Bytes, Same), "m.njm"));
}

TEST(ModelFile, BadArchitectureTextIsAClearError) {
  std::string Bytes = serializeModel(makeClassifier());
  struct Case {
    std::string From, To, Expected;
  };
  std::vector<Case> Cases = {
      {"layer \"hid1\" \"\"", "layer \"hid1\" \"superdense\"",
       "the architecture does not build: layer 'hid1': unknown form "
       "'superdense'"},
      {"\"tanh\"", "\"tanhh\"",
       "the architecture does not build: unknown activation 'tanhh'"},
      {"loss \"hinge\"", "loss \"nosuchloss\"",
       "loss 'nosuchloss' is not registered in this program"},
      {"kind classifier", "kind perceptron",
       "architecture line 2:6: unknown model kind 'perceptron'"},
      {"float_type f32", "float_type i32",
       "float type 'i32' is not f32 or f64"},
      {"weighted false", "weighted maybe", "weighted must be true or false"},
      {"seed 7", "seed -7", "the seed must be an integer, got '-7'"},
      {"seed 7\n", "seed 7\nseed 8\n", "a second 'seed' line"},
      {"step 0\n", "", "the architecture has no 'step' line"},
      {"end\n", "", "no 'end' line: the architecture text is cut short"},
      {"end\n", "end\nlayer \"x\" \"\" 1 \"\"\n", "text after the 'end' line"},
      {"step 0\n", "step 0\nbogus 1\n", "unknown record 'bogus'"},
      {"loss \"hinge\" 0.25", "loss \"hinge\" heavy",
       "the loss weight must be a number, got 'heavy'"},
      {"\"margin\" number 0.5", "\"margin\" number 0.5 extra",
       "unexpected 'extra' after the record's fields"},
      {"\"margin\" number", "\"margin\" bytes",
       "loss option type 'bytes' is not number or text"},
      {"\"margin\" number 0.5", "\"margn\" number 0.5",
       "loss 'hinge' has no option 'margn'"},
      {"\"margin\" number", "\"margin number", "unterminated string"},
      {"layer \"hid1\"", "layer \"hid\\q1\"", "bad escape in a string"},
      {"regularizer weight_l1", "regularizer weight_l3",
       "unknown regularizer 'weight_l3'"},
      {"input \"hid1:out\"", "input \"nowhere:out\"",
       "layer 'hid2' reads 'nowhere:out', which no earlier layer gives"},
      // Consistent sizes, but not the architecture's parameters.
      {"param \"hid1.w\" f32 4 5", "param \"hid1.w\" f32 5 4",
       "parameter 'hid1.w' is f32[5,4] in the file but the architecture "
       "makes it f32[4,5]"},
      {"param \"hid1.b\"", "param \"hid1.c\"",
       "the file's parameters (hid1.w, hid1.c, "},
      {"param \"hid1.w\" f32 4 5", "param \"hid1.w\" f32 4 6",
       "the parameters need 368 bytes but the file has 352 after the "
       "architecture"},
      {"param \"hid1.w\" f32 4 5", "param \"hid1.w\" f32 4 -5",
       "negative dim -5"},
      {"param \"hid1.w\" f32 4 5",
       "param \"hid1.w\" f32 4 5 4611686018427387904 4611686018427387904",
       "the parameters need more than 2^64 bytes but the file has 352"},
      // A size the stored parameters cannot hold is refused before the
      // constructor draws it.
      {"layer \"hid1\" \"\" 5", "layer \"hid1\" \"\" 5000000",
       "the architecture creates at least 55000033 parameter values but "
       "the file stores 88: the file is inconsistent"},
      {"layer \"in\" \"input\" 4", "layer \"in\" \"input\" 4000000000000",
       "layer 'in' would have more than 2^40 values per example"},
      {"layer \"in\" \"input\" 4 \"\"",
       "layer \"in\" \"input\" -1 \"\"\n"
       "layer_option \"shape\" ints 2000000 2000000",
       "layer 'in' would have more than 2^40 values per example"},
      {"layer \"in\" \"input\" 4 \"\"",
       "layer \"in\" \"input\" 4 \"\"\nlayer_option \"shape\" ints 4 0",
       "layer 'in': its shape option has dim 0; dims must be positive"},
      {"layer \"hid1\" \"\"", "layer \"hid1\"\"\"",
       "expected a space after a string"},
      {"kind classifier", "kind\"classifier\"",
       "expected a space before a string"},
  };
  // Unnamed layers get the constructor's default names, as in code.
  EXPECT_NO_THROW(parseModelFile(
      edited(Bytes, [](std::string T) {
        return replaced(T, "layer \"hid1\"", "layer \"\"");
      }),
      "m.njm"));
  for (const Case &C : Cases) {
    std::string Message = parseError(
        edited(Bytes, [&](std::string T) { return replaced(T, C.From, C.To); }));
    EXPECT_THAT(Message, AllOf(HasSubstr("m.njm: "), HasSubstr(C.Expected)))
        << C.From << " -> " << C.To;
  }
}

//===----------------------------------------------------------------------===//
// Atomic saves
//===----------------------------------------------------------------------===//

TEST(ModelFile, CrashMidSaveLeavesThePreviousFile) {
  TempDir Dir("crash");
  std::string Path = Dir.file("m.njm");
  Classifier Old = makeClassifier();
  saveModel(Old, Path);
  std::string Before = readFileBytes(Path);
  Classifier New({4, 8, 3}, {.Seed = 1});
  std::string NewBytes = serializeModel(New);
  detail::failNextWriteAfter(NewBytes.size() / 2);
  EXPECT_THAT(errorOf([&] { saveModel(New, Path); }),
              AllOf(HasSubstr("m.njm: simulated crash after writing " +
                              std::to_string(NewBytes.size() / 2) + " bytes"),
                    HasSubstr("m.njm.tmp.")));
  EXPECT_EQ(readFileBytes(Path), Before);
  std::unique_ptr<Network> Back = loadModel(Path);
  Tensor X = inputs(3, 4);
  expectSameBits(Old.predict_proba(X),
                 dynamic_cast<Classifier &>(*Back).predict_proba(X), "proba");
  // The next save goes through.
  saveModel(New, Path);
  EXPECT_EQ(readFileBytes(Path), NewBytes);
  // A path that cannot be replaced (a folder) is an error naming it.
  fs::create_directories(Dir.Path / "folder.njm");
  EXPECT_THAT(errorOf([&] { saveModel(New, Dir.file("folder.njm")); }),
              AllOf(HasSubstr("folder.njm: cannot write: Is a directory")));
  EXPECT_TRUE(fs::is_directory(Dir.Path / "folder.njm"));
}

//===----------------------------------------------------------------------===//
// Committed files (format stability; also the fuzzer's seeds)
//===----------------------------------------------------------------------===//

namespace {

const std::string ModelDir = std::string(NETJIT_SOURCE_DIR) +
                             "/tests/data/model/";

/// The models tests/data/model holds, as serializeModel wrote them when
/// NETJIT_WRITE_MODEL_FILES=1 was set (see the README there).
std::map<std::string, std::string> committedModels() {
  std::map<std::string, std::string> Out;
  Out["classifier.njm"] =
      serializeModel(makeClassifier(), {}, {{"trained_on", "nothing"}});
  Regressor R({LayerSpec(3), LayerSpec(2, "maxout:2").name("a"),
               LayerSpec(2, "lgrelu").name("b").inputs({"in"}),
               LayerSpec("concat").inputs({"a", "b"}),
               LayerSpec(2).option("std", 0.25), LayerSpec(3, "elu")},
              {.Loss = LossSpec("mae").weight(2), .Seed = 99,
               .FloatType = DType::F64});
  Out["regressor_f64.njm"] = serializeModel(R);
  Autoencoder A({LayerSpec(4), LayerSpec(2, "sigmoid"), LayerSpec(4, "tied")},
                {.Weighted = true});
  Regularizers Regs;
  Regs.WeightL2 = 1e-3;
  Regs.HiddenL1 = 0.5;
  Regs.HiddenDropout = 0.25;
  Regs.Noise = {{"in:out", 0.1}};
  Out["autoencoder_tied.njm"] = serializeModel(A, Regs);
  Regressor Shaped(
      {LayerSpec("input").option("shape", std::vector<int64_t>{2, 2}),
       LayerSpec("flatten"), LayerSpec(2, "prelu"),
       LayerSpec("reshape").option("shape", std::vector<int64_t>{2, 1}),
       LayerSpec(1)});
  Shaped.add_loss(LossSpec("mse").output("hid2").target("aux").weight(0.5));
  Out["shaped.njm"] = serializeModel(Shaped);
  // Format 2: a recurrent kind and the recurrent regularizers.
  recurrent::Classifier Rec(
      {3, {2, "lstm"},
       LayerSpec(2, "bidirectional").option("worker", "gru"), 3},
      {.Weighted = true, .Seed = 3});
  Regularizers RecRegs{.RecurrentState = 0.5,
                       .RecurrentNorm = 0.25,
                       .RecurrentNormPattern = "hid1:cell"};
  Out["recurrent_classifier.njm"] =
      serializeModel(Rec, RecRegs, {{"text_alphabet", "ab\n"}});
  return Out;
}

} // namespace

TEST(ModelFile, CommittedFilesLoadAndWriteTheSameBytes) {
  std::map<std::string, std::string> Models = committedModels();
  if (const char *W = std::getenv("NETJIT_WRITE_MODEL_FILES"); W && *W == '1')
    for (const auto &[Name, Bytes] : Models)
      writeFileAtomic(ModelDir + Name, Bytes);
  for (const auto &[Name, Fresh] : Models) {
    std::string Bytes = readFileBytes(ModelDir + Name);
    ModelFile F = parseModelFile(Bytes, Name);
    EXPECT_EQ(serializeModel(*F.Net, F.Regs, F.Metadata), Bytes) << Name;
    EXPECT_EQ(F.Net->params(), parseModelFile(Fresh, Name).Net->params());
  }
}
