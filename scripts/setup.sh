#!/usr/bin/env bash
# Set-up: installs the Debian packages netjit needs (only those missing),
# configures a Release build in build/ and builds everything with two jobs.
#   bash scripts/setup.sh [EXTRA CMAKE ARGS...]
# NETJIT_BUILD_DIR (default build) and NETJIT_BUILD_TYPE (default Release)
# choose another tree, as scripts/asan.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh

ensure_packages "${NETJIT_PACKAGES[@]}"
configure_and_build "${NETJIT_BUILD_DIR:-build}" \
  -DCMAKE_BUILD_TYPE="${NETJIT_BUILD_TYPE:-Release}" "$@"
