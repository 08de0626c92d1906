#pragma once
// The group coordinator: every consumer group of this broker, their committed offsets, and their persistence in
// the compacted internal topic __consumer_offsets (Kafka's record formats, offsets_format.h).
//
// Single-threaded by design: every call, every callback and everything posted through the backend runs on the
// broker's one network thread, so nothing here locks. The storage calls it makes (append, flush) are the
// partition log's own thread-safe API; flush completions come back through backend.post().
//
// Kafka's model: the coordinator of group g is the leader of partition partition_for(g) of __consumer_offsets.
// The coordinator manages the partitions this broker leads one by one: become_leader(p) loads partition p from
// its local log (a posted step; its groups answer COORDINATOR_LOAD_IN_PROGRESS until then, an empty log is
// loaded at once), resign(p) unloads it (waiting JoinGroup/SyncGroup answers get NOT_COORDINATOR, the state is
// dropped). Any request for a group of a partition not led here answers NOT_COORDINATOR; while the topic does
// not exist, COORDINATOR_NOT_AVAILABLE (JoinGroup, OffsetCommit and OffsetFetch ask for its creation).
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "samsa/base/ids.h"
#include "samsa/group/config.h"
#include "samsa/group/errors.h"
#include "samsa/group/group.h"

namespace samsa::storage {
class partition_log;
}  // namespace samsa::storage

namespace samsa::group {

// What the coordinator needs from the broker.
class offsets_backend {
 public:
  virtual ~offsets_backend() = default;
  // Partitions of __consumer_offsets in the cluster; 0 while the topic does not exist.
  virtual int32_t offsets_partition_count() = 0;
  // This broker's replica (log) of partition p of __consumer_offsets, to read it and set its config; nullptr when
  // it holds none. Writes go through append().
  virtual std::shared_ptr<storage::partition_log> offsets_partition(int32_t p) = 0;
  // Appends a batch of group records to partition p as its leader at `leader_epoch`: 0 and the batch's last
  // offset, or a Kafka error code (e.g. NOT_LEADER_OR_FOLLOWER when the leadership moved).
  struct appended {
    kafka_errc error = kafka_errc::none;
    int64_t last_offset = -1;
  };
  virtual appended append(int32_t p, std::span<uint8_t> batch, int32_t leader_epoch) = 0;
  // Asks for __consumer_offsets to be created with `partitions` partitions. May complete later (the broker goes
  // through the controller): the coordinator learns of the partitions it leads through become_leader().
  virtual void create_offsets_topic(int32_t partitions) = 0;
  // Runs fn later on the coordinator's thread.
  virtual void post(std::function<void()> fn) = 0;
  // THE durability seam: calls done (on the coordinator's thread) once the records of partition p up to
  // end_offset (exclusive) are committed, with 0 or a Kafka error code (e.g. NOT_LEADER_OR_FOLLOWER,
  // REQUEST_TIMED_OUT). OffsetCommit, DeleteGroups and OffsetDelete answer only then.
  virtual void when_committed(int32_t partition, int64_t end_offset, std::function<void(kafka_errc error)> done) = 0;
};

struct topic_partition {
  std::string topic;
  partition_index partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

struct committed_offset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = 0;
  int64_t expire_timestamp = -1;
};

struct commit_entry {
  topic_partition tp;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
  int64_t expire_timestamp = -1;  // v1 timestamps / v2-v4 retention_time_ms, computed by the handler
  kafka_errc error = kafka_errc::none;              // preset by the handler (e.g. UNKNOWN_TOPIC_OR_PARTITION): not committed
};

struct fetched_offset {
  partition_index partition = 0;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata = std::string();
  kafka_errc error = kafka_errc::none;
};

struct group_description {
  kafka_errc error = kafka_errc::none;
  std::string group_id;
  std::string state = "Dead";
  std::string protocol_type;
  std::string protocol_data;
  std::vector<member_summary> members;
};

struct listed_group {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};

struct leave_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

class coordinator {
 public:
  coordinator(group_config cfg, offsets_backend& backend, std::function<int64_t()> clock = {});
  ~coordinator();
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;

  const group_config& config() const noexcept { return cfg_; }
  int64_t now() const { return clock_(); }
  // Partitions of __consumer_offsets: the existing topic's count (it keeps it even if the setting changes: the
  // group -> partition mapping must not move), else offsets.topic.num.partitions.
  int32_t partition_count() const;
  int32_t partition_for(std::string_view group_id) const;

  // This broker became the leader of partition p of __consumer_offsets at leader_epoch: configures the log
  // (compacted) and loads the partition's groups and offsets (at once for an empty log, else in a posted step;
  // COORDINATOR_LOAD_IN_PROGRESS meanwhile). Already led at the same epoch: nothing; at another epoch: reloaded.
  void become_leader(int32_t p, int32_t leader_epoch);
  // This broker no longer leads partition p (another leader, no leader, or the topic is gone): its groups are
  // dropped; members waiting for a JoinGroup/SyncGroup answer get NOT_COORDINATOR. Not led here: nothing.
  void resign(int32_t p);
  bool leads(int32_t p) const { return owned_.count(p) != 0; }
  bool partition_loaded(int32_t p) const;
  // Partitions led here, loaded or loading.
  std::vector<int32_t> led_partitions() const;
  // 0 when this broker coordinates the group now; else COORDINATOR_NOT_AVAILABLE (no __consumer_offsets yet),
  // NOT_COORDINATOR (its partition is not led here) or COORDINATOR_LOAD_IN_PROGRESS.
  kafka_errc ownership(std::string_view group_id) const;
  bool loading(std::string_view group_id) const { return ownership(group_id) == err_load_in_progress; }
  // Every partition led here is loaded.
  bool fully_loaded() const;
  // Creates __consumer_offsets on first use: 0 when it exists, else COORDINATOR_NOT_AVAILABLE (creation asked).
  kafka_errc ensure_offsets_topic();

  void join(const std::string& group_id, join_request req, join_callback cb);
  void sync(const std::string& group_id, sync_request req, sync_callback cb);
  kafka_errc heartbeat(const std::string& group_id, const std::string& member_id,
                    const std::optional<std::string>& instance_id, int32_t generation);
  // Top-level error and one error per member.
  std::pair<kafka_errc, std::vector<kafka_errc>> leave(const std::string& group_id, const std::vector<leave_member>& members);

  // OffsetCommit: `done` gets one error per entry once the records are durable (fsynced).
  void commit(const std::string& group_id, const std::string& member_id, const std::optional<std::string>& instance_id,
              int32_t generation, std::vector<commit_entry> entries,
              std::function<void(std::vector<kafka_errc>)> done);
  // OffsetFetch: topics == nullopt means every committed partition. Returns the group-level error.
  kafka_errc fetch_offsets(const std::string& group_id,
                        const std::optional<std::vector<std::pair<std::string, std::vector<partition_index>>>>& topics,
                        std::vector<std::pair<std::string, std::vector<fetched_offset>>>& out) const;
  group_description describe(const std::string& group_id) const;
  // The groups of the partitions led here. COORDINATOR_LOAD_IN_PROGRESS while any of them is loading (with the
  // groups loaded so far).
  kafka_errc list(std::vector<listed_group>& out) const;
  // DeleteGroups: one error per group, once the tombstones are durable.
  void delete_groups(const std::vector<std::string>& ids, std::function<void(std::vector<kafka_errc>)> done);
  // OffsetDelete: (top-level error, one error per partition), once durable.
  void delete_offsets(const std::string& group_id, const std::vector<topic_partition>& tps,
                      std::function<void(kafka_errc, std::vector<kafka_errc>)> done);

  // Fires group deadlines (sessions, rebalances) and periodically expires offsets (offsets.retention.minutes).
  // Compaction of __consumer_offsets (cleanup.policy=compact) is the log manager's retention pass.
  void tick();

  // Introspection (tests).
  const group* find_group(const std::string& id) const;
  std::optional<committed_offset> committed(const std::string& group_id, const topic_partition& tp) const;
  size_t group_count() const noexcept { return groups_.size(); }
  // Runs offset expiry now.
  void expire_offsets();

 private:
  static constexpr kafka_errc err_load_in_progress = kafka_errc::coordinator_load_in_progress;

  struct entry {
    int32_t partition = 0;  // of __consumer_offsets
    std::unique_ptr<group> g;
    std::map<topic_partition, committed_offset> offsets;
  };
  // A partition of __consumer_offsets led here.
  struct owned_partition {
    int32_t leader_epoch = 0;
    uint64_t term = 0;  // changes at every become_leader/resign: late completions of an older term are stale
    bool loaded = false;
  };
  using record = std::pair<std::vector<uint8_t>, std::optional<std::vector<uint8_t>>>;

  entry& get_or_create(const std::string& id);
  entry* find(const std::string& id);
  const entry* find(const std::string& id) const;
  void attach(entry& e);
  // Appends records to the group's partition; with durable, calls done (on this thread) once the backend says
  // they are committed (when_committed), with 0 or the error to answer the client. A write to a partition no
  // longer led here, or led again since (another term), fails with NOT_COORDINATOR.
  void write(const std::string& group_id, std::vector<record> records, bool durable,
             std::function<void(kafka_errc)> done);
  void store_group(const group& g);
  void load_partition(int32_t p);

  group_config cfg_;
  offsets_backend& backend_;
  std::function<int64_t()> clock_;
  std::map<int32_t, owned_partition> owned_;
  uint64_t next_term_ = 1;
  std::map<std::string, entry> groups_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  int64_t last_expiry_ = 0;
};

}  // namespace samsa::group
