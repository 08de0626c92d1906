// Topic and broker config keys with their types and validators (Kafka's LogConfig / TopicConfig names and ranges).
#include "samsa/cluster/topic_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace samsa::cluster {
namespace {

using t = config_type;

// Sorted by name. Defaults are Kafka's.
constexpr std::array<config_key, 27> topic_keys{{
    {"cleanup.policy", t::list, "delete"},
    {"compression.type", t::string, "producer"},
    {"delete.retention.ms", t::int64, "86400000"},
    {"file.delete.delay.ms", t::int64, "60000"},
    {"flush.messages", t::int64, "9223372036854775807"},
    {"flush.ms", t::int64, "9223372036854775807"},
    {"follower.replication.throttled.replicas", t::list, ""},
    {"index.interval.bytes", t::int32, "4096"},
    {"leader.replication.throttled.replicas", t::list, ""},
    {"max.compaction.lag.ms", t::int64, "9223372036854775807"},
    {"max.message.bytes", t::int32, "1048588"},
    {"message.downconversion.enable", t::boolean, "true"},
    {"message.timestamp.after.max.ms", t::int64, "9223372036854775807"},
    {"message.timestamp.before.max.ms", t::int64, "9223372036854775807"},
    {"message.timestamp.difference.max.ms", t::int64, "9223372036854775807"},
    {"message.timestamp.type", t::string, "CreateTime"},
    {"min.cleanable.dirty.ratio", t::float64, "0.5"},
    {"min.compaction.lag.ms", t::int64, "0"},
    {"min.insync.replicas", t::int32, "1"},
    {"preallocate", t::boolean, "false"},
    {"retention.bytes", t::int64, "-1"},
    {"retention.ms", t::int64, "604800000"},
    {"segment.bytes", t::int32, "1073741824"},
    {"segment.index.bytes", t::int32, "10485760"},
    {"segment.jitter.ms", t::int64, "0"},
    {"segment.ms", t::int64, "604800000"},
    {"unclean.leader.election.enable", t::boolean, "false"},
}};

// Dynamic broker keys accepted for BROKER resources (per broker or cluster default).
constexpr std::array<config_key, 9> broker_keys{{
    {"log.cleaner.threads", t::int32, "1"},
    {"log.retention.bytes", t::int64, "-1"},
    {"log.retention.ms", t::int64, ""},
    {"log.segment.bytes", t::int32, "1073741824"},
    {"log.segment.ms", t::int64, ""},
    {"message.max.bytes", t::int32, "1048588"},
    {"min.insync.replicas", t::int32, "1"},
    {"num.io.threads", t::int32, "8"},
    {"unclean.leader.election.enable", t::boolean, "false"},
}};

std::string_view trim(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

template <typename I>
std::optional<I> parse_int(std::string_view v) {
  v = trim(v);
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  I out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size() || v.empty()) return std::nullopt;
  return out;
}

std::optional<double> parse_double(std::string_view v) {
  v = trim(v);
  if (v.empty()) return std::nullopt;
  std::string s(v);
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::vector<std::string_view> split_list(std::string_view v) {
  std::vector<std::string_view> out;
  v = trim(v);
  if (v.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    out.push_back(trim(v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

api_error invalid(std::string_view key, std::string_view value, std::string_view why) {
  return {err::invalid_config,
          "Invalid value " + std::string(value) + " for configuration " + std::string(key) + ": " + std::string(why)};
}

const config_key* find_in(std::span<const config_key> keys, std::string_view name) {
  auto it = std::lower_bound(keys.begin(), keys.end(), name,
                             [](const config_key& k, std::string_view n) { return k.name < n; });
  return it != keys.end() && it->name == name ? &*it : nullptr;
}

// Type check, shared by topic and broker keys.
api_error check_type(const config_key& k, std::string_view value) {
  switch (k.type) {
    case t::boolean:
      if (!parse_bool(value)) return invalid(k.name, value, "Expected value to be either true or false");
      break;
    case t::int32:
      if (!parse_int<int32_t>(value)) return invalid(k.name, value, "Expected value to be a 32-bit integer");
      break;
    case t::int64:
      if (!parse_int<int64_t>(value)) return invalid(k.name, value, "Expected value to be a 64-bit integer");
      break;
    case t::float64:
      if (!parse_double(value)) return invalid(k.name, value, "Expected value to be a double");
      break;
    case t::string:
    case t::list: break;
  }
  return {};
}

api_error at_least(std::string_view key, std::string_view value, int64_t min) {
  if (*parse_int<int64_t>(value) < min)
    return invalid(key, value, "Value must be at least " + std::to_string(min));
  return {};
}

}  // namespace

std::span<const config_key> topic_config_keys() noexcept { return topic_keys; }
std::span<const config_key> broker_config_keys() noexcept { return broker_keys; }
const config_key* find_topic_config(std::string_view name) noexcept { return find_in(topic_keys, name); }
const config_key* find_broker_config(std::string_view name) noexcept { return find_in(broker_keys, name); }

std::optional<bool> parse_bool(std::string_view v) {
  v = trim(v);
  auto eq = [&](std::string_view w) {
    return v.size() == w.size() &&
           std::equal(v.begin(), v.end(), w.begin(), [](char a, char b) { return std::tolower(a) == b; });
  };
  if (eq("true")) return true;
  if (eq("false")) return false;
  return std::nullopt;
}

api_error validate_topic_config(std::string_view key, std::string_view value) {
  const config_key* k = find_topic_config(key);
  if (k == nullptr) return {err::invalid_config, "Unknown topic config name: " + std::string(key)};
  if (auto e = check_type(*k, value); !e.ok()) return e;
  if (key == "cleanup.policy") {
    const auto items = split_list(value);
    if (items.empty()) return invalid(key, value, "cleanup.policy must not be empty");
    for (auto item : items)
      if (item != "delete" && item != "compact")
        return invalid(key, value, "String must be one of: delete, compact");
    return {};
  }
  if (key == "compression.type") {
    static constexpr std::string_view ok[] = {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"};
    if (std::find(std::begin(ok), std::end(ok), trim(value)) == std::end(ok))
      return invalid(key, value, "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer");
    return {};
  }
  if (key == "message.timestamp.type") {
    if (trim(value) != "CreateTime" && trim(value) != "LogAppendTime")
      return invalid(key, value, "String must be one of: CreateTime, LogAppendTime");
    return {};
  }
  if (key == "min.cleanable.dirty.ratio") {
    const double d = *parse_double(value);
    if (d < 0.0 || d > 1.0) return invalid(key, value, "Value must be between 0 and 1");
    return {};
  }
  if (key == "leader.replication.throttled.replicas" || key == "follower.replication.throttled.replicas") {
    // "*" or a list of partition:broker pairs.
    for (auto item : split_list(value)) {
      if (item == "*") continue;
      const size_t colon = item.find(':');
      if (colon == std::string_view::npos || !parse_int<int32_t>(item.substr(0, colon)) ||
          !parse_int<int32_t>(item.substr(colon + 1)))
        return invalid(key, value, "Expected \"*\" or a list of partition:broker pairs");
    }
    return {};
  }
  // Numeric lower bounds (Kafka's LogConfig validators).
  if (key == "retention.ms") return at_least(key, value, -1);
  if (key == "segment.bytes") return at_least(key, value, 14);
  if (key == "segment.index.bytes") return at_least(key, value, 4);
  if (key == "segment.ms" || key == "flush.messages" || key == "max.compaction.lag.ms" ||
      key == "min.insync.replicas")
    return at_least(key, value, 1);
  if (key == "delete.retention.ms" || key == "file.delete.delay.ms" || key == "flush.ms" ||
      key == "index.interval.bytes" || key == "max.message.bytes" || key == "min.compaction.lag.ms" ||
      key == "segment.jitter.ms" || key == "message.timestamp.difference.max.ms" ||
      key == "message.timestamp.before.max.ms" || key == "message.timestamp.after.max.ms")
    return at_least(key, value, 0);
  return {};  // retention.bytes: any long (-1 = unlimited); booleans: type checked above
}

api_error validate_broker_config(std::string_view key, std::string_view value) {
  const config_key* k = find_broker_config(key);
  if (k == nullptr) return {err::invalid_config, "Unknown or read-only broker config name: " + std::string(key)};
  if (auto e = check_type(*k, value); !e.ok()) return e;
  if (key == "log.cleaner.threads" || key == "num.io.threads" || key == "min.insync.replicas")
    return at_least(key, value, 1);
  if (key == "log.segment.bytes") return at_least(key, value, 14);
  if (key == "log.retention.ms") return at_least(key, value, -1);
  if (key == "log.segment.ms") return at_least(key, value, 1);
  if (key == "message.max.bytes") return at_least(key, value, 0);
  return {};
}

api_error validate_topic_name(std::string_view name) {
  if (name.empty()) return {err::invalid_topic_exception, "Topic name is illegal, it can't be empty"};
  if (name == "." || name == "..")
    return {err::invalid_topic_exception, "Topic name cannot be \".\" or \"..\""};
  if (name.size() > 249)
    return {err::invalid_topic_exception,
            "Topic name is illegal, it can't be longer than 249 characters, topic name: " + std::string(name)};
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return {err::invalid_topic_exception,
              "Topic name \"" + std::string(name) +
                  "\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"};
  }
  return {};
}

std::string collision_key(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

}  // namespace samsa::cluster
