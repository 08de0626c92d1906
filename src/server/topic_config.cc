#include "samsa/server/topic_config.h"

#include "samsa/config/topic_table.h"
#include "samsa/config/value.h"

namespace samsa::server {
namespace {

// The override of topic key `k`, if the topic has one.
const std::string* override_of(const config_map& o, const config::key_def& k) {
  auto it = o.find(std::string(k.name));
  return it != o.end() ? &it->second : nullptr;
}

template <typename Field>
void apply_int(const config_map& o, const config::key_def& k, Field& field) {
  if (const std::string* v = override_of(o, k))
    if (auto n = config::parse_int<int64_t>(*v)) field = static_cast<Field>(*n);
}

}  // namespace

topic_default topic_config_default(const broker_config& b, const config::key_def& k) {
  if (!k.synonym.empty()) {
    if (auto it = b.settings.find(std::string(k.synonym)); it != b.settings.end())
      return {it->second, b.explicitly_set.count(it->first) > 0};
  }
  return {std::string(k.default_value), false};
}

storage::log_config effective_log_config(const broker_config& b, const config_map& o) {
  using config::topic_key;
  storage::log_config c = b.log_defaults;
  apply_int(o, topic_key("retention.ms"), c.retention_ms);
  apply_int(o, topic_key("retention.bytes"), c.retention_bytes);
  apply_int(o, topic_key("segment.bytes"), c.segment_bytes);
  apply_int(o, topic_key("segment.ms"), c.segment_ms);
  apply_int(o, topic_key("segment.index.bytes"), c.segment_index_bytes);
  apply_int(o, topic_key("index.interval.bytes"), c.index_interval_bytes);
  apply_int(o, topic_key("flush.messages"), c.flush_messages);
  apply_int(o, topic_key("flush.ms"), c.flush_ms);
  apply_int(o, topic_key("delete.retention.ms"), c.delete_retention_ms);
  if (const std::string* v = override_of(o, topic_key("cleanup.policy"))) {
    c.compact = false;
    c.delete_ = false;
    for (auto policy : config::split_list(*v)) {
      c.compact |= policy == "compact";
      c.delete_ |= policy == "delete";
    }
  }
  if (const std::string* v = override_of(o, topic_key("message.timestamp.type")))
    c.log_append_time = config::trim(*v) == "LogAppendTime";
  if (const std::string* v = override_of(o, topic_key("min.cleanable.dirty.ratio")))
    if (auto d = config::parse_double(*v)) c.min_cleanable_dirty_ratio = *d;
  return c;
}

int32_t effective_max_message_bytes(const broker_config& b, const config_map& o) {
  int32_t v = b.message_max_bytes;
  apply_int(o, config::topic_key("max.message.bytes"), v);
  return v;
}

replica::record_rules effective_record_rules(const broker_config& b, const config_map& o) {
  const storage::log_config log = effective_log_config(b, o);
  replica::record_rules r;
  r.compacted = log.compact;
  r.create_time = !log.log_append_time;
  auto value = [&](const config::key_def& k, int64_t& field) {
    const std::string* v = override_of(o, k);
    const std::string fallback = v ? std::string() : topic_config_default(b, k).value;
    if (auto n = config::parse_int<int64_t>(v ? *v : fallback); n && *n >= 0) field = *n;
  };
  value(config::topic_key("message.timestamp.before.max.ms"), r.timestamp_before_max_ms);
  value(config::topic_key("message.timestamp.after.max.ms"), r.timestamp_after_max_ms);
  return r;
}

int32_t effective_min_insync_replicas(const broker_config& b, const config_map& o) {
  // Validated >= 1 by the controller; a bad value would make every acks=all produce fail, so it is not trusted.
  int32_t v = b.replication.min_insync_replicas;
  if (const std::string* s = override_of(o, config::topic_key("min.insync.replicas")))
    if (auto n = config::parse_int<int32_t>(*s); n && *n >= 1) v = *n;
  return v;
}

}  // namespace samsa::server
