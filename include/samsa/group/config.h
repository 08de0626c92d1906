#pragma once
// Group-coordinator settings (Kafka's group.* / offsets.* broker keys; see docs/configuration.md).
#include <cstdint>

namespace samsa::group {

struct group_config {
  int64_t initial_rebalance_delay_ms = 3000;        // group.initial.rebalance.delay.ms
  int32_t min_session_timeout_ms = 6000;            // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;         // group.max.session.timeout.ms
  int32_t max_size = 2147483647;                    // group.max.size
  int32_t offsets_topic_num_partitions = 50;        // offsets.topic.num.partitions
  int16_t offsets_topic_replication_factor = 3;     // offsets.topic.replication.factor (capped at live brokers)
  int64_t offsets_topic_segment_bytes = 104857600;  // offsets.topic.segment.bytes
  int64_t offsets_retention_ms = 10080LL * 60000;   // offsets.retention.minutes
  int64_t offsets_retention_check_interval_ms = 600000;  // offsets.retention.check.interval.ms
  int32_t offset_metadata_max_bytes = 4096;         // offset.metadata.max.bytes
  int32_t offsets_load_buffer_size = 5242880;       // offsets.load.buffer.size
  int64_t offsets_commit_timeout_ms = 5000;         // offsets.commit.timeout.ms (waiting for the replicas)
  // Samsa limit (no Kafka key): total protocol-metadata bytes one member may send in JoinGroup.
  int32_t max_member_metadata_bytes = 1048576;
};

}  // namespace samsa::group
