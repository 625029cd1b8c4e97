//===- test_environment.cpp - The environment of every test executable ----===//
//
// Linked into every test executable (tests/CMakeLists.txt). Unless
// NETJIT_CACHE_DIR is already set, it is set to "off" before main runs, so
// no test writes the user's compile cache (~/.cache/netjit), also when a
// test binary is run by hand; child processes (the tools suite runs the
// `netjit` command) inherit it. The compile cache's own tests name their
// temporary directories through CompileOptions::CacheDir or setenv.
//
//===----------------------------------------------------------------------===//
#include <cstdlib>

namespace {

const bool CacheOffByDefault = [] {
  ::setenv("NETJIT_CACHE_DIR", "off", /*overwrite=*/0);
  return true;
}();

} // namespace
