#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + ASan/UBSan into build-fuzz/. With --build-only it stops there (CTest
# then replays the checked-in corpus and fuzzes each target for a short fixed time); otherwise it fuzzes one
# target for the given seconds: scripts/fuzz.sh <target> <seconds>.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache share results between clones of the tree (paths are rewritten relative to it).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; run scripts/setup.sh" >&2
  exit 1
fi
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSAMSA_FUZZ=ON -DSAMSA_TESTS=OFF -DSAMSA_BENCH=OFF >/dev/null
fi
ninja -C build-fuzz fuzz_request_decode fuzz_record_batch
[ "${1:-}" = "--build-only" ] && exit 0
target=${1:?target}
seconds=${2:-60}
mkdir -p "build-fuzz/corpus/$target"
exec "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target"
