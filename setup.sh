#!/usr/bin/env bash
# spork set-up: installs what is missing (Debian 12 packages), configures, builds, then
#   ./setup.sh            runs spork's main job (spork bench)
#   ./setup.sh test       runs the whole test suite (ctest)
# Extra arguments after the mode go to the command it runs.
# SPORK_SANITIZE=address,undefined builds into build-asan/ with those sanitizers.
# Idempotent: installs nothing already present, and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-run}
[ $# -gt 0 ] && shift
case "$mode" in
  run|test) ;;
  -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup.sh: unknown mode '$mode' (use: ./setup.sh [run|test])" >&2; exit 2 ;;
esac

packages=(
  cmake ninja-build pkg-config g++ clang-19 lld-19 llvm-19
  libdrm-dev libelf-dev libmsgpack-cxx-dev libcli11-dev nlohmann-json3-dev doctest-dev libopenblas-dev
  libvulkan-dev mesa-vulkan-drivers glslang-tools
  libegl-dev libgl-dev libepoxy-dev libegl-mesa0 libgl1-mesa-dri
  gnuplot-nox
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing missing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: installing packages needs root; run 'sudo $0 $mode' or install them yourself: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -q >/tmp/spork-apt-update.log 2>&1; then
    echo "setup.sh: 'apt-get update' failed (see /tmp/spork-apt-update.log); check the network and /etc/apt/sources.list" >&2
    exit 1
  fi
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    echo "setup.sh: could not install: ${missing[*]}. These are Debian 12 (bookworm) packages; check that 'apt-cache policy ${missing[0]}' shows a candidate and that /etc/apt/sources.list(.d) has bookworm main." >&2
    exit 1
  fi
fi

build=build
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ -n "${SPORK_SANITIZE:-}" ]; then
  build=build-asan
  cmake_args+=(-DSPORK_SANITIZE="$SPORK_SANITIZE")
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" "${cmake_args[@]}"
fi
cmake --build "$build"

if [ "$mode" = test ]; then
  exec ctest --test-dir "$build" --output-on-failure "$@"
fi
exec "$build/tools/spork" bench "$@"
