//===- npy_test.cpp - Reading and writing NumPy .npy files ----------------===//
//
// Round trips of every dtype (rank 0 and zero-size included), files written by
// NumPy itself (tests/data/npy, made by make_npy.py there; the expected
// values below are the ones that script spells out), and malformed inputs,
// each of which must give a RuntimeError naming the source and the problem.
//
//===----------------------------------------------------------------------===//
#include "runtime/npy.h"

#include "ir/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace netjit;
using ::testing::HasSubstr;

namespace {

const std::string DataDir = std::string(NETJIT_SOURCE_DIR) + "/tests/data/npy/";

std::string readFile(const std::string &Path) {
  std::ifstream In(Path, std::ios::binary);
  std::ostringstream S;
  S << In.rdbuf();
  return S.str();
}

std::vector<double> values(const Tensor &T) {
  std::vector<double> V;
  for (int64_t I = 0; I < T.numel(); ++I)
    V.push_back(T.at(I));
  return V;
}

/// A .npy image with the given header dict (padded like numpy) and data.
std::string makeNpy(const std::string &Dict, const std::string &Data,
                    int Major = 1) {
  std::string Header = Dict + "\n";
  std::string Out = "\x93NUMPY";
  Out += static_cast<char>(Major);
  Out += '\0';
  size_t Len = Header.size();
  for (int I = 0; I < (Major == 1 ? 2 : 4); ++I)
    Out += static_cast<char>((Len >> (8 * I)) & 0xff);
  return Out + Header + Data;
}

std::string f32Dict(const std::string &Shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + Shape + ", }";
}

/// Parses Bytes and returns the error message (failing if it parses).
std::string parseError(const std::string &Bytes) {
  try {
    parseNpy(Bytes, "bad.npy");
  } catch (const RuntimeError &E) {
    return E.what();
  }
  ADD_FAILURE() << "parsed without an error";
  return "";
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(Npy, RoundTripEveryDType) {
  std::vector<double> V = {1.5, -2, 0, 3.25, 100, -7};
  for (DType T :
       {DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool}) {
    for (std::vector<int64_t> Shape :
         {std::vector<int64_t>{2, 3}, {6}, {1, 6, 1}}) {
      Tensor X = Tensor::fromValues(T, Shape, V);
      Tensor Y = parseNpy(serializeNpy(X));
      EXPECT_EQ(Y.dtype(), T);
      EXPECT_EQ(Y.shape(), Shape);
      EXPECT_EQ(values(Y), values(X)) << X.typeStr();
    }
    Tensor S = Tensor::scalar(-2, T);
    Tensor SY = parseNpy(serializeNpy(S));
    EXPECT_EQ(SY.typeStr(), S.typeStr());
    EXPECT_EQ(SY.at(0), S.at(0));
    Tensor E(T, {0, 3});
    Tensor EY = parseNpy(serializeNpy(E));
    EXPECT_EQ(EY.typeStr(), E.typeStr());
  }
}

TEST(Npy, SerializeMatchesNumpyByteForByte) {
  // numpy 1.24's np.save writes format 1.0 padded to 64 bytes, like us.
  for (const char *Name :
       {"f32_2x3.npy", "f64_4.npy", "i32_2x2.npy", "i64_3.npy", "bool_2x2.npy",
        "f64_scalar.npy", "f32_0x3.npy"}) {
    std::string Bytes = readFile(DataDir + Name);
    ASSERT_FALSE(Bytes.empty()) << Name;
    EXPECT_EQ(serializeNpy(parseNpy(Bytes, Name)), Bytes) << Name;
  }
}

TEST(Npy, WriteIsAtomicAndReadsBack) {
  namespace fs = std::filesystem;
  fs::path Dir = fs::path(::testing::TempDir()) / "netjit_npy_test";
  fs::remove_all(Dir);
  fs::create_directories(Dir);
  std::string Path = (Dir / "x.npy").string();
  writeNpy(Path,
           Tensor::fromValues(DType::F64, {2}, std::vector<double>{1, 2}));
  writeNpy(Path,
           Tensor::fromValues(DType::I32, {3}, std::vector<double>{4, 5, 6}));
  Tensor Y = readNpy(Path);
  EXPECT_EQ(Y.typeStr(), "i32[3]");
  EXPECT_EQ(values(Y), (std::vector<double>{4, 5, 6}));
  size_t Files = 0;
  for (const auto &Entry : fs::directory_iterator(Dir)) {
    (void)Entry;
    ++Files;
  }
  EXPECT_EQ(Files, 1u); // no temporary left behind
  try {
    writeNpy((Dir / "missing" / "y.npy").string(), Y);
    FAIL() << "expected a RuntimeError";
  } catch (const RuntimeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("missing/y.npy"));
  }
  fs::remove_all(Dir);
}

//===----------------------------------------------------------------------===//
// Files written by numpy
//===----------------------------------------------------------------------===//

TEST(Npy, ReadsNumpyFiles) {
  Tensor A = readNpy(DataDir + "f32_2x3.npy");
  EXPECT_EQ(A.typeStr(), "f32[2,3]");
  EXPECT_EQ(values(A), (std::vector<double>{-1, -0.5, 0, 0.5, 1, 1.5}));

  Tensor B = readNpy(DataDir + "f64_4.npy");
  EXPECT_EQ(B.typeStr(), "f64[4]");
  EXPECT_EQ(values(B), (std::vector<double>{1.5, -2.25, 3e300, 0}));
  EXPECT_TRUE(std::signbit(B.data<double>()[3]));

  Tensor C = readNpy(DataDir + "i32_2x2.npy");
  EXPECT_EQ(C.typeStr(), "i32[2,2]");
  EXPECT_EQ(values(C), (std::vector<double>{1, -2, 2147483647, -2147483648.0}));

  Tensor D = readNpy(DataDir + "i64_3.npy");
  EXPECT_EQ(D.typeStr(), "i64[3]");
  EXPECT_EQ(D.data<int64_t>()[2],
            9007199254740993); // not representable as double
  EXPECT_EQ(D.data<int64_t>()[1], -1);

  Tensor E = readNpy(DataDir + "bool_2x2.npy");
  EXPECT_EQ(E.typeStr(), "bool[2,2]");
  EXPECT_EQ(values(E), (std::vector<double>{1, 0, 0, 1}));

  Tensor F = readNpy(DataDir + "f64_scalar.npy");
  EXPECT_EQ(F.typeStr(), "f64[]");
  EXPECT_EQ(F.at(0), 2.5);

  EXPECT_EQ(readNpy(DataDir + "f32_0x3.npy").typeStr(), "f32[0,3]");
}

TEST(Npy, ReadsFormatVersions2And3) {
  for (const char *Name : {"f32_v2.npy", "f32_v3.npy"}) {
    Tensor T = readNpy(DataDir + Name);
    EXPECT_EQ(T.typeStr(), "f32[3]") << Name;
    EXPECT_EQ(values(T), (std::vector<double>{1, 2, 3})) << Name;
  }
}

TEST(Npy, FortranOrderIsTransposedToCOrder) {
  // np.asfortranarray(np.arange(6).reshape(2, 3)): the C-order values are
  // still 0..5; only the bytes on disk are column-major.
  Tensor A = readNpy(DataDir + "f32_fortran_2x3.npy");
  EXPECT_EQ(A.typeStr(), "f32[2,3]");
  EXPECT_EQ(values(A), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  Tensor B = readNpy(DataDir + "i32_fortran_2x3x2.npy");
  EXPECT_EQ(B.typeStr(), "i32[2,3,2]");
  std::vector<double> Expected;
  for (int I = 0; I < 12; ++I)
    Expected.push_back(I);
  EXPECT_EQ(values(B), Expected);
}

TEST(Npy, EmptyFortranArrayWithHugeDimsIsEmpty) {
  // Found by fuzz_npy: the C-order strides of this shape overflow 64 bits,
  // but the array is empty, so there is nothing to transpose.
  Tensor T = parseNpy(makeNpy("{'descr': '<i4', 'fortran_order': True, 'shape': "
                              "(0, 238, 2, 83, 8, 25, 8, 23, 8, 25, 8, 23, 8, 25, 83, "
                              "8, 25, 8, 23, 8, 2), }",
                              ""));
  EXPECT_EQ(T.numel(), 0);
  EXPECT_EQ(T.rank(), 21u);
}

TEST(Npy, BoolBytesAreNormalized) {
  std::string Bytes =
      makeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }",
              std::string("\x00\x02", 2));
  Tensor T = parseNpy(Bytes);
  EXPECT_EQ(static_cast<const uint8_t *>(T.raw())[1], 1);
}

TEST(Npy, AcceptsDoubleQuotesAndKeyOrder) {
  std::string Data(8, '\0');
  Tensor T = parseNpy(makeNpy(
      "{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"<f4\"}",
      Data));
  EXPECT_EQ(T.typeStr(), "f32[1,2]");
}

//===----------------------------------------------------------------------===//
// Malformed inputs
//===----------------------------------------------------------------------===//

TEST(Npy, RejectsUnsupportedDTypes) {
  EXPECT_THAT(parseError(readFile(DataDir + "f32_bigendian.npy")),
              HasSubstr("big-endian data ('>f4') is not supported"));
  std::string U8 = parseError(readFile(DataDir + "u8.npy"));
  EXPECT_THAT(U8, HasSubstr("bad.npy: unsupported dtype '|u1'"));
  EXPECT_THAT(
      parseError(makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                         "'shape': (1,), }",
                         std::string(4, '\0'))),
      HasSubstr("structured dtypes are not supported"));
}

TEST(Npy, RejectsBadPreambles) {
  EXPECT_THAT(parseError(""), HasSubstr("bad.npy: not a .npy file"));
  EXPECT_THAT(parseError("PK\x03\x04 this is a zip file"),
              HasSubstr("not a .npy file"));
  std::string V4 = makeNpy(f32Dict("(1,)"), std::string(4, '\0'));
  V4[6] = 4;
  EXPECT_THAT(parseError(V4), HasSubstr("unsupported .npy format version 4.0"));
  std::string Minor = makeNpy(f32Dict("(1,)"), std::string(4, '\0'));
  Minor[7] = 1;
  EXPECT_THAT(parseError(Minor), HasSubstr("version 1.1"));
  EXPECT_THAT(parseError(std::string("\x93NUMPY\x02\x00\x10\x00", 10)),
              HasSubstr("truncated .npy preamble"));
  std::string Short = makeNpy(f32Dict("(1,)"), "");
  Short.resize(30);
  EXPECT_THAT(parseError(Short), HasSubstr("truncated header"));
}

TEST(Npy, RejectsMalformedHeaders) {
  std::string D(4, '\0');
  struct Case {
    std::string Dict, Message;
  } Cases[] = {
      {"hello", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
       "'shape': (1,)}",
       "duplicate key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
       "unexpected key 'x'"},
      {"{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,)}",
       "expected True or False"},
      {f32Dict("(-1,)"), "expected a non-negative integer dim"},
      {f32Dict("(1)"), "a one-dim shape must be written '(N,)'"},
      {f32Dict("(1 2)"), "expected ',' or ')' in the shape"},
      {f32Dict("(99999999999999999999,)"), "dim does not fit in 64 bits"},
      {f32Dict("(1,)") + " junk", "unexpected text after the closing '}'"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}",
       "expected ':'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)",
       "expected '}'"},
      {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,)}",
       "escape sequences"},
  };
  for (const Case &C : Cases) {
    std::string Message = parseError(makeNpy(C.Dict, D));
    EXPECT_THAT(Message, HasSubstr("bad.npy: malformed .npy header")) << C.Dict;
    EXPECT_THAT(Message, HasSubstr(C.Message)) << C.Dict;
  }
  std::string NonAscii = makeNpy(f32Dict("(1,)"), D);
  NonAscii[12] = static_cast<char>(0xe9);
  EXPECT_THAT(parseError(NonAscii), HasSubstr("non-ASCII"));
}

TEST(Npy, RejectsWrongDataLengths) {
  std::string Truncated = makeNpy(f32Dict("(2, 3)"), std::string(20, '\0'));
  EXPECT_THAT(parseError(Truncated),
              HasSubstr("bad.npy: truncated data: shape (2, 3) of f32 needs 24 "
                        "bytes, the file has 20"));
  std::string Trailing = makeNpy(f32Dict("(2,)"), std::string(9, '\0'));
  EXPECT_THAT(parseError(Trailing), HasSubstr("trailing data"));
  std::string Huge =
      makeNpy(f32Dict("(4294967296, 4294967296)"), std::string(4, '\0'));
  EXPECT_THAT(parseError(Huge), HasSubstr("is too large"));
  // A real file cut short names the file.
  std::string File = readFile(DataDir + "f32_2x3.npy");
  try {
    parseNpy(File.substr(0, File.size() - 1), "f32_2x3.npy");
    FAIL() << "expected a RuntimeError";
  } catch (const RuntimeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("f32_2x3.npy: truncated data"));
    EXPECT_THAT(E.what(), HasSubstr("needs 24 bytes, the file has 23"));
  }
}

TEST(Npy, MissingFileNamesThePath) {
  try {
    readNpy(DataDir + "does_not_exist.npy");
    FAIL() << "expected a RuntimeError";
  } catch (const RuntimeError &E) {
    EXPECT_THAT(E.what(), HasSubstr("does_not_exist.npy: cannot open"));
  }
}

} // namespace
