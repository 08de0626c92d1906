#!/usr/bin/env bash
# Per-thread CPU of samsad under the end-to-end workloads (issue 5, threading model; docs/architecture.md).
# Starts a samsad on loopback with a temporary data dir (like scripts/bench.sh), names its threads from gdb's
# backtraces when gdb is installed, then runs each workload REPS times under bench/e2e/thread_cpu.py, which samples
# /proc/PID/task/*/stat (utime+stime) before and after the run, and prints for each workload the medians of:
# throughput, each samsad thread's share of one core, the client's share, and the machine's /proc/stat split.
#
#   bash bench/e2e/threads.sh [BUILD_DIR (default build)] [REPS (default 3)]
# Environment: SAMSA_BENCH_PORT (default 29092), SAMSA_BENCH_SECONDS (produce duration, default 8),
#   SAMSA_PERF=1 also records `perf record -e cpu-clock -g -p PID` per workload (first rep) into $SAMSA_PERF_DIR
#   (default /tmp/samsa-perf): perf report -i FILE --no-children --sort sym.
#   SAMSA_BROKER_OPTS: extra samsad settings, space-separated key=value (e.g. "reactor.threads=1").
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${1:-build}; case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
REPS=${2:-3}
PORT=${SAMSA_BENCH_PORT:-29092}
SECS=${SAMSA_BENCH_SECONDS:-8}
SAMSAD=$BUILD/src/daemon/samsad
E2E=$BUILD/bench/samsa_e2e
PERF_DIR=${SAMSA_PERF_DIR:-/tmp/samsa-perf}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/samsa-threads.XXXXXX")
BROKER_PID=""
cleanup() { [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/data"
BROKER_OPTS=()
for kv in ${SAMSA_BROKER_OPTS:-}; do BROKER_OPTS+=(-o "$kv"); done
"$SAMSAD" -o "listeners=PLAINTEXT://127.0.0.1:$PORT" -o "log.dirs=$WORK/data" -o num.partitions=16 "${BROKER_OPTS[@]}" --log-level warn \
  >"$WORK/samsad.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

# Thread names: samsad's threads are unnamed, so name them from the frames of a one-off backtrace.
NAMES=$WORK/names.json
if command -v gdb >/dev/null; then
  timeout 60 gdb -p "$BROKER_PID" -batch -ex "thread apply all bt 16" 2>/dev/null | python3 -c '
import json, re, sys
frames, lwp = {}, None
for line in sys.stdin:
    m = re.match(r"Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)", line)
    if m: lwp = m.group(1); frames[lwp] = ""; continue
    if lwp is not None: frames[lwp] += line
names = {}
for lwp, text in frames.items():
    names[lwp] = "?"
    for pat, n in (("flush_scheduler::run", "flusher (fsync)"), ("reactors::start", "reactor shard 1+ (connections)"),
                   ("asio::detail::scheduler::run", "shard 0 (asio io_context)"),
                   ("deleter_loop", "segment deleter"), ("log_manager::start", "log manager (retention/flush timers)"),
                   ("recovery", "recovery pool")):
        if pat in text: names[lwp] = n; break
json.dump(names, sys.stdout)' >"$NAMES" || echo '{}' >"$NAMES"
else
  echo '{}' >"$NAMES"
fi

OUT=$WORK/runs.jsonl
: >"$OUT"
run() {  # label, samsa_e2e args...
  local label=$1; shift
  for i in $(seq 1 "$REPS"); do
    local perf_pid=""
    if [ "${SAMSA_PERF:-}" = 1 ] && [ "$i" = 1 ]; then
      mkdir -p "$PERF_DIR"
      perf record -q -e cpu-clock -g -p "$BROKER_PID" -o "$PERF_DIR/$label.data" >/dev/null 2>&1 &
      perf_pid=$!; sleep 0.5
    fi
    local topic_args=("$@")
    echo "threads: $label #$i: samsa_e2e ${topic_args[*]}" >&2
    python3 "$ROOT/bench/e2e/thread_cpu.py" "$BROKER_PID" -- "$E2E" "${topic_args[@]}" --brokers "127.0.0.1:$PORT" 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); d["label"]=sys.argv[1]; print(json.dumps(d))' "$label" >>"$OUT"
    if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  done
}
THR=(--partitions 16 --producers 2 --linger-ms 5 --batch-size 1048576 --duration "$SECS")
run produce_1k_acks1 produce --topic p1k "${THR[@]}" --size 1024 --acks 1
run consume_1k consume --topic p1k
run produce_1k_acksall produce --topic p1kall "${THR[@]}" --size 1024 --acks all

python3 - "$OUT" "$NAMES" <<'PY'
import json, statistics as st, sys
names = json.load(open(sys.argv[2]))
runs = {}
for line in open(sys.argv[1]):
    d = json.loads(line); runs.setdefault(d["label"], []).append(d)
tids = sorted({t for rs in runs.values() for r in rs for t in r["threads"]}, key=int)
med = lambda xs: st.median(xs) if xs else 0
print("| Workload | MB/s | " + " | ".join(f"samsad {names.get(t, 'thread ' + t)}" for t in tids) +
      " | client (librdkafka) | machine: user / system / softirq / idle % |")
print("|---" * (len(tids) + 4) + "|")
for label, rs in runs.items():
    mbs = med([json.loads(r["client_stdout"])["mb_per_s"] for r in rs])
    cells = [f"{med([r['threads'].get(t, {'core_share': 0})['core_share'] for r in rs]):.2f}" for t in tids]
    cl = med([r["client"]["core_share"] for r in rs])
    m = {k: med([r["machine_pct"][k] for r in rs]) for k in ("user", "system", "softirq", "idle")}
    print(f"| {label} (n={len(rs)}) | {mbs:,.0f} | " + " | ".join(cells) +
          f" | {cl:.2f} | {m['user']:.0f} / {m['system']:.0f} / {m['softirq']:.0f} / {m['idle']:.0f} |")
print()
print("Cells are medians of the share of one core (CPU seconds / wall seconds) over each run; the machine has "
      f"{__import__('os').cpu_count()} CPUs, so the ceiling for the whole machine is {__import__('os').cpu_count()}.00.")
for label, rs in runs.items():
    print(f"{label}: MB/s per run " + ", ".join(f"{json.loads(r['client_stdout'])['mb_per_s']:.0f}" for r in rs) +
          "; io+others core share per run " + ", ".join(f"{sum(v['core_share'] for v in r['threads'].values()):.2f}" for r in rs))
PY
