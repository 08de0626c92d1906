#pragma once
// Idempotent-producer state of one partition: per producer id, its epoch and the last five batches it wrote
// (sequence range and offsets). Kept free of I/O so the rules can be unit-tested; rebuilt from the log's batch
// headers at start-up.
//
// Rules (Kafka's ProducerStateManager, for idempotent, non-transactional producers):
// - an epoch older than the producer's current one → INVALID_PRODUCER_EPOCH(47);
// - a newer epoch must start again at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER(45);
// - a batch equal to one of the last five (same first and last sequence) is a retry: it is not appended again,
//   and the answer carries its original base offset;
// - otherwise the first sequence must follow the last one written (int32 wraps to 0), else 45;
// - a producer this partition has never seen must start at sequence 0, else UNKNOWN_PRODUCER_ID(59), which
//   makes clients reset their sequence.
#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "samsa/protocol/kafka_error.h"

namespace samsa::replica {

struct batch_identity {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t first_sequence = -1;
  int32_t last_sequence = -1;  // first + lastOffsetDelta, wrapping at INT32_MAX
};

class producer_state {
 public:
  static constexpr size_t batches_kept = 5;

  struct check {
    protocol::kafka_errc error = protocol::kafka_errc::none;                       // Kafka error code, 0 = append it
    std::optional<int64_t> duplicate_of;     // base offset of the identical batch already in the log
  };

  // Decides what to do with a batch before it is appended.
  check check_append(const batch_identity& b) const;
  // Records a batch that is now in the log at [base_offset, last_offset].
  void on_append(const batch_identity& b, int64_t base_offset, int64_t last_offset);
  // Forgets everything (log truncated to empty); a rebuild follows.
  void clear() { producers_.clear(); }
  size_t size() const { return producers_.size(); }

 private:
  struct entry {
    int32_t first_sequence, last_sequence;
    int64_t base_offset, last_offset;
  };
  struct producer {
    int16_t epoch = -1;
    std::array<entry, batches_kept> recent{};  // ring buffer, newest at (next - 1)
    size_t count = 0;
    size_t next = 0;
    const entry& newest() const { return recent[(next + batches_kept - 1) % batches_kept]; }
  };
  std::unordered_map<int64_t, producer> producers_;
};

// The sequence after `s` (sequences wrap from INT32_MAX to 0).
inline int32_t next_sequence(int32_t s) { return s == INT32_MAX ? 0 : s + 1; }

}  // namespace samsa::replica
