#include "samsa/config/kafka_keys.h"

#include <algorithm>
#include <vector>

#include "kafka_key_names.inc"
#include "samsa/config/broker_table.h"

namespace samsa::config {
namespace {

// Levenshtein distance, stopping early once every path exceeds `limit`.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::span<const std::string_view> kafka_broker_keys() noexcept { return kafka_key_names; }

bool is_kafka_broker_key(std::string_view name) noexcept {
  // listener.name.<listener>.<key>: Kafka's per-listener overrides (security settings, mostly).
  return name.starts_with("listener.name.") ||
         std::binary_search(std::begin(kafka_key_names), std::end(kafka_key_names), name);
}

std::optional<std::string> nearest_broker_key(std::string_view name) {
  const size_t limit = std::min<size_t>(4, std::max<size_t>(1, name.size() / 3));
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  auto consider = [&](std::string_view candidate) {
    const size_t d = edit_distance(name, candidate, limit);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  };
  for (const key_def& k : broker_table) consider(k.name);
  for (std::string_view k : kafka_key_names) consider(k);
  return best;
}

}  // namespace samsa::config
