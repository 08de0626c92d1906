#include "samsa/storage/index.h"

#include <algorithm>

#include "samsa/base/endian.h"

namespace samsa::storage {

std::optional<offset_entry> offset_index::floor(int32_t rel) const noexcept {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), rel,
                             [](int32_t r, const offset_entry& e) { return r < e.relative_offset; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<offset_entry> offset_index::ceil(int32_t rel) const noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), rel,
                             [](const offset_entry& e, int32_t r) { return e.relative_offset < r; });
  if (it == entries_.end()) return std::nullopt;
  return *it;
}

std::optional<offset_entry> offset_index::floor_position(uint64_t pos) const noexcept {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), pos,
                             [](uint64_t p, const offset_entry& e) { return p < e.position; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

void offset_index::remember(int32_t rel, uint32_t pos, int32_t base_rel, uint32_t size) const noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), rel,
                             [](const offset_entry& e, int32_t r) { return e.relative_offset < r; });
  if (it == entries_.end() || it->relative_offset != rel || it->position != pos || size == 0) return;
  // Only unknown entries: an entry appended since (after a truncation) already knows its batch.
  uint64_t expected = 0;
  it->batch.compare_exchange_strong(expected, offset_entry::pack_batch(base_rel, size), std::memory_order_relaxed);
}

void offset_index::truncate_to_position(uint64_t pos) {
  while (!entries_.empty() && entries_.back().position >= pos) entries_.pop_back();
}

std::string offset_index::serialize(size_t from) const {
  std::string out;
  out.resize((entries_.size() - std::min(from, entries_.size())) * offset_entry_size);
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  for (size_t i = from; i < entries_.size(); ++i, p += offset_entry_size) {
    be::store<int32_t>(p, entries_[i].relative_offset);
    be::store<uint32_t>(p + 4, entries_[i].position);
  }
  return out;
}

bool offset_index::parse(std::span<const uint8_t> bytes, int64_t max_rel, uint64_t max_pos) {
  entries_.clear();
  if (bytes.size() % offset_entry_size != 0) return false;
  size_t n = bytes.size() / offset_entry_size;
  // Kafka preallocates index files with zeros; a trailing run of all-zero entries after the first is padding.
  while (n > 1 && be::load<int64_t>(bytes.data() + (n - 1) * offset_entry_size) == 0) --n;
  entries_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = bytes.data() + i * offset_entry_size;
    offset_entry e(be::load<int32_t>(p), be::load<uint32_t>(p + 4));
    if (e.relative_offset < 0 || e.relative_offset > max_rel || e.position >= max_pos) return false;
    if (!entries_.empty() &&
        (e.relative_offset <= entries_.back().relative_offset || e.position <= entries_.back().position))
      return false;
    entries_.push_back(e);
  }
  // Only an all-zero first entry ({0, 0}) is ambiguous: a real entry never has position 0 (the first batch of a
  // segment is never indexed), so drop it.
  if (!entries_.empty() && entries_[0].position == 0) {
    if (entries_.size() > 1 || entries_[0].relative_offset != 0) return false;
    entries_.clear();
  }
  return true;
}

bool time_index::maybe_append(int64_t ts, int32_t rel) {
  if (!entries_.empty() && (ts <= entries_.back().timestamp || rel < entries_.back().relative_offset))
    return false;
  entries_.push_back({ts, rel});
  return true;
}

std::optional<time_entry> time_index::last_below(int64_t ts) const noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), ts,
                             [](const time_entry& e, int64_t t) { return e.timestamp < t; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

void time_index::truncate_to_offset(int32_t rel) {
  while (!entries_.empty() && entries_.back().relative_offset >= rel) entries_.pop_back();
}

std::string time_index::serialize(size_t from) const {
  std::string out;
  out.resize((entries_.size() - std::min(from, entries_.size())) * time_entry_size);
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  for (size_t i = from; i < entries_.size(); ++i, p += time_entry_size) {
    be::store<int64_t>(p, entries_[i].timestamp);
    be::store<int32_t>(p + 8, entries_[i].relative_offset);
  }
  return out;
}

bool time_index::parse(std::span<const uint8_t> bytes, int64_t max_rel) {
  entries_.clear();
  if (bytes.size() % time_entry_size != 0) return false;
  size_t n = bytes.size() / time_entry_size;
  auto zero = [&](size_t i) {
    const uint8_t* p = bytes.data() + i * time_entry_size;
    return be::load<int64_t>(p) == 0 && be::load<int32_t>(p + 8) == 0;
  };
  while (n > 0 && zero(n - 1)) --n;  // preallocation padding
  entries_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = bytes.data() + i * time_entry_size;
    time_entry e{be::load<int64_t>(p), be::load<int32_t>(p + 8)};
    if (e.relative_offset < 0 || e.relative_offset > max_rel || e.timestamp < 0) return false;
    if (!entries_.empty() &&
        (e.timestamp <= entries_.back().timestamp || e.relative_offset < entries_.back().relative_offset))
      return false;
    entries_.push_back(e);
  }
  return true;
}

}  // namespace samsa::storage
