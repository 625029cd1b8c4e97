//===- data_io.h - Reading data sets: .npz, CSV, IDX, Fashion-MNIST -------===//
//
// The readers a training run feeds from, next to runtime/npy.h:
//
//   TensorMap Arrays = readNpz("data.npz");           // numpy.savez(_compressed)
//   Tensor X = readCsv("x.csv", {.SkipHeader = true}); // f32 [rows, cols]
//   Tensor Y = readIdx("train-labels-idx1-ubyte.gz");  // IDX, plain or gzip
//   FashionMnist F = loadFashionMnist();               // Debian's package
//
// Every reader takes the whole file into memory, checks every size before it
// allocates a tensor, and reports anything malformed as a RuntimeError whose
// message starts with the file (and, for CSV, line and column). Gzip and
// deflate come from zlib.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/interpreter.h"
#include "runtime/tensor.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace netjit {

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// The bytes of a file; RuntimeError naming Path when it cannot be read.
std::string readFileBytes(const std::string &Path);
/// Replaces Path with Bytes atomically: writes a temporary file in the same
/// folder, fsyncs it, renames it over Path and fsyncs the folder. On failure
/// the temporary file is removed, Path is left as it was, and a RuntimeError
/// names Path and the reason.
void writeFileAtomic(const std::string &Path, std::string_view Bytes);

namespace detail {
/// Test hook: the next writeFileAtomic stops with a RuntimeError after
/// writing Bytes bytes of its temporary file and, like a crash, leaves that
/// file behind (it never reaches the rename).
void failNextWriteAfter(size_t Bytes);
} // namespace detail

//===----------------------------------------------------------------------===//
// Compression and archives
//===----------------------------------------------------------------------===//

/// Whether Bytes start with the gzip magic 1f 8b.
bool isGzip(std::string_view Bytes);
/// The decompressed contents of gzip data (one or more members).
/// RuntimeError naming Source for corrupt, truncated or trailing data.
std::string gunzip(std::string_view Bytes, std::string_view Source);

/// The arrays of a .npz file (a zip of .npy files, stored or deflated, as
/// numpy.savez and numpy.savez_compressed write them), keyed by entry name
/// without ".npy". Each entry is read by parseNpy, so its dtype rules apply.
TensorMap parseNpz(std::string_view Bytes, std::string_view Source);
TensorMap readNpz(const std::string &Path);

//===----------------------------------------------------------------------===//
// Text and IDX
//===----------------------------------------------------------------------===//

struct CsvOptions {
  /// The field separator.
  char Delimiter = ',';
  /// Skip the first line (column names).
  bool SkipHeader = false;
};

/// A numeric CSV as f32 [rows, columns]. Blank lines are skipped, fields
/// may be padded with spaces, "\r\n" line ends and a UTF-8 byte-order mark
/// are accepted. RuntimeError "file:line:column: ..." for a field that is
/// not a number or does not fit f32, and for a row whose field count
/// differs from the first row's; RuntimeError when there is no data row.
Tensor parseCsv(std::string_view Text, std::string_view Source,
                const CsvOptions &Options = {});
Tensor readCsv(const std::string &Path, const CsvOptions &Options = {});

/// An IDX file (the MNIST format: two zero bytes, an element type byte, the
/// rank, then each dim as a big-endian u32 and the big-endian elements),
/// gunzipped first when it starts with the gzip magic. u8, i8, i16 and i32
/// elements become i32; f32 and f64 keep their type. RuntimeError for a
/// bad magic or element type, a truncated header, and data whose size does
/// not match the dims (checked before anything is allocated).
Tensor parseIdx(std::string_view Bytes, std::string_view Source);
Tensor readIdx(const std::string &Path);

//===----------------------------------------------------------------------===//
// Fashion-MNIST
//===----------------------------------------------------------------------===//

struct FashionMnist {
  /// f32 [60000, 784] and [10000, 784], pixels scaled to [0, 1].
  Tensor TrainImages, TestImages;
  /// i32 [60000] and [10000], classes 0-9 (a Classifier's label type).
  Tensor TrainLabels, TestLabels;
};

/// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte(.gz) from Dir; an
/// empty Dir means $NETJIT_FASHION_MNIST_DIR, or else Debian's
/// /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist).
/// RuntimeError saying how to install it when the files are missing.
FashionMnist loadFashionMnist(const std::string &Dir = "");

} // namespace netjit
