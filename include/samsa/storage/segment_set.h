#pragma once
// The ordered set of a partition's segments, keyed by base offset. Not thread-safe (guarded by partition_log).
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "samsa/storage/segment.h"

namespace samsa::storage {

class segment_set {
 public:
  using ptr = std::shared_ptr<segment>;

  bool empty() const noexcept { return map_.empty(); }
  size_t count() const noexcept { return map_.size(); }
  void add(ptr s) { int64_t b = s->base_offset(); map_[b] = std::move(s); }
  ptr remove(int64_t base);
  const ptr& first() const { return map_.begin()->second; }
  const ptr& active() const { return map_.rbegin()->second; }
  // The segment that would contain `offset`: the last one with base <= offset (nullptr when none).
  ptr floor(int64_t offset) const;
  // The first segment with base > `base` (nullptr when none).
  ptr higher(int64_t base) const;
  std::vector<ptr> all() const;
  uint64_t size_bytes() const;
  auto begin() const { return map_.begin(); }
  auto end() const { return map_.end(); }

 private:
  std::map<int64_t, ptr> map_;
};

}  // namespace samsa::storage
