#pragma once
// The replica log of the replication simulator: batches of one record each (offset, leader epoch, payload id) in
// memory, with the real storage::leader_epoch_cache maintained the way partition_log maintains it (an epoch starts at
// the first batch appended in it; truncation drops the epochs starting at or after the cut). A process crash keeps
// the log: it stands for the on-disk data.
#include <cstdint>
#include <utility>
#include <vector>

#include "samsa/storage/checkpoint.h"

namespace samsa::cluster::sim {

struct batch {
  int64_t offset = 0;
  int32_t epoch = 0;
  uint64_t payload = 0;  // a unique id per produce request
  friend bool operator==(const batch&, const batch&) = default;
};

class replica_log {
 public:
  int64_t end_offset() const noexcept { return static_cast<int64_t>(batches_.size()); }
  const std::vector<batch>& batches() const noexcept { return batches_; }
  const batch& at(int64_t offset) const { return batches_[static_cast<size_t>(offset)]; }

  // False when the batch does not start at the log end (a follower then truncates again, like append_replicated).
  bool append(const batch& b) {
    if (b.offset != end_offset()) return false;
    epochs_.assign(b.epoch, b.offset);
    batches_.push_back(b);
    return true;
  }
  void truncate_to(int64_t offset) {
    if (offset >= end_offset()) return;
    batches_.resize(static_cast<size_t>(offset));
    epochs_.truncate_from_end(offset);
  }
  int32_t latest_epoch() const {
    auto l = epochs_.latest();
    return l ? l->epoch : -1;
  }
  int64_t first_epoch_start() const { return epochs_.entries().empty() ? -1 : epochs_.entries().front().start_offset; }
  // OffsetForLeaderEpoch from the cache: (largest epoch <= e, its end offset), (-1, -1) when unknown.
  std::pair<int32_t, int64_t> end_offset_for(int32_t e) const { return epochs_.end_offset_for(e, end_offset()); }

 private:
  std::vector<batch> batches_;
  storage::leader_epoch_cache epochs_;
};

}  // namespace samsa::cluster::sim
