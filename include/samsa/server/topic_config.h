#pragma once
// Per-topic configuration overrides (Kafka's topic config names), their validation, how they combine with the
// broker defaults into a storage::log_config, and (until the controller's metadata log holds them) their
// persistence: one properties file per topic under <log.dirs>/topic-configs/, replaced atomically.
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "samsa/server/config.h"
#include "samsa/storage/log_config.h"

namespace samsa::server {

using config_map = std::map<std::string, std::string>;

struct topic_config_key {
  std::string_view name;         // topic-level key, e.g. retention.ms
  std::string_view broker_key;   // the broker default it falls back to, e.g. log.retention.ms
};

std::span<const topic_config_key> topic_config_keys() noexcept;
const topic_config_key* find_topic_config_key(std::string_view name) noexcept;

// An error message when `value` is not valid for `name` (or the name is unknown), nullopt when valid.
std::optional<std::string> validate_topic_config(const std::string& name, const std::string& value);

// The broker's default for a topic key, as a string (what DescribeConfigs shows when not overridden).
std::string topic_config_default(const broker_config& broker, std::string_view name);

// Broker defaults with the topic's overrides applied (all overrides must be valid).
storage::log_config effective_log_config(const broker_config& broker, const config_map& overrides);
int32_t effective_max_message_bytes(const broker_config& broker, const config_map& overrides);

class topic_config_store {
 public:
  explicit topic_config_store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::error_code load();
  const config_map& get(const std::string& topic) const;
  std::error_code set(const std::string& topic, const config_map& overrides);  // durable before it returns
  void remove(const std::string& topic);

 private:
  std::filesystem::path dir_;
  std::map<std::string, config_map> topics_;
};

}  // namespace samsa::server
