//===- npz.cpp - NumPy .npz files (zip archives of .npy) ------------------===//
//
// A zip file is read from its end: the end-of-central-directory record (and,
// when its fields are saturated, the zip64 one it points to) gives the
// central directory, which lists every entry with its method, sizes, CRC-32
// and the offset of its local header; the data follows the local header's
// name and extra field. numpy.savez stores entries (method 0) and
// numpy.savez_compressed deflates them (method 8); both write zip64 extra
// fields, so sizes are taken from the central directory's zip64 field when
// the 32-bit ones are saturated. Every offset and size is checked against
// the file before use, a deflated entry may not claim more than deflate can
// produce from its compressed bytes (about 1032:1) before its buffer is
// allocated, and each entry's CRC-32 is verified.
//
//===----------------------------------------------------------------------===//
#include "runtime/data_io.h"

#include "ir/error.h"
#include "runtime/bytes.h"
#include "runtime/npy.h"

#include <climits>
#include <cstring>
#include <vector>
#include <zlib.h>

namespace netjit {
namespace {

[[noreturn]] void fail(std::string_view Source, const std::string &Problem) {
  throw RuntimeError(std::string(Source) + ": " + Problem);
}


constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50,
                   kEndSig = 0x06054b50, kEnd64Sig = 0x06064b50,
                   kLocator64Sig = 0x07064b50;

struct Entry {
  std::string Name;
  uint16_t Flags = 0, Method = 0;
  uint32_t Crc = 0;
  uint64_t Compressed = 0, Size = 0, LocalOffset = 0;
};

class ZipReader {
public:
  ZipReader(std::string_view Bytes, std::string_view Source)
      : Bytes(Bytes), Source(Source),
        P(reinterpret_cast<const uint8_t *>(Bytes.data())) {}

  std::vector<Entry> centralDirectory() {
    size_t End = findEnd();
    uint64_t Count = readLittleEndian(P + End + 10, 2),
             CdSize = readLittleEndian(P + End + 12, 4),
             CdOffset = readLittleEndian(P + End + 16, 4);
    if (readLittleEndian(P + End + 4, 2) != 0 ||
        readLittleEndian(P + End + 6, 2) != 0)
      fail(Source, "multi-disk zip archives are not supported");
    if (Count == 0xFFFF || CdSize == 0xFFFFFFFF || CdOffset == 0xFFFFFFFF)
      readZip64End(End, Count, CdSize, CdOffset);
    need(CdOffset, CdSize, "the central directory");
    std::vector<Entry> Entries;
    uint64_t Pos = CdOffset, Limit = CdOffset + CdSize;
    for (uint64_t I = 0; I < Count; ++I) {
      if (Pos > Limit || Limit - Pos < 46 ||
          readLittleEndian(P + Pos, 4) != kCentralSig)
        fail(Source, "corrupt zip central directory (entry " +
                         std::to_string(I + 1) + " of " +
                         std::to_string(Count) + ")");
      Entry E;
      E.Flags = static_cast<uint16_t>(readLittleEndian(P + Pos + 8, 2));
      E.Method = static_cast<uint16_t>(readLittleEndian(P + Pos + 10, 2));
      E.Crc = static_cast<uint32_t>(readLittleEndian(P + Pos + 16, 4));
      E.Compressed = readLittleEndian(P + Pos + 20, 4);
      E.Size = readLittleEndian(P + Pos + 24, 4);
      uint64_t NameLen = readLittleEndian(P + Pos + 28, 2),
               ExtraLen = readLittleEndian(P + Pos + 30, 2),
               CommentLen = readLittleEndian(P + Pos + 32, 2);
      E.LocalOffset = readLittleEndian(P + Pos + 42, 4);
      uint64_t Record = 46 + NameLen + ExtraLen + CommentLen;
      if (Limit - Pos < Record)
        fail(Source, "corrupt zip central directory (entry " +
                         std::to_string(I + 1) + " runs past its end)");
      E.Name.assign(Bytes.data() + Pos + 46, NameLen);
      readZip64Extra(E, P + Pos + 46 + NameLen, ExtraLen);
      Entries.push_back(std::move(E));
      Pos += Record;
    }
    return Entries;
  }

  /// The uncompressed bytes of E, CRC-checked.
  std::string contents(const Entry &E) {
    std::string Where = "zip entry '" + E.Name + "'";
    if (E.Flags & 1)
      fail(Source, Where + " is encrypted");
    need(E.LocalOffset, 30, Where + "'s local header");
    const uint8_t *L = P + E.LocalOffset;
    if (readLittleEndian(L, 4) != kLocalSig)
      fail(Source, Where + ": no local header at offset " +
                       std::to_string(E.LocalOffset));
    uint64_t NameLen = readLittleEndian(L + 26, 2),
             ExtraLen = readLittleEndian(L + 28, 2);
    need(E.LocalOffset + 30, NameLen + ExtraLen, Where + "'s local header");
    if (std::string_view(Bytes.data() + E.LocalOffset + 30, NameLen) != E.Name)
      fail(Source, Where + ": the local header names another file");
    uint64_t Start = E.LocalOffset + 30 + NameLen + ExtraLen;
    need(Start, E.Compressed, Where + "'s data");
    std::string_view Data = Bytes.substr(Start, E.Compressed);

    std::string Out;
    if (E.Method == 0) {
      if (E.Compressed != E.Size)
        fail(Source, Where + " is stored with " +
                         std::to_string(E.Compressed) + " bytes but claims " +
                         std::to_string(E.Size));
      Out.assign(Data);
    } else if (E.Method == 8) {
      Out = inflateRaw(Data, E, Where);
    } else {
      fail(Source, Where + " uses compression method " +
                       std::to_string(E.Method) +
                       " (netjit reads stored (0) and deflated (8) entries)");
    }
    if (crc32Of(Out) != E.Crc)
      fail(Source, Where + " fails its CRC-32 check (the archive is corrupt)");
    return Out;
  }

private:
  /// Fails unless [Offset, Offset + Length) lies inside the file.
  void need(uint64_t Offset, uint64_t Length, const std::string &What) const {
    if (Offset > Bytes.size() || Length > Bytes.size() - Offset)
      fail(Source, "truncated zip archive: " + What + " (offset " +
                       std::to_string(Offset) + ", " + std::to_string(Length) +
                       " bytes) lies beyond the end of the file (" +
                       std::to_string(Bytes.size()) + " bytes)");
  }

  /// The offset of the end-of-central-directory record: the last "PK\5\6"
  /// whose comment length reaches exactly to the end of the file.
  size_t findEnd() const {
    if (Bytes.size() < 22)
      fail(Source, "not a zip archive (.npz): " +
                       std::to_string(Bytes.size()) + " bytes is too short");
    size_t Lowest = Bytes.size() >= 22 + 65535 ? Bytes.size() - 22 - 65535 : 0;
    for (size_t Pos = Bytes.size() - 22 + 1; Pos-- > Lowest;)
      if (readLittleEndian(P + Pos, 4) == kEndSig &&
          Pos + 22 + readLittleEndian(P + Pos + 20, 2) == Bytes.size())
        return Pos;
    if (Bytes.substr(0, 4) == "PK\x03\x04")
      fail(Source, "truncated zip archive: no end-of-central-directory "
                   "record");
    fail(Source, "not a zip archive (.npz): no end-of-central-directory "
                 "record");
  }

  void readZip64End(size_t End, uint64_t &Count, uint64_t &CdSize,
                    uint64_t &CdOffset) const {
    if (End < 20 || readLittleEndian(P + End - 20, 4) != kLocator64Sig)
      fail(Source, "corrupt zip archive: saturated directory fields but no "
                   "zip64 locator");
    uint64_t At = readLittleEndian(P + End - 20 + 8, 8);
    need(At, 56, "the zip64 end-of-central-directory record");
    if (readLittleEndian(P + At, 4) != kEnd64Sig)
      fail(Source, "corrupt zip archive: no zip64 end record at offset " +
                       std::to_string(At));
    Count = readLittleEndian(P + At + 32, 8);
    CdSize = readLittleEndian(P + At + 40, 8);
    CdOffset = readLittleEndian(P + At + 48, 8);
  }

  /// Replaces saturated 32-bit fields with the zip64 extra field's values
  /// (present only for the saturated ones, in this order).
  void readZip64Extra(Entry &E, const uint8_t *X, uint64_t Len) const {
    bool NeedSize = E.Size == 0xFFFFFFFF, NeedComp = E.Compressed == 0xFFFFFFFF,
         NeedOffset = E.LocalOffset == 0xFFFFFFFF;
    uint64_t Pos = 0;
    while (Pos + 4 <= Len) {
      uint64_t Id = readLittleEndian(X + Pos, 2),
               Size = readLittleEndian(X + Pos + 2, 2);
      if (Size > Len - Pos - 4)
        break;
      if (Id == 1) {
        const uint8_t *F = X + Pos + 4;
        uint64_t Left = Size;
        for (auto [Wanted, Field] : {std::pair{NeedSize, &E.Size},
                                     {NeedComp, &E.Compressed},
                                     {NeedOffset, &E.LocalOffset}}) {
          if (!Wanted)
            continue;
          if (Left < 8)
            fail(Source, "zip entry '" + E.Name +
                             "': zip64 extra field too short");
          *Field = readLittleEndian(F, 8);
          F += 8;
          Left -= 8;
        }
        return;
      }
      Pos += 4 + Size;
    }
    if (NeedSize || NeedComp || NeedOffset)
      fail(Source, "zip entry '" + E.Name +
                       "': saturated sizes but no zip64 extra field");
  }

  std::string inflateRaw(std::string_view Data, const Entry &E,
                         const std::string &Where) const {
    if (E.Size / 1032 > Data.size() + 1)
      fail(Source, Where + " claims " + std::to_string(E.Size) +
                       " bytes from " + std::to_string(Data.size()) +
                       " compressed ones, more than deflate can produce");
    std::string Out(E.Size, '\0');
    z_stream S{};
    if (inflateInit2(&S, -15) != Z_OK)
      fail(Source, "cannot initialise zlib");
    size_t InDone = 0, OutDone = 0;
    int R = Z_OK;
    while (true) {
      if (S.avail_in == 0 && InDone < Data.size()) {
        size_t Chunk = std::min<size_t>(Data.size() - InDone, 1u << 30);
        S.next_in = reinterpret_cast<Bytef *>(
            const_cast<char *>(Data.data() + InDone));
        S.avail_in = static_cast<uInt>(Chunk);
        InDone += Chunk;
      }
      // One spare byte of room shows an entry that inflates to more than
      // it claims.
      char Spare;
      bool Full = OutDone == Out.size();
      size_t Room = Full ? 1 : std::min<size_t>(Out.size() - OutDone, 1u << 30);
      S.next_out = reinterpret_cast<Bytef *>(Full ? &Spare : Out.data() + OutDone);
      S.avail_out = static_cast<uInt>(Room);
      R = inflate(&S, Z_NO_FLUSH);
      size_t Made = Room - S.avail_out;
      if (Full && Made) {
        inflateEnd(&S);
        fail(Source, Where + " inflates to more than the " +
                         std::to_string(E.Size) + " bytes it claims");
      }
      OutDone += Made;
      if (R == Z_STREAM_END || (R != Z_OK && R != Z_BUF_ERROR))
        break;
      if (R == Z_BUF_ERROR && S.avail_in == 0 && InDone == Data.size())
        break;
    }
    std::string Msg = S.msg ? S.msg : "";
    inflateEnd(&S);
    if (R != Z_STREAM_END)
      fail(Source, Where + ": " +
                       (R == Z_BUF_ERROR ? std::string("truncated deflate data")
                                         : "corrupt deflate data" +
                                               (Msg.empty() ? "" : ": " + Msg)));
    if (OutDone != Out.size())
      fail(Source, Where + " inflates to " + std::to_string(OutDone) +
                       " bytes but claims " + std::to_string(E.Size));
    return Out;
  }

  std::string_view Bytes, Source;
  const uint8_t *P;
};

} // namespace

TensorMap parseNpz(std::string_view Bytes, std::string_view Source) {
  ZipReader Zip(Bytes, Source);
  TensorMap Arrays;
  for (const Entry &E : Zip.centralDirectory()) {
    std::string_view Name = E.Name;
    if (Name.size() <= 4 || Name.substr(Name.size() - 4) != ".npy")
      fail(Source, "zip entry '" + E.Name +
                       "' is not a .npy array (an .npz holds only NAME.npy "
                       "entries)");
    std::string Key(Name.substr(0, Name.size() - 4));
    if (Arrays.count(Key))
      fail(Source, "two zip entries are named '" + E.Name + "'");
    std::string Npy = Zip.contents(E);
    Arrays.emplace(Key, parseNpy(Npy, std::string(Source) + ":" + E.Name));
  }
  return Arrays;
}

TensorMap readNpz(const std::string &Path) {
  return parseNpz(readFileBytes(Path), Path);
}

} // namespace netjit
