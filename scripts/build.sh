#!/usr/bin/env bash
# Configures and builds Samsa (Ninja, ccache when present). Presets, chosen with SAMSA_PRESET:
#   (unset)   build/        RelWithDebInfo, what run.sh and test.sh use
#   release   build-release/ Release
#   debug     build-debug/   Debug
#   asan      build-asan/    Debug with AddressSanitizer + UndefinedBehaviorSanitizer
# Extra arguments go to CMake. In CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache share results between clones of the tree (paths are rewritten relative to it).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
preset_args=()
case "${SAMSA_PRESET:-}" in
  "") BUILD_DIR=${SAMSA_BUILD_DIR:-build}; preset_args+=(-DCMAKE_BUILD_TYPE=${SAMSA_BUILD_TYPE:-RelWithDebInfo}) ;;
  release) BUILD_DIR=build-release; preset_args+=(-DCMAKE_BUILD_TYPE=Release) ;;
  debug) BUILD_DIR=build-debug; preset_args+=(-DCMAKE_BUILD_TYPE=Debug) ;;
  asan) BUILD_DIR=build-asan; preset_args+=(-DCMAKE_BUILD_TYPE=Debug -DSAMSA_SANITIZE=ON -DSAMSA_BENCH=OFF) ;;
  *) echo "unknown SAMSA_PRESET '${SAMSA_PRESET}' (release, debug, asan)" >&2; exit 2 ;;
esac
[ "${CI:-}" = "true" ] && preset_args+=(-DSAMSA_WERROR=ON)
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ "$#" -gt 0 ] || [ "${CI:-}" = "true" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja "${preset_args[@]}" "$@" >/dev/null
fi
ninja -C "$BUILD_DIR" ${SAMSA_BUILD_TARGETS:-}
