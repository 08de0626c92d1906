#pragma once
// Per-topic configuration overrides (Kafka's topic config names) as the broker applies them: how they combine with
// the broker defaults into a storage::log_config, and what DescribeConfigs shows. The overrides live in the
// metadata log and are validated by the controller (src/cluster/topic_config.cc).
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

// The broker's default for a topic key, as a string (what DescribeConfigs shows when not overridden).
std::string topic_config_default(const broker_config& broker, std::string_view name);

// Broker defaults with the topic's overrides applied (all overrides must be valid).
storage::log_config effective_log_config(const broker_config& broker, const config_map& overrides);
int32_t effective_max_message_bytes(const broker_config& broker, const config_map& overrides);
int32_t effective_min_insync_replicas(const broker_config& broker, const config_map& overrides);

}  // namespace samsa::server
