#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and starts a single-node Samsa broker on
# 127.0.0.1:9092 with embedded defaults (data under ./data). Arguments are passed to samsad (e.g. --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
SAMSA_BUILD_TARGETS="samsad" bash scripts/build.sh
exec ./build/src/daemon/samsad "$@"
