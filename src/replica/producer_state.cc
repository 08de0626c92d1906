#include "samsa/replica/producer_state.h"

#include "samsa/protocol/kafka_error.h"

namespace samsa::replica {
namespace kafka_error = protocol::kafka_error;

producer_state::check producer_state::check_append(const batch_identity& b) const {
  if (b.producer_id < 0) return {};
  auto it = producers_.find(b.producer_id);
  if (it == producers_.end() || it->second.count == 0) {
    if (b.first_sequence != 0) return {kafka_error::unknown_producer_id, std::nullopt};
    return {};
  }
  const producer& p = it->second;
  if (b.producer_epoch < p.epoch) return {kafka_error::invalid_producer_epoch, std::nullopt};
  if (b.producer_epoch > p.epoch) {
    if (b.first_sequence != 0) return {kafka_error::out_of_order_sequence_number, std::nullopt};
    return {};
  }
  for (size_t i = 0; i < p.count; ++i) {
    const entry& e = p.recent[i];
    if (e.first_sequence == b.first_sequence && e.last_sequence == b.last_sequence) return {kafka_error::none, e.base_offset};
  }
  if (b.first_sequence != next_sequence(p.newest().last_sequence))
    return {kafka_error::out_of_order_sequence_number, std::nullopt};
  return {};
}

void producer_state::on_append(const batch_identity& b, int64_t base_offset, int64_t last_offset) {
  if (b.producer_id < 0) return;
  producer& p = producers_[b.producer_id];
  if (b.producer_epoch != p.epoch) {
    p = producer{};
    p.epoch = b.producer_epoch;
  }
  p.recent[p.next] = entry{b.first_sequence, b.last_sequence, base_offset, last_offset};
  p.next = (p.next + 1) % batches_kept;
  if (p.count < batches_kept) ++p.count;
}

}  // namespace samsa::replica
