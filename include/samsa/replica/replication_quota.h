#pragma once
// Replication throttling (Kafka's leader/follower.replication.throttled.rate with the topic configs
// leader/follower.replication.throttled.replicas): a byte-rate quota shared by the throttled replicas of one broker,
// and the rule deciding which replicas it applies to. Pure: time is an argument.
//
// As in Kafka, only replicas that are *not* in the ISR are throttled (a reassignment's new replicas, a follower
// catching up after a restart): in-sync replication is never slowed down, so acks=all latency does not depend on it.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

namespace samsa::replica {

// A token bucket holding at most one second of the rate: bytes may be spent while it is positive.
class replication_quota {
 public:
  explicit replication_quota(int64_t bytes_per_sec = std::numeric_limits<int64_t>::max())
      : rate_(bytes_per_sec), tokens_(bytes_per_sec) {}
  bool unlimited() const noexcept { return rate_ == std::numeric_limits<int64_t>::max(); }
  bool exceeded(int64_t now_ms) {
    if (unlimited()) return false;
    refill(now_ms);
    return tokens_ <= 0;
  }
  void record(int64_t bytes, int64_t now_ms) {
    if (unlimited()) return;
    refill(now_ms);
    tokens_ -= bytes;
  }

 private:
  void refill(int64_t now_ms) {
    if (last_ms_ >= 0 && now_ms > last_ms_) {
      const long double add = static_cast<long double>(rate_) * static_cast<long double>(now_ms - last_ms_) / 1000.0L;
      tokens_ = static_cast<int64_t>(std::min<long double>(static_cast<long double>(rate_), tokens_ + add));
    }
    last_ms_ = std::max(last_ms_, now_ms);
  }
  int64_t rate_;
  int64_t tokens_;
  int64_t last_ms_ = -1;
};

// Whether `replicas` (a topic's *.replication.throttled.replicas: "*" or "partition:broker,...") names the replica
// of `partition` on `broker`.
inline bool replica_throttled(std::string_view replicas, int32_t partition, int32_t broker) {
  if (replicas.empty()) return false;
  if (replicas == "*") return true;
  const std::string want = std::to_string(partition) + ":" + std::to_string(broker);
  std::stringstream in{std::string(replicas)};
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(std::remove_if(item.begin(), item.end(), [](char c) { return c == ' '; }), item.end());
    if (item == want) return true;
  }
  return false;
}

}  // namespace samsa::replica
