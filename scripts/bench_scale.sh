#!/usr/bin/env bash
# Scaling benchmarks of issue 14 ("scale with work, not with configuration"), in one run on loopback, rounds
# alternated, medians reported beside the same run's baselines, written into docs/benchmarks.md ("## Scale"):
#   - 1,000 partitions vs 16: the same 1 KiB acks=1 produce spread over 1,000 partitions; goal >= 80 % of the
#     16-partition throughput;
#   - 50 producers vs 4: acks=all, 1 KiB, 16 partitions, the same 1,000 messages outstanding in all (4 x 250 vs
#     50 x 20); goal p99 delivery latency <= 2x;
#   - 10,000 idle client connections (bench/e2e/idle_conns.py, each after an ApiVersions exchange): broker RSS per
#     connection, goal <= 64 KiB; then the 16-partition produce and the 4-producer latency run beside them, goal no
#     slower than without them (throughput >= 90 %, p99 <= 1.5x), and every connection still answers afterwards.
#
#   bash scripts/bench_scale.sh
# Environment: SAMSA_BENCH_BUILD_DIR (default build-release, built by scripts/build.sh when absent), SAMSA_BENCH_PORT
#   (default 19192), SAMSA_BENCH_SECONDS (default 8), SAMSA_BENCH_REPS (default 3), SAMSA_BROKER_OPTS (extra samsad
#   key=value settings), SAMSA_BENCH_NOTE, SAMSA_BENCH_NO_DOC=1 (print only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${SAMSA_BENCH_PORT:-19192}
SECS=${SAMSA_BENCH_SECONDS:-8}
REPS=${SAMSA_BENCH_REPS:-3}
if [ -n "${SAMSA_BENCH_BUILD_DIR:-}" ]; then
  case "$SAMSA_BENCH_BUILD_DIR" in /*) BUILD=$SAMSA_BENCH_BUILD_DIR ;; *) BUILD=$ROOT/$SAMSA_BENCH_BUILD_DIR ;; esac
else
  BUILD=$ROOT/build-release
  [ -x "$BUILD/bench/samsa_e2e" ] || SAMSA_PRESET=release SAMSA_BUILD_TARGETS="samsad samsa_e2e" bash scripts/build.sh
fi
SAMSAD=$BUILD/src/daemon/samsad
E2E=$BUILD/bench/samsa_e2e
BROKER=127.0.0.1:$PORT
WORK=$(mktemp -d "${TMPDIR:-/tmp}/samsa-scale.XXXXXX")
BROKER_PID=""
IDLE_PID=""
cleanup() {
  [ -n "$IDLE_PID" ] && kill "$IDLE_PID" 2>/dev/null
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
ROUND=0
record() {
  python3 -c 'import json,sys; d=json.loads(sys.argv[2]); d["label"]=sys.argv[1]; d["round"]=int(sys.argv[3]); print(json.dumps(d))' \
    "$1" "$2" "$ROUND" >>"$RESULTS"
}

mkdir -p "$WORK/data"
BROKER_OPTS=()
for kv in ${SAMSA_BROKER_OPTS:-}; do BROKER_OPTS+=(-o "$kv"); done
# 10,000 connections need as many descriptors, beside the logs' own: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 12000 ] ||
  { echo "bench: needs 12,000 open files (ulimit -n is $(ulimit -n))" >&2; exit 1; }
(cd "$WORK" && exec "$SAMSAD" -o "listeners=PLAINTEXT://$BROKER" -o "log.dirs=$WORK/data" \
  -o num.partitions=16 "${BROKER_OPTS[@]}" --log-level warn >"$WORK/samsad.log" 2>&1) &
BROKER_PID=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$BROKER_PID" 2>/dev/null || { echo "bench: samsad exited:" >&2; cat "$WORK/samsad.log" >&2; exit 1; }
  sleep 0.1
done

run() {  # label, samsa_e2e args...
  local label=$1; shift
  echo "bench: $label: samsa_e2e $*" >&2
  record "$label" "$("$E2E" "$@" --brokers "$BROKER")"
}
THR=(--linger-ms 5 --batch-size 1048576 --duration "$SECS" --size 1024)
# A first run after start-up is faster than any later one (the page cache is empty); warm up, unrecorded.
echo "bench: warm-up" >&2
"$E2E" produce --topic warmup --partitions 16 --producers 2 --acks 1 "${THR[@]}" --brokers "$BROKER" >/dev/null
for i in $(seq 1 "$REPS"); do
  ROUND=$i
  run p16 produce --topic "p16-$i" --partitions 16 --producers 2 --acks 1 "${THR[@]}"
  run p1000 produce --topic "p1000-$i" --partitions 1000 --producers 2 --acks 1 "${THR[@]}"
  run lat4 produce --topic "l4-$i" --partitions 16 --producers 4 --max-outstanding 250 --acks all "${THR[@]}"
  run lat50 produce --topic "l50-$i" --partitions 16 --producers 50 --max-outstanding 20 --acks all "${THR[@]}"
done

# 10,000 idle connections, then the baseline workloads beside them.
echo "bench: opening 10,000 idle connections" >&2
mkfifo "$WORK/idle.in"
python3 "$ROOT/bench/e2e/idle_conns.py" "$BROKER" "$BROKER_PID" 10000 <"$WORK/idle.in" >"$WORK/idle.out" &
IDLE_PID=$!
exec 4>"$WORK/idle.in"
for _ in $(seq 1 600); do [ -s "$WORK/idle.out" ] && break; kill -0 "$IDLE_PID" || break; sleep 0.5; done
ROUND=0
record idle "$(head -1 "$WORK/idle.out")"
for i in $(seq 1 "$REPS"); do
  ROUND=$i
  run p16_idle produce --topic "p16i-$i" --partitions 16 --producers 2 --acks 1 "${THR[@]}"
  run lat4_idle produce --topic "l4i-$i" --partitions 16 --producers 4 --max-outstanding 250 --acks all "${THR[@]}"
done
exec 4>&-
wait "$IDLE_PID"
IDLE_PID=""
ROUND=0
record idle_after "$(tail -1 "$WORK/idle.out")"

TABLE=$WORK/table.md
python3 - "$RESULTS" "$TABLE" "${SAMSA_BENCH_NOTE:-}" "${SAMSA_BROKER_OPTS:-}" <<'PY'
import json, os, statistics, subprocess, sys, time
runs = {}
for line in open(sys.argv[1]):
    d = json.loads(line); runs.setdefault(d["label"], []).append(d)
med = lambda k, f: statistics.median(d[f] for d in runs[k])
vals = lambda k, f, fmt: ", ".join(fmt.format(d[f]) for d in runs[k])
idle = runs["idle"][0]; after = runs["idle_after"][0]
p16, p1000, p16i = med("p16", "mb_per_s"), med("p1000", "mb_per_s"), med("p16_idle", "mb_per_s")
l4, l50, l4i = med("lat4", "p99_us") / 1e3, med("lat50", "p99_us") / 1e3, med("lat4_idle", "p99_us") / 1e3
rows = [
    ("Produce 1 KiB acks=1 over 1,000 partitions vs 16 (2 producers)", f"{p1000:,.0f} vs {p16:,.0f} MB/s",
     f"{p1000 / p16:.0%}", "≥ 80 %", p1000 / p16 >= 0.8),
    ("acks=all p99 delivery latency, 50 producers × 20 outstanding vs 4 × 250", f"{l50:,.1f} vs {l4:,.1f} ms",
     f"{l50 / l4:.2f}×", "≤ 2×", l50 / l4 <= 2),
    ("Broker RSS per idle connection (10,000 open, ApiVersions done)",
     f"{idle['kib_per_connection']:.1f} KiB ({idle['rss_before_kib'] / 1024:,.0f} → {idle['rss_after_kib'] / 1024:,.0f} MiB)",
     "—", "≤ 64 KiB", idle["kib_per_connection"] <= 64),
    ("Produce 1 KiB acks=1 beside 10,000 idle connections vs without", f"{p16i:,.0f} vs {p16:,.0f} MB/s",
     f"{p16i / p16:.0%}", "≥ 90 %", p16i / p16 >= 0.9),
    ("acks=all p99 (4 producers) beside 10,000 idle connections vs without", f"{l4i:,.1f} vs {l4:,.1f} ms",
     f"{l4i / l4:.2f}×", "≤ 1.5×", l4i / l4 <= 1.5),
    ("Idle connections still answering ApiVersions after the runs", f"{after['still_open']:,} of {idle['connections']:,}",
     "—", "all", after["still_open"] == idle["connections"]),
]
sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
out = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `scripts/bench_scale.sh` at commit "
       f"`{sh('git rev-parse --short HEAD')}` on {os.cpu_count()} CPUs, medians of {len(runs['p16'])} alternated rounds"
       + (f", samsad with `{sys.argv[4]}`" if sys.argv[4] else "") + ".", "",
       "| Workload | Samsa | Ratio | Goal (issue 14) | Met |", "|---|---|---|---|---|"]
out += [f"| {w} | {s} | {r} | {g} | {'yes' if ok else 'no'} |" for w, s, r, g, ok in rows]
out.append("")
for k in ("p16", "p1000", "p16_idle"):
    out.append(f"Runs, {k}: " + vals(k, "mb_per_s", "{:,.0f}") + " MB/s.")
for k in ("lat4", "lat50", "lat4_idle"):
    out.append(f"Runs, {k}: p99 " + vals(k, "p99_us", "{:,.0f}") + " µs, p50 " + vals(k, "p50_us", "{:,.0f}") + " µs.")
if sys.argv[3]: out += ["", sys.argv[3]]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
cat "$TABLE"
if [ "${SAMSA_BENCH_NO_DOC:-}" != "1" ]; then
  python3 - "$ROOT/docs/benchmarks.md" "$TABLE" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
intro = ("How to reproduce: `bash scripts/bench_scale.sh` (a single-node samsad on loopback with a temporary data "
         "dir; `samsa_e2e` runs as in the End to end section; `bench/e2e/idle_conns.py` holds the idle connections). "
         "Latency is librdkafka's delivery latency (produce call to delivery report), so it includes the client's "
         "queueing.\n\n")
section = "## Scale (issue 14)\n\n" + intro + table
text = open(path).read()
m = re.search(r"^## Scale \(issue 14\)\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
text = text[:m.start()] + section + ("\n" if text[m.end():] else "") + text[m.end():] if m else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
print(f"bench: wrote the Scale section of {path}", file=sys.stderr)
PY
fi
