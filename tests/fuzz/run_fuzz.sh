#!/usr/bin/env bash
# Run by CTest: replays the checked-in corpus of a libFuzzer target, then fuzzes it for a short fixed time.
# Usage: run_fuzz.sh <target> <seconds> [extra corpus dir...]. Skips (77) when the fuzz build is absent.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target=$1; seconds=$2; shift 2
bin="$root/build-fuzz/tests/fuzz/$target"
if [ ! -x "$bin" ]; then
  echo "fuzz build missing ($bin): run scripts/fuzz.sh --build-only" >&2
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# New inputs go to a scratch dir; the checked-in corpus is read only. A crash leaves its input in the log.
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work" "$root/tests/fuzz/corpus/$target" "$@" 2>&1 | tail -n 25
exit "${PIPESTATUS[0]}"
