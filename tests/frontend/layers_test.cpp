//===- layers_test.cpp - Activations and layer forms against numpy --------===//
//
// Expected values were computed with numpy (float64) from theanets' formulas
// (theanets.md §3.3), e.g. rect:minmax = (|x| + 1 - |x - 1|) / 2,
// norm:z = (x - x.mean(-1)) / (x.std(-1) + 1e-8), maxout:2 =
// (x[:, :, None] * slope + intercept).max(-1), and for the layers
// h1 = tanh(X W1 + b1), h2 = X W_in + h1 W_hid1 + b2, tied = h1 W1^T + b,
// on the arrays written below.
//
//===----------------------------------------------------------------------===//
#include "frontend/netjit.h"
#include "ir/printer.h"
#include "test_util.h"

namespace netjit {
namespace {

using test::errorOf;
using test::expectValues;
using test::tensor;
using ::testing::HasSubstr;

Tensor f64(std::vector<int64_t> S, std::vector<double> V) {
  return tensor(std::move(S), std::move(V), DType::F64);
}

/// Parameters with fixed values, as graph params of F.
class FixedParams : public LayerParams {
public:
  FixedParams(Function &F, TensorMap &Args) : F(F), Args(Args) {}
  void create(std::string_view Suffix, Tensor Initial) override {
    Created.emplace_back(Suffix);
    Args[std::string(Suffix)] = std::move(Initial);
  }
  Expr get(std::string_view Suffix) override {
    const Tensor &T = Args.at(std::string(Suffix));
    return F.param(Suffix, T.dtype(),
                   std::vector<DimSpec>(T.shape().begin(), T.shape().end()));
  }
  std::vector<std::string> Created;

private:
  Function &F;
  TensorMap &Args;
};

struct ActivationCase {
  std::string Name;
  std::vector<std::string> Params;
  std::vector<double> Expected;
};

TEST(Activations, EveryActivationAgainstNumpy) {
  const std::vector<ActivationCase> Cases = {
      {"linear", {}, {-2.0, -0.5, 0.25, 1.5, 0.75, 3.0, -1.0, 0.0}},
      {"sigmoid", {}, {0.11920292202211755, 0.3775406687981454, 0.5621765008857981, 0.8175744761936437, 0.679178699175393, 0.9525741268224334, 0.2689414213699951, 0.5}},
      {"logistic", {}, {0.11920292202211755, 0.3775406687981454, 0.5621765008857981, 0.8175744761936437, 0.679178699175393, 0.9525741268224334, 0.2689414213699951, 0.5}},
      {"tanh", {}, {-0.9640275800758169, -0.46211715726000974, 0.24491866240370913, 0.9051482536448665, 0.6351489523872873, 0.9950547536867305, -0.7615941559557649, 0.0}},
      {"softmax", {}, {0.020796559442159905, 0.09320371315256391, 0.19731226229234078, 0.6886874651129353, 0.0898159787419671, 0.8521502801877768, 0.01560767681085297, 0.042426064259403255}},
      {"relu", {}, {0.0, 0.0, 0.25, 1.5, 0.75, 3.0, 0.0, 0.0}},
      {"rect:max", {}, {0.0, 0.0, 0.25, 1.5, 0.75, 3.0, 0.0, 0.0}},
      {"rect:min", {}, {-2.0, -0.5, 0.25, 1.0, 0.75, 1.0, -1.0, 0.0}},
      {"rect:minmax", {}, {0.0, 0.0, 0.25, 1.0, 0.75, 1.0, 0.0, 0.0}},
      {"softplus", {}, {0.1269280110429725, 0.4740769841801067, 0.8259394198788435, 1.7014132779827524, 1.1368710061148999, 3.048587351573742, 0.31326168751822286, 0.6931471805599453}},
      {"norm:mean", {}, {-1.8125, -0.3125, 0.4375, 1.6875, 0.0625, 2.3125, -1.6875, -0.6875}},
      {"norm:max", {}, {-0.999999995, -0.24999999875, 0.124999999375, 0.74999999625, 0.24999999916666668, 0.9999999966666667, -0.3333333322222222, 0.0}},
      {"norm:std", {}, {-1.5784435832769474, -0.39461089581923686, 0.19730544790961843, 1.1838326874577105, 0.5093716285141512, 2.0374865140566047, -0.6791621713522016, 0.0}},
      {"norm:z", {}, {-1.4304644973447336, -0.24663180988702305, 0.3452845338418323, 1.3318117733899244, 0.0424476357095126, 1.5705625212519663, -1.1460861641568403, -0.4669239928046386}},
      {"prelu", {"leak"}, {-2.2103418361512954, -0.6107013790800849, 0.25, 1.5, 0.75, 3.0, -1.051271096376024, 0.0}},
      {"leaky-relu", {"leak"}, {-2.2103418361512954, -0.6107013790800849, 0.25, 1.5, 0.75, 3.0, -1.051271096376024, 0.0}},
      {"lgrelu", {"gain", "leak"}, {-2.2103418361512954, -0.6107013790800849, 0.27629272951891193, 2.2377370464619055, 0.9160520686201274, 3.0, -1.051271096376024, 0.0}},
      {"leaky-gain-relu", {"gain", "leak"}, {-2.2103418361512954, -0.6107013790800849, 0.27629272951891193, 2.2377370464619055, 0.9160520686201274, 3.0, -1.051271096376024, 0.0}},
      {"elu", {"gain"}, {-1.0561038699385834, -0.3934693402873666, 0.25, 1.5, 0.75, 3.0, -0.6986012583350486, 0.0}},
      {"maxout:2", {"slope", "intercept"}, {2.5, -1.0, 0.3125, 2.25, 0.75, 6.0, 0.75, 0.0}},
      {"TANH+norm:z", {}, {-1.2647448468472637, -0.5554902565498884, 0.4436290639611951, 1.376606039435957, 0.6257333292685235, 1.1645058317334913, -1.4651659478914423, -0.3250732131105726}},
  };
  for (const ActivationCase &C : Cases) {
    SCOPED_TRACE(C.Name);
    Function F("act", DType::F64);
    TensorMap Args{{"x", f64({2, 4}, {-2.0, -0.5, 0.25, 1.5, 0.75, 3.0, -1.0, 0.0})}};
    FixedParams P(F, Args);
    std::shared_ptr<Activation> A = makeActivation(C.Name);
    InitStream S(13, "layer");
    A->setup(4, P, S, DType::F64);
    EXPECT_EQ(P.Created, C.Params);
    // The fixed parameter values of the numpy script.
    Args["leak"] = f64({4}, {0.1, 0.2, 0.05, 0.3});
    Args["gain"] = f64({4}, {0.2, 0.0, 0.1, 0.4});
    Args["slope"] = f64({4, 2}, {1.0, -1.0, 0.5, 2.0, -0.5, 0.25, 1.5, 1.0});
    Args["intercept"] = f64({4, 2}, {0, 0.5, -1, 0, 0.25, 0.25, 0, -0.5});
    F.output("y", A->apply(F.input("x", {2, 4}), P));
    TensorMap Used;
    for (NodeId Arg : F.graph().arguments()) {
      std::string Name = F.graph().node(Arg).Attributes.getString("name");
      Used[Name] = Args.at(Name);
    }
    expectValues(F.run(Used).at("y"), C.Expected, 1e-12);
  }
}

TEST(Activations, ParametersStartAsTheanetsDraws) {
  Function F("act", DType::F64);
  TensorMap Args;
  FixedParams P(F, Args);
  InitStream S(13, "hid1");
  makeActivation("lgrelu")->setup(1000, P, S, DType::F64);
  // 0.1 * |N(0, 1)|: positive, mean 0.1 * sqrt(2 / pi) = 0.0798.
  double Sum = 0;
  for (int64_t I = 0; I < 1000; ++I) {
    EXPECT_GE(Args.at("gain").at(I), 0);
    Sum += Args.at("gain").at(I);
  }
  EXPECT_NEAR(Sum / 1000, 0.0798, 0.01);
}

TEST(Activations, UnknownNames) {
  EXPECT_THAT(errorOf([] { makeActivation("relux"); }),
              HasSubstr("unknown activation 'relux' (known: "));
  EXPECT_THAT(errorOf([] { makeActivation("tanh+"); }),
              HasSubstr("unknown activation 'tanh+'"));
  EXPECT_THAT(errorOf([] { makeActivation("maxout:0"); }),
              HasSubstr("maxout needs a piece count >= 1"));
  EXPECT_THAT(errorOf([] { makeActivation("maxout"); }),
              HasSubstr("unknown activation 'maxout'"));
}

//===----------------------------------------------------------------------===//
// Layer forms
//===----------------------------------------------------------------------===//

const ModelOptions F64{.FloatType = DType::F64};
Tensor inputX() { return f64({2, 2}, {1.0, -1.0, 0.5, 2.0}); }

TEST(Layers, FeedforwardConcatenateProductAndSeveralInputs) {
  Network N({2,
             {3, "tanh"},
             LayerSpec(2, "ff", "linear").inputs({"in", "hid1"}),
             LayerSpec("concat").inputs({"hid1", "hid2"}),
             LayerSpec("product").inputs({"in", "hid2"}),
             1},
            F64);
  EXPECT_EQ(N.params(),
            (std::vector<std::string>{"hid1.w", "hid1.b", "hid2.w_in",
                                      "hid2.w_hid1", "hid2.b", "out.w",
                                      "out.b"}));
  EXPECT_EQ(N.layers()[3]->form(), "concatenate");
  EXPECT_EQ(N.layers()[3]->size(), 5);
  N.find("hid1", "w") = f64({2, 3}, {0.5, -1.0, 0.25, 1.0, 0.5, -0.5});
  N.find("hid1", "b") = f64({3}, {0.1, 0.0, -0.1});
  N.find("hid2", "w_in") = f64({2, 2}, {1.0, 0.0, 0.5, -0.5});
  N.find("hid2", "w_hid1") = f64({3, 2}, {0.25, 1.0, -1.0, 0.5, 0.5, 0.5});
  N.find(2, "b") = f64({2}, {0.0, 0.2});
  TensorMap Out = N.feed_forward(inputX());
  expectValues(Out.at("hid1:out"),
               {-0.3799489622552249, -0.9051482536448665, 0.5716699660851172,
                0.9819734026943043, 0.46211715726000974, -0.7508932836251672},
               1e-12);
  expectValues(Out.at("hid2:out"),
               {1.595995996123619, 0.15331189396490047, 0.9079295516009828,
                0.037585339511725546},
               1e-12);
  expectValues(Out.at("hid3:out"),
               {-0.3799489622552249, -0.9051482536448665, 0.5716699660851172,
                1.595995996123619, 0.15331189396490047, 0.9819734026943043,
                0.46211715726000974, -0.7508932836251672, 0.9079295516009828,
                0.037585339511725546},
               1e-12);
  expectValues(Out.at("hid4:out"),
               {1.595995996123619, -0.15331189396490047, 0.4539647758004914,
                0.07517067902345109},
               1e-12);
  EXPECT_TRUE(Out.count("in:out") && Out.count("hid1:pre"));
}

TEST(Layers, TiedAndClassifierForms) {
  Autoencoder A({2, {3, "tanh"}, {2, "tied"}}, F64);
  EXPECT_EQ(A.layers()[2]->form(), "tied");
  EXPECT_EQ(A.params(), (std::vector<std::string>{"hid1.w", "hid1.b",
                                                  "out.b"}));
  A.find("hid1", "w") = f64({2, 3}, {0.5, -1.0, 0.25, 1.0, 0.5, -0.5});
  A.find("hid1", "b") = f64({3}, {0.1, 0.0, -0.1});
  A.find("out", "b") = f64({2}, {0.5, -0.5});
  expectValues(A.predict(inputX()),
               {1.3580912640385332, -1.6183580721202167, 0.34114622318085064,
                1.0884786231368926},
               1e-12);
  // A deep tied autoencoder mirrors its partners: out <-> hid1, hid3 <-> hid2.
  Autoencoder Deep({6, 4, 2, {4, "tied"}, {6, "tied"}});
  EXPECT_EQ(Deep.params().size(), 6u);

  Network C({2, {3, "softmax"}}, F64);
  EXPECT_EQ(C.layers()[1]->form(), "classifier");
  C.find("out", "w") = f64({2, 3}, {1.0, -1.0, 0.0, 0.5, 0.5, 2.0});
  C.find("out", "b") = f64({3}, {0.0, 0.1, -0.1});
  expectValues(C.predict(inputX()),
               {0.8170988074232525, 0.12221234039475767, 0.06068885218198987,
                0.08045216666142371, 0.032709410024929005, 0.8868384233136474},
               1e-12);
}

TEST(Layers, ReshapeAndFlatten) {
  Regressor N({4, LayerSpec("reshape").option("shape", std::vector<int64_t>{2, 2}),
               "flatten", LayerSpec(1).activation("linear")},
              F64);
  EXPECT_EQ(N.layers()[1]->shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(N.layers()[2]->shape(), (std::vector<int64_t>{4}));
  N.find("out", "w") = f64({4, 1}, {1.0, 0.0, -1.0, 0.5});
  TensorMap Out =
      N.feed_forward(f64({2, 4}, {1.0, 2.0, 3.0, 4.0, -1.0, 0.0, 1.0, 0.5}));
  EXPECT_EQ(Out.at("hid1:out").shape(), (std::vector<int64_t>{2, 2, 2}));
  expectValues(Out.at("out:out"), {0.0, -1.75}, 1e-12);
}

TEST(Layers, PrintedWithTheirNames) {
  Classifier C({4, {5, "prelu"}, 3}, {.Weighted = true});
  std::string Loss = C.ir(GraphStage::Loss);
  for (const char *Name : {"param %hid1.w: f32[4,5]", "param %hid1.leak",
                           "%in: f32[B,4]", "%target: i32[B]",
                           "%weights: f32[B]", "hid1:out", "out:pre", "xe",
                           "acc", "loss"})
    EXPECT_THAT(Loss, HasSubstr(Name));
  EXPECT_THAT(C.ir(GraphStage::Gradient), HasSubstr("grad(hid1.leak)"));
  std::string Opt = C.ir(GraphStage::Optimized);
  EXPECT_THAT(Opt, HasSubstr("softmax_xent"));
  EXPECT_THAT(Opt, ::testing::Not(HasSubstr(" grad(")));
  EXPECT_THAT(C.dot(GraphStage::Loss), HasSubstr("digraph"));
}

TEST(Layers, BadLayerLists) {
  EXPECT_THAT(errorOf([] { Regressor({10}); }),
              HasSubstr("'Regressor': a model needs at least an input and an "
                        "output layer, got 1 layer(s)"));
  EXPECT_THAT(errorOf([] { Regressor({10, {5, "convolution"}, 2}); }),
              HasSubstr("unknown activation 'convolution'"));
  EXPECT_THAT(errorOf([] { Regressor({10, LayerSpec(5).form("conv"), 2}); }),
              HasSubstr("layer 'hid1': unknown form 'conv'"));
  EXPECT_THAT(errorOf([] { Regressor({10, {5, "ff", "tanhh"}, 2}); }),
              HasSubstr("unknown activation 'tanhh'"));
  EXPECT_THAT(errorOf([] { Regressor({10, "ff", 2}); }),
              HasSubstr("layer 'hid1' (feedforward) needs a size"));
  EXPECT_THAT(errorOf([] { Autoencoder({10, 4, 5}); }),
              HasSubstr("an autoencoder's output size (5) must equal its "
                        "input size (10)"));
  EXPECT_THAT(errorOf([] { Autoencoder({10, 4, {8, "tied"}}); }),
              HasSubstr("tied layer 'out' has size 8 but its partner 'hid1' "
                        "has input size 10"));
  EXPECT_THAT(errorOf([] { Regressor({10, {4, "tied"}, 2}); }),
              HasSubstr("tied layer 'hid1': its partner 'in' has no weights"));
  EXPECT_THAT(errorOf([] {
                Regressor({3, 4, LayerSpec("product").inputs({"in", "hid1"}),
                           2});
              }),
              HasSubstr("layer 'hid2' (product): input 'hid1:out' has shape "
                        "[4], not [3]"));
  EXPECT_THAT(errorOf([] {
                Regressor({4, LayerSpec("reshape").option(
                                  "shape", std::vector<int64_t>{3, 2}),
                           2});
              }),
              HasSubstr("shape [3,2] does not hold the 4 values"));
  EXPECT_THAT(errorOf([] {
                Regressor({3, LayerSpec(4).inputs({"hid9"}), 2});
              }),
              HasSubstr("layer 'hid1' reads 'hid9:out', which no earlier "
                        "layer gives (outputs so far: in:out)"));
  EXPECT_THAT(errorOf([] { Regressor({3, LayerSpec(4).option("stdd", 1.0), 2}); }),
              HasSubstr("layer 'hid1' has no option 'stdd'"));
  EXPECT_THAT(errorOf([] { Regressor({3, {4, "flatten"}, 2}); }),
              HasSubstr("'Regressor': layer 'hid1' (flatten) has size 4 but "
                        "its inputs give 3"));
  EXPECT_THAT(errorOf([] { Regressor({3, 0, 2}); }),
              HasSubstr("layer 'hid1' (feedforward) has size 0"));
  EXPECT_THAT(errorOf([] { Regressor({3, 4, 2}, {.Loss = "msee"}); }),
              HasSubstr("unknown loss 'msee'"));
  Regressor N({3, 4, 2});
  EXPECT_THAT(errorOf([&] { N.find("hid7", "w"); }),
              HasSubstr("the model has no layer 'hid7' (layers: in, hid1, "
                        "out)"));
  EXPECT_THAT(errorOf([&] { N.find("hid1", "q"); }),
              HasSubstr("layer 'hid1' has no parameter 'q' (parameters: "
                        "hid1.w, hid1.b)"));
  EXPECT_THAT(errorOf([&] { N.find(5, "w"); }),
              HasSubstr("the model has no layer #5"));
}

} // namespace
} // namespace netjit
