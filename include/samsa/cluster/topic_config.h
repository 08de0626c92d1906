#pragma once
// The topic-level config keys the controller accepts (Kafka's TopicConfig / LogConfig names), with their types and
// validators. CreateTopics and AlterConfigs validate every value here; an unknown key or a bad value is
// INVALID_CONFIG. Also the few dynamic broker keys AlterConfigs accepts for BROKER resources.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "samsa/cluster/types.h"

namespace samsa::cluster {

enum class config_type { boolean, int32, int64, float64, string, list };

struct config_key {
  std::string_view name;
  config_type type;
  std::string_view default_value;  // Kafka's default, as a string ("" when none)
};

std::span<const config_key> topic_config_keys() noexcept;
std::span<const config_key> broker_config_keys() noexcept;
const config_key* find_topic_config(std::string_view name) noexcept;
const config_key* find_broker_config(std::string_view name) noexcept;

// Validates value for key (type, range, allowed values). ok() or INVALID_CONFIG with a message naming key and value.
api_error validate_topic_config(std::string_view key, std::string_view value);
api_error validate_broker_config(std::string_view key, std::string_view value);

// Kafka's parsing of a boolean config ("true"/"false", case-insensitive, trimmed).
std::optional<bool> parse_bool(std::string_view v);

// Topic name rules: 1..249 chars of [a-zA-Z0-9._-], not "." or "..". Returns ok() or INVALID_TOPIC_EXCEPTION.
api_error validate_topic_name(std::string_view name);
// Kafka forbids topics whose names differ only by '.' vs '_' (metric names would collide).
std::string collision_key(std::string_view name);

}  // namespace samsa::cluster
