#pragma once
// Per-partition log configuration (the Kafka topic-level log.* / segment.* / retention.* settings).
#include <cstdint>
#include <limits>

namespace samsa::storage {

struct log_config {
  uint64_t segment_bytes = 1073741824;        // segment.bytes: roll when the active segment would exceed it
  int64_t segment_ms = 604800000;             // segment.ms: roll when the active segment is older than this
  uint32_t index_interval_bytes = 4096;       // index.interval.bytes: an offset-index entry every N log bytes
  uint32_t segment_index_bytes = 10485760;    // segment.index.bytes: roll when an index would exceed it
  int64_t retention_ms = 604800000;           // retention.ms (-1 = unlimited)
  int64_t retention_bytes = -1;               // retention.bytes (-1 = unlimited)
  int64_t flush_messages = std::numeric_limits<int64_t>::max();  // flush.messages
  int64_t flush_ms = std::numeric_limits<int64_t>::max();        // flush.ms
  bool compact = false;                       // cleanup.policy contains "compact"
  bool delete_ = true;                        // cleanup.policy contains "delete"

  // --- samsa additions ---
  bool log_append_time = false;               // message.timestamp.type=LogAppendTime: stamp maxTimestamp on append
  int64_t delete_retention_ms = 86400000;     // delete.retention.ms: how long compaction keeps tombstones
  double min_cleanable_dirty_ratio = 0.5;     // min.cleanable.dirty.ratio
  // Minimum interval between recovery-point checkpoint writes after flushes (0 = after every flush). The
  // checkpoint is always written on close. A stale checkpoint only makes recovery scan more.
  int64_t recovery_point_checkpoint_ms = 1000;
  // CRC-verify every segment at open, not just those at/after the recovery point (slow; for tests/paranoia).
  bool verify_all_segments_on_open = false;
};

}  // namespace samsa::storage
