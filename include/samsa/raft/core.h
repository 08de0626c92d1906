#pragma once
// core: one node's Raft consensus as a pure, deterministic state machine (etcd's push model: the leader sends
// appends and heartbeats; see docs/raft.md for the design and the safety argument).
//
// It owns no thread, clock, file, socket or random device: time is tick(), the network is step() and the outbox,
// disk is the ready_batch (ready.h) the shell persists before sending. Given the same config, persisted state and
// input sequence it produces the same outputs, which is what the interaction tests and the simulator rely on.
//
// Not thread-safe: one owner (the driver's strand, or a test) calls everything.
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/raft/config.h"
#include "samsa/raft/errc.h"
#include "samsa/raft/raft_log.h"
#include "samsa/raft/ready.h"
#include "samsa/raft/roles.h"
#include "samsa/raft/types.h"

namespace samsa::raft {

// What a node recovered from disk: the hard state, its latest snapshot and the entries after it.
struct persisted_state {
  hard_state hard;
  raft::snapshot snap;
  std::vector<entry> entries;
};

class core {
 public:
  // Validates the config and the persisted state (contiguous entries after the snapshot, commit within the log).
  static result<core> open(config cfg, persisted_state state);

  // One unit of logical time: heartbeats, election timeouts and check-quorum are counted in ticks.
  std::error_code tick();
  std::error_code step(const message& m);
  // Appends `data` as new entries (leader only); returns the index of the last one.
  result<index_t> propose(std::vector<std::string> data);
  // Start an election now (pre-vote first when enabled), as if the election timeout had fired.
  std::error_code campaign();
  // The application took a snapshot of its state machine at `index` (<= applied): drop the log up to it.
  std::error_code compact(index_t index, std::string data);

  bool has_ready() const;
  ready_batch ready();
  // REQUIRES: `rd` is the batch returned by the last ready(), and the shell has done what it asks.
  void advance(const ready_batch& rd);

  // Inspection (tests, metrics, the driver).
  node_id id() const noexcept { return cfg_.id; }
  role_kind role() const noexcept { return static_cast<role_kind>(role_.index()); }
  const role_state& role_data() const noexcept { return role_; }
  term_t term() const noexcept { return term_; }
  node_id vote() const noexcept { return vote_; }
  node_id leader() const noexcept;
  index_t commit() const noexcept { return commit_; }
  index_t applied() const noexcept { return applied_; }
  const raft_log& log() const noexcept { return log_; }
  const raft::snapshot& latest_snapshot() const noexcept { return snapshot_; }
  const config& cfg() const noexcept { return cfg_; }

 private:
  explicit core(config cfg);

  size_t quorum() const noexcept { return cfg_.voters.size() / 2 + 1; }
  bool is_voter(node_id n) const noexcept;
  void send(message m);
  void reset_timers();

  void become_follower(term_t term, node_id leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void start_election(bool pre);
  void poll(node_id from, bool granted);

  void tick_leader();
  void handle_vote_request(const message& m);
  void handle_append(const message& m);
  void handle_heartbeat(const message& m);
  void handle_snapshot(const message& m);
  void handle_append_resp(const message& m);
  void handle_heartbeat_resp(const message& m);

  // Leader replication (core_replication.cc).
  leader_role& lead() { return std::get<leader_role>(role_); }
  void send_append(node_id to, bool allow_empty);
  void send_one_append(node_id to, bool allow_empty);
  void bcast_append(bool allow_empty);
  void bcast_heartbeat();
  bool maybe_commit();

  // Follower log updates.
  void replace_log_from(index_t from, std::span<const entry> es);
  index_t reject_hint(index_t prev) const;

  hard_state hard_for_persistence() const;

  config cfg_;
  uint64_t rng_;
  term_t term_ = 0;
  node_id vote_ = no_node;
  index_t commit_ = 0;
  index_t applied_ = 0;
  raft_log log_;
  raft::snapshot snapshot_;  // latest snapshot (for install_snapshot to lagging peers)
  role_state role_;
  int election_elapsed_ = 0;
  int randomized_timeout_ = 0;

  // Persistence bookkeeping: what the shell has made durable, and what the next batch must carry.
  index_t persisted_last_ = 0;
  std::optional<index_t> truncate_from_;
  bool snapshot_unpersisted_ = false;
  bool snapshot_is_restore_ = false;
  hard_state last_hard_;
  std::optional<role_change> last_role_;
  std::vector<message> outbox_;
  bool ready_pending_ = false;
};

}  // namespace samsa::raft
