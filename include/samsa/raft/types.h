#pragma once
// Raft vocabulary: ids, log entries, the persisted hard state, snapshots and the one message struct that every
// RPC uses. A flat message (like etcd's raftpb.Message) keeps the wire codec and the test traces trivial; each
// field's meaning per type is documented below.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace samsa::raft {

using node_id = uint64_t;
using term_t = uint64_t;
using index_t = uint64_t;
inline constexpr node_id no_node = 0;

struct entry {
  term_t term = 0;
  index_t index = 0;
  std::string data;  // empty for the no-op a new leader appends
  friend bool operator==(const entry&, const entry&) = default;
};

// What must be durable before any message produced alongside it is sent.
struct hard_state {
  term_t term = 0;
  node_id vote = no_node;  // candidate voted for in `term`
  index_t commit = 0;
  friend bool operator==(const hard_state&, const hard_state&) = default;
};

// A state machine snapshot covering every entry up to and including `index`.
struct snapshot {
  index_t index = 0;
  term_t term = 0;
  std::string data;
  friend bool operator==(const snapshot&, const snapshot&) = default;
};

enum class msg_type : uint8_t {
  pre_vote = 1,   // term = candidate's term + 1 (not adopted by anyone); index/log_term = candidate's last entry
  pre_vote_resp,  // term = request term when granted, responder's term when rejected
  vote,           // term = candidate's term; index/log_term = candidate's last entry
  vote_resp,
  append,         // index/log_term = entry preceding `entries`; commit = leader's commit
  append_resp,    // index = last index known to match (accept) or the rejected prev index (reject)
  heartbeat,      // commit = min(leader commit, follower's match)
  heartbeat_resp,
  install_snapshot,  // snap = the leader's latest snapshot
};

struct message {
  msg_type type = msg_type::heartbeat;
  node_id from = no_node;
  node_id to = no_node;
  term_t term = 0;
  term_t log_term = 0;
  index_t index = 0;
  index_t commit = 0;
  bool reject = false;
  index_t reject_hint = 0;  // append_resp reject: follower's guess of the last index that may match
  std::vector<entry> entries{};
  std::optional<raft::snapshot> snap{};
  friend bool operator==(const message&, const message&) = default;
};

const char* to_string(msg_type t) noexcept;
// One-line, stable rendering used by logs and golden test traces, e.g. `1->2 app term=2 prev=3@1 commit=3 [4@2 "x"]`.
std::string describe(const message& m);
std::string describe(const entry& e);

}  // namespace samsa::raft
