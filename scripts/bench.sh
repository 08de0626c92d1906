#!/usr/bin/env bash
# End-to-end benchmarks (issue 5, "Benchmarks"). In one run: builds Release (build-release/, via build.sh), starts a
# samsad on loopback with a temporary data dir, measures the machine's references (iperf3 loopback single stream; fio
# 1 MiB buffered write and 1 MiB write+fdatasync on the broker's data filesystem) and our workloads with
# build-release/bench/samsa_e2e, prints a table (ours, reference, ratio, goal) and writes it into docs/benchmarks.md,
# replacing only the "## End to end" section. Beside every produce run it measures the floor (build-release/bench/
# samsa_floor: loopback read + CRC-32C + pwrite, with and without fdatasync per MiB) and samsad's own CPU time
# (utime + stime from /proc/PID/stat before and after), so CPU per GB is reported as a ratio to the floor of the same
# round; the acks=all latency run has Redis 7 (appendfsync always, XADD of 1 KiB, one client) beside it.
# Takes about 5-8 minutes.
#
# Environment:
#   SAMSA_BENCH_BUILD_DIR  use binaries from this build dir instead of building build-release/ (e.g. build-e2e)
#   SAMSA_BENCH_DATA       parent of the temporary data dir (default: $TMPDIR or /tmp)
#   SAMSA_BENCH_PORT       broker port (default 19092)
#   SAMSA_BENCH_SECONDS    duration of each produce run (default 8)
#   SAMSA_BENCH_REPS       runs of each workload and reference, alternated; the table shows medians (default 3)
#   SAMSA_BENCH_NOTE       text added under the table (e.g. "shared VM, other builds running")
#   SAMSA_BENCH_NO_DOC=1   print the table only, leave docs/benchmarks.md alone
#   SAMSA_BROKER_OPTS      extra samsad settings, space-separated key=value (e.g. "reactor.threads=1")
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${SAMSA_BENCH_PORT:-19092}
SECS=${SAMSA_BENCH_SECONDS:-8}
REPS=${SAMSA_BENCH_REPS:-3}
IPERF_PORT=$((PORT + 1))

# Benchmark-only tools (not part of setup.sh / the test command).
missing=()
command -v iperf3 >/dev/null || missing+=(iperf3)
command -v fio >/dev/null || missing+=(fio)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null ||
    { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

if [ -n "${SAMSA_BENCH_BUILD_DIR:-}" ]; then
  case "$SAMSA_BENCH_BUILD_DIR" in /*) BUILD=$SAMSA_BENCH_BUILD_DIR ;; *) BUILD=$ROOT/$SAMSA_BENCH_BUILD_DIR ;; esac
  [ -x "$BUILD/src/daemon/samsad" ] && [ -x "$BUILD/bench/samsa_e2e" ] && [ -x "$BUILD/bench/samsa_floor" ] ||
    { echo "bench: no binaries in $BUILD" >&2; exit 1; }
else
  SAMSA_PRESET=release SAMSA_BUILD_TARGETS="samsad samsa_e2e samsa_floor" bash scripts/build.sh
  BUILD=$ROOT/build-release
fi
SAMSAD=$BUILD/src/daemon/samsad
E2E=$BUILD/bench/samsa_e2e
FLOOR=$BUILD/bench/samsa_floor
REDIS_PORT=$((PORT + 2))
BROKER=127.0.0.1:$PORT

WORK=$(mktemp -d "${SAMSA_BENCH_DATA:-${TMPDIR:-/tmp}}/samsa-bench.XXXXXX")
BROKER_PID=""
IPERF_PID=""
REDIS_PID=""
cleanup() {
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  [ -n "$IPERF_PID" ] && kill "$IPERF_PID" 2>/dev/null && wait "$IPERF_PID" 2>/dev/null
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

# --- references ---------------------------------------------------------------------------------------------------
iperf_ref() {
echo "bench: iperf3 loopback, 1 stream, 5 s" >&2
iperf3 -s -1 -p "$IPERF_PORT" >/dev/null 2>&1 &
IPERF_PID=$!
sleep 0.5
iperf_json=$(iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -P 1 -t 5 -J)
wait "$IPERF_PID" 2>/dev/null || true
IPERF_PID=""
record iperf3 "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"mb_per_s": d["end"]["sum_received"]["bits_per_second"]/8e6}))' <<<"$iperf_json")"
}

mkdir -p "$WORK/data"
fio_ref() {  # label, extra fio args...
  local label=$1; shift
  local out
  out=$(fio --name="$label" --directory="$WORK/data" --filename=fio.dat --rw=write --bs=1M --ioengine=psync \
    --output-format=json "$@")
  rm -f "$WORK/data/fio.dat"
  record "$label" "$(python3 -c '
import json,sys
j=json.load(sys.stdin)["jobs"][0]
w=j["write"]; s=j.get("sync",{}).get("lat_ns",{}).get("percentile",{})
print(json.dumps({"mb_per_s": w["bw_bytes"]/1e6, "sync_p99_us": s.get("99.000000",0)/1e3}))' <<<"$out")"
}
# The floor of the produce path, beside each produce run (its cost moves with the page cache's state).
floor_ref() {  # label, samsa_floor args...
  local label=$1; shift
  record "$label" "$("$FLOOR" --dir "$WORK/data" "$@")"
}
# Redis 7 with appendfsync always, one client, XADD of 1 KiB: the fsync-bound latency floor of acks=all.
redis_ref() {
  mkdir -p "$WORK/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --appendonly yes --appendfsync always --save "" \
    --dir "$WORK/redis" >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  local payload csv
  payload=$(head -c 1024 /dev/zero | tr '\0' x)
  csv=$(redis-benchmark -p "$REDIS_PORT" -c 1 -n 3000 --csv XADD samsa-lat '*' f "$payload" | tail -1)
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$REDIS_PID" 2>/dev/null
  wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=""
  rm -rf "$WORK/redis"
  record redis_always "$(python3 -c '
import csv,json,sys
f=next(csv.reader([sys.argv[1]]))
print(json.dumps({"p50_us": float(f[4])*1e3, "p99_us": float(f[6])*1e3, "rps": float(f[1])}))' "$csv")"
}
for i in $(seq 1 "$REPS"); do
  ROUND=$i
  iperf_ref
  echo "bench: fio 1 MiB buffered write (1 GiB) and 1 MiB write+fdatasync (5 s) in $WORK/data (#$i)" >&2
  fio_ref fio_buffered --size=1G
  fio_ref fio_fdatasync --size=1G --fdatasync=1 --runtime=5 --time_based=0
done

# --- broker -------------------------------------------------------------------------------------------------------
BROKER_OPTS=()
for kv in ${SAMSA_BROKER_OPTS:-}; do BROKER_OPTS+=(-o "$kv"); done
(cd "$WORK" && exec "$SAMSAD" -o "listeners=PLAINTEXT://$BROKER" -o "log.dirs=$WORK/data" -o num.partitions=16 "${BROKER_OPTS[@]}" \
  --log-level warn >"$WORK/samsad.log" 2>&1) &
BROKER_PID=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$BROKER_PID" 2>/dev/null || { echo "bench: samsad exited:" >&2; cat "$WORK/samsad.log" >&2; exit 1; }
  sleep 0.1
done

# samsad's CPU time so far (user + system), in seconds.
CLK_TCK=$(getconf CLK_TCK)
broker_cpu() { awk -v hz="$CLK_TCK" '{ print ($14 + $15) / hz }' "/proc/$BROKER_PID/stat"; }
run() {  # label, samsa_e2e args...
  local label=$1; shift
  echo "bench: $label: samsa_e2e $*" >&2
  local out before after
  before=$(broker_cpu)
  out=$("$E2E" "$@" --brokers "$BROKER")
  after=$(broker_cpu)
  record "$label" "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["broker_cpu_s"]=float(sys.argv[3])-float(sys.argv[2]); print(json.dumps(d))' \
    "$out" "$before" "$after")"
}
THR=(--partitions 16 --producers 2 --linger-ms 5 --batch-size 1048576 --duration "$SECS")
# Each round produces to a fresh topic (the consume run reads that round's 1 KiB topic), so rounds are alike.
for i in $(seq 1 "$REPS"); do
  ROUND=$i
  echo "bench: floor: samsa_floor 1 GiB, and 256 MiB with fdatasync per MiB (#$i)" >&2
  # Memory freed a moment ago is cheap to write into and memory free for seconds is not (free page reporting, see
  # bench/e2e/floor.cc): let it settle before the floor and before the broker, and let the floor keep its files
  # (as the broker keeps its log) until both have run.
  sleep 3
  floor_ref floor --bytes 1073741824 --keep
  floor_ref floor_fdatasync --bytes 268435456 --fdatasync --keep
  rm -f "$WORK"/data/samsa-floor-*.dat
  sleep 3
  run produce_1k_acks1 produce --topic "p1k-$i" "${THR[@]}" --size 1024 --acks 1
  run consume_1k consume --topic "p1k-$i"
  run consume_1k_10mib consume --topic "p1k-$i" --set max.partition.fetch.bytes=10485760
  run produce_1k_acksall produce --topic "p1kall-$i" "${THR[@]}" --size 1024 --acks all
  run produce_100b produce --topic "p100-$i" "${THR[@]}" --size 100 --acks 1
  run one_in_flight produce --topic "lat-$i" --partitions 1 --size 1024 --acks all --linger-ms 0 --max-in-flight 1 \
    --max-outstanding 1 --duration "$SECS"
  echo "bench: redis-server appendfsync always, XADD 1 KiB, 1 client (#$i)" >&2
  redis_ref
done

# --- table --------------------------------------------------------------------------------------------------------
TABLE=$WORK/table.md
NOTE=${SAMSA_BENCH_NOTE:-}
FSTYPE=$(df -T "$WORK/data" | awk 'NR==2 {print $2}')
python3 - "$RESULTS" "$TABLE" "$NOTE" "$FSTYPE" <<'EOF'
import json, os, platform, statistics, subprocess, sys, time
runs = {}
for line in open(sys.argv[1]):
    d = json.loads(line); runs.setdefault(d["label"], []).append(d)
# Medians over the runs of each workload/reference, field by field.
r = {k: {f: statistics.median(d[f] for d in v) for f in v[0] if isinstance(v[0][f], (int, float)) and not isinstance(v[0][f], bool)}
     for k, v in runs.items()}
n_runs = min(len(v) for v in runs.values())
ip = r["iperf3"]["mb_per_s"]; buf = r["fio_buffered"]["mb_per_s"]; fs = r["fio_fdatasync"]
p1, pall, p100, c, lat = (r[k] for k in ("produce_1k_acks1", "produce_1k_acksall", "produce_100b", "consume_1k", "one_in_flight"))
# Ratios to a floor are taken round by round (the floor beside the run it is compared with), then the median.
by_round = {}
for k, v in runs.items():
    for d in v: by_round.setdefault(d["round"], {})[k] = d
def gb(d): return (d["payload_bytes"] if "payload_bytes" in d else d["messages"] * d["size"]) / 1e9
def cpu_gb(d): return d["broker_cpu_s"] / gb(d) if gb(d) > 0 else float("nan")
def per_round(f):
    vals = []
    for i, rr in sorted(by_round.items()):
        try: vals.append(f(rr))
        except (KeyError, ZeroDivisionError): pass
    return vals
def med(vals): return statistics.median(vals) if vals else float("nan")
def rng(vals, fmt): return "–".join(fmt.format(x) for x in (min(vals), max(vals))) if vals else "?"
cpu1 = per_round(lambda rr: cpu_gb(rr["produce_1k_acks1"]))
cpuall = per_round(lambda rr: cpu_gb(rr["produce_1k_acksall"]))
cpuc = per_round(lambda rr: cpu_gb(rr["consume_1k"]))
fl = per_round(lambda rr: rr["floor"]["cpu_s_per_gb"])
flsync = per_round(lambda rr: rr["floor_fdatasync"]["cpu_s_per_gb"])
ratio1 = per_round(lambda rr: cpu_gb(rr["produce_1k_acks1"]) / rr["floor"]["cpu_s_per_gb"])
ratioall = per_round(lambda rr: cpu_gb(rr["produce_1k_acksall"]) / rr["floor_fdatasync"]["cpu_s_per_gb"])
us100 = per_round(lambda rr: rr["produce_100b"]["broker_cpu_s"] / rr["produce_100b"]["messages"] * 1e6)
redis = r["redis_always"]
latratio = per_round(lambda rr: rr["one_in_flight"]["p99_us"] / rr["redis_always"]["p99_us"])
def mb(x): return f"{x:,.0f} MB/s"
def cpu(x): return f"{x:.2f} CPU-s/GB"
rows = [
  ("Produce 1 KiB, acks=1, 16 partitions, 2 producers: throughput", f"{mb(p1['mb_per_s'])} ({p1['msgs_per_s']:,.0f} msg/s)",
   f"iperf3 1 stream {mb(ip)}", f"{p1['mb_per_s']/ip:.0%}", "≥ 40 % of iperf3", p1['mb_per_s']/ip >= 0.40),
  ("Produce 1 KiB, acks=1: broker CPU per GB", f"{cpu(med(cpu1))} ({rng(cpu1, '{:.2f}')})",
   f"floor (read + CRC-32C + pwrite) {cpu(med(fl))} ({rng(fl, '{:.2f}')})", f"{med(ratio1):.2f}× ({rng(ratio1, '{:.2f}')})",
   "≤ 1.5× floor", med(ratio1) <= 1.5),
  ("Produce 1 KiB, acks=all (fsync), 16 partitions: throughput", f"{mb(pall['mb_per_s'])} ({pall['msgs_per_s']:,.0f} msg/s)",
   f"acks=1 {mb(p1['mb_per_s'])}; fio 1 MiB write+fdatasync {mb(fs['mb_per_s'])}",
   f"{pall['mb_per_s']/p1['mb_per_s']:.2f}× acks=1", "≥ 0.6× acks=1 (issue 5)", pall['mb_per_s']/p1['mb_per_s'] >= 0.6),
  ("Produce 1 KiB, acks=all: broker CPU per GB", f"{cpu(med(cpuall))} ({rng(cpuall, '{:.2f}')})",
   f"floor with fdatasync per MiB {cpu(med(flsync))} ({rng(flsync, '{:.2f}')})", f"{med(ratioall):.2f}× ({rng(ratioall, '{:.2f}')})",
   "≤ 2.5× floor", med(ratioall) <= 2.5),
  ("Produce 100 B, acks=1, 16 partitions, 2 producers", f"{p100['msgs_per_s']:,.0f} msg/s; {med(us100):.2f} µs broker CPU per record ({rng(us100, '{:.2f}')})",
   "—", "—", "≤ 0.2 µs per record", med(us100) <= 0.2),
  ("Consume 1 KiB from page cache, 16 partitions, 1 consumer", f"{mb(c['mb_per_s'])} ({c['msgs_per_s']:,.0f} msg/s); {cpu(med(cpuc))}",
   f"iperf3 1 stream {mb(ip)}", f"{c['mb_per_s']/ip:.0%}", "≥ 60 % of iperf3", c['mb_per_s']/ip >= 0.60),
  ("One request in flight, 1 KiB, acks=all (fsync), linger 0", f"p99 {lat['p99_us']/1e3:.2f} ms (p50 {lat['p50_us']/1e3:.2f}, p99.9 {lat['p999_us']/1e3:.2f})",
   f"Redis 7 appendfsync always, XADD 1 KiB, 1 client: p99 {redis['p99_us']/1e3:.2f} ms (p50 {redis['p50_us']/1e3:.2f})",
   f"{med(latratio):.2f}× ({rng(latratio, '{:.2f}')})", "p99 ≤ 1.5× Redis", med(latratio) <= 1.5),
]
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return "?"
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
out = []
out.append(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `scripts/bench.sh` at commit "
           f"`{sh('git rev-parse --short HEAD')}`: {os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}, "
           f"load average at the end {' '.join(open('/proc/loadavg').read().split()[:3])}. Every figure is the median of {n_runs} runs "
           f"(workloads and references alternated in rounds). References were measured in the same run; "
           f"the broker's data dir and fio's file were on the same filesystem ({sys.argv[4]}).")
out.append("")
out.append("| Workload | Samsa | Reference (same run) | Ratio | Goal (issue 14) | Met |")
out.append("|---|---|---|---|---|---|")
for w, ours, ref, ratio, goal, ok in rows:
    out.append(f"| {w} | {ours} | {ref} | {ratio} | {goal} | {'yes' if ok else 'no'} |")
out.append("")
out.append(f"Other references: fio 1 MiB buffered write {mb(buf)}; fio 1 MiB write+fdatasync {mb(fs['mb_per_s'])} "
           f"(p99 fdatasync {fs['sync_p99_us']/1e3:.2f} ms). CPU per GB counts samsad's user + system time over the whole "
           f"run (topic creation and the drain included) per GB of payload; ratios are taken round by round against "
           f"the floor measured just before, then the median (range in brackets).")
for k in ("produce_1k_acks1", "produce_1k_acksall", "produce_100b"):
    d = r[k]
    out.append(f"Delivery latency under load, {k}: p50 {d['p50_us']/1e3:.1f} ms, p99 {d['p99_us']/1e3:.1f} ms, p99.9 {d['p999_us']/1e3:.1f} ms.")
c10 = r["consume_1k_10mib"]
out.append(f"Consume as above but max.partition.fetch.bytes 10 MiB (the benchmark's setting before 2026-11-25): "
           f"{mb(c10['mb_per_s'])} ({c10['mb_per_s']/ip:.0%} of iperf3); the client page-faults in a fresh mmap'ed "
           f"buffer per response of up to 50 MB (profile: docs/architecture.md, Threading model).")
for k in ("consume_1k", "consume_1k_10mib", "produce_1k_acks1", "produce_1k_acksall", "iperf3"):
    out.append(f"Runs, {k}: " + ", ".join(f"{d['mb_per_s']:,.0f}" for d in runs[k]) + " MB/s.")
if sys.argv[3]:
    out.append(""); out.append(sys.argv[3])
open(sys.argv[2], "w").write("\n".join(out) + "\n")
EOF
echo
cat "$TABLE"

if [ "${SAMSA_BENCH_NO_DOC:-}" != "1" ]; then
  python3 - "$ROOT/docs/benchmarks.md" "$TABLE" <<'EOF'
import os, re, sys
path, table = sys.argv[1], open(sys.argv[2]).read()
intro = ("How to reproduce: `bash scripts/bench.sh` (builds `build-release/`, starts a broker on 127.0.0.1:19092 with a "
         "temporary data dir, runs the references and `samsa_e2e` workloads, rewrites this section). Each produce run "
         "lasts 8 s with 2 producer threads (each its own librdkafka client, linger.ms 5, batch.size 1 MiB, keyless "
         "messages over 16 partitions); consume reads the 1 KiB topic just produced, from offset 0, timed from the first "
         "message, with the consumer's default fetch sizes (max.partition.fetch.bytes 1 MiB, fetch.max.bytes 50 MB); the latency run sends one 1 KiB message at a time (linger.ms 0, max.in.flight 1, acks=all) to a "
         "1-partition topic. MB/s are payload bytes (10^6). `samsa_e2e` without arguments lists its options. "
         "Before each round's produce runs, `samsa_floor` measures the least CPU a broker can spend per GB taken in "
         "(a loopback socket read 1 MiB at a time, CRC-32C over it, pwrite at the end of a file in the broker's data "
         "filesystem; once buffered over 1 GiB, once with fdatasync per MiB over 256 MiB); after the latency run, Redis 7 "
         "(`appendfsync always`) answers 3,000 XADDs of 1 KiB from one client (`redis-benchmark -c 1`).\n\n")
section = "## End to end\n\n" + intro + table
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
m = re.search(r"^## End to end\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if m:
    text = text[:m.start()] + section + ("\n" if text[m.end():] else "") + text[m.end():]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
print(f"bench: wrote the End to end section of {path}", file=sys.stderr)
EOF
fi
