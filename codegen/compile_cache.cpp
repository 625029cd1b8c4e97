//===- compile_cache.cpp - The memory and disk caches of compiled functions
//===//
//
// The key is text (keyText below); its BLAKE3 hash names the disk entry and
// the entry symbol, so an object file is valid in any process that computes
// the same key. A disk entry is
//
//   "NJCACHE\0"  u32 format version  u32 0
//   u64 key length  u64 payload length  u64 xxh3(key + payload)
//   key  payload
//
// with the integers little-endian, and the payload the StoredFunction's
// fields (u8 interpreted, then length-prefixed strings and the IR hash).
// Reading checks every length against the file size before using it, the
// checksum, the format version and the whole key; a file failing any check
// is a reject, as is one whose graph or object does not load
// (loadFunction). This file and jit.cpp are the only ones that include LLVM
// headers (here only for its hash functions).
//
// Eviction (trimDirectory): entries are the files named <32 hex>.njc, their
// size is their length and their age their modification time, which a disk
// hit sets to now. A scan lists the directory once, deletes temporary files
// of writes (<entry>.tmp.<pid>.<n>) older than an hour and, when the entries
// take more than the limit, deletes the oldest until they take at most 90%
// of it. Each process scans a directory after its first write there, then
// after every tenth of the limit it has written since (TrimSchedule).
// Deleting an entry another process is reading is harmless: one that opens
// it after the unlink misses (ENOENT) and compiles, one that opened it
// before reads the whole file.
//
//===----------------------------------------------------------------------===//
#include "codegen/compile_cache.h"
#include "codegen/compiled_impl.h"
#include "runtime/bytes.h"

#include "ir/error.h"
#include "ir/printer.h"
#include "netjit_build_id.h"

#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#ifndef NETJIT_VERSION
#define NETJIT_VERSION "unknown"
#endif

namespace netjit {
namespace {

constexpr char kMagic[8] = {'N', 'J', 'C', 'A', 'C', 'H', 'E', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8 + 8;
/// Functions the memory cache keeps (least recently used ones go first).
constexpr size_t kMemoryEntries = 64;
/// The disk cache's size limit when neither the options nor the
/// environment set one.
constexpr uint64_t kDefaultMaxBytes = uint64_t(512) << 20;
/// Temporary files of writes older than this are left by dead processes.
constexpr time_t kStaleTempSeconds = 3600;

struct Counters {
  std::atomic<uint64_t> MemoryHits{0}, DiskHits{0}, Compiles{0}, DiskWrites{0},
      DiskRejects{0}, DiskWriteFailures{0}, Evictions{0}, EvictedBytes{0};
};

Counters &counters() {
  static Counters C;
  return C;
}

using ImplPtr = std::shared_ptr<const detail::CompiledImpl>;

//===----------------------------------------------------------------------===//
// Keys
//===----------------------------------------------------------------------===//

std::string keyText(const Graph &G, const CompileOptions &O, const Jit &J) {
  std::string K = "netjit compile cache key\n";
  K += "netjit " NETJIT_VERSION " build " NETJIT_BUILD_ID "\n";
  K += "llvm " + std::string(llvmVersionString()) + "\n";
  K += "target " + J.targetTriple() + " " + J.hostCpuName() + " " +
       J.hostFeatures() + "\n";
  K += "options fast-math=" + std::to_string(O.FastMath) +
       " strict-float=" + std::to_string(O.StrictFloat) +
       " opt-level=" + std::to_string(O.OptLevel) +
       " force-interpreter=" + std::to_string(O.ForceInterpreter) +
       " pipeline[" + std::to_string(O.Pipeline.size()) + "]=" + O.Pipeline +
       "\n";
  K += "graph\n" + printGraph(G);
  return K;
}

/// 32 hex digits of the key's BLAKE3 hash.
std::string keyHash(const std::string &Key) {
  llvm::BLAKE3Result<16> H = llvm::BLAKE3::hash<16>(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(Key.data()), Key.size()));
  static const char Hex[] = "0123456789abcdef";
  std::string Out;
  for (uint8_t B : H) {
    Out += Hex[B >> 4];
    Out += Hex[B & 15];
  }
  return Out;
}

std::string entrySymbol(const std::string &Hash) {
  return "netjit_entry_" + Hash.substr(0, 16);
}

std::string directoryFor(const CompileOptions &O) {
  std::string Dir = O.CacheDir;
  if (Dir.empty())
    if (const char *E = std::getenv("NETJIT_CACHE_DIR"))
      Dir = E;
  if (Dir == "off")
    return "";
  if (!Dir.empty())
    return Dir;
  if (const char *X = std::getenv("XDG_CACHE_HOME"); X && X[0] == '/')
    return std::string(X) + "/netjit";
  if (const char *H = std::getenv("HOME"); H && H[0])
    return std::string(H) + "/.cache/netjit";
  return "";
}

std::string entryPath(const std::string &Dir, const std::string &Hash) {
  return Dir + "/" + Hash + ".njc";
}

//===----------------------------------------------------------------------===//
// The size limit
//===----------------------------------------------------------------------===//

/// A byte count with an optional K, M or G suffix (powers of 1024); nullopt
/// for anything else, for 0 and for values past 2^64 - 1.
std::optional<uint64_t> parseSize(std::string_view S) {
  size_t I = 0;
  uint64_t N = 0;
  for (; I < S.size() && S[I] >= '0' && S[I] <= '9'; ++I) {
    uint64_t D = static_cast<uint64_t>(S[I] - '0');
    if (N > (UINT64_MAX - D) / 10)
      return std::nullopt;
    N = N * 10 + D;
  }
  if (I == 0)
    return std::nullopt;
  unsigned Shift = 0;
  if (I < S.size()) {
    switch (S[I]) {
    case 'K':
    case 'k':
      Shift = 10;
      break;
    case 'M':
    case 'm':
      Shift = 20;
      break;
    case 'G':
    case 'g':
      Shift = 30;
      break;
    default:
      return std::nullopt;
    }
    ++I;
  }
  if (I != S.size() || N == 0 || N > (UINT64_MAX >> Shift))
    return std::nullopt;
  return N << Shift;
}

uint64_t maxBytesFor(const CompileOptions &O) {
  if (O.CacheMaxBytes != 0)
    return O.CacheMaxBytes;
  const char *E = std::getenv("NETJIT_CACHE_MAX_SIZE");
  if (!E || !E[0])
    return kDefaultMaxBytes;
  if (std::optional<uint64_t> N = parseSize(E))
    return *N;
  static std::mutex Mutex;
  static std::set<std::string> Warned;
  std::lock_guard<std::mutex> Lock(Mutex);
  if (Warned.insert(E).second)
    std::cerr << "netjit: warning: NETJIT_CACHE_MAX_SIZE='" << E
              << "' is not a size (a byte count greater than 0 with an "
                 "optional K, M or G suffix, e.g. 256M or 2G); using the "
                 "default, 512M\n";
  return kDefaultMaxBytes;
}

//===----------------------------------------------------------------------===//
// Eviction
//===----------------------------------------------------------------------===//

bool isLowerHex(std::string_view S) {
  return std::all_of(S.begin(), S.end(), [](char C) {
    return (C >= '0' && C <= '9') || (C >= 'a' && C <= 'f');
  });
}

bool isDigits(std::string_view S) {
  return !S.empty() && std::all_of(S.begin(), S.end(),
                                   [](char C) { return C >= '0' && C <= '9'; });
}

/// <32 lowercase hex digits>.njc, as entryPath() names entries.
bool isEntryName(std::string_view Name) {
  return Name.size() == 36 && isLowerHex(Name.substr(0, 32)) &&
         Name.substr(32) == ".njc";
}

/// <entry name>.tmp.<pid>.<n>, as writeEntryFile() names its temporaries.
bool isTempName(std::string_view Name) {
  if (Name.size() <= 41 || !isEntryName(Name.substr(0, 36)) ||
      Name.substr(36, 5) != ".tmp.")
    return false;
  std::string_view Rest = Name.substr(41);
  size_t Dot = Rest.find('.');
  return Dot != std::string_view::npos && isDigits(Rest.substr(0, Dot)) &&
         isDigits(Rest.substr(Dot + 1));
}

bool sameTime(const struct timespec &A, const struct timespec &B) {
  return A.tv_sec == B.tv_sec && A.tv_nsec == B.tv_nsec;
}

/// One scan of Dir (see the file comment); returns the bytes deleted.
uint64_t trimDirectory(const std::string &Dir, uint64_t Limit) {
  // One scan at a time in this process: two would race for the same files.
  static std::mutex ScanMutex;
  std::lock_guard<std::mutex> Lock(ScanMutex);
  struct Found {
    std::string Path;
    uint64_t Size;
    struct timespec MTime;
    dev_t Dev;
    ino_t Ino;
  };
  std::vector<Found> Entries;
  uint64_t Total = 0, Removed = 0;
  time_t Now = ::time(nullptr);
  std::error_code Ec;
  std::filesystem::directory_iterator It(Dir, Ec), End;
  for (; !Ec && It != End; It.increment(Ec)) {
    std::string Name = It->path().filename().string();
    bool Entry = isEntryName(Name);
    if (!Entry && !isTempName(Name))
      continue;
    std::string Path = Dir + "/" + Name;
    struct stat St;
    // Regular files only: never a directory or a symbolic link.
    if (::lstat(Path.c_str(), &St) != 0 || !S_ISREG(St.st_mode))
      continue;
    uint64_t Size = static_cast<uint64_t>(St.st_size);
    if (Entry) {
      Entries.push_back({Path, Size, St.st_mtim, St.st_dev, St.st_ino});
      Total += Size;
    } else if (St.st_mtime < Now - kStaleTempSeconds &&
               ::unlink(Path.c_str()) == 0) {
      Removed += Size;
    }
  }
  if (Total <= Limit)
    return Removed;
  std::sort(Entries.begin(), Entries.end(),
            [](const Found &A, const Found &B) {
              if (A.MTime.tv_sec != B.MTime.tv_sec)
                return A.MTime.tv_sec < B.MTime.tv_sec;
              if (A.MTime.tv_nsec != B.MTime.tv_nsec)
                return A.MTime.tv_nsec < B.MTime.tv_nsec;
              return A.Path < B.Path;
            });
  uint64_t Target = Limit - Limit / 10;
  for (const Found &E : Entries) {
    if (Total <= Target)
      break;
    struct stat St;
    if (::lstat(E.Path.c_str(), &St) != 0) {
      Total -= E.Size; // another process deleted it
      continue;
    }
    // Hit (touched) or rewritten since the listing: recently used, kept.
    if (St.st_dev != E.Dev || St.st_ino != E.Ino ||
        !sameTime(St.st_mtim, E.MTime))
      continue;
    if (::unlink(E.Path.c_str()) != 0) {
      if (errno == ENOENT)
        Total -= E.Size;
      continue;
    }
    Total -= E.Size;
    Removed += E.Size;
    ++counters().Evictions;
    counters().EvictedBytes += E.Size;
  }
  return Removed;
}

/// When this process scans a directory after writing to it: after its first
/// write there, then after every tenth of the limit written since the last
/// scan (so the entries exceed the limit by at most a tenth of it per
/// writing process between scans).
class TrimSchedule {
public:
  /// Records a write of Bytes to Dir; true when a scan is due (and counted
  /// as done).
  bool wrote(const std::string &Dir, uint64_t Bytes, uint64_t Limit) {
    std::lock_guard<std::mutex> Lock(Mutex);
    auto [It, First] = Written.try_emplace(Dir, 0);
    It->second += Bytes;
    if (!First && It->second < std::max<uint64_t>(Limit / 10, 1))
      return false;
    It->second = 0;
    return true;
  }
  void scanned(const std::string &Dir) {
    std::lock_guard<std::mutex> Lock(Mutex);
    Written[Dir] = 0;
  }

private:
  std::mutex Mutex;
  /// Bytes written to each directory since its last scan.
  std::unordered_map<std::string, uint64_t> Written;
};

TrimSchedule &trimSchedule() {
  static TrimSchedule S;
  return S;
}

//===----------------------------------------------------------------------===//
// Entry encoding
//===----------------------------------------------------------------------===//

void putU64(std::string &Out, uint64_t V) { appendLittleEndian(Out, V, 8); }
void putU32(std::string &Out, uint32_t V) { appendLittleEndian(Out, V, 4); }

void putString(std::string &Out, std::string_view S) {
  putU64(Out, S.size());
  Out.append(S);
}

/// Reads the fields of an entry, failing (not throwing) past the end.
class Reader {
public:
  explicit Reader(std::string_view Bytes) : Bytes(Bytes) {}
  bool u64(uint64_t &V) { return little(V); }
  bool u32(uint32_t &V) { return little(V); }
  template <class T> bool little(T &V) {
    if (Bytes.size() - Pos < sizeof(T))
      return false;
    V = static_cast<T>(readLittleEndian(Bytes.data() + Pos, sizeof(T)));
    Pos += sizeof(T);
    return true;
  }
  bool bytes(size_t N, std::string_view &Out) {
    if (Bytes.size() - Pos < N)
      return false;
    Out = Bytes.substr(Pos, N);
    Pos += N;
    return true;
  }
  bool string(std::string &Out) {
    uint64_t N;
    std::string_view V;
    if (!u64(N) || N > Bytes.size() - Pos || !bytes(N, V))
      return false;
    Out.assign(V);
    return true;
  }
  bool atEnd() const { return Pos == Bytes.size(); }

private:
  std::string_view Bytes;
  size_t Pos = 0;
};

std::string encodeEntry(const std::string &Key,
                        const detail::StoredFunction &S) {
  std::string Payload;
  Payload += static_cast<char>(S.Interpreted ? 1 : 0);
  putString(Payload, S.Reason);
  putString(Payload, S.FusedText);
  putU64(Payload, S.IRHash);
  putString(Payload, S.Object);
  std::string Out(kMagic, sizeof(kMagic));
  putU32(Out, kFormatVersion);
  putU32(Out, 0);
  putU64(Out, Key.size());
  putU64(Out, Payload.size());
  putU64(Out, detail::checksum(Key + Payload));
  Out += Key;
  Out += Payload;
  return Out;
}

/// The stored function, or nullopt when the bytes are not a valid entry of
/// this format for Key.
std::optional<detail::StoredFunction> decodeEntry(std::string_view File,
                                                  const std::string &Key) {
  Reader R(File);
  std::string_view Magic, StoredKey, Payload;
  uint32_t Version, Reserved;
  uint64_t KeyBytes, PayloadBytes, Sum;
  if (!R.bytes(sizeof(kMagic), Magic) ||
      Magic != std::string_view(kMagic, sizeof(kMagic)) || !R.u32(Version) ||
      Version != kFormatVersion || !R.u32(Reserved) || Reserved != 0 ||
      !R.u64(KeyBytes) || !R.u64(PayloadBytes) || !R.u64(Sum))
    return std::nullopt;
  size_t Rest = File.size() - kHeaderBytes;
  if (KeyBytes > Rest || PayloadBytes != Rest - KeyBytes ||
      detail::checksum(File.substr(kHeaderBytes)) != Sum ||
      !R.bytes(KeyBytes, StoredKey) || StoredKey != Key ||
      !R.bytes(PayloadBytes, Payload))
    return std::nullopt;
  Reader P(Payload);
  detail::StoredFunction S;
  std::string_view Flag;
  if (!P.bytes(1, Flag) || static_cast<uint8_t>(Flag[0]) > 1 ||
      !P.string(S.Reason) || !P.string(S.FusedText) || !P.u64(S.IRHash) ||
      !P.string(S.Object) || !P.atEnd())
    return std::nullopt;
  S.Interpreted = Flag[0] == 1;
  if (S.FusedText.empty() || S.Interpreted != S.Object.empty())
    return std::nullopt;
  return S;
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// The file's bytes; nullopt when it does not exist. Other read errors
/// give an empty string (a reject).
std::optional<std::string> readFile(const std::string &Path) {
  int Fd = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
  if (Fd < 0)
    return errno == ENOENT ? std::nullopt : std::optional<std::string>("");
  std::string Out;
  struct stat St;
  if (::fstat(Fd, &St) == 0 && St.st_size > 0)
    Out.reserve(static_cast<size_t>(St.st_size));
  char Buf[1 << 16];
  for (;;) {
    ssize_t N = ::read(Fd, Buf, sizeof(Buf));
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0) {
      Out.clear();
      break;
    }
    if (N == 0)
      break;
    Out.append(Buf, static_cast<size_t>(N));
  }
  ::close(Fd);
  return Out;
}

bool writeAll(int Fd, std::string_view Bytes) {
  while (!Bytes.empty()) {
    ssize_t N = ::write(Fd, Bytes.data(), Bytes.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return false;
    Bytes.remove_prefix(static_cast<size_t>(N));
  }
  return true;
}

void warnOnce(const std::string &Dir, const std::string &Why) {
  static std::mutex Mutex;
  static std::set<std::string> Warned;
  std::lock_guard<std::mutex> Lock(Mutex);
  if (Warned.insert(Dir).second)
    std::cerr << "netjit: warning: cannot write the compile cache in '" << Dir
              << "' (" << Why
              << "); compiling without it (NETJIT_CACHE_DIR moves it, "
                 "NETJIT_CACHE_DIR=off turns it off)\n";
}

/// Writes Bytes to Path through a temporary file in the same directory and
/// a rename, so readers see the old file or the whole new one.
void writeEntryFile(const std::string &Dir, const std::string &Path,
                    std::string_view Bytes, uint64_t Limit) {
  static std::atomic<uint64_t> Counter{0};
  std::error_code Ec;
  std::filesystem::create_directories(Dir, Ec);
  std::string Temp = Path + ".tmp." + std::to_string(::getpid()) + "." +
                     std::to_string(Counter++);
  int Fd = ::open(Temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (Fd < 0) {
    int Err = errno;
    ++counters().DiskWriteFailures;
    warnOnce(Dir, Ec ? Ec.message() : std::strerror(Err));
    return;
  }
  bool Ok = writeAll(Fd, Bytes);
  int Err = errno;
  Ok = ::close(Fd) == 0 && Ok;
  if (Ok && ::rename(Temp.c_str(), Path.c_str()) == 0) {
    ++counters().DiskWrites;
    if (trimSchedule().wrote(Dir, Bytes.size(), Limit))
      trimDirectory(Dir, Limit);
    return;
  }
  if (Ok)
    Err = errno;
  ::unlink(Temp.c_str());
  ++counters().DiskWriteFailures;
  warnOnce(Dir, std::strerror(Err));
}

//===----------------------------------------------------------------------===//
// Compiling through the disk cache
//===----------------------------------------------------------------------===//

struct Request {
  const Graph &G;
  const CompileOptions &Options;
  std::string Key, Hash;
};

ImplPtr compileThroughDisk(const Request &R) {
  std::string Entry = entrySymbol(R.Hash);
  std::string Dir = directoryFor(R.Options);
  if (Dir.empty()) {
    ++counters().Compiles;
    return detail::buildFunction(R.G, R.Options, Entry, nullptr);
  }
  std::string Path = entryPath(Dir, R.Hash);
  if (std::optional<std::string> File = readFile(Path)) {
    std::optional<detail::StoredFunction> S = decodeEntry(*File, R.Key);
    if (S) {
      try {
        ImplPtr I = detail::loadFunction(*S, R.Options, Entry);
        ++counters().DiskHits;
        // Used now: eviction keeps it longer (failing, e.g. in a read-only
        // directory, changes nothing else).
        ::utimensat(AT_FDCWD, Path.c_str(), nullptr, 0);
        return I;
      } catch (const Error &) {
      }
    }
    ++counters().DiskRejects;
  }
  detail::StoredFunction S;
  ImplPtr I = detail::buildFunction(R.G, R.Options, Entry, &S);
  ++counters().Compiles;
  if (!S.FusedText.empty())
    writeEntryFile(Dir, Path, encodeEntry(R.Key, S), maxBytesFor(R.Options));
  return I;
}

//===----------------------------------------------------------------------===//
// The memory cache
//===----------------------------------------------------------------------===//

class MemoryCache {
public:
  /// The function under Key: a finished one, another thread's compile of
  /// it, or Make()'s.
  template <class MakeFn> ImplPtr get(const std::string &Key, MakeFn &&Make) {
    std::unique_lock<std::mutex> Lock(Mutex);
    if (auto It = Slots.find(Key); It != Slots.end()) {
      It->second.LastUse = ++Clock;
      std::shared_future<ImplPtr> Result = It->second.Result;
      Lock.unlock();
      ++counters().MemoryHits;
      return Result.get();
    }
    std::promise<ImplPtr> Promise;
    Slots.emplace(Key, Slot{Promise.get_future().share(), ++Clock, false});
    Lock.unlock();
    ImplPtr I;
    try {
      I = Make();
    } catch (...) {
      Lock.lock();
      Slots.erase(Key);
      Lock.unlock();
      Promise.set_exception(std::current_exception());
      throw;
    }
    Promise.set_value(I);
    Lock.lock();
    if (auto It = Slots.find(Key); It != Slots.end())
      It->second.Ready = true;
    evict();
    return I;
  }

  void clear() {
    std::lock_guard<std::mutex> Lock(Mutex);
    for (auto It = Slots.begin(); It != Slots.end();)
      It = It->second.Ready ? Slots.erase(It) : std::next(It);
  }

private:
  struct Slot {
    std::shared_future<ImplPtr> Result;
    uint64_t LastUse = 0;
    /// False while the compile is running (such slots are never evicted).
    bool Ready = false;
  };

  /// Drops the least recently used finished functions past kMemoryEntries.
  /// Caller holds Mutex.
  void evict() {
    for (;;) {
      size_t Ready = 0;
      auto Oldest = Slots.end();
      for (auto It = Slots.begin(); It != Slots.end(); ++It)
        if (It->second.Ready) {
          ++Ready;
          if (Oldest == Slots.end() ||
              It->second.LastUse < Oldest->second.LastUse)
            Oldest = It;
        }
      if (Ready <= kMemoryEntries)
        return;
      Slots.erase(Oldest);
    }
  }

  std::mutex Mutex;
  std::unordered_map<std::string, Slot> Slots;
  uint64_t Clock = 0;
};

MemoryCache &memoryCache() {
  static MemoryCache *C = new MemoryCache; // functions may outlive statics
  return *C;
}

} // namespace

namespace detail {

uint64_t checksum(std::string_view Bytes) {
  return llvm::xxh3_64bits(llvm::StringRef(Bytes.data(), Bytes.size()));
}

std::shared_ptr<const CompiledImpl> cachedCompile(const Graph &G,
                                                  const CompileOptions &O) {
  Request R{G, O, keyText(G, O, sharedJit(O.OptLevel)), ""};
  R.Hash = keyHash(R.Key);
  if (!O.UseCache) {
    ++counters().Compiles;
    return buildFunction(G, O, entrySymbol(R.Hash), nullptr);
  }
  return memoryCache().get(R.Key, [&] { return compileThroughDisk(R); });
}

} // namespace detail

CompileCacheStats compileCacheStats() {
  Counters &C = counters();
  return CompileCacheStats{C.MemoryHits.load(),  C.DiskHits.load(),
                           C.Compiles.load(),    C.DiskWrites.load(),
                           C.DiskRejects.load(), C.DiskWriteFailures.load(),
                           C.Evictions.load(),   C.EvictedBytes.load()};
}

void resetCompileCacheStats() {
  Counters &C = counters();
  C.MemoryHits = C.DiskHits = C.Compiles = 0;
  C.DiskWrites = C.DiskRejects = C.DiskWriteFailures = 0;
  C.Evictions = C.EvictedBytes = 0;
}

void clearCompileCache() { memoryCache().clear(); }

std::string compileCacheDirectory(const CompileOptions &Options) {
  return directoryFor(Options);
}

uint64_t compileCacheMaxBytes(const CompileOptions &Options) {
  return maxBytesFor(Options);
}

uint64_t trimCompileCache(const CompileOptions &Options) {
  std::string Dir = directoryFor(Options);
  if (Dir.empty())
    return 0;
  uint64_t Removed = trimDirectory(Dir, maxBytesFor(Options));
  trimSchedule().scanned(Dir);
  return Removed;
}

std::string compileCacheKey(const Graph &G, const CompileOptions &Options) {
  return keyText(G, Options, detail::sharedJit(Options.OptLevel));
}

std::string compileCacheEntryPath(const Graph &G,
                                  const CompileOptions &Options) {
  std::string Dir = directoryFor(Options);
  return Dir.empty() ? ""
                     : entryPath(Dir, keyHash(compileCacheKey(G, Options)));
}

} // namespace netjit
