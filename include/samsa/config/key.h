#pragma once
// What one configuration key is: Kafka's name, type, default, the values it accepts, whether it may change at
// runtime, the broker key a topic key falls back to, and its doc line. Every key samsad knows is declared once, as
// a key_def in broker_table.h or topic_table.h; the properties parser, the controller's AlterConfigs rules,
// DescribeConfigs, docs/configuration.md and config/server.properties all read those tables.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace samsa::config {

// Kafka's ConfigDef types (short = int16, int = int32, long = int64).
enum class value_type : uint8_t { boolean, int16, int32, int64, float64, string, list };

// When a key's value may change (Kafka's "update mode").
enum class update_mode : uint8_t {
  read_only,     // set at start-up (server.properties / --override) only
  dynamic,       // also by AlterConfigs / IncrementalAlterConfigs at runtime
  dynamic_only,  // only by AlterConfigs: the controller stores it; samsad reads no start-up value for it
};

// Where a key is documented: docs/configuration.md and config/server.properties group broker keys by it; every
// topic key is in `topic`.
enum class section : uint8_t { node, controller, replication, log, group, topic };

// The values a key accepts beyond its type. Data rather than a function, so the docs can say what it accepts.
struct check {
  enum class kind : uint8_t {
    any,       // every value of the type
    at_least,  // numbers >= lo
    between,   // numbers in [lo, hi]
    one_of,    // strings in `allowed`; for lists, every item
    custom,    // `custom` says why a value is bad (nullopt: good); `custom_doc` describes the good ones
  };
  kind k = kind::any;
  int64_t lo = 0;
  int64_t hi = 0;
  std::span<const std::string_view> allowed{};
  bool non_empty = false;  // lists: at least one item
  std::optional<std::string> (*custom)(std::string_view value) = nullptr;
  std::string_view custom_doc{};
};

constexpr check any() { return {}; }
constexpr check at_least(int64_t lo) { return {.k = check::kind::at_least, .lo = lo}; }
constexpr check between(int64_t lo, int64_t hi) { return {.k = check::kind::between, .lo = lo, .hi = hi}; }
constexpr check one_of(std::span<const std::string_view> allowed) {
  return {.k = check::kind::one_of, .allowed = allowed};
}
// A list whose items are each in `allowed`, with at least one item.
constexpr check non_empty_list_of(std::span<const std::string_view> allowed) {
  return {.k = check::kind::one_of, .allowed = allowed, .non_empty = true};
}
constexpr check matching(std::optional<std::string> (*fn)(std::string_view), std::string_view doc,
                         bool non_empty = false) {
  return {.k = check::kind::custom, .non_empty = non_empty, .custom = fn, .custom_doc = doc};
}

// A coarser spelling of another key (log.retention.hours for log.retention.ms): used, times factor, only when the
// finer key is not given; among several given aliases the finest wins (Kafka's precedence).
struct alias_of {
  std::string_view key;
  int64_t factor = 0;
};

struct key_def {
  std::string_view name;
  value_type type = value_type::string;
  std::string_view default_value;  // Kafka's default as text; "" when Kafka has none (null)
  check valid{};
  update_mode mode = update_mode::read_only;
  section where = section::node;
  std::string_view synonym{};  // topic keys: the broker key whose value is the topic's default
  alias_of alias{};            // broker keys: set when this key is a coarser spelling of another
  std::string_view doc;        // one line, Markdown (backticks only)
};

}  // namespace samsa::config
