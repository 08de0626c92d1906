#!/usr/bin/env bash
# Recapture the golden Kafka request frames in tests/protocol/testdata/.
#
# For each client a fresh fake_broker.py is started on 127.0.0.1, the client
# is driven through produce + consume (and whatever else it naturally sends),
# the broker is stopped, and finally decode_frames.py validates every frame
# and rewrites MANIFEST.txt.
#
# Usage: tests/protocol/capture/capture_all.sh [client...]
#   clients: kcat confluent_kafka kafka_python kafkajs (default: all)
# Environment:
#   BASE_PORT   first TCP port to use (default 29092; one port per client)
#   KAFKAJS_DIR where kafkajs@2.2.4 is (or gets) npm-installed (default /tmp/kjs)
#   CLIENT_TIMEOUT seconds allowed per client run (default 90)
#
# Requirements: kcat 1.7.1, Debian python3-confluent-kafka 1.7.0 and
# python3-kafka 2.0.2 (both only importable by /usr/bin/python3), node + npm.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(cd "$HERE/.." && pwd)/testdata"
PY=/usr/bin/python3
BASE_PORT="${BASE_PORT:-29092}"
KAFKAJS_DIR="${KAFKAJS_DIR:-/tmp/kjs}"
CLIENT_TIMEOUT="${CLIENT_TIMEOUT:-90}"
LOG_DIR="$(mktemp -d /tmp/samsa-capture.XXXXXX)"

ALL_CLIENTS=(kcat confluent_kafka kafka_python kafkajs)
if [ $# -gt 0 ]; then CLIENTS=("$@"); else CLIENTS=("${ALL_CLIENTS[@]}"); fi

mkdir -p "$OUT"
BROKER_PID=""

stop_broker() {
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
        BROKER_PID=""
    fi
}
trap stop_broker EXIT

start_broker() { # client port
    "$PY" "$HERE/fake_broker.py" --client "$1" --port "$2" --out "$OUT" \
        --lifetime $((CLIENT_TIMEOUT + 30)) 2>"$LOG_DIR/broker_$1.log" &
    BROKER_PID=$!
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "fake broker for $1 did not start; see $LOG_DIR/broker_$1.log" >&2
    return 1
}

drive_kcat() { # port
    local b="127.0.0.1:$1"
    printf 'hello golden\nhello golden\n' |
        timeout "$CLIENT_TIMEOUT" kcat -b "$b" -P -t golden -p 0 -k k1 -H h1=v1
    timeout "$CLIENT_TIMEOUT" kcat -b "$b" -C -t golden -p 0 -o beginning -c 2 -e \
        -f 'consumed key=%k value=%s headers=%h offset=%o\n'
}

drive_confluent_kafka() {
    timeout "$CLIENT_TIMEOUT" "$PY" "$HERE/drive_confluent_kafka.py" "$1"
}

drive_kafka_python() {
    timeout "$CLIENT_TIMEOUT" "$PY" "$HERE/drive_kafka_python.py" "$1"
}

drive_kafkajs() {
    if [ ! -f "$KAFKAJS_DIR/node_modules/kafkajs/package.json" ]; then
        mkdir -p "$KAFKAJS_DIR"
        (cd "$KAFKAJS_DIR" && timeout 300 npm install --no-save --no-audit --no-fund kafkajs@2.2.4 >/dev/null)
    fi
    NODE_PATH="$KAFKAJS_DIR/node_modules" timeout "$CLIENT_TIMEOUT" node "$HERE/drive_kafkajs.js" "$1"
}

failed=()
port="$BASE_PORT"
for client in "${CLIENTS[@]}"; do
    echo "=== $client (port $port)"
    rm -f "$OUT/${client}"_*.bin
    start_broker "$client" "$port"
    if ! "drive_$client" "$port"; then
        echo "!!! $client driver failed; broker log: $LOG_DIR/broker_$client.log" >&2
        failed+=("$client")
    fi
    stop_broker
    port=$((port + 1))
done

"$PY" "$HERE/decode_frames.py" --manifest "$OUT/MANIFEST.txt" "$OUT"/*.bin
echo "broker logs: $LOG_DIR"
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed clients: ${failed[*]}" >&2
    exit 1
fi
