#pragma once
// The broker's view of its topics and partitions, shared by all request handlers. Lives on the network
// io_context thread: handlers call it without locks.
//
// The truth is the metadata image of the controller quorum (cluster::controller_node, on the same thread): topics,
// partitions, replicas, leaders and configs. The broker reconciles its local replicas with every new image
// (on_metadata): it creates the logs of partitions assigned to it, applies topic configs to them and removes the
// logs of deleted topics. Changes (CreateTopics, ...) go to the active controller, here or on another node.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "samsa/cluster/partition_leader.h"
#include "samsa/server/config.h"
#include "samsa/server/producer_state.h"
#include "samsa/server/replication_quota.h"
#include "samsa/server/topic_config.h"

namespace samsa::storage {
class log_manager;
class partition_log;
}  // namespace samsa::storage
namespace samsa::cluster {
class controller_node;
class metadata_image;
struct create_topic_request;
struct create_topic_result;
}  // namespace samsa::cluster
namespace samsa::group {
class coordinator;
class offsets_backend;
}  // namespace samsa::group

namespace samsa::server {

struct partition {
  std::string topic;
  int32_t index = 0;
  cluster::uuid topic_id{};
  bool is_leader = true;     // this broker leads the partition in the current image
  int32_t leader_epoch = 0;  // from the image
  int32_t leader_id = -1;    // from the image (-1: none)
  std::shared_ptr<storage::partition_log> log;
  producer_state producers;  // idempotent-producer sequences, rebuilt from the log at start-up
  // Offsets below it are on every in-sync replica: what consumers may read and acks=all waits for. The leader
  // computes it (leader_state); a follower learns it from the leader's fetch responses. In memory only: after a
  // restart it starts at 0 and catches up with the first fetches (Kafka checkpoints it; nothing depends on it
  // being exact, only on it never being too high).
  int64_t high_watermark = 0;
  std::optional<cluster::partition_leader> leader_state;  // while this broker leads the partition
};

struct topic {
  std::string name;
  // Indexed by partition id; nullptr where this broker holds no replica.
  std::vector<std::shared_ptr<partition>> partitions;
  int32_t max_message_bytes = 1048588;  // max.message.bytes, override or broker default
  int32_t min_insync_replicas = 1;      // min.insync.replicas, override or broker default
};

class replica_fetchers;

class broker {
 public:
  broker(boost::asio::any_io_executor ex, broker_config config, storage::log_manager& logs,
         cluster::controller_node& controller);
  ~broker();

  const broker_config& config() const noexcept { return config_; }
  const std::string& cluster_id() const noexcept;
  cluster::controller_node& controller() noexcept { return controller_; }
  const cluster::metadata_image& image() const noexcept;
  boost::asio::any_io_executor executor() const noexcept { return ex_; }
  const endpoint& advertised() const noexcept;

  // Subscribes to the controller's images and reconciles with the current one.
  void start_metadata();
  // Removes local partition logs the caught-up image does not assign to this broker (a topic deleted while the
  // node was down). Call once the node has caught up with the metadata log.
  void remove_stray_logs();
  // Reconciles the local replicas with a new image (see the file comment).
  void on_metadata(const cluster::metadata_image& before, const cluster::metadata_image& after);
  // Stops the broker's own timers (the log manager flushes and closes the logs).
  void close();
  const std::map<std::string, topic>& topics() const noexcept { return topics_; }
  const topic* find_topic(const std::string& name) const;
  std::shared_ptr<partition> find_partition(const std::string& topic, int32_t index) const;
  // Whether the partition exists in the cluster (anywhere).
  bool partition_exists(const std::string& topic, int32_t index) const;
  // The partition when this broker leads it; else nullptr and `error` says why: NOT_LEADER_OR_FOLLOWER when the
  // partition exists elsewhere (clients refresh metadata) or this broker's controller session may have expired
  // (cut off from the controller: it has been or is about to be replaced), UNKNOWN_TOPIC_OR_PARTITION when it does
  // not exist.
  std::shared_ptr<partition> leader_partition(const std::string& topic, int32_t index, int16_t& error) const;

  // The topic's explicitly set configs in the current image.
  config_map topic_configs(const std::string& name) const;

  // Creates topics through the active controller: locally when this node is it, else by forwarding a
  // CreateTopics request to it. Used for auto-creation (Metadata, __consumer_offsets).
  boost::asio::awaitable<std::vector<cluster::create_topic_result>> create_topics(
      std::vector<cluster::create_topic_request> reqs);

  // Creates __consumer_offsets through the controller when it does not exist yet, and waits for the outcome.
  boost::asio::awaitable<void> ensure_offsets_topic();

  // Fire-and-forget creation (logged on failure): callers learn the outcome from the next images.
  void request_topic_creation(cluster::create_topic_request req);

  // Forwards the request in `frame` (header + body) to the active controller and returns its whole response
  // frame; nullopt when no controller answered.
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> forward_to_controller(
      const std::vector<uint8_t>& frame);

  // A new idempotent producer id, unique in the cluster: ids come in blocks allocated by the controller (a
  // ProducerIds record in the metadata log). -1 when no block could be had.
  boost::asio::awaitable<int64_t> allocate_producer_id();

  // Fetch long-polls park a timer here; an append wakes them all so they re-check.
  void park_fetch(boost::asio::steady_timer* t) { fetch_waiters_.push_back(t); }
  void unpark_fetch(boost::asio::steady_timer* t);
  void notify_append();

  // --- replication (src/server/replication.cc) ---
  // The leader appended to `p`: advances the high watermark where the ISR allows and wakes waiters.
  void on_leader_append(partition& p);
  // Follower `replica` fetched `p` at `fetch_offset` (its log end offset): progress, HWM, ISR expansion.
  void on_follower_fetch(const std::shared_ptr<partition>& p, int32_t replica, int64_t fetch_offset);
  // Waits until p's high watermark reaches `end` (every in-sync replica has the records below it): none, or
  // NOT_LEADER_OR_FOLLOWER when the leadership (epoch) moved, REQUEST_TIMED_OUT at the deadline.
  boost::asio::awaitable<int16_t> await_high_watermark(std::shared_ptr<partition> p, int32_t leader_epoch,
                                                       int64_t end, std::chrono::steady_clock::time_point deadline);
  // Sends the ISR change `p`'s leader state wants, if any (AlterPartition to the active controller).
  void maybe_change_isr(const std::shared_ptr<partition>& p);
  // Replication throttling (replication_quota.h): the quotas, and whether the replica of `p` on `replica` is
  // throttled by the topic's leader/follower.replication.throttled.replicas and out of the ISR.
  replication_quota& leader_quota() noexcept { return leader_quota_; }
  replication_quota& follower_quota() noexcept { return follower_quota_; }
  bool throttled(const partition& p, int32_t replica, bool as_leader) const;
  // Replays the batch headers of the log into the partition's producer state.
  static void rebuild_producer_state(partition& p);

  // Consumer groups (src/group). start_groups() loads __consumer_offsets and starts the group timers.
  group::coordinator& groups() noexcept { return *groups_; }
  void start_groups();

 private:
  void apply_topic_configs(const std::string& name, const config_map& overrides);
  void update_replication(const std::shared_ptr<partition>& p, const cluster::partition_state& s, bool new_leadership);
  void start_isr_checks();

  boost::asio::any_io_executor ex_;
  broker_config config_;
  storage::log_manager& logs_;
  cluster::controller_node& controller_;
  std::map<std::string, topic> topics_;
  std::vector<boost::asio::steady_timer*> fetch_waiters_;
  std::unique_ptr<group::offsets_backend> groups_backend_;
  std::unique_ptr<group::coordinator> groups_;
  std::unique_ptr<boost::asio::steady_timer> groups_timer_;
  std::unique_ptr<replica_fetchers> fetchers_;
  replication_quota leader_quota_;
  replication_quota follower_quota_;
  std::unique_ptr<boost::asio::steady_timer> isr_timer_;
  bool groups_started_ = false;
  bool offsets_topic_requested_ = false;
  int64_t next_producer_id_ = 0;
  int64_t producer_id_block_end_ = 0;
};

// Kafka's topic-name rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(const std::string& name) noexcept;

}  // namespace samsa::server
