#pragma once
// Kafka's topic name rules, as CreateTopics checks them.
#include <string>
#include <string_view>

#include "samsa/cluster/types.h"

namespace samsa::cluster {

// 1..249 chars of [a-zA-Z0-9._-], not "." or "..". Returns ok() or INVALID_TOPIC_EXCEPTION.
api_error validate_topic_name(std::string_view name);
// Kafka forbids topics whose names differ only by '.' vs '_' (metric names would collide).
std::string collision_key(std::string_view name);

}  // namespace samsa::cluster
