#pragma once
// What a leader checks in every record of a produced batch before appending it, as Kafka's LogValidator does:
// a compacted topic refuses records without a key (INVALID_RECORD), a CreateTime topic refuses timestamps outside
// [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] (INVALID_TIMESTAMP), and the inner
// records of a compressed batch must decode (decompressed at most records::default_max_decompressed bytes). The
// offending records are listed by their index in the batch (Produce v8+ `record_errors`, KIP-467), so a client
// fails exactly those records. Pure: no I/O, no partition state.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "samsa/protocol/kafka_error.h"
#include "samsa/records/record_batch.h"

namespace samsa::replica {

struct record_rules {
  bool compacted = false;   // cleanup.policy contains compact
  bool create_time = true;  // message.timestamp.type=CreateTime (LogAppendTime topics stamp their own)
  int64_t timestamp_before_max_ms = std::numeric_limits<int64_t>::max();  // message.timestamp.before.max.ms
  int64_t timestamp_after_max_ms = std::numeric_limits<int64_t>::max();   // message.timestamp.after.max.ms
};

struct record_error {
  int32_t batch_index = 0;  // the record's position in its batch
  std::string message;
};

struct record_check {
  protocol::kafka_errc error = protocol::kafka_errc::none;
  std::string message;                      // for the response's error_message (v8+)
  std::vector<record_error> record_errors;  // for the response's record_errors (v8+)
};

// Whether check_records must look at each record of `batch` under `rules` (compressed batches always: their inner
// records must decode).
bool needs_record_walk(const records::batch_view& batch, const record_rules& rules) noexcept;

// Checks each record of `batch` (which has passed batch_view::validate). `partition_name` is "topic-index" for the
// messages; `scratch` holds a compressed batch's decompressed records.
record_check check_records(const records::batch_view& batch, const record_rules& rules, int64_t now_ms,
                           std::string_view partition_name, std::vector<uint8_t>& scratch);

}  // namespace samsa::replica
