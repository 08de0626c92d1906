#pragma once
// What the serving path needs from the broker configuration, as a plain struct (the daemon fills it from
// Kafka-named keys; see docs/configuration.md).
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "samsa/group/config.h"
#include "samsa/storage/log_config.h"

namespace samsa::server {

struct endpoint {
  std::string listener_name = "PLAINTEXT";
  std::string host = "127.0.0.1";
  uint16_t port = 9092;
};

// The metadata quorum (KRaft's keys). See docs/raft.md and docs/configuration.md.
struct quorum_config {
  bool broker_role = true;                      // process.roles contains broker
  bool controller_role = true;                  // process.roles contains controller
  std::map<int32_t, endpoint> voters;           // controller.quorum.voters (id -> controller listener); empty: this node
  std::set<std::string> controller_listener_names{"CONTROLLER"};
  std::filesystem::path metadata_log_dir;       // metadata.log.dir; empty: the first log dir
  int32_t election_timeout_ms = 1000;           // controller.quorum.election.timeout.ms
  int64_t broker_heartbeat_interval_ms = 2000;  // broker.heartbeat.interval.ms
  int64_t broker_session_timeout_ms = 9000;     // broker.session.timeout.ms
  bool unclean_leader_election_enable = false;  // unclean.leader.election.enable
  bool auto_leader_rebalance_enable = true;     // auto.leader.rebalance.enable
  int64_t leader_imbalance_check_interval_seconds = 300;  // leader.imbalance.check.interval.seconds
  int32_t leader_imbalance_per_broker_percentage = 10;    // leader.imbalance.per.broker.percentage
};

// Partition replication between brokers (Kafka's keys). See docs/replication.md.
struct replication_config {
  int32_t min_insync_replicas = 1;         // min.insync.replicas (topic override of the same name)
  int64_t lag_time_max_ms = 30000;         // replica.lag.time.max.ms
  int32_t fetch_wait_max_ms = 500;         // replica.fetch.wait.max.ms
  int32_t fetch_min_bytes = 1;             // replica.fetch.min.bytes
  int32_t fetch_max_bytes = 1048576;       // replica.fetch.max.bytes (per partition)
  int32_t fetch_response_max_bytes = 10485760;  // replica.fetch.response.max.bytes
  int64_t fetch_backoff_ms = 1000;         // replica.fetch.backoff.ms
  int32_t num_replica_fetchers = 1;        // num.replica.fetchers (per source broker)
  int32_t socket_timeout_ms = 30000;       // replica.socket.timeout.ms
  int64_t leader_throttled_rate = INT64_MAX;    // leader.replication.throttled.rate (bytes/s)
  int64_t follower_throttled_rate = INT64_MAX;  // follower.replication.throttled.rate (bytes/s)
};

struct broker_config {
  int32_t node_id = 1;
  std::vector<endpoint> listeners{endpoint{}};   // client listeners (controller listeners are in quorum)
  std::vector<endpoint> controller_listeners;
  std::vector<endpoint> advertised_listeners;  // empty: same as listeners
  std::vector<std::filesystem::path> log_dirs{"data"};
  int32_t num_partitions = 1;
  int16_t default_replication_factor = 1;
  bool auto_create_topics_enable = true;
  bool delete_topic_enable = true;
  int32_t socket_request_max_bytes = 104857600;
  int32_t reactor_threads = 0;                // reactor.threads: shards serving connections; 0 = one per core
  int32_t socket_send_buffer_bytes = -1;      // SO_SNDBUF of client connections; -1: the OS's (autotuned)
  int32_t socket_receive_buffer_bytes = -1;   // SO_RCVBUF of the listeners and their connections; -1: the OS's
  int32_t queued_max_requests = 500;          // per connection: requests read but not yet answered
  int64_t connections_max_idle_ms = 600000;
  int32_t max_connections = 2147483647;
  int32_t message_max_bytes = 1048588;        // message.max.bytes (topic max.message.bytes default)
  int64_t log_flush_interval_ms = INT64_MAX;  // broker defaults for flush.ms / flush.messages
  int64_t log_flush_interval_messages = INT64_MAX;
  int64_t log_retention_check_interval_ms = 300000;
  int64_t max_open_segment_files = 1024;      // samsa.log.max.open.segment.files (0: unbounded)
  storage::log_config log_defaults;
  std::string rack;
  // Every broker key with its effective value, and the keys set explicitly (file or --override), so
  // DescribeConfigs can report values and sources.
  std::map<std::string, std::string> settings;
  std::set<std::string> explicitly_set;
  // Keys given that Kafka defines but that have no effect in samsad (logged once at start-up).
  std::vector<std::string> keys_without_effect;
  group::group_config group;                  // group.* / offsets.* (consumer groups)
  quorum_config quorum;
  replication_config replication;
};

}  // namespace samsa::server
