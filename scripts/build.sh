#!/usr/bin/env bash
# Configures and builds Samsa into build/ (Ninja, ccache when present). Extra arguments go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache share results between clones of the tree (paths are rewritten relative to it).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
BUILD_DIR=${SAMSA_BUILD_DIR:-build}
BUILD_TYPE=${SAMSA_BUILD_TYPE:-RelWithDebInfo}
extra=()
[ "${CI:-}" = "true" ] && extra+=(-DSAMSA_WERROR=ON)
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ "$#" -gt 0 ] || [ "${#extra[@]}" -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${extra[@]}" "$@" >/dev/null
fi
ninja -C "$BUILD_DIR" ${SAMSA_BUILD_TARGETS:-}
