#pragma once
// The broker's view of its topics and partitions, shared by all request handlers. Lives on the network
// io_context thread: handlers call it without locks. Until the Raft controller lands, topic metadata is derived
// from the partition directories on disk (a topic exists when its <topic>-<n> directories do).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "samsa/server/config.h"
#include "samsa/server/producer_state.h"
#include "samsa/server/topic_config.h"

namespace samsa::storage {
class log_manager;
class partition_log;
}  // namespace samsa::storage
namespace samsa::group {
class coordinator;
class offsets_backend;
}  // namespace samsa::group

namespace samsa::server {

struct partition {
  std::string topic;
  int32_t index = 0;
  std::shared_ptr<storage::partition_log> log;
  producer_state producers;  // idempotent-producer sequences, rebuilt from the log at start-up
};

struct topic {
  std::string name;
  std::vector<std::shared_ptr<partition>> partitions;
  int32_t max_message_bytes = 1048588;  // max.message.bytes, override or broker default
};

class broker {
 public:
  broker(boost::asio::any_io_executor ex, broker_config config, std::string cluster_id, storage::log_manager& logs);
  ~broker();

  const broker_config& config() const noexcept { return config_; }
  const std::string& cluster_id() const noexcept { return cluster_id_; }
  boost::asio::any_io_executor executor() const noexcept { return ex_; }
  const endpoint& advertised() const noexcept;

  // Rebuilds the topic table from the partitions the log manager loaded at start-up.
  void load_topics();
  // Stops the broker's own timers (the log manager flushes and closes the logs).
  void close();
  const std::map<std::string, topic>& topics() const noexcept { return topics_; }
  const topic* find_topic(const std::string& name) const;
  std::shared_ptr<partition> find_partition(const std::string& topic, int32_t index) const;

  // Returns a Kafka error code (0 on success).
  int16_t create_topic(const std::string& name, int32_t partitions, bool validate_only,
                       const config_map& configs = {}, std::string* error_message = nullptr);
  // Per-topic config overrides: the current set, and replacing it (validated, persisted, applied to the logs at
  // once). Returns a Kafka error code; the message says which key is wrong.
  const config_map& topic_configs(const std::string& name) const { return configs_.get(name); }
  int16_t set_topic_configs(const std::string& name, const config_map& overrides, bool validate_only,
                            std::string& error_message);
  int16_t delete_topic(const std::string& name);
  int16_t add_partitions(const std::string& name, int32_t new_total);

  // A new idempotent producer id, unique across restarts: ids are reserved in blocks recorded (fsynced) in
  // <log.dirs>/producer-id-block before any id of the block is handed out. -1 if the block cannot be saved.
  int64_t allocate_producer_id();

  // Fetch long-polls park a timer here; an append wakes them all so they re-check.
  void park_fetch(boost::asio::steady_timer* t) { fetch_waiters_.push_back(t); }
  void unpark_fetch(boost::asio::steady_timer* t);
  void notify_append();

  // Consumer groups (src/group). start_groups() loads __consumer_offsets and starts the group timers.
  group::coordinator& groups() noexcept { return *groups_; }
  void start_groups();

 private:
  boost::asio::any_io_executor ex_;
  broker_config config_;
  std::string cluster_id_;
  storage::log_manager& logs_;
  topic_config_store configs_;
  std::map<std::string, topic> topics_;
  std::vector<boost::asio::steady_timer*> fetch_waiters_;
  std::unique_ptr<group::offsets_backend> groups_backend_;
  std::unique_ptr<group::coordinator> groups_;
  std::unique_ptr<boost::asio::steady_timer> groups_timer_;
  int64_t next_producer_id_ = 0;
  int64_t producer_id_block_end_ = 0;
};

// Kafka's topic-name rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(const std::string& name) noexcept;

}  // namespace samsa::server
