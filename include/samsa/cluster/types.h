#pragma once
// Cluster-metadata vocabulary: ids, the 128-bit topic id, Kafka error codes with messages, and the decode errc.
#include <compare>
#include <cstdint>
#include <string>
#include <system_error>

#include "samsa/base/ids.h"
#include "samsa/protocol/kafka_error.h"
#include <type_traits>

namespace samsa::cluster {

// Strong types (samsa/base/ids.h): the same types the generated Kafka messages carry.
using broker_id = samsa::broker_id;
using partition_id = samsa::partition_index;
inline constexpr broker_id no_leader = -1;

// A Kafka Uuid (topic ids, broker incarnation ids). All-zero is "none".
struct uuid {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool is_zero() const noexcept { return hi == 0 && lo == 0; }
  // Kafka's rendering: url-safe base64 of the 16 bytes, without padding (22 characters).
  std::string to_string() const;
  friend auto operator<=>(const uuid&, const uuid&) = default;
};

// Kafka's int16 error codes: the one list in samsa/protocol/kafka_error.h.
namespace err = protocol::kafka_error;

// An error code with a human-readable message, as the admin responses carry them.
struct api_error {
  protocol::kafka_errc code = err::none;
  std::string message{};
  bool ok() const noexcept { return code == err::none; }
  friend bool operator==(const api_error&, const api_error&) = default;
};

// Errors of decoding records and snapshots, and of applying a record that does not fit the image.
enum class errc {
  truncated = 1,         // the input ends inside a field
  unknown_record_type,   // a record type this build does not know
  unsupported_version,   // a known record type at a version this build cannot read
  malformed,             // a bad length, count, enum value or trailing bytes
  inconsistent_record,   // the record contradicts the image (unknown topic id, stale epoch, ...)
};

const std::error_category& cluster_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace samsa::cluster

template <>
struct std::is_error_code_enum<samsa::cluster::errc> : std::true_type {};
