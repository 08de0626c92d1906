#pragma once
// Every topic-level key: Kafka's TopicConfig / LogConfig names, types, defaults and validators, and the broker key
// whose value a topic without an override gets (its synonym, as DescribeConfigs reports it). Every topic key may
// change at runtime (CreateTopics, AlterConfigs, IncrementalAlterConfigs; validated by the controller). Keys Samsa
// does not apply yet are still accepted and stored, so Kafka tooling that sets them keeps working.
// Sorted by name (static_assert below); docs/configuration.md is generated from this table.
#include <span>
#include <string_view>

#include "samsa/config/checks.h"
#include "samsa/config/key.h"
#include "samsa/config/lookup.h"

namespace samsa::config {
namespace detail {

using t = value_type;

constexpr key_def topic(std::string_view name, value_type type, std::string_view default_value, check valid,
                        std::string_view synonym, std::string_view doc) {
  return {.name = name, .type = type, .default_value = default_value, .valid = valid,
          .mode = update_mode::dynamic, .where = section::topic, .synonym = synonym, .doc = doc};
}

inline constexpr key_def topic_table[] = {
    topic("cleanup.policy", t::list, "delete", non_empty_list_of(cleanup_policies), "log.cleanup.policy",
          "`delete` removes old segments by retention; `compact` keeps the latest record of every key (log "
          "compaction), and refuses produced records without a key (INVALID_RECORD). Both may be listed."),
    topic("compression.type", t::string, "producer", one_of(compression_types), "compression.type",
          "Kafka recompresses batches to this codec. Accepted and stored; Samsa keeps batches as the producer "
          "compressed them."),
    topic("delete.retention.ms", t::int64, "86400000", at_least(0), "log.cleaner.delete.retention.ms",
          "How long compaction keeps tombstones (records with a null value)."),
    topic("file.delete.delay.ms", t::int64, "60000", at_least(0), "log.segment.delete.delay.ms",
          "Kafka waits this long before deleting a removed segment's files. Accepted and stored; Samsa does not "
          "apply it yet."),
    topic("flush.messages", t::int64, "9223372036854775807", at_least(1), "log.flush.interval.messages",
          "fsync after this many messages for acks=0/1 (acks=all is always fsynced before it is acknowledged)."),
    topic("flush.ms", t::int64, "9223372036854775807", at_least(0), "log.flush.interval.ms",
          "fsync after this long for acks=0/1 (acks=all is always fsynced before it is acknowledged)."),
    topic("follower.replication.throttled.replicas", t::list, "",
          matching(check_throttled_replicas, "`*` or `partition:broker`, comma-separated"), "",
          "Replicas whose out-of-sync followers fetch under the broker's `follower.replication.throttled.rate`."),
    topic("index.interval.bytes", t::int32, "4096", at_least(0), "log.index.interval.bytes",
          "Log bytes between two offset-index entries."),
    topic("leader.replication.throttled.replicas", t::list, "",
          matching(check_throttled_replicas, "`*` or `partition:broker`, comma-separated"), "",
          "Replicas whose out-of-sync followers the leader serves under the broker's "
          "`leader.replication.throttled.rate`."),
    topic("max.compaction.lag.ms", t::int64, "9223372036854775807", at_least(1), "log.cleaner.max.compaction.lag.ms",
          "Longest time a record may stay uncompacted. Accepted and stored; Samsa does not apply it yet."),
    topic("max.message.bytes", t::int32, "1048588", at_least(0), "message.max.bytes",
          "Largest record batch accepted for the topic (MESSAGE_TOO_LARGE above)."),
    topic("message.downconversion.enable", t::boolean, "true", any(), "log.message.downconversion.enable",
          "Whether Kafka down-converts batches for old fetch versions. Accepted and stored; Samsa does not "
          "down-convert."),
    topic("message.timestamp.after.max.ms", t::int64, "9223372036854775807", at_least(0),
          "log.message.timestamp.after.max.ms",
          "How far ahead of the broker's clock a CreateTime record's timestamp may be; a produced batch with a "
          "record beyond it is refused with INVALID_TIMESTAMP, the record listed in record_errors (v8+)."),
    topic("message.timestamp.before.max.ms", t::int64, "9223372036854775807", at_least(0),
          "log.message.timestamp.before.max.ms",
          "How far behind the broker's clock a CreateTime record's timestamp may be; a produced batch with a "
          "record beyond it is refused with INVALID_TIMESTAMP, the record listed in record_errors (v8+)."),
    topic("message.timestamp.difference.max.ms", t::int64, "9223372036854775807", at_least(0),
          "log.message.timestamp.difference.max.ms",
          "Kafka's older form of the two keys above. Accepted and stored; Samsa does not apply it yet."),
    topic("message.timestamp.type", t::string, "CreateTime", one_of(timestamp_types), "log.message.timestamp.type",
          "CreateTime keeps producer timestamps; LogAppendTime stamps them."),
    topic("min.cleanable.dirty.ratio", t::float64, "0.5", between(0, 1), "log.cleaner.min.cleanable.ratio",
          "Compaction of a partition runs once at least this share of its log is uncompacted."),
    topic("min.compaction.lag.ms", t::int64, "0", at_least(0), "log.cleaner.min.compaction.lag.ms",
          "Shortest time a record stays uncompacted. Accepted and stored; Samsa does not apply it yet."),
    topic("min.insync.replicas", t::int32, "1", at_least(1), "min.insync.replicas",
          "An `acks=all` produce fails with NOT_ENOUGH_REPLICAS while the ISR is smaller than this."),
    topic("preallocate", t::boolean, "false", any(), "log.preallocate",
          "Whether Kafka preallocates segment files. Accepted and stored; Samsa does not preallocate."),
    topic("retention.bytes", t::int64, "-1", any(), "log.retention.bytes",
          "Per-partition size above which old segments are deleted (-1: no limit)."),
    topic("retention.ms", t::int64, "604800000", at_least(-1), "log.retention.ms",
          "Segments older than this are deleted (-1: never)."),
    topic("segment.bytes", t::int32, "1073741824", at_least(14), "log.segment.bytes",
          "Segment size at which a new segment is rolled."),
    topic("segment.index.bytes", t::int32, "10485760", at_least(4), "log.index.size.max.bytes",
          "Largest offset index; a full index rolls the segment."),
    topic("segment.jitter.ms", t::int64, "0", at_least(0), "log.roll.jitter.ms",
          "Random jitter Kafka subtracts from `segment.ms`. Accepted and stored; Samsa does not apply it yet."),
    topic("segment.ms", t::int64, "604800000", at_least(1), "log.roll.ms",
          "Segment age at which a new segment is rolled."),
    topic("unclean.leader.election.enable", t::boolean, "false", any(), "unclean.leader.election.enable",
          "Elect a leader outside the ISR when no in-sync replica is alive (may lose acknowledged data). Turning it "
          "on elects the topic's leaderless partitions at once."),
};

}  // namespace detail

inline constexpr std::span<const key_def> topic_table{detail::topic_table};
static_assert(sorted_unique(topic_table), "topic keys must be sorted by name, each once");

// nullptr for a key that is not a topic key.
inline const key_def* find_topic_key(std::string_view name) noexcept { return find(topic_table, name); }

// A topic key named in code: compile error when it is not declared above.
consteval const key_def& topic_key(std::string_view name) { return declared(topic_table, name); }

}  // namespace samsa::config
