#!/usr/bin/env bash
# The README's second command: installs what is missing, builds everything, runs every test (unit,
# integration with real Kafka clients against real samsad processes, fuzz-corpus replay plus a short fuzzing
# run), and ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ "${SAMSA_SKIP_FUZZ:-0}" != "1" ]; then
  bash scripts/fuzz.sh --build-only
fi
cd build
exec ctest --output-on-failure --timeout 600 -j "${SAMSA_TEST_JOBS:-2}" "$@"
