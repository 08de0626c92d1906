#!/usr/bin/env bash
# Replication benchmark (issue 7, "Benchmarks"): three samsad processes on loopback (one machine), in one run:
#   * produce 1 KiB acks=all to a replication-factor-1 topic and to a replication-factor-3 topic
#     (min.insync.replicas=2), alternated in rounds; goal: RF3 throughput >= 30 % of RF1;
#   * one request in flight (1 KiB, acks=all, linger 0) to an RF3 partition: delivery latency p50/p99 beside fio's
#     write+fdatasync p99 measured in the same run (the leader fsyncs every acks=all batch).
# Writes the "## Replication" section of docs/benchmarks.md (SAMSA_BENCH_NO_DOC=1: print only).
#   SAMSA_BENCH_BUILD_DIR  binaries from this build dir (default: build-release/, built here)
#   SAMSA_BENCH_SECS       seconds per produce run (default 8); SAMSA_BENCH_REPS rounds (default 3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECS=${SAMSA_BENCH_SECS:-8}
REPS=${SAMSA_BENCH_REPS:-3}
command -v fio >/dev/null || { echo "bench: installing fio" >&2; sudo apt-get install -y -qq fio >/dev/null; }
if [ -n "${SAMSA_BENCH_BUILD_DIR:-}" ]; then
  BUILD=$(cd "$SAMSA_BENCH_BUILD_DIR" && pwd)
else
  SAMSA_PRESET=release SAMSA_BUILD_TARGETS="samsad samsa_e2e" bash scripts/build.sh
  BUILD=$ROOT/build-release
fi
SAMSAD=$BUILD/src/daemon/samsad
E2E=$BUILD/bench/samsa_e2e
WORK=$(mktemp -d "${SAMSA_BENCH_DATA:-${TMPDIR:-/tmp}}/samsa-repl-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
record() { python3 -c 'import json,sys; d=json.loads(sys.argv[2]); d["label"]=sys.argv[1]; print(json.dumps(d))' "$1" "$2" >>"$RESULTS"; }

CLIENT_BASE=${SAMSA_BENCH_PORT:-19192}
QUORUM_BASE=$((CLIENT_BASE + 10))
voters="1@127.0.0.1:$QUORUM_BASE,2@127.0.0.1:$((QUORUM_BASE + 1)),3@127.0.0.1:$((QUORUM_BASE + 2))"
for i in 1 2 3; do
  mkdir -p "$WORK/node$i"
  (cd "$WORK" && exec "$SAMSAD" -o node.id=$i -o "controller.quorum.voters=$voters" \
    -o "listeners=PLAINTEXT://127.0.0.1:$((CLIENT_BASE + i - 1)),CONTROLLER://127.0.0.1:$((QUORUM_BASE + i - 1))" \
    -o "log.dirs=$WORK/node$i" --log-level warn >"$WORK/node$i.log" 2>&1) &
  PIDS+=("$!")
done
BROKERS="127.0.0.1:$CLIENT_BASE,127.0.0.1:$((CLIENT_BASE + 1)),127.0.0.1:$((CLIENT_BASE + 2))"
for i in 0 1 2; do
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$((CLIENT_BASE + i))") 2>/dev/null && break; sleep 0.1; done
done

fio_sync() {
  local out
  out=$(fio --name=fsync --directory="$WORK" --filename=fio.dat --rw=write --bs=1M --ioengine=psync --size=1G \
    --fdatasync=1 --runtime=5 --time_based=0 --output-format=json)
  rm -f "$WORK/fio.dat"
  record fio_fdatasync "$(python3 -c '
import json,sys
j=json.load(sys.stdin)["jobs"][0]; s=j.get("sync",{}).get("lat_ns",{}).get("percentile",{})
print(json.dumps({"mb_per_s": j["write"]["bw_bytes"]/1e6, "sync_p99_us": s.get("99.000000",0)/1e3}))' <<<"$out")"
}
run() {  # label, samsa_e2e args...
  local label=$1; shift
  echo "bench: $label: samsa_e2e $*" >&2
  record "$label" "$("$E2E" "$@" --brokers "$BROKERS")"
}
THR=(--partitions 16 --producers 2 --linger-ms 5 --batch-size 1048576 --duration "$SECS" --size 1024 --acks all)
for i in $(seq 1 "$REPS"); do
  fio_sync
  run rf1 produce --topic "rf1-$i" --replication-factor 1 "${THR[@]}"
  run rf3 produce --topic "rf3-$i" --replication-factor 3 --min-insync-replicas 2 "${THR[@]}"
  run rf3_latency produce --topic "rf3lat-$i" --replication-factor 3 --min-insync-replicas 2 --partitions 1 \
    --size 1024 --acks all --linger-ms 0 --max-in-flight 1 --max-outstanding 1 --duration "$SECS"
done

TABLE=$WORK/table.md
python3 - "$RESULTS" "$TABLE" <<'PY'
import json, os, statistics, subprocess, sys, time
runs = {}
for line in open(sys.argv[1]):
    d = json.loads(line); runs.setdefault(d["label"], []).append(d)
med = lambda k, f: statistics.median(d[f] for d in runs[k])
rf1, rf3 = med("rf1", "mb_per_s"), med("rf3", "mb_per_s")
ratio = rf3 / rf1
sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
out = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `scripts/bench_replication.sh` at commit "
       f"`{sh('git rev-parse --short HEAD')}`: 3 samsad processes on one machine ({os.cpu_count()} CPUs), medians of "
       f"{len(runs['rf1'])} rounds; produce runs: 2 producers, 16 partitions, 1 KiB, acks=all, linger.ms 5, {os.environ.get('SAMSA_BENCH_SECS', '8')} s.",
       "",
       "| Workload | Samsa | Reference (same run) | Ratio | Goal (issue 7) | Met |",
       "|---|---|---|---|---|---|",
       f"| Produce acks=all, replication factor 3 (min.insync.replicas 2) | {rf3:,.0f} MB/s ({med('rf3', 'msgs_per_s'):,.0f} msg/s) "
       f"| replication factor 1: {rf1:,.0f} MB/s | {ratio:.0%} | ≥ 30 % of RF 1 | {'yes' if ratio >= 0.30 else 'no'} |",
       f"| One request in flight, RF 3, acks=all, linger 0 | p50 {med('rf3_latency', 'p50_us')/1e3:.2f} ms, p99 {med('rf3_latency', 'p99_us')/1e3:.2f} ms "
       f"| fio 1 MiB write+fdatasync p99 {med('fio_fdatasync', 'sync_p99_us')/1e3:.2f} ms | — | reported | — |",
       "",
       "Delivery latency under load: RF 1 p99 %.1f ms, RF 3 p99 %.1f ms." % (med("rf1", "p99_us")/1e3, med("rf3", "p99_us")/1e3),
       "Runs (MB/s): RF 1 " + ", ".join(f"{d['mb_per_s']:,.0f}" for d in runs["rf1"]) + "; RF 3 " +
       ", ".join(f"{d['mb_per_s']:,.0f}" for d in runs["rf3"]) + "."]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
echo; cat "$TABLE"
if [ "${SAMSA_BENCH_NO_DOC:-}" != "1" ]; then
  python3 - "$ROOT/docs/benchmarks.md" "$TABLE" <<'PY'
import re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
section = ("## Replication\n\nHow to reproduce: `bash scripts/bench_replication.sh` (3 local brokers; see the script's "
           "header). The three processes share the machine's 2 cores with the two producer threads, so replication "
           "factor 3 does three times the disk writes and the follower fetches on the same CPUs.\n\n" + table)
text = open(path).read()
m = re.search(r"^## Replication\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
text = text[:m.start()] + section + ("\n" if text[m.end():] else "") + text[m.end():] if m else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
print(f"bench: wrote the Replication section of {path}", file=sys.stderr)
PY
fi
