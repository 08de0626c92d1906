#pragma once
// The group coordinator: every consumer group of this broker, their committed offsets, and their persistence in
// the compacted internal topic __consumer_offsets (Kafka's record formats, offsets_format.h).
//
// Single-threaded by design: every call, every callback and everything posted through the backend runs on the
// broker's one network thread, so nothing here locks. The storage calls it makes (append, flush) are the
// partition log's own thread-safe API; flush completions come back through backend.post().
//
// The coordinator of a group is partition partition_for_group(group, N) of __consumer_offsets; on a single node
// this broker leads every partition, so it always answers FindCoordinator with itself. At start-up the existing
// partitions are loaded one at a time (posted steps); until its partition is loaded a group answers
// COORDINATOR_LOAD_IN_PROGRESS.
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samsa/group/config.h"
#include "samsa/group/group.h"

namespace samsa::storage {
class partition_log;
}  // namespace samsa::storage

namespace samsa::group {

// What the coordinator needs from the broker.
class offsets_backend {
 public:
  virtual ~offsets_backend() = default;
  // The partitions of __consumer_offsets (index = partition number); empty while the topic does not exist.
  virtual std::vector<std::shared_ptr<storage::partition_log>> offsets_partitions() = 0;
  // Creates __consumer_offsets with `partitions` partitions; false on failure.
  virtual bool create_offsets_topic(int32_t partitions) = 0;
  // Runs fn later on the coordinator's thread.
  virtual void post(std::function<void()> fn) = 0;
};

struct topic_partition {
  std::string topic;
  int32_t partition = 0;
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
  int16_t error = 0;              // preset by the handler (e.g. UNKNOWN_TOPIC_OR_PARTITION): not committed
};

struct fetched_offset {
  int32_t partition = 0;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata = std::string();
  int16_t error = 0;
};

struct group_description {
  int16_t error = 0;
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
  int32_t partition_count() const noexcept { return partitions_; }
  int32_t partition_for(std::string_view group_id) const noexcept;

  // Start-up: when __consumer_offsets exists, configures its partitions (compacted) and posts their loading.
  void start();
  // __consumer_offsets was just created (empty): configure its partitions; nothing to load.
  void adopt_new_offsets_topic();
  bool loading(std::string_view group_id) const;
  bool fully_loaded() const;
  // Creates __consumer_offsets on first use: 0, or COORDINATOR_NOT_AVAILABLE.
  int16_t ensure_offsets_topic();

  void join(const std::string& group_id, join_request req, join_callback cb);
  void sync(const std::string& group_id, sync_request req, sync_callback cb);
  int16_t heartbeat(const std::string& group_id, const std::string& member_id,
                    const std::optional<std::string>& instance_id, int32_t generation);
  // Top-level error and one error per member.
  std::pair<int16_t, std::vector<int16_t>> leave(const std::string& group_id, const std::vector<leave_member>& members);

  // OffsetCommit: `done` gets one error per entry once the records are durable (fsynced).
  void commit(const std::string& group_id, const std::string& member_id, const std::optional<std::string>& instance_id,
              int32_t generation, std::vector<commit_entry> entries,
              std::function<void(std::vector<int16_t>)> done);
  // OffsetFetch: topics == nullopt means every committed partition. Returns the group-level error.
  int16_t fetch_offsets(const std::string& group_id,
                        const std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>& topics,
                        std::vector<std::pair<std::string, std::vector<fetched_offset>>>& out) const;
  group_description describe(const std::string& group_id) const;
  // Returns COORDINATOR_LOAD_IN_PROGRESS while any partition is loading (with the groups loaded so far).
  int16_t list(std::vector<listed_group>& out) const;
  // DeleteGroups: one error per group, once the tombstones are durable.
  void delete_groups(const std::vector<std::string>& ids, std::function<void(std::vector<int16_t>)> done);
  // OffsetDelete: (top-level error, one error per partition), once durable.
  void delete_offsets(const std::string& group_id, const std::vector<topic_partition>& tps,
                      std::function<void(int16_t, std::vector<int16_t>)> done);

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
  struct entry {
    std::unique_ptr<group> g;
    std::map<topic_partition, committed_offset> offsets;
  };
  using record = std::pair<std::vector<uint8_t>, std::optional<std::vector<uint8_t>>>;

  entry& get_or_create(const std::string& id);
  entry* find(const std::string& id);
  const entry* find(const std::string& id) const;
  void attach(entry& e);
  // Appends records to the group's partition; with durable, calls done after the fsync (on this thread).
  void write(const std::string& group_id, std::vector<record> records, bool durable,
             std::function<void(std::error_code)> done);
  void store_group(const group& g);
  void load_partition(int32_t p);
  void configure_partitions();

  group_config cfg_;
  offsets_backend& backend_;
  std::function<int64_t()> clock_;
  int32_t partitions_;
  std::vector<bool> loaded_;
  std::map<std::string, entry> groups_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  int64_t last_expiry_ = 0;
};

}  // namespace samsa::group
