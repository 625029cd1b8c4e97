//===- data_io_test.cpp - .npz, CSV, IDX, gzip and Fashion-MNIST readers --===//
//
// IDX files are built byte by byte here (plain and gzipped with zlib); the
// .npz fixtures were written by NumPy (tests/data/npz/make_npz.py) and their
// values are spelled out below. Every malformed input must give a
// RuntimeError whose message names the file and the problem. The
// Fashion-MNIST check reads Debian's dataset-fashion-mnist when it is
// installed; its expected figures were computed independently with
// /usr/bin/python3 (gzip + numpy.frombuffer on the same files):
//   train: labels[:10] = 9 0 0 3 0 2 7 2 5 5, label sum 270000, pixel sum
//          (raw bytes) 3431114169, image 0 pixel sum 76247, pixel (0,14,14)
//          = 217;  test: labels[:10] = 9 2 1 1 6 1 4 6 5 7, label sum 45000,
//          pixel sum 573469082.
//
//===----------------------------------------------------------------------===//
#include "runtime/data_io.h"

#include "ir/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>
#include <zlib.h>

using namespace netjit;
using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

const std::string NpzDir = std::string(NETJIT_SOURCE_DIR) + "/tests/data/npz/";

std::vector<double> values(const Tensor &T) {
  std::vector<double> V;
  for (int64_t I = 0; I < T.numel(); ++I)
    V.push_back(T.at(I));
  return V;
}

template <class F> std::string errorOf(F &&Fn) {
  try {
    Fn();
  } catch (const RuntimeError &E) {
    return E.what();
  }
  ADD_FAILURE() << "expected a RuntimeError";
  return "";
}

/// A fresh folder under the test temp dir, removed at the end.
struct TempDir {
  fs::path Path;
  explicit TempDir(const std::string &Name)
      : Path(fs::path(::testing::TempDir()) / ("netjit_data_io_" + Name)) {
    fs::remove_all(Path);
    fs::create_directories(Path);
  }
  ~TempDir() { fs::remove_all(Path); }
  std::string file(const std::string &Name, const std::string &Bytes) const {
    std::string P = (Path / Name).string();
    std::ofstream(P, std::ios::binary) << Bytes;
    return P;
  }
};

/// gzip (RFC 1952) bytes of Data, made with zlib.
std::string gzip(const std::string &Data) {
  z_stream S{};
  EXPECT_EQ(deflateInit2(&S, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string Out(deflateBound(&S, Data.size()) + 32, '\0');
  S.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(Data.data()));
  S.avail_in = static_cast<uInt>(Data.size());
  S.next_out = reinterpret_cast<Bytef *>(Out.data());
  S.avail_out = static_cast<uInt>(Out.size());
  EXPECT_EQ(deflate(&S, Z_FINISH), Z_STREAM_END);
  Out.resize(S.total_out);
  deflateEnd(&S);
  return Out;
}

/// An IDX image: magic, big-endian dims, then Payload as given.
std::string idx(uint8_t Type, const std::vector<uint32_t> &Dims,
                const std::string &Payload) {
  std::string Out{'\0', '\0', static_cast<char>(Type),
                  static_cast<char>(Dims.size())};
  for (uint32_t D : Dims)
    for (int Shift = 24; Shift >= 0; Shift -= 8)
      Out += static_cast<char>((D >> Shift) & 0xff);
  return Out + Payload;
}

/// Big-endian bytes of each value's bit pattern.
template <class T> std::string bigEndian(const std::vector<T> &Vs) {
  std::string Out;
  for (T V : Vs) {
    unsigned char B[sizeof(T)];
    std::memcpy(B, &V, sizeof(T));
    for (size_t I = sizeof(T); I-- > 0;)
      Out += static_cast<char>(B[I]);
  }
  return Out;
}

} // namespace

//===----------------------------------------------------------------------===//
// IDX and gzip
//===----------------------------------------------------------------------===//

TEST(Idx, EveryElementTypePlainAndGzipped) {
  struct Case {
    uint8_t Type;
    std::string Payload;
    DType Expected;
    std::vector<double> Values;
  };
  std::vector<Case> Cases = {
      {0x08, std::string("\x00\x01\x7f\x80\xfe\xff", 6), DType::I32,
       {0, 1, 127, 128, 254, 255}},
      {0x09, std::string("\x00\x01\x7f\x80\xfe\xff", 6), DType::I32,
       {0, 1, 127, -128, -2, -1}},
      {0x0B, bigEndian<int16_t>({0, 1, -1, 32767, -32768, 258}), DType::I32,
       {0, 1, -1, 32767, -32768, 258}},
      {0x0C, bigEndian<int32_t>({0, -7, 2147483647, -2147483647 - 1, 65536, 3}),
       DType::I32, {0, -7, 2147483647, -2147483648.0, 65536, 3}},
      {0x0D, bigEndian<float>({0.5f, -1.25f, 3e38f, 1e-3f, 0, -0.0f}),
       DType::F32, {0.5, -1.25, 3e38f, 1e-3f, 0, 0}},
      {0x0E, bigEndian<double>({0.1, -2.5, 1e300, 4, 5, 6}), DType::F64,
       {0.1, -2.5, 1e300, 4, 5, 6}},
  };
  TempDir Dir("types");
  for (const Case &C : Cases) {
    std::string Bytes = idx(C.Type, {2, 3}, C.Payload);
    for (bool Gz : {false, true}) {
      std::string Path = Dir.file("x.idx", Gz ? gzip(Bytes) : Bytes);
      Tensor T = readIdx(Path);
      EXPECT_EQ(T.dtype(), C.Expected) << int(C.Type);
      EXPECT_EQ(T.shape(), (std::vector<int64_t>{2, 3}));
      EXPECT_EQ(values(T), C.Values) << "type " << int(C.Type) << " gz " << Gz;
    }
  }
}

TEST(Idx, RankOneThreeAndEmpty) {
  Tensor A = parseIdx(idx(0x08, {4}, "\x01\x02\x03\x04"), "a");
  EXPECT_EQ(A.shape(), std::vector<int64_t>{4});
  EXPECT_EQ(values(A), (std::vector<double>{1, 2, 3, 4}));
  Tensor B = parseIdx(idx(0x08, {2, 1, 2}, "\x09\x08\x07\x06"), "b");
  EXPECT_EQ(B.shape(), (std::vector<int64_t>{2, 1, 2}));
  EXPECT_EQ(values(B), (std::vector<double>{9, 8, 7, 6}));
  // A zero dim makes an empty tensor however large the other dims are.
  Tensor C = parseIdx(idx(0x0D, {0xFFFFFFFF, 0, 0xFFFFFFFF}, ""), "c");
  EXPECT_EQ(C.numel(), 0);
  EXPECT_EQ(C.shape(), (std::vector<int64_t>{0xFFFFFFFF, 0, 0xFFFFFFFF}));
}

TEST(Idx, MalformedFilesAreClearErrors) {
  EXPECT_THAT(errorOf([] { parseIdx("\x00\x00", "f.idx"); }),
              AllOf(HasSubstr("f.idx: truncated IDX header"),
                    HasSubstr("magic alone needs 4")));
  EXPECT_THAT(errorOf([] { parseIdx("PK\x03\x04....", "f.idx"); }),
              HasSubstr("f.idx: not an IDX file: it starts with 0x50 0x4b"));
  EXPECT_THAT(errorOf([] { parseIdx(idx(0x0A, {1}, "x"), "f.idx"); }),
              HasSubstr("f.idx: unknown IDX element type 0x0a"));
  EXPECT_THAT(errorOf([] { parseIdx(idx(0x08, {}, ""), "f.idx"); }),
              HasSubstr("f.idx: IDX rank 0"));
  EXPECT_THAT(
      errorOf([] { parseIdx(idx(0x08, {2, 3}, "").substr(0, 9), "f.idx"); }),
      HasSubstr("f.idx: truncated IDX header: rank 2 needs 12 header bytes, "
                "the file has 9"));
  EXPECT_THAT(errorOf([] { parseIdx(idx(0x0C, {2, 3}, "abcd"), "f.idx"); }),
              HasSubstr("f.idx: truncated IDX data: dims (2, 3) of i32 need "
                        "24 bytes, the file has 4"));
  EXPECT_THAT(errorOf([] { parseIdx(idx(0x08, {2}, "abc"), "f.idx"); }),
              HasSubstr("f.idx: trailing IDX data: dims (2) of u8 need 2 "
                        "bytes, the file has 3"));
  // Dims whose product overflows 64 bits: reported, nothing allocated.
  EXPECT_THAT(errorOf([] {
                parseIdx(idx(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, "x"),
                         "f.idx");
              }),
              AllOf(HasSubstr("f.idx: IDX dims (4294967295, 4294967295, "
                              "4294967295) of f64 are too large"),
                    HasSubstr("1 data bytes")));
  // Huge but representable: a size mismatch, still nothing allocated.
  EXPECT_THAT(errorOf([] {
                parseIdx(idx(0x08, {0xFFFFFFFF, 0xFFFF}, "x"), "f.idx");
              }),
              HasSubstr("f.idx: truncated IDX data: dims (4294967295, "
                        "65535) of u8 need 281470681677825 bytes, the file "
                        "has 1"));
}

TEST(Idx, GzipErrorsAndMembers) {
  std::string Bytes = idx(0x08, {3}, "\x05\x06\x07");
  std::string Gz = gzip(Bytes);
  TempDir Dir("gzip");
  EXPECT_THAT(errorOf([&] { readIdx(Dir.file("t.gz", Gz.substr(0, 12))); }),
              AllOf(HasSubstr("t.gz: truncated gzip data")));
  std::string Corrupt = Gz;
  Corrupt[12] ^= 0x55;
  Corrupt[13] ^= 0x55;
  EXPECT_THAT(errorOf([&] { readIdx(Dir.file("c.gz", Corrupt)); }),
              HasSubstr("c.gz: corrupt gzip data: "));
  EXPECT_THAT(errorOf([&] { readIdx(Dir.file("g.gz", Gz + "junk")); }),
              HasSubstr("g.gz: 4 trailing bytes after the gzip data"));
  // Two gzip members concatenated are one stream (as gzip(1) reads them).
  std::string Half1 = gzip(Bytes.substr(0, 5)), Half2 = gzip(Bytes.substr(5));
  EXPECT_EQ(values(readIdx(Dir.file("m.gz", Half1 + Half2))),
            (std::vector<double>{5, 6, 7}));
  EXPECT_EQ(gunzip(Gz, "x"), Bytes);
  EXPECT_THAT(errorOf([] { gunzip("plain", "p.txt"); }),
              HasSubstr("p.txt: not gzip data"));
  EXPECT_THAT(errorOf([&] { readIdx((Dir.Path / "missing.idx").string()); }),
              AllOf(HasSubstr("missing.idx: cannot open for reading"),
                    HasSubstr("No such file")));
  EXPECT_THAT(errorOf([&] { readIdx(Dir.Path.string()); }),
              HasSubstr("is a folder, not a file"));
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST(Csv, ReadsNumbersWithHeaderPaddingAndLineEnds) {
  std::string Text = "\xEF\xBB\xBFx,y,z\r\n"
                     "1, 2.5 ,-3\r\n"
                     "\n"
                     "+4,5e-1,  6E2\n"
                     "   \n"
                     "-0.125,7,8\n";
  Tensor T = parseCsv(Text, "d.csv", {.SkipHeader = true});
  EXPECT_EQ(T.dtype(), DType::F32);
  EXPECT_EQ(T.shape(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(values(T),
            (std::vector<double>{1, 2.5, -3, 4, 0.5, 600, -0.125, 7, 8}));
  // f32 rounding is the nearest float, as from a correctly rounded parse.
  Tensor R = parseCsv("0.1;1e-40\n", "r.csv", {.Delimiter = ';'});
  EXPECT_EQ(R.at(0), static_cast<double>(0.1f));
  EXPECT_EQ(R.at(1), static_cast<double>(1e-40f));
  // Below f32's (and f64's) smallest subnormal is zero, as in numpy.
  Tensor Z = parseCsv("1e-50,-1e-400,0.5e-45\n", "z.csv");
  EXPECT_EQ(values(Z), (std::vector<double>{0, 0, 0}));
  EXPECT_TRUE(std::signbit(Z.at(1)));
  TempDir Dir("csv");
  Tensor F = readCsv(Dir.file("t.tsv", "1\t2\n3\t4"), {.Delimiter = '\t'});
  EXPECT_EQ(values(F), (std::vector<double>{1, 2, 3, 4}));
}

TEST(Csv, BadFieldsAndRaggedRowsNameLineAndColumn) {
  EXPECT_THAT(errorOf([] { parseCsv("1,2\n3,abc\n", "d.csv"); }),
              HasSubstr("d.csv:2:3: 'abc' is not a number (field 2)"));
  EXPECT_THAT(errorOf([] { parseCsv("1,2\n3,4x\n", "d.csv"); }),
              HasSubstr("d.csv:2:3: '4x' is not a number"));
  EXPECT_THAT(errorOf([] { parseCsv("1,,2\n", "d.csv"); }),
              HasSubstr("d.csv:1:3: empty field (field 2)"));
  EXPECT_THAT(errorOf([] { parseCsv("1,2\n3,4,5\n", "d.csv"); }),
              HasSubstr("d.csv:2:5: this row has more than 2 fields, the "
                        "first row (line 1) has 2"));
  EXPECT_THAT(errorOf([] { parseCsv("h\n1,2,3\n\n4,5\n", "d.csv",
                                    {.SkipHeader = true}); }),
              HasSubstr("d.csv:4:4: this row has 2 fields, the first row "
                        "(line 2) has 3"));
  EXPECT_THAT(errorOf([] { parseCsv("1e39\n", "d.csv"); }),
              HasSubstr("d.csv:1:1: '1e39' is out of range for f32"));
  EXPECT_THAT(errorOf([] { parseCsv("1e39x\n", "d.csv"); }),
              HasSubstr("d.csv:1:1: '1e39x' is not a number"));
  EXPECT_THAT(errorOf([] { parseCsv("2,-1e400\n", "d.csv"); }),
              HasSubstr("d.csv:1:3: '-1e400' is out of range for f32"));
  EXPECT_THAT(errorOf([] { parseCsv("\n \n", "d.csv"); }),
              HasSubstr("d.csv: no data rows"));
  EXPECT_THAT(errorOf([] { parseCsv("a,b\n", "d.csv", {.SkipHeader = true}); }),
              HasSubstr("d.csv: no data rows after the header line"));
  EXPECT_THAT(errorOf([] { parseCsv("1\n", "d.csv", {.Delimiter = '\n'}); }),
              HasSubstr("delimiter cannot be a line break"));
  EXPECT_THAT(errorOf([] { readCsv("/nonexistent/x.csv"); }),
              HasSubstr("/nonexistent/x.csv: cannot open for reading"));
}

//===----------------------------------------------------------------------===//
// .npz
//===----------------------------------------------------------------------===//

TEST(Npz, ReadsStoredAndDeflatedArchivesFromNumpy) {
  for (const char *Name : {"stored.npz", "deflated.npz"}) {
    TensorMap M = readNpz(NpzDir + Name);
    ASSERT_EQ(M.size(), 4u) << Name;
    EXPECT_EQ(M.at("a").typeStr(), "f32[2,3]");
    EXPECT_EQ(values(M.at("a")), (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5}));
    EXPECT_EQ(M.at("b").typeStr(), "i64[3]");
    EXPECT_EQ(values(M.at("b")), (std::vector<double>{-1, 0, 7}));
    EXPECT_EQ(M.at("mask").typeStr(), "bool[2,2]");
    EXPECT_EQ(values(M.at("mask")), (std::vector<double>{1, 0, 0, 1}));
    const Tensor &Ramp = M.at("ramp");
    ASSERT_EQ(Ramp.typeStr(), "f64[1000]");
    for (int64_t I = 0; I < 1000; ++I)
      ASSERT_EQ(Ramp.at(I), 0.25 * static_cast<double>(I)) << Name << " " << I;
  }
}

TEST(Npz, MalformedArchivesAreClearErrors) {
  std::string Stored = readFileBytes(NpzDir + "stored.npz");
  std::string Deflated = readFileBytes(NpzDir + "deflated.npz");
  EXPECT_THAT(errorOf([] { readNpz(NpzDir + "u8.npz"); }),
              AllOf(HasSubstr("u8.npz:x.npy: unsupported dtype '|u1'")));
  EXPECT_THAT(errorOf([] { parseNpz("short", "s.npz"); }),
              HasSubstr("s.npz: not a zip archive (.npz): 5 bytes"));
  EXPECT_THAT(errorOf([] { parseNpz(std::string(100, 'x'), "s.npz"); }),
              HasSubstr("s.npz: not a zip archive (.npz): no "
                        "end-of-central-directory record"));
  EXPECT_THAT(
      errorOf([&] { parseNpz(Stored.substr(0, Stored.size() - 30), "t.npz"); }),
      HasSubstr("t.npz: truncated zip archive"));

  // A flipped byte in the last entry's (stored) data fails its CRC; in the
  // deflated archive it breaks the deflate stream or the CRC.
  std::string Flipped = Stored;
  size_t RampData = Flipped.find("ramp.npy") + 8 + 20 + 200;
  Flipped[RampData] ^= 1;
  EXPECT_THAT(errorOf([&] { parseNpz(Flipped, "f.npz"); }),
              HasSubstr("f.npz: zip entry 'ramp.npy' fails its CRC-32 check"));
  std::string BadDeflate = Deflated;
  size_t AData = BadDeflate.find("a.npy") + 5 + 20 + 10;
  BadDeflate[AData] ^= 0x5a;
  EXPECT_THAT(errorOf([&] { parseNpz(BadDeflate, "d.npz"); }),
              HasSubstr("d.npz: zip entry 'a.npy'"));

  // Compression methods other than stored and deflate (here: bzip2).
  std::string Bzip = Stored;
  size_t Central = Bzip.find("PK\x01\x02");
  ASSERT_NE(Central, std::string::npos);
  Bzip[Central + 10] = 12;
  EXPECT_THAT(errorOf([&] { parseNpz(Bzip, "b.npz"); }),
              HasSubstr("b.npz: zip entry 'a.npy' uses compression method 12"));
  // An entry that claims a gigantic size is refused before allocation.
  std::string Huge = Deflated;
  Central = Huge.find("PK\x01\x02");
  for (int I = 0; I < 4; ++I)
    Huge[Central + 24 + I] = '\xfe';
  EXPECT_THAT(errorOf([&] { parseNpz(Huge, "h.npz"); }),
              HasSubstr("h.npz: zip entry 'a.npy' claims 4278124286 bytes "
                        "from 87 compressed ones"));
  // A wrong (smaller) claimed size is caught while inflating.
  std::string Small = Deflated;
  Small[Central + 24] = 10;
  Small[Central + 25] = 0;
  EXPECT_THAT(errorOf([&] { parseNpz(Small, "s.npz"); }),
              HasSubstr("inflates to more than the 10 bytes it claims"));
  std::string Encrypted = Stored;
  Encrypted[Stored.find("PK\x01\x02") + 8] |= 1;
  EXPECT_THAT(errorOf([&] { parseNpz(Encrypted, "e.npz"); }),
              HasSubstr("e.npz: zip entry 'a.npy' is encrypted"));
}

//===----------------------------------------------------------------------===//
// Atomic writes
//===----------------------------------------------------------------------===//

TEST(WriteFileAtomic, ReplacesOrLeavesTheOldFile) {
  TempDir Dir("atomic");
  std::string Path = (Dir.Path / "f.bin").string();
  writeFileAtomic(Path, "first");
  EXPECT_EQ(readFileBytes(Path), "first");
  writeFileAtomic(Path, "second version");
  EXPECT_EQ(readFileBytes(Path), "second version");
  detail::failNextWriteAfter(3);
  EXPECT_THAT(errorOf([&] { writeFileAtomic(Path, "third"); }),
              HasSubstr("simulated crash after writing 3 bytes"));
  EXPECT_EQ(readFileBytes(Path), "second version");
  // The hook fires once.
  writeFileAtomic(Path, "fourth");
  EXPECT_EQ(readFileBytes(Path), "fourth");
  EXPECT_THAT(errorOf([&] {
                writeFileAtomic((Dir.Path / "no" / "f.bin").string(), "x");
              }),
              AllOf(HasSubstr("no/f.bin: cannot create"),
                    HasSubstr("No such file or directory")));
  // Renaming onto a folder fails; the folder stays, the temp file goes.
  fs::create_directories(Dir.Path / "d");
  EXPECT_THAT(errorOf([&] {
                writeFileAtomic((Dir.Path / "d").string(), "x");
              }),
              HasSubstr("cannot write: Is a directory"));
  EXPECT_TRUE(fs::is_directory(Dir.Path / "d"));
  size_t Files = 0;
  for (const auto &E : fs::directory_iterator(Dir.Path))
    Files += E.is_regular_file();
  EXPECT_EQ(Files, 2u); // f.bin and the crashed write's temporary file
}

//===----------------------------------------------------------------------===//
// Fashion-MNIST
//===----------------------------------------------------------------------===//

namespace {

/// Sum of the raw bytes behind pixels scaled by 1/255.
int64_t rawPixelSum(const Tensor &Images) {
  const float *P = Images.data<float>();
  int64_t Sum = 0;
  for (int64_t I = 0; I < Images.numel(); ++I)
    Sum += std::lround(P[I] * 255.0f);
  return Sum;
}

int64_t labelSum(const Tensor &Labels) {
  int64_t Sum = 0;
  for (int64_t I = 0; I < Labels.numel(); ++I)
    Sum += Labels.data<int32_t>()[I];
  return Sum;
}

/// Sets an environment variable for the scope of a test.
struct ScopedEnv {
  std::string Name;
  std::optional<std::string> Old;
  ScopedEnv(std::string N, const std::string &Value) : Name(std::move(N)) {
    if (const char *V = std::getenv(Name.c_str()))
      Old = V;
    ::setenv(Name.c_str(), Value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (Old)
      ::setenv(Name.c_str(), Old->c_str(), 1);
    else
      ::unsetenv(Name.c_str());
  }
};

} // namespace

TEST(FashionMnist, DebianPackageLoadsWithKnownValues) {
  ::unsetenv("NETJIT_FASHION_MNIST_DIR");
  if (!fs::exists("/usr/share/datasets/fashion-mnist/"
                  "train-images-idx3-ubyte.gz")) {
    EXPECT_THAT(errorOf([] { loadFashionMnist(); }),
                HasSubstr("apt-get install dataset-fashion-mnist"));
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  FashionMnist F = loadFashionMnist();
  ASSERT_EQ(F.TrainImages.typeStr(), "f32[60000,784]");
  ASSERT_EQ(F.TrainLabels.typeStr(), "i32[60000]");
  ASSERT_EQ(F.TestImages.typeStr(), "f32[10000,784]");
  ASSERT_EQ(F.TestLabels.typeStr(), "i32[10000]");
  std::vector<double> First(values(F.TrainLabels));
  First.resize(10);
  EXPECT_EQ(First, (std::vector<double>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  std::vector<double> TestFirst(values(F.TestLabels));
  TestFirst.resize(10);
  EXPECT_EQ(TestFirst, (std::vector<double>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
  EXPECT_EQ(labelSum(F.TrainLabels), 270000);
  EXPECT_EQ(labelSum(F.TestLabels), 45000);
  EXPECT_EQ(rawPixelSum(F.TrainImages), 3431114169);
  EXPECT_EQ(rawPixelSum(F.TestImages), 573469082);
  int64_t Image0 = 0;
  for (int64_t I = 0; I < 784; ++I)
    Image0 += std::lround(F.TrainImages.at(I) * 255);
  EXPECT_EQ(Image0, 76247);
  EXPECT_EQ(F.TrainImages.at(14 * 28 + 14), 217.0f / 255.0f);
  float Lo = 1, Hi = 0;
  for (int64_t I = 0; I < F.TrainImages.numel(); ++I) {
    Lo = std::min(Lo, F.TrainImages.data<float>()[I]);
    Hi = std::max(Hi, F.TrainImages.data<float>()[I]);
  }
  EXPECT_EQ(Lo, 0.0f);
  EXPECT_EQ(Hi, 1.0f);
}

TEST(FashionMnist, FolderFromEnvironmentAndItsErrors) {
  TempDir Dir("fashion");
  std::string Pixels(2 * 784, '\0');
  Pixels[0] = '\xff';
  Pixels[784 + 5] = '\x33';
  // Gzipped train files, plain test files: both spellings are found.
  Dir.file("train-images-idx3-ubyte.gz", gzip(idx(0x08, {2, 28, 28}, Pixels)));
  Dir.file("train-labels-idx1-ubyte.gz", gzip(idx(0x08, {2}, "\x03\x09")));
  Dir.file("t10k-images-idx3-ubyte", idx(0x08, {1, 28, 28}, Pixels.substr(784)));
  Dir.file("t10k-labels-idx1-ubyte", idx(0x08, {1}, "\x07"));
  ScopedEnv Env("NETJIT_FASHION_MNIST_DIR", Dir.Path.string());
  FashionMnist F = loadFashionMnist();
  EXPECT_EQ(F.TrainImages.typeStr(), "f32[2,784]");
  EXPECT_EQ(F.TrainImages.at(0), 1.0f);
  EXPECT_EQ(F.TrainImages.at(784 + 5), 51.0f / 255.0f);
  EXPECT_EQ(values(F.TrainLabels), (std::vector<double>{3, 9}));
  EXPECT_EQ(F.TestImages.typeStr(), "f32[1,784]");
  EXPECT_EQ(F.TestImages.at(5), 51.0f / 255.0f);
  EXPECT_EQ(values(F.TestLabels), (std::vector<double>{7}));

  Dir.file("t10k-labels-idx1-ubyte", idx(0x08, {1}, "\x0a"));
  EXPECT_THAT(errorOf([] { loadFashionMnist(); }),
              HasSubstr("t10k-labels-idx1-ubyte: label 10 at index 0 is not "
                        "a class 0-9"));
  Dir.file("t10k-labels-idx1-ubyte", idx(0x08, {2}, "\x01\x02"));
  EXPECT_THAT(errorOf([] { loadFashionMnist(); }),
              HasSubstr("expected u8 labels (1,) to match"));
  Dir.file("t10k-images-idx3-ubyte", idx(0x08, {1, 784}, Pixels.substr(784)));
  EXPECT_THAT(errorOf([] { loadFashionMnist(); }),
              HasSubstr("expected u8 images (N, 28, 28), got u8 (1, 784)"));
  fs::remove(Dir.Path / "t10k-images-idx3-ubyte");
  EXPECT_THAT(errorOf([] { loadFashionMnist(); }),
              AllOf(HasSubstr("Fashion-MNIST: neither"),
                    HasSubstr("t10k-images-idx3-ubyte.gz nor")));
  // An explicit folder wins over the environment.
  EXPECT_THAT(errorOf([] { loadFashionMnist("/nonexistent"); }),
              HasSubstr("neither /nonexistent/train-images-idx3-ubyte.gz"));
}
