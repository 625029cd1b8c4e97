#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer,
# in build-asan/ (RelWithDebInfo, -DNETJIT_SANITIZE=ON). The `netjit` command
# that the tool tests spawn is instrumented too.
set -euo pipefail
cd "$(dirname "$0")/.."
NETJIT_BUILD_DIR=build-asan NETJIT_BUILD_TYPE=RelWithDebInfo \
  bash scripts/setup.sh -DNETJIT_SANITIZE=ON -DNETJIT_BUILD_BENCH=OFF
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The random-graph tests at their full counts (10,000 graphs each) outlast
# ctest's timeout under the sanitizers; the plain build runs them in full.
export NETJIT_RANDOM_GRAPHS=${NETJIT_RANDOM_GRAPHS:-2000}
export NETJIT_JIT_RANDOM_GRAPHS=${NETJIT_JIT_RANDOM_GRAPHS:-1500}
ctest --test-dir build-asan --output-on-failure -j2
