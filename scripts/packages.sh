# Sourced by the other scripts: installs Debian packages that are missing.
# Usage: ensure_packages NAME...   (uses sudo only when not root)

ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "netjit: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

# Everything a fresh Debian 12 needs to build and test netjit, and the
# Fashion-MNIST data set the main job trains on.
NETJIT_PACKAGES=(cmake g++ make lld llvm-19-dev libeigen3-dev libboost-graph-dev
  libgtest-dev libgmock-dev graphviz git ca-certificates zlib1g-dev
  dataset-fashion-mnist)

# Configures (once) and builds a tree. Usage: configure_and_build DIR [CMAKE_ARGS...]
configure_and_build() {
  local dir=$1
  shift
  local generator=()
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    if command -v ninja >/dev/null 2>&1; then
      generator=(-G Ninja)
    else
      generator=(-G "Unix Makefiles")
    fi
  fi
  cmake -S . -B "$dir" "${generator[@]}" "$@"
  cmake --build "$dir" --parallel 2
}
