#pragma once
// Sparse segment indexes, kept in memory (a vector of fixed-size entries) and mirrored to Kafka-format files.
//
//   .index      entries of 8 bytes:  relativeOffset int32 BE | position int32 BE
//   .timeindex  entries of 12 bytes: timestamp int64 BE | relativeOffset int32 BE
//
// relativeOffset = offset - segment base offset. An offset-index entry (o, p) says the batch starting at file
// position p has last offset base+o. A time-index entry (t, o) says every record at or below offset base+o has a
// timestamp <= t, and t is reached at base+o (Kafka's maxTimestampSoFar / offsetOfMaxTimestampSoFar).
// Entries are strictly increasing in both fields. See docs/formats/offset-index.md and time-index.md.
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace samsa::storage {

struct offset_entry {
  int32_t relative_offset = 0;
  uint32_t position = 0;
  // In memory only (the file holds the two fields above): the indexed batch's first offset relative to the
  // segment base (high 32 bits) and its size in bytes (low 32 bits); 0 while unknown -- entries loaded from an
  // .index file, until a read has checked the batch header they point at. Lets a lookup find the batch holding
  // an offset without reading the log. Atomic because readers fill it in under the shared lock.
  mutable std::atomic<uint64_t> batch{0};

  offset_entry() = default;
  offset_entry(int32_t rel, uint32_t pos, uint64_t b = 0) : relative_offset(rel), position(pos), batch(b) {}
  offset_entry(const offset_entry& o)
      : relative_offset(o.relative_offset), position(o.position), batch(o.batch.load(std::memory_order_relaxed)) {}
  offset_entry& operator=(const offset_entry& o) {
    relative_offset = o.relative_offset;
    position = o.position;
    batch.store(o.batch.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }
  static uint64_t pack_batch(int32_t base_rel, uint32_t size) noexcept {
    return (static_cast<uint64_t>(static_cast<uint32_t>(base_rel)) << 32) | size;
  }
  bool batch_known() const noexcept { return batch_size() != 0; }
  int32_t batch_base_rel() const noexcept {
    return static_cast<int32_t>(static_cast<uint32_t>(batch.load(std::memory_order_relaxed) >> 32));
  }
  uint32_t batch_size() const noexcept { return static_cast<uint32_t>(batch.load(std::memory_order_relaxed)); }
};

struct time_entry {
  int64_t timestamp;
  int32_t relative_offset;
};

constexpr size_t offset_entry_size = 8;
constexpr size_t time_entry_size = 12;

class offset_index {
 public:
  const std::vector<offset_entry>& entries() const noexcept { return entries_; }
  size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  void append(int32_t rel, uint32_t pos, uint64_t batch = 0) { entries_.emplace_back(rel, pos, batch); }
  // Records the batch behind the entry (rel, pos) when it is not known yet (see offset_entry::batch). Callers hold
  // at least the shared lock of the owning log (the vector does not change meanwhile).
  void remember(int32_t rel, uint32_t pos, int32_t base_rel, uint32_t size) const noexcept;
  // The last entry with relative_offset <= rel (nullopt when none: start at position 0).
  std::optional<offset_entry> floor(int32_t rel) const noexcept;
  // The first entry with relative_offset >= rel.
  std::optional<offset_entry> ceil(int32_t rel) const noexcept;
  // The last entry with position <= pos.
  std::optional<offset_entry> floor_position(uint64_t pos) const noexcept;
  // Drops entries whose position is >= pos.
  void truncate_to_position(uint64_t pos);
  void clear() noexcept { entries_.clear(); }

  std::string serialize(size_t from = 0) const;
  // Parses a file image; false when the size is not a multiple of 8 or entries are not strictly increasing or
  // not within (max_rel, max_pos).
  bool parse(std::span<const uint8_t> bytes, int64_t max_rel, uint64_t max_pos);

 private:
  std::vector<offset_entry> entries_;
};

class time_index {
 public:
  const std::vector<time_entry>& entries() const noexcept { return entries_; }
  size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  // Appends when ts is larger than the last entry's timestamp (and rel not smaller). Returns whether it did.
  bool maybe_append(int64_t ts, int32_t rel);
  // The last entry with timestamp < ts.
  std::optional<time_entry> last_below(int64_t ts) const noexcept;
  void truncate_to_offset(int32_t rel);  // drops entries with relative_offset >= rel
  void clear() noexcept { entries_.clear(); }

  std::string serialize(size_t from = 0) const;
  bool parse(std::span<const uint8_t> bytes, int64_t max_rel);

 private:
  std::vector<time_entry> entries_;
};

}  // namespace samsa::storage
