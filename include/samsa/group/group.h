#pragma once
// One consumer group of Kafka's classic group protocol: members, generations and the rebalance state machine
//
//   Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
//     ^                 ^      |                                               | leader's SyncGroup
//     |                 |      +--no members left--> Empty                     v
//     |                 +-------member joins/leaves/expires/changes------- Stable
//     +--last member leaves / expires (after a rebalance with nobody)          (Dead: deleted)
//
// Free of I/O and of clocks: every call takes `now` (ms) and tick(now) fires the session, pending-member and
// rebalance deadlines, so tests drive time by hand. JoinGroup and SyncGroup answers that must wait are delivered
// through callbacks; a callback may be invoked from inside any call on this group (and from tick), so it must
// not call back into the group synchronously (the server posts the resumption to its executor).
//
// Persistence is the owner's business: `on_store` fires whenever the group metadata record must be written
// (a generation was completed by the leader's SyncGroup, or the group became Empty with a new generation).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "samsa/group/config.h"
#include "samsa/group/errors.h"

namespace samsa::group {

enum class group_state { empty, preparing_rebalance, completing_rebalance, stable, dead };
std::string_view to_string(group_state s) noexcept;

struct protocol_entry {
  std::string name;
  std::vector<uint8_t> metadata;
  bool operator==(const protocol_entry&) const = default;
};

struct join_result {
  kafka_errc error = kafka_errc::none;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  struct member_info {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::vector<uint8_t> metadata;
  };
  std::vector<member_info> members;  // only for the leader
};
using join_callback = std::function<void(join_result)>;

struct sync_result {
  kafka_errc error = kafka_errc::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<uint8_t> assignment;
};
using sync_callback = std::function<void(sync_result)>;

struct join_request {
  std::string member_id;                         // "" = a new member
  std::optional<std::string> group_instance_id;  // static membership (v5+)
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 10000;
  int32_t rebalance_timeout_ms = 10000;          // v0: the session timeout
  std::string protocol_type;
  std::vector<protocol_entry> protocols;
  bool require_known_member_id = false;          // JoinGroup v4+: answer MEMBER_ID_REQUIRED to new members
};

struct sync_request {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::vector<std::pair<std::string, std::vector<uint8_t>>> assignments;  // leader only
};

struct member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<protocol_entry> protocols;
  std::vector<uint8_t> assignment;
  join_callback awaiting_join;
  sync_callback awaiting_sync;
  int64_t session_deadline = 0;
  uint64_t seq = 0;  // join order (leader choice)

  // Metadata this member sent for `protocol`, or nullptr.
  const std::vector<uint8_t>* metadata_for(const std::string& protocol) const;
};

// What DescribeGroups reports about one member.
struct member_summary {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::vector<uint8_t> metadata;    // of the selected protocol, only when Stable
  std::vector<uint8_t> assignment;  // only when Stable
};

// The persisted form of a group (Kafka's GroupMetadataValue).
struct group_snapshot {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader;
  int64_t state_timestamp = -1;
  struct member_record {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t rebalance_timeout_ms = 0;
    int32_t session_timeout_ms = 0;
    std::vector<uint8_t> subscription;
    std::vector<uint8_t> assignment;
  };
  std::vector<member_record> members;
};

class group {
 public:
  group(std::string id, const group_config& cfg, int64_t now);
  group(const group&) = delete;
  group& operator=(const group&) = delete;

  const std::string& id() const noexcept { return id_; }
  group_state state() const noexcept { return state_; }
  int32_t generation() const noexcept { return generation_; }
  const std::optional<std::string>& protocol_type() const noexcept { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const noexcept { return protocol_name_; }
  const std::optional<std::string>& leader() const noexcept { return leader_; }
  const std::map<std::string, member>& members() const noexcept { return members_; }
  size_t pending_member_count() const noexcept { return pending_.size(); }
  bool has_member(const std::string& id) const { return members_.count(id) != 0; }
  bool is_empty() const noexcept { return members_.empty() && pending_.empty(); }
  int64_t state_timestamp() const noexcept { return state_ts_; }
  // Topics the members subscribe to (parsed from ConsumerProtocol subscriptions of the selected protocol);
  // nullopt when not a "consumer" group or a subscription cannot be parsed.
  std::optional<std::set<std::string>> subscribed_topics() const;

  // JoinGroup. Validation that does not depend on the group (group id, session timeout bounds) is the caller's.
  void join(join_request req, int64_t now, join_callback cb);
  void sync(sync_request req, int64_t now, sync_callback cb);
  kafka_errc heartbeat(const std::string& member_id, const std::optional<std::string>& instance_id, int32_t generation,
                    int64_t now);
  // One member of LeaveGroup: by member id, or by instance id (member_id may then be "" or must match).
  kafka_errc leave(const std::string& member_id, const std::optional<std::string>& instance_id, int64_t now);
  // OffsetCommit admission: 0 to commit. generation < 0 with an empty member id is a simple commit, accepted
  // only while the group has no members.
  kafka_errc validate_commit(const std::string& member_id, const std::optional<std::string>& instance_id,
                          int32_t generation, int64_t now);
  // TxnOffsetCommit/OffsetFetch-free checks for OffsetDelete etc. are done by the coordinator.

  // Fires every deadline that is due: member sessions, pending (MEMBER_ID_REQUIRED) members, the rebalance.
  void tick(int64_t now);
  // The earliest pending deadline (INT64_MAX when none).
  int64_t next_deadline() const;

  // DescribeGroups.
  std::vector<member_summary> describe_members() const;

  // Persistence.
  group_snapshot snapshot(int64_t now) const;
  // Rebuilds the group from a loaded record: members come back Stable (or the group Empty) and must heartbeat
  // within their session timeout.
  void restore(const group_snapshot& s, int64_t now);
  // Marks the group deleted: every waiting member is answered with `error` (COORDINATOR_NOT_AVAILABLE).
  void make_dead(kafka_errc error);

  std::function<void(const group&)> on_store;

  // Counters for tests/logs.
  uint64_t rebalances() const noexcept { return rebalances_; }

 private:
  void add_member_and_rebalance(join_request&& req, std::string member_id, int64_t now, join_callback cb);
  void update_member(member& m, join_request&& req, join_callback cb);
  void update_static_member_and_rebalance(const std::string& old_id, join_request&& req, int64_t now,
                                          join_callback cb);
  void maybe_prepare_rebalance(int64_t now);
  void prepare_rebalance(int64_t now);
  void try_complete_join(int64_t now);
  void complete_join(int64_t now);
  void remove_member(const std::string& id, int64_t now);
  bool supports_protocols(const std::string& type, const std::vector<protocol_entry>& protocols) const;
  std::string select_protocol() const;
  void transition(group_state s, int64_t now);
  join_result result_for(const member& m, kafka_errc error) const;
  void reset_session(member& m, int64_t now) { m.session_deadline = now + m.session_timeout_ms; }
  void store() {
    if (on_store) on_store(*this);
  }

  std::string id_;
  group_config cfg_;
  group_state state_ = group_state::empty;
  int64_t state_ts_;
  int32_t generation_ = 0;
  std::optional<std::string> protocol_type_;
  std::optional<std::string> protocol_name_;
  std::optional<std::string> leader_;
  std::map<std::string, member> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::map<std::string, int64_t> pending_;             // member id -> deadline (MEMBER_ID_REQUIRED, not joined yet)
  uint64_t next_seq_ = 0;

  // Rebalance deadline (PreparingRebalance).
  int64_t join_deadline_ = INT64_MAX;
  bool initial_delay_ = false;      // the first rebalance of an empty group waits group.initial.rebalance.delay.ms
  int64_t initial_remaining_ = 0;   // how much more the initial delay may still be extended
  bool new_member_added_ = false;
  uint64_t rebalances_ = 0;
};

// Kafka's coordinator partition for a group: abs(groupId.hashCode()) % partitions, with Java's String.hashCode
// over UTF-16 code units and Kafka's Utils.abs (MIN_VALUE -> 0).
int32_t java_string_hash(std::string_view utf8) noexcept;
int32_t partition_for_group(std::string_view group_id, int32_t partitions) noexcept;

// ConsumerProtocolSubscription topics (any version), nullopt when malformed.
std::optional<std::vector<std::string>> parse_subscription_topics(const std::vector<uint8_t>& metadata);

}  // namespace samsa::group
