#pragma once
// Strong types for the ids and epochs that cross module boundaries: a broker id, a leader epoch and a partition
// index are all int32 on the wire, and nothing but their types keeps one from being passed where another is meant.
// The generated Kafka messages use them for fields the schemas mark with `entity broker_id`, `entity leader_epoch`
// or `entity partition_index` (src/protocol/codegen/generate.py), and the cluster, replica and server code uses
// the same types, so a value keeps its meaning from the wire to the partition and back.
//
// A raw integer converts implicitly (literals, values read from elsewhere: `broker_id b = 3`, `if (leader >= 0)`),
// but a strong type never converts to another strong type, and to its integer only explicitly (`.value()` or
// `static_cast<int32_t>(id)`), so `broker_id b = epoch;` and `partition.leader_epoch() == replica` do not compile.
#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace samsa {

template <typename Tag, typename Rep>
class strong_id {
 public:
  using rep = Rep;
  constexpr strong_id() noexcept = default;
  constexpr strong_id(Rep v) noexcept : v_(v) {}  // NOLINT: implicit from the raw integer, by design (see above)
  constexpr Rep value() const noexcept { return v_; }
  constexpr explicit operator Rep() const noexcept { return v_; }
  // The following value (the next leader epoch of a leader change, the next partition of a topic).
  constexpr strong_id next() const noexcept { return strong_id(static_cast<Rep>(v_ + 1)); }
  constexpr strong_id& operator++() noexcept {
    ++v_;
    return *this;
  }
  friend constexpr bool operator==(strong_id, strong_id) noexcept = default;
  friend constexpr auto operator<=>(strong_id, strong_id) noexcept = default;
  friend std::ostream& operator<<(std::ostream& os, strong_id id) { return os << id.v_; }

 private:
  Rep v_{};
};

// The decimal text of an id (for messages and logs): `samsa::to_string(broker)`.
template <typename Tag, typename Rep>
std::string to_string(strong_id<Tag, Rep> id) {
  return std::to_string(id.value());
}

using broker_id = strong_id<struct broker_id_tag, int32_t>;            // also a controller's node id
using leader_epoch = strong_id<struct leader_epoch_tag, int32_t>;      // bumped on every leader change
using partition_index = strong_id<struct partition_index_tag, int32_t>;  // a partition's number within its topic

}  // namespace samsa

template <typename Tag, typename Rep>
struct std::hash<samsa::strong_id<Tag, Rep>> {
  size_t operator()(samsa::strong_id<Tag, Rep> id) const noexcept { return std::hash<Rep>{}(id.value()); }
};

#if __has_include(<fmt/format.h>)
#include <fmt/format.h>
template <typename Tag, typename Rep>
struct fmt::formatter<samsa::strong_id<Tag, Rep>> : fmt::formatter<Rep> {
  template <typename Ctx>
  auto format(samsa::strong_id<Tag, Rep> id, Ctx& ctx) const {
    return fmt::formatter<Rep>::format(id.value(), ctx);
  }
};
#endif
