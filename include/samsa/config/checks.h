#pragma once
// Allowed values and custom validators shared by the key tables (a topic key and its broker synonym accept the
// same values, as in Kafka).
#include <optional>
#include <string>
#include <string_view>

namespace samsa::config {

inline constexpr std::string_view cleanup_policies[] = {"delete", "compact"};
inline constexpr std::string_view compression_types[] = {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"};
inline constexpr std::string_view timestamp_types[] = {"CreateTime", "LogAppendTime"};
inline constexpr std::string_view process_roles[] = {"broker", "controller"};

// {leader,follower}.replication.throttled.replicas: "*" or partition:broker pairs.
std::optional<std::string> check_throttled_replicas(std::string_view value);

}  // namespace samsa::config
