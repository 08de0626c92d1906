#pragma once
// A deterministic simulation of a Raft cluster (after Kafka's RaftEventSimulationTest and FoundationDB-style
// testing). One seed fixes everything: cluster size, network behaviour (drops, duplicates, delays that reorder,
// partitions), crashes that lose whatever a node had not yet made durable (possibly a torn prefix of it), restarts
// from the durable state, proposals and log compaction. Invariants are checked after every event; the first
// violation stops the run and is reported with the seed, which replays the identical run.
#include <cstdint>
#include <string>

#include "samsa/raft/config.h"

namespace samsa::raft::sim {

struct options {
  uint64_t seed = 1;
  raft::faults faults{};
  int64_t duration = 4000;  // simulated time units of chaos (a tick is 10), followed by a quiet phase
  bool trace = false;       // record a human-readable event log (slow; used to explain a failing seed)
};

struct outcome {
  bool ok = true;
  std::string failure;  // the violated invariant, with the seed and the simulated time
  std::string trace;    // the event log when options.trace
  uint64_t events = 0;
  uint64_t committed = 0;  // highest index committed anywhere
};

outcome run(const options& opt);

}  // namespace samsa::raft::sim
