#include "samsa/replica/record_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "samsa/records/compression.h"

namespace samsa::replica {

namespace ke = protocol::kafka_error;

namespace {

bool timestamps_bounded(const record_rules& r) noexcept {
  return r.create_time && (r.timestamp_before_max_ms != std::numeric_limits<int64_t>::max() ||
                           r.timestamp_after_max_ms != std::numeric_limits<int64_t>::max());
}

// now - before and now + after, saturating instead of overflowing (before, after >= 0).
int64_t lower_bound_ms(int64_t now, int64_t before) noexcept {
  return now < std::numeric_limits<int64_t>::min() + before ? std::numeric_limits<int64_t>::min() : now - before;
}
int64_t upper_bound_ms(int64_t now, int64_t after) noexcept {
  return now > std::numeric_limits<int64_t>::max() - after ? std::numeric_limits<int64_t>::max() : now + after;
}

}  // namespace

bool needs_record_walk(const records::batch_view& batch, const record_rules& rules) noexcept {
  return batch.is_compressed() || rules.compacted || timestamps_bounded(rules);
}

record_check check_records(const records::batch_view& batch, const record_rules& rules, int64_t now_ms,
                           std::string_view partition_name, std::vector<uint8_t>& scratch) {
  record_check out;
  const bool check_time = timestamps_bounded(rules);
  const int64_t lo = lower_bound_ms(now_ms, rules.timestamp_before_max_ms);
  const int64_t hi = upper_bound_ms(now_ms, rules.timestamp_after_max_ms);
  bool timestamp_error = false;
  int32_t index = 0;
  int32_t expected_delta = 0;
  bool bad_delta = false;
  const auto ec = records::for_each_record(batch, scratch, records::default_max_decompressed,
                                           [&](const records::record_view& r) {
    if (r.offset_delta != expected_delta++) bad_delta = true;
    if (rules.compacted && !r.key) {
      out.record_errors.push_back(
          {index, fmt::format("Compacted topic cannot accept message without key in topic partition {}.",
                              partition_name)});
    } else if (check_time) {
      const int64_t ts = batch.base_timestamp() + r.timestamp_delta;
      if (ts < lo || ts > hi) {
        timestamp_error = true;
        out.record_errors.push_back(
            {index, fmt::format("Timestamp {} of message with offset {} is out of range. The timestamp should be "
                                "within [{}, {}]",
                                ts, index, lo, hi)});
      }
    }
    ++index;
  });
  if (ec || bad_delta || index != batch.record_count()) {
    // Inner records that do not decode (or do not number 0..n-1) make the whole batch invalid.
    out.error = ke::invalid_record;
    out.message = fmt::format("Invalid inner records in a batch for topic partition {}: {}", partition_name,
                              ec ? ec.message() : std::string("offset deltas or record count do not match"));
    out.record_errors.clear();
    return out;
  }
  if (out.record_errors.empty()) return out;
  if (timestamp_error) {
    out.error = ke::invalid_timestamp;
    out.message = "One or more records have been rejected due to invalid timestamp";
  } else {
    out.error = ke::invalid_record;
    out.message = fmt::format("One or more records have been rejected due to {} record errors in total, and only "
                              "showing the first three errors at most: {}",
                              out.record_errors.size(), out.record_errors.front().message);
  }
  return out;
}

}  // namespace samsa::replica
