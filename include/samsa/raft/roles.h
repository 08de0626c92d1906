#pragma once
// Per-role state of a Raft core, held in a std::variant so that role-specific data cannot outlive its role: only a
// leader has replication progress, only (pre-)candidates have a tally, only followers have a known leader.
// Term, vote and the log live outside the variant because every role has them.
#include <map>
#include <variant>

#include "samsa/raft/types.h"

namespace samsa::raft {

// A leader's view of one peer's log. Modes as in etcd: `probe` sends one append at a time until a match is found,
// `replicate` streams optimistically, `snapshot` waits for an install_snapshot to be acknowledged.
struct progress {
  enum class mode : uint8_t { probe, replicate, snapshot };
  index_t match = 0;  // highest index known to be durable on the peer and identical to ours
  index_t next = 1;   // next index to send
  mode state = mode::probe;
  bool probe_sent = false;      // probe: an append is in flight, wait for its answer or the next heartbeat reply
  index_t pending_snapshot = 0; // snapshot: the index of the snapshot sent
  bool recent_active = false;   // heard from within the current check-quorum window
  index_t match_at_heartbeat = 0;  // match when the previous heartbeat reply came: unchanged means stalled
};

struct follower_role {
  node_id leader = no_node;  // unknown until an append/heartbeat/snapshot of the current term arrives
};
struct pre_candidate_role {
  std::map<node_id, bool> votes;  // granted or rejected pre-votes; the term has NOT been bumped
};
struct candidate_role {
  std::map<node_id, bool> votes;
};
struct leader_role {
  std::map<node_id, progress> peers;  // every voter, including the leader itself (match = durable last index)
  int heartbeat_elapsed = 0;
};

using role_state = std::variant<follower_role, pre_candidate_role, candidate_role, leader_role>;

}  // namespace samsa::raft
