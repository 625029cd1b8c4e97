#!/usr/bin/env bash
# The test command (also CI's .ci/run): set-up, then every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build --output-on-failure -j2
