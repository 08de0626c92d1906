#pragma once
// Plain configuration of one Raft core. The daemon maps Kafka's controller.* keys onto this; the core never
// reads any registry, clock or random device itself.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "samsa/raft/types.h"

namespace samsa::raft {

// Test-only deliberate bugs. The simulator must catch every one of them (tests/raft/sim_test.cc); they stay in
// the code so that the test suite keeps proving it can detect these classes of error.
struct faults {
  bool skip_persist_vote = false;       // the vote is never part of the hard state handed out for persistence
  bool commit_old_terms = false;        // count replicas for entries of earlier terms too (violates Raft §5.4.2)
  bool vote_without_log_check = false;  // grant votes to candidates whose log is behind ours
};

struct config {
  node_id id = no_node;
  std::vector<node_id> voters;     // every voter, including `id`; static (no membership changes yet)
  int election_tick = 10;          // followers campaign after a random timeout in [election_tick, 2*election_tick)
  int heartbeat_tick = 1;
  bool pre_vote = true;            // probe electability before bumping the term (a rejoining node cannot disrupt)
  bool check_quorum = true;        // leaders step down without quorum contact; followers ignore votes in lease
  size_t max_entries_per_append = 64;
  size_t max_inflight_appends = 4;  // replicate mode: un-acknowledged appends in flight per peer
  uint64_t seed = 1;               // seeds the election-timeout PRNG; the only source of randomness
  raft::faults faults{};
};

}  // namespace samsa::raft
