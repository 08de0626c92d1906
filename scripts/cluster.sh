#!/usr/bin/env bash
# A local multi-node Samsa cluster in one command: installs what is missing, builds, and starts N combined
# (broker,controller) nodes on loopback that form one metadata quorum. Ctrl-C (or SIGTERM) stops them all.
#
#   scripts/cluster.sh            # 3 nodes: clients on 127.0.0.1:9092-9094, quorum on 127.0.0.1:9192-9194
#   NODES=5 scripts/cluster.sh    # 5 nodes
#   scripts/cluster.sh --override num.partitions=6   # extra samsad arguments go to every node
#
# Data and logs: ./data/cluster/node<N>/ and ./data/cluster/node<N>.log. Bootstrap with 127.0.0.1:9092.
# Topics created with replication factor 3 are replicated across the nodes (docs/replication.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
SAMSA_BUILD_TARGETS="samsad" bash scripts/build.sh

nodes=${NODES:-3}
client_base=${CLIENT_PORT_BASE:-9092}
quorum_base=${QUORUM_PORT_BASE:-9192}
root=${CLUSTER_DIR:-data/cluster}
mkdir -p "$root"

voters=""
for ((i = 1; i <= nodes; i++)); do
  voters+="${voters:+,}${i}@127.0.0.1:$((quorum_base + i - 1))"
done

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop_all INT TERM EXIT

for ((i = 1; i <= nodes; i++)); do
  ./build/src/daemon/samsad \
    --override node.id="$i" \
    --override listeners="PLAINTEXT://127.0.0.1:$((client_base + i - 1)),CONTROLLER://127.0.0.1:$((quorum_base + i - 1))" \
    --override controller.quorum.voters="$voters" \
    --override log.dirs="$root/node$i" \
    "$@" >"$root/node$i.log" 2>&1 &
  pids+=("$!")
  echo "node $i: pid $!, clients 127.0.0.1:$((client_base + i - 1)), log $root/node$i.log"
done
echo "bootstrap servers: $(for ((i = 0; i < nodes; i++)); do printf '%s127.0.0.1:%d' "$([ $i -gt 0 ] && echo ,)" $((client_base + i)); done)"
echo "Ctrl-C stops the cluster."
wait -n || true
echo "a node exited; stopping the cluster" >&2
