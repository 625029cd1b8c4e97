//===- text_examples_test.cpp - examples/*.nj parse and are canonical -----===//
//
// Every example graph must parse, verify and print to a fixed point; the
// examples listed in examples/README.md also print back to their own text
// (without the leading `//` comment lines), so they double as golden files
// of the printer. docs/ir.md must document every op of the op table.
//
//===----------------------------------------------------------------------===//
#include "ir/error.h"
#include "ir/parser.h"
#include "ir/printer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace netjit;
namespace fs = std::filesystem;

namespace {

const fs::path ExamplesDir = fs::path(NETJIT_SOURCE_DIR) / "examples";

std::string withoutCommentLines(const std::string &Text) {
  std::istringstream In(Text);
  std::string Line, Out;
  while (std::getline(In, Line))
    if (Line.rfind("//", 0) != 0)
      Out += Line + "\n";
  return Out;
}

/// The examples documented in examples/README.md, kept in canonical form.
const char *const CanonicalExamples[] = {"mlp_xe.nj",       "regress_mse.nj",
                                         "rnn_scan.nj",     "sgd_step.nj",
                                         "logreg_grads.nj", "dropout.nj"};

std::string readFile(const fs::path &Path) {
  std::ifstream In(Path);
  std::stringstream Text;
  Text << In.rdbuf();
  return Text.str();
}

TEST(TextExamples, EveryExampleParsesAndPrintsToAFixedPoint) {
  int Count = 0;
  for (const auto &Entry : fs::directory_iterator(ExamplesDir)) {
    if (Entry.path().extension() != ".nj")
      continue;
    SCOPED_TRACE(Entry.path().string());
    ++Count;
    try {
      std::string Printed = printGraph(parseGraphFile(Entry.path().string()));
      EXPECT_EQ(printGraph(parseGraph(Printed)), Printed);
    } catch (const Error &E) {
      ADD_FAILURE() << E.what();
    }
  }
  EXPECT_GE(Count, 6);
}

TEST(TextExamples, DocumentedExamplesAreCanonical) {
  for (const char *Name : CanonicalExamples) {
    SCOPED_TRACE(Name);
    fs::path Path = ExamplesDir / Name;
    ASSERT_TRUE(fs::exists(Path));
    try {
      EXPECT_EQ(printGraph(parseGraphFile(Path.string())),
                withoutCommentLines(readFile(Path)));
    } catch (const Error &E) {
      ADD_FAILURE() << E.what();
    }
  }
}

TEST(TextExamples, MlpXeHasTheDocumentedInterface) {
  Graph G = parseGraphFile((ExamplesDir / "mlp_xe.nj").string());
  std::vector<std::string> Args;
  for (NodeId A : G.arguments())
    Args.push_back(G.node(A).Attributes.getString("name") + ":" +
                   G.type(A).str());
  EXPECT_EQ(Args, (std::vector<std::string>{"x:f32[B,4]", "labels:i32[B]",
                                            "w1:f32[4,8]", "b1:f32[8]",
                                            "w2:f32[8,3]", "b2:f32[3]"}));
  ASSERT_EQ(G.outputs().at(0).Name, "loss");
  EXPECT_EQ(G.type(G.outputs()[0].Value).str(), "f32[]");
  for (const char *Name : {"x", "labels", "w1", "b1", "w2", "b2"})
    EXPECT_TRUE(fs::exists(ExamplesDir / "data" / "mlp_xe" /
                           (std::string(Name) + ".npy")))
        << Name;
}

TEST(TextDocs, EveryOpIsDocumented) {
  std::string Doc = readFile(fs::path(NETJIT_SOURCE_DIR) / "docs" / "ir.md");
  ASSERT_FALSE(Doc.empty());
  for (int I = 0; I < kNumOps; ++I) {
    std::string Name(opName(static_cast<OpCode>(I)));
    EXPECT_NE(Doc.find("`" + Name + "`"), std::string::npos)
        << "docs/ir.md does not document op '" << Name << "'";
  }
}

} // namespace
