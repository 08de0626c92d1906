#include "samsa/server/topic_config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "samsa/storage/file.h"

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

std::optional<std::string> long_at_least(const std::string& name, const std::string& v, int64_t min, int64_t max) {
  int64_t x = 0;
  if (!parse_long(v, x)) return "Invalid value " + v + " for configuration " + name + ": Not a number of type LONG";
  if (x < min || x > max)
    return "Invalid value " + v + " for configuration " + name + ": Value must be at least " + std::to_string(min);
  return std::nullopt;
}

}  // namespace

std::span<const topic_config_key> topic_config_keys() noexcept { return kKeys; }

const topic_config_key* find_topic_config_key(std::string_view name) noexcept {
  for (const auto& k : kKeys)
    if (k.name == name) return &k;
  return nullptr;
}

std::optional<std::string> validate_topic_config(const std::string& name, const std::string& v) {
  if (!find_topic_config_key(name)) return "Unknown topic config name: " + name;
  if (name == "cleanup.policy") {
    if (v == "delete" || v == "compact" || v == "compact,delete" || v == "delete,compact") return std::nullopt;
    return "Invalid value " + v + " for configuration cleanup.policy: String must be one of: compact, delete";
  }
  if (name == "message.timestamp.type") {
    if (v == "CreateTime" || v == "LogAppendTime") return std::nullopt;
    return "Invalid value " + v + " for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime";
  }
  if (name == "unclean.leader.election.enable") {
    if (v == "true" || v == "false") return std::nullopt;
    return "Invalid value " + v + " for configuration unclean.leader.election.enable: Expected value to be either true or false";
  }
  if (name == "min.cleanable.dirty.ratio") {
    double d = 0;
    std::istringstream in(v);
    if (!(in >> d) || !in.eof() || d < 0 || d > 1)
      return "Invalid value " + v + " for configuration min.cleanable.dirty.ratio: Value must be between 0 and 1";
    return std::nullopt;
  }
  constexpr int64_t i32 = INT32_MAX;
  if (name == "retention.ms" || name == "retention.bytes") return long_at_least(name, v, -1, INT64_MAX);
  if (name == "segment.bytes") return long_at_least(name, v, 14, i32);
  if (name == "segment.ms") return long_at_least(name, v, 1, INT64_MAX);
  if (name == "segment.index.bytes") return long_at_least(name, v, 4, i32);
  if (name == "index.interval.bytes" || name == "max.message.bytes") return long_at_least(name, v, 0, i32);
  if (name == "flush.messages") return long_at_least(name, v, 1, INT64_MAX);
  if (name == "flush.ms" || name == "delete.retention.ms") return long_at_least(name, v, 0, INT64_MAX);
  if (name == "min.insync.replicas") return long_at_least(name, v, 1, i32);
  return std::nullopt;
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
  if (name == "min.insync.replicas") return "1";
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

std::error_code topic_config_store::load() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".properties") continue;
    std::ifstream in(e.path());
    config_map m;
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
      m[line.substr(0, eq)] = line.substr(eq + 1);
    }
    topics_[e.path().stem().string()] = std::move(m);
  }
  return ec;
}

const config_map& topic_config_store::get(const std::string& topic) const {
  static const config_map empty;
  auto it = topics_.find(topic);
  return it == topics_.end() ? empty : it->second;
}

std::error_code topic_config_store::set(const std::string& topic, const config_map& overrides) {
  std::string text = "# topic config overrides of " + topic + "\n";
  for (const auto& [k, v] : overrides) text += k + "=" + v + "\n";
  if (auto ec = storage::write_file_atomic(dir_ / (topic + ".properties"), text)) return ec;
  topics_[topic] = overrides;
  return {};
}

void topic_config_store::remove(const std::string& topic) {
  std::error_code ec;
  std::filesystem::remove(dir_ / (topic + ".properties"), ec);
  topics_.erase(topic);
}

}  // namespace samsa::server
