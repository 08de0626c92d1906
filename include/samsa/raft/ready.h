#pragma once
// ready_batch: everything the core asks its I/O shell to do, in order. The contract (etcd's Ready, adapted):
//   1. truncate the persisted log at `truncate_from` (drop entries with index >= it), then
//   2. persist `snapshot` (and drop persisted entries with index <= snapshot->index), then
//   3. append `entries`, then write `hard_state`, and make all of it durable (fsync);
//   4. only then send `messages` (they may promise what steps 1-3 made durable: a vote, an acknowledged entry);
//   5. if `restore_snapshot`, load `snapshot` into the state machine; then apply `committed` in order;
//   6. call core::advance(batch). No other core input may happen between ready() and advance().
// The order of 1-3 matters for crash safety: a crash after any prefix of them leaves a valid Raft log (a prefix of
// an old log, or an old log below a newer snapshot), because nothing of this batch has been promised yet.
#include <optional>
#include <vector>

#include "samsa/raft/types.h"

namespace samsa::raft {

enum class role_kind : uint8_t { follower, pre_candidate, candidate, leader };
const char* to_string(role_kind r) noexcept;

struct role_change {
  role_kind role = role_kind::follower;
  term_t term = 0;
  node_id leader = no_node;
};

struct ready_batch {
  std::optional<index_t> truncate_from;
  std::optional<raft::snapshot> snapshot;
  bool restore_snapshot = false;  // snapshot came from the leader: the state machine must be replaced by it
  std::vector<entry> entries;
  std::optional<hard_state> hard;
  std::vector<message> messages;
  std::vector<entry> committed;
  std::optional<role_change> role;
  index_t last_index = 0;  // the core's last log index when the batch was made (for advance())
};

}  // namespace samsa::raft
