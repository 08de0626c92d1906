// The read path inside one segment: from a snapshot taken under the log's shared lock, find the batch holding the
// start offset and walk batch headers, returning file slices (zero-copy). partition_log::read loops over segments.
#include <algorithm>
#include <limits>

#include <spdlog/spdlog.h>

#include "samsa/records/record_batch.h"
#include "samsa/storage/segment.h"

namespace samsa::storage {

namespace rec = samsa::records;

namespace {

// The partition directory's name, `<topic>-<partition>`, for log lines (only on the unusual paths).
std::string log_name(const segment& s) { return s.log_path().parent_path().filename().string(); }

// One read of one segment: the state its steps share.
class segment_reader {
 public:
  segment_reader(const segment& seg, const segment_snapshot& snap, std::shared_mutex& guard, read_result& out,
                 int64_t offset)
      : seg_(seg), snap_(snap), guard_(guard), out_(out), base_(seg.base_offset()), cur_(offset),
        hr_(*snap.file, snap.end, 2 * rec::batch_header_size) {}

  result<segment_read> run(size_t max_bytes, int64_t upper_bound);

 private:
  std::optional<batch_info> batch_at(const offset_entry& e);
  void locate();
  void take(const batch_info& b);
  void jump(size_t max_bytes, int64_t upper_bound);

  const segment& seg_;
  const segment_snapshot& snap_;
  std::shared_mutex& guard_;
  read_result& out_;
  const int64_t base_;
  int64_t cur_;                      // every batch from here on ends at or after it
  uint64_t pos_ = 0;                 // file position of the next batch
  std::optional<batch_info> first_;  // the batch at pos_ when already known (from the index or a checked header)
  header_reader hr_;
};

// The batch behind an index entry: from memory when known, else from its header (checked against the entry, and
// then remembered in the entry). nullopt when the entry disagrees with the log.
std::optional<batch_info> segment_reader::batch_at(const offset_entry& e) {
  if (e.batch_known() && e.position + uint64_t{e.batch_size()} <= snap_.end)
    return batch_info{base_ + e.batch_base_rel(), base_ + e.relative_offset, -1, e.batch_size(), -1};
  auto b = hr_.at(e.position);
  if (!b || !*b || (*b)->last_offset != base_ + e.relative_offset) {
    spdlog::warn("[{}] offset index of segment {} disagrees with the log at position {}; scanning", log_name(seg_),
                 base_, e.position);
    return std::nullopt;
  }
  {
    std::shared_lock lk(guard_);
    seg_.index().remember(e.relative_offset, e.position, static_cast<int32_t>((*b)->base_offset - base_), (*b)->size);
  }
  return **b;
}

// Finds the batch holding `cur_` with as few (and as small) reads as possible: the index entry at or after `cur_`
// names a batch ending at or after it, which holds `cur_` whenever it starts at or before it -- always so when
// batches are larger than index.interval.bytes. Otherwise scan from the entry below (at most about one index
// interval of headers: one read). Every entry used is checked against the header it points at (once: what the
// header says is remembered in the in-memory entry; entries made by appends know it already).
void segment_reader::locate() {
  std::optional<offset_entry> below = snap_.below;
  if (snap_.above) {
    if (auto b = batch_at(*snap_.above)) {
      if (b->base_offset <= cur_) {
        pos_ = snap_.above->position;
        first_ = b;
      }
    } else {
      below.reset();  // the index is not to be trusted here: scan from the segment start
    }
  }
  if (!snap_.located) {
    hr_.set_window(header_reader::max_window);  // a later segment: read from its start
  } else if (!first_) {
    hr_.set_window(static_cast<size_t>(snap_.index_interval_bytes) + 2 * rec::batch_header_size);
    if (below) {
      if (auto b = batch_at(*below)) {
        pos_ = below->position;
        first_ = b;
      }
    }
  }
}

// Adds the batch at pos_ to the result (extending the last slice when adjacent).
void segment_reader::take(const batch_info& b) {
  auto& slices = out_.slices;
  if (!slices.empty() && slices.back().file == snap_.file && slices.back().position + slices.back().length == pos_ &&
      static_cast<uint64_t>(slices.back().length) + b.size <= std::numeric_limits<uint32_t>::max()) {
    slices.back().length += b.size;
  } else {
    slices.push_back(file_slice{snap_.file, pos_, b.size});
  }
  out_.total_bytes += b.size;
  cur_ = b.last_offset + 1;
  pos_ += b.size;
}

// A larger fetch: jump over whole batches to the last indexed batch start that still fits (an index entry marks a
// batch boundary; the batches before it end below its offset, so they are below upper_bound when it is), instead
// of reading every header on the way.
void segment_reader::jump(size_t max_bytes, int64_t upper_bound) {
  const uint64_t limit = pos_ + (max_bytes - out_.total_bytes);
  std::optional<offset_entry> e;
  {
    std::shared_lock lk(guard_);
    e = seg_.index().floor_position(std::min(limit, snap_.end));
    // And not past the last entry whose batch ends below upper_bound.
    if (e && base_ + e->relative_offset >= upper_bound) {
      const int64_t rel = std::min<int64_t>(upper_bound - 1 - base_, std::numeric_limits<int32_t>::max());
      e = rel < 0 ? std::nullopt : seg_.index().floor(static_cast<int32_t>(rel));
    }
  }
  auto& last = out_.slices.back();
  if (!e || e->position <= pos_ || e->position >= snap_.end ||
      static_cast<uint64_t>(last.length) + (e->position - pos_) > std::numeric_limits<uint32_t>::max())
    return;
  // Only trust the entry when the header it points at agrees.
  if (auto hb = batch_at(*e)) {
    const uint64_t skip = e->position - pos_;
    last.length += static_cast<uint32_t>(skip);
    out_.total_bytes += skip;
    pos_ = e->position;
    first_ = hb;
    // `cur_` stays a lower bound: every batch from here on ends at or after it.
  }
}

result<segment_read> segment_reader::run(size_t max_bytes, int64_t upper_bound) {
  locate();
  bool jumped = false;
  while (pos_ < snap_.end) {
    result<std::optional<batch_info>> b = first_ ? result<std::optional<batch_info>>(first_) : hr_.at(pos_);
    first_.reset();
    if (!b) {
      spdlog::error("[{}] segment {}: unreadable batch header at position {}: {}", log_name(seg_), base_, pos_,
                    b.error().message());
      if (out_.slices.empty()) return make_error_code(errc::corrupt);
      return segment_read{cur_, true};
    }
    if (!*b) break;
    const batch_info bi = **b;
    if (bi.last_offset < cur_) {
      pos_ += bi.size;
      continue;
    }
    if (bi.base_offset >= upper_bound || (out_.total_bytes > 0 && out_.total_bytes + bi.size > max_bytes))
      return segment_read{cur_, true};
    take(bi);
    if (out_.total_bytes >= max_bytes) return segment_read{cur_, true};
    // Big batches: one header per read, no point reading more. Small ones: a wide window.
    hr_.set_window(bi.size >= 4096 ? 2 * rec::batch_header_size : header_reader::max_window);
    if (!jumped && max_bytes - out_.total_bytes > 2 * static_cast<size_t>(snap_.index_interval_bytes) + 2 * bi.size) {
      jumped = true;
      jump(max_bytes, upper_bound);
    }
  }
  return segment_read{cur_, false};
}

}  // namespace

result<std::vector<uint8_t>> read_result::copy_bytes() const {
  std::vector<uint8_t> out(total_bytes);
  size_t at = 0;
  for (const auto& s : slices) {
    auto n = s.file->pread_full(s.position, std::span<uint8_t>(out.data() + at, s.length));
    if (!n) return n.error();
    if (*n != s.length) return make_error_code(errc::io_error);
    at += s.length;
  }
  return out;
}

result<segment_snapshot> segment::snapshot(int64_t offset, bool locate, uint32_t index_interval_bytes) const {
  auto lf = log_file();
  if (!lf) return lf.error();
  segment_snapshot s;
  s.file = std::move(*lf);
  s.end = size_;
  s.index_interval_bytes = index_interval_bytes;
  s.located = locate;
  if (locate) {
    s.below = lookup_entry(offset);
    s.above = ceil_entry(offset);
  }
  return s;
}

result<segment_read> segment::read(const segment_snapshot& snap, int64_t offset, size_t max_bytes,
                                   int64_t upper_bound, std::shared_mutex& guard, read_result& out) const {
  segment_reader r(*this, snap, guard, out, offset);
  return r.run(max_bytes, upper_bound);
}

}  // namespace samsa::storage
