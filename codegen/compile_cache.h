//===- compile_cache.h - Compiled functions reused across calls and runs --===//
//
// CompiledFunction::compile looks a graph up before compiling it. The key is
// the graph's text form (canonical: printing lists the live nodes in arena
// order, so the same graph built twice prints the same) together with
// everything else that decides the code: the CompileOptions that affect it,
// the host CPU and its features, netjit's version and build id, and LLVM's
// version. Two caches answer:
//
//  - memory: process-wide and thread-safe. An equal key (compared as whole
//    strings) returns the same compiled function, without the passes or
//    LLVM; a thread asking for a key another thread is compiling waits for
//    it. The 64 most recently used functions are kept.
//  - disk: one file per key in the cache directory, holding the fused
//    graph's text and the object file LLVM made. A hit parses, plans and
//    emits the graph again (no optimization, no code generation), checks the
//    IR against the stored hash and links the object. Entries are written
//    to a temporary file and renamed, carry a header (magic, format version,
//    the whole key, payload length, checksum) and are never trusted: one
//    that does not check out is ignored, rebuilt and overwritten. The
//    entries are bounded in size (compileCacheMaxBytes(), 512 MiB by
//    default): after a write, the least recently used entries (oldest
//    modification time; a disk hit touches its entry) are deleted until
//    they take at most 90% of the limit. Only files named as entries, and
//    temporary files of writes older than an hour, are ever deleted.
//
// docs/codegen.md ("Compile cache") describes the directory, NETJIT_CACHE_DIR,
// NETJIT_CACHE_MAX_SIZE, eviction and the options.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "codegen/compiled_function.h"

#include <cstdint>
#include <memory>
#include <string>

namespace netjit {

/// Counts since the process started (or since resetCompileCacheStats()).
struct CompileCacheStats {
  /// compile() calls answered from memory (including waits for another
  /// thread's compile of the same key).
  uint64_t MemoryHits = 0;
  /// Functions loaded from a disk entry.
  uint64_t DiskHits = 0;
  /// Functions compiled from scratch: the pipeline and LLVM ran.
  uint64_t Compiles = 0;
  /// Disk entries written.
  uint64_t DiskWrites = 0;
  /// Disk entries found but not used: unreadable, truncated, corrupt, from
  /// another format version or key, or not loadable.
  uint64_t DiskRejects = 0;
  /// Disk entries that could not be written (the directory is not writable).
  uint64_t DiskWriteFailures = 0;
  /// Disk entries deleted to keep the cache within its size limit (by the
  /// scan after a write or by trimCompileCache()).
  uint64_t Evictions = 0;
  /// The bytes of those entries.
  uint64_t EvictedBytes = 0;
};

CompileCacheStats compileCacheStats();
void resetCompileCacheStats();

/// Drops every function the memory cache holds (each is freed when the
/// last CompiledFunction using it goes away). The disk cache is untouched.
void clearCompileCache();

/// The disk cache directory compile() uses with these options, or "" when
/// the disk cache is off (CompileOptions::CacheDir or NETJIT_CACHE_DIR is
/// "off", or no directory can be named).
std::string compileCacheDirectory(const CompileOptions &Options = {});

/// The size limit of the disk cache's entries, in bytes:
/// CompileOptions::CacheMaxBytes if not 0, else NETJIT_CACHE_MAX_SIZE if set
/// and not empty, else 512 MiB. The variable holds a byte count with an
/// optional suffix K, M or G (or k, m, g; powers of 1024), e.g. "256M"; a
/// value that is not one (or is 0, or overflows) prints one warning on
/// stderr naming the variable and the value, and the default applies.
uint64_t compileCacheMaxBytes(const CompileOptions &Options = {});

/// Scans the disk cache directory of Options now: deletes temporary files
/// left by writes that died more than an hour ago, and, when the entries
/// take more than compileCacheMaxBytes(Options), the least recently used
/// entries until they take at most 90% of it. Returns the bytes deleted (0
/// when the disk cache is off or the directory does not exist). compile()
/// does the same by itself after writes (docs/codegen.md says when).
uint64_t trimCompileCache(const CompileOptions &Options = {});

/// The cache key of G compiled with Options (the whole text).
std::string compileCacheKey(const Graph &G, const CompileOptions &Options = {});

/// The file compile() reads and writes for G with Options, or "" when the
/// disk cache is off.
std::string compileCacheEntryPath(const Graph &G,
                                  const CompileOptions &Options = {});

namespace detail {
struct CompiledImpl;
/// compile(): the memory cache, then the disk cache, then a compile.
std::shared_ptr<const CompiledImpl> cachedCompile(const Graph &G,
                                                  const CompileOptions &O);
} // namespace detail

} // namespace netjit
