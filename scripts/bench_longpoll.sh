#!/usr/bin/env bash
# The many-partition long-poll benchmark (issue 13): 1,000 partitions, 200 parked fetches (5 partitions each), one
# producer appending 2,000 single-record batches per second to the partitions in turn. Reports the broker's CPU per
# append, which measures what an append's wake-up costs. Compare builds back to back on the same machine:
#
#   bash scripts/bench_longpoll.sh build-release /path/to/old/build-release
#
# Each build's samsad runs in turn (REPS rounds, alternated) on a fresh data dir; samsa_longpoll comes from the
# first build. Environment: SAMSA_BENCH_PORT (default 19192), SAMSA_BENCH_SECONDS (default 10), SAMSA_BENCH_REPS
# (default 3), LONGPOLL_PARTITIONS / LONGPOLL_FETCHERS / LONGPOLL_RATE.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${SAMSA_BENCH_PORT:-19192}
SECS=${SAMSA_BENCH_SECONDS:-10}
REPS=${SAMSA_BENCH_REPS:-3}
PARTS=${LONGPOLL_PARTITIONS:-1000}
FETCHERS=${LONGPOLL_FETCHERS:-200}
RATE=${LONGPOLL_RATE:-2000}
[ $# -ge 1 ] || set -- build-release
BUILDS=()
for b in "$@"; do case "$b" in /*) BUILDS+=("$b") ;; *) BUILDS+=("$ROOT/$b") ;; esac; done
TOOL=${BUILDS[0]}/bench/samsa_longpoll
[ -x "$TOOL" ] || { echo "bench_longpoll: no $TOOL (build the samsa_longpoll target)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/samsa-longpoll.XXXXXX")
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
for rep in $(seq 1 "$REPS"); do
  for b in "${BUILDS[@]}"; do
    rm -rf "$WORK/data"
    mkdir -p "$WORK/data"
    "$b/src/daemon/samsad" -o "listeners=PLAINTEXT://127.0.0.1:$PORT" -o "log.dirs=$WORK/data" --log-level warn \
      >"$WORK/samsad.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    out=$("$TOOL" --broker "127.0.0.1:$PORT" --partitions "$PARTS" --fetchers "$FETCHERS" --rate "$RATE" \
      --seconds "$SECS" --pid "$PID")
    echo "$b round $rep: $out"
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  done
done
