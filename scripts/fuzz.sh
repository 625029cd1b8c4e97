#!/usr/bin/env bash
# Builds one libFuzzer target with clang-19 (+ASan+UBSan) in build-fuzz/ and
# runs it for SECONDS (default 60), seeded from the repository's own files.
#   bash scripts/fuzz.sh fuzz_ir_parser 60
#   bash scripts/fuzz.sh fuzz_npy 60
#   bash scripts/fuzz.sh fuzz_data 60
#   bash scripts/fuzz.sh fuzz_model_file 60
# New inputs go to build-fuzz/corpus/TARGET, crashes to build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh

usage() {
  echo "usage: bash scripts/fuzz.sh fuzz_ir_parser|fuzz_npy|fuzz_data|fuzz_model_file [SECONDS]" >&2
  exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
target=$1
seconds=${2:-60}
options=()
case $target in
  fuzz_ir_parser) seeds=(examples tests/data/tools tests/data/ir) ;;
  fuzz_npy) seeds=(tests/data/npy examples/data tests/data/tools) ;;
  fuzz_data) seeds=(tests/data/npz tests/data/npy) ;;
  fuzz_model_file)
    seeds=(tests/data/model)
    options=(-dict=tests/fuzz/model_file.dict) ;;
  *) usage ;;
esac
[[ $seconds =~ ^[0-9]+$ ]] || usage

# clang-19, like the LLVM netjit links: clang-14 lacks the builtin that
# libstdc++'s <source_location> needs, which the frontend uses.
ensure_packages "${NETJIT_PACKAGES[@]}" clang-19 libclang-rt-19-dev
if [ -f build-fuzz/CMakeCache.txt ] &&
  ! grep -q '^CMAKE_CXX_COMPILER:.*clang++-19$' build-fuzz/CMakeCache.txt; then
  # Configured with another compiler: start the tree over, keep the corpus.
  rm -rf build-fuzz/CMakeCache.txt build-fuzz/CMakeFiles
fi
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  generator=(-G "Unix Makefiles")
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
  CC=clang-19 CXX=clang++-19 cmake -S . -B build-fuzz "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETJIT_FUZZ=ON \
    -DNETJIT_BUILD_TESTS=OFF -DNETJIT_BUILD_BENCH=OFF
fi
cmake --build build-fuzz --parallel 2 --target "$target"

corpus=build-fuzz/corpus/$target
mkdir -p "$corpus" build-fuzz/artifacts
existing=()
for d in "${seeds[@]}"; do
  [ -d "$d" ] && existing+=("$d")
done
"build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=4096 -artifact_prefix=build-fuzz/artifacts/ "${options[@]}" \
  "$corpus" "${existing[@]}"
