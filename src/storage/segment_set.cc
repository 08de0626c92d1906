#include "samsa/storage/segment_set.h"

namespace samsa::storage {

segment_set::ptr segment_set::remove(int64_t base) {
  auto it = map_.find(base);
  if (it == map_.end()) return nullptr;
  ptr p = std::move(it->second);
  map_.erase(it);
  return p;
}

segment_set::ptr segment_set::floor(int64_t offset) const {
  auto it = map_.upper_bound(offset);
  if (it == map_.begin()) return nullptr;
  return std::prev(it)->second;
}

segment_set::ptr segment_set::higher(int64_t base) const {
  auto it = map_.upper_bound(base);
  return it == map_.end() ? nullptr : it->second;
}

std::vector<segment_set::ptr> segment_set::all() const {
  std::vector<ptr> out;
  out.reserve(map_.size());
  for (const auto& [b, s] : map_) out.push_back(s);
  return out;
}

uint64_t segment_set::size_bytes() const {
  uint64_t n = 0;
  for (const auto& [b, s] : map_) n += s->size();
  return n;
}

}  // namespace samsa::storage
