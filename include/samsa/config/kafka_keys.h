#pragma once
// The broker configuration keys Apache Kafka defines (names only), so that a server.properties written for Kafka
// starts samsad: a key samsad does not implement is accepted with one warning naming it, while a key neither defines
// (a typo) is refused with the nearest known key as a suggestion. The list is Kafka 3.x/4.x's broker, controller and
// security keys (docs/configuration.md, "Kafka keys without an effect here").
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace samsa::config {

// Sorted, unique.
std::span<const std::string_view> kafka_broker_keys() noexcept;
bool is_kafka_broker_key(std::string_view name) noexcept;

// The known broker key (samsad's or Kafka's) nearest to `name` by edit distance, when one is close enough to be a
// likely typo (at most a third of the name's length, and at most 4 edits).
std::optional<std::string> nearest_broker_key(std::string_view name);

}  // namespace samsa::config
