#include "samsa/server/topic_config.h"

#include <charconv>
#include <sstream>


namespace samsa::server {
namespace {

constexpr topic_config_key kKeys[] = {
    {"cleanup.policy", "log.cleanup.policy"},
    {"retention.ms", "log.retention.ms"},
    {"retention.bytes", "log.retention.bytes"},
    {"segment.bytes", "log.segment.bytes"},
    {"segment.ms", "log.roll.ms"},
    {"segment.index.bytes", "log.index.size.max.bytes"},
    {"index.interval.bytes", "log.index.interval.bytes"},
    {"max.message.bytes", "message.max.bytes"},
    {"message.timestamp.type", "log.message.timestamp.type"},
    {"flush.messages", "log.flush.interval.messages"},
    {"flush.ms", "log.flush.interval.ms"},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms"},
    {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio"},
    {"min.insync.replicas", "min.insync.replicas"},
    {"unclean.leader.election.enable", "unclean.leader.election.enable"},
};

bool parse_long(const std::string& s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::span<const topic_config_key> topic_config_keys() noexcept { return kKeys; }

const topic_config_key* find_topic_config_key(std::string_view name) noexcept {
  for (const auto& k : kKeys)
    if (k.name == name) return &k;
  return nullptr;
}

std::string topic_config_default(const broker_config& b, std::string_view name) {
  const auto& d = b.log_defaults;
  if (name == "cleanup.policy") return d.compact ? (d.delete_ ? "compact,delete" : "compact") : "delete";
  if (name == "retention.ms") return std::to_string(d.retention_ms);
  if (name == "retention.bytes") return std::to_string(d.retention_bytes);
  if (name == "segment.bytes") return std::to_string(d.segment_bytes);
  if (name == "segment.ms") return std::to_string(d.segment_ms);
  if (name == "segment.index.bytes") return std::to_string(d.segment_index_bytes);
  if (name == "index.interval.bytes") return std::to_string(d.index_interval_bytes);
  if (name == "max.message.bytes") return std::to_string(b.message_max_bytes);
  if (name == "message.timestamp.type") return d.log_append_time ? "LogAppendTime" : "CreateTime";
  if (name == "flush.messages") return std::to_string(d.flush_messages);
  if (name == "flush.ms") return std::to_string(d.flush_ms);
  if (name == "delete.retention.ms") return std::to_string(d.delete_retention_ms);
  if (name == "min.cleanable.dirty.ratio") {
    std::ostringstream o;
    o << d.min_cleanable_dirty_ratio;
    return o.str();
  }
  if (name == "min.insync.replicas") return std::to_string(b.replication.min_insync_replicas);
  if (name == "unclean.leader.election.enable") return "false";
  return "";
}

storage::log_config effective_log_config(const broker_config& b, const config_map& o) {
  storage::log_config c = b.log_defaults;
  auto num = [&](const char* key, auto& field) {
    auto it = o.find(key);
    int64_t v = 0;
    if (it != o.end() && parse_long(it->second, v)) field = static_cast<std::remove_reference_t<decltype(field)>>(v);
  };
  num("retention.ms", c.retention_ms);
  num("retention.bytes", c.retention_bytes);
  num("segment.bytes", c.segment_bytes);
  num("segment.ms", c.segment_ms);
  num("segment.index.bytes", c.segment_index_bytes);
  num("index.interval.bytes", c.index_interval_bytes);
  num("flush.messages", c.flush_messages);
  num("flush.ms", c.flush_ms);
  num("delete.retention.ms", c.delete_retention_ms);
  if (auto it = o.find("cleanup.policy"); it != o.end()) {
    c.compact = it->second.find("compact") != std::string::npos;
    c.delete_ = it->second.find("delete") != std::string::npos;
  }
  if (auto it = o.find("message.timestamp.type"); it != o.end()) c.log_append_time = it->second == "LogAppendTime";
  if (auto it = o.find("min.cleanable.dirty.ratio"); it != o.end()) c.min_cleanable_dirty_ratio = std::stod(it->second);
  return c;
}

int32_t effective_max_message_bytes(const broker_config& b, const config_map& o) {
  auto it = o.find("max.message.bytes");
  int64_t v = 0;
  if (it != o.end() && parse_long(it->second, v)) return static_cast<int32_t>(v);
  return b.message_max_bytes;
}

}  // namespace samsa::server

namespace samsa::server {

int32_t effective_min_insync_replicas(const broker_config& b, const config_map& o) {
  auto it = o.find("min.insync.replicas");
  int64_t v = 0;
  if (it != o.end() && parse_long(it->second, v) && v >= 1 && v <= INT32_MAX) return static_cast<int32_t>(v);
  return b.replication.min_insync_replicas;
}

}  // namespace samsa::server
