#include "samsa/storage/segment.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "samsa/base/endian.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/file_ops.h"

namespace samsa::storage {

namespace rec = samsa::records;

std::string segment_file_name(int64_t base_offset, std::string_view suffix) {
  return fmt::format("{:020d}{}", base_offset, suffix);
}

std::optional<int64_t> parse_segment_base(std::string_view stem) {
  if (stem.size() != 20) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), v);
  if (ec != std::errc() || p != stem.data() + stem.size() || v < 0) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// header_reader
// ---------------------------------------------------------------------------------------------------------------

void header_reader::set_window(size_t w) noexcept {
  window_ = std::clamp<size_t>(w, rec::batch_header_size, max_window);
}

result<std::optional<batch_info>> header_reader::at(uint64_t pos) {
  constexpr size_t hs = rec::batch_header_size;
  if (pos >= end_) return std::optional<batch_info>{};
  if (end_ - pos < hs) return make_error_code(errc::corrupt);
  if (!(pos >= win_pos_ && pos + hs <= win_pos_ + win_len_)) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(window_, end_ - pos));
    auto n = f_.pread_full(pos, std::span<uint8_t>(buf_, want));
    ++reads_;
    if (!n) return n.error();
    win_pos_ = pos;
    win_len_ = *n;
    if (win_len_ < hs) return make_error_code(errc::corrupt);
  }
  const uint8_t* p = buf_ + (pos - win_pos_);
  int32_t len = be::load<int32_t>(p + rec::offset::batch_length);
  if (len < rec::min_batch_length) return make_error_code(errc::corrupt);
  uint64_t size = static_cast<uint64_t>(len) + rec::log_overhead;
  if (size > end_ - pos) return make_error_code(errc::corrupt);
  if (static_cast<int8_t>(p[rec::offset::magic]) != rec::current_magic) return make_error_code(errc::corrupt);
  int32_t lod = be::load<int32_t>(p + rec::offset::last_offset_delta);
  if (lod < 0) return make_error_code(errc::corrupt);
  batch_info b;
  b.base_offset = be::load<int64_t>(p + rec::offset::base_offset);
  b.last_offset = b.base_offset + lod;
  b.max_timestamp = be::load<int64_t>(p + rec::offset::max_timestamp);
  b.size = static_cast<uint32_t>(size);
  b.leader_epoch = be::load<int32_t>(p + rec::offset::partition_leader_epoch);
  return std::optional<batch_info>(b);
}

// ---------------------------------------------------------------------------------------------------------------
// segment
// ---------------------------------------------------------------------------------------------------------------

std::filesystem::path segment::log_path() const { return dir_ / segment_file_name(base_, ".log" + suffix_); }
std::filesystem::path segment::index_path() const { return dir_ / segment_file_name(base_, ".index" + suffix_); }
std::filesystem::path segment::timeindex_path() const {
  return dir_ / segment_file_name(base_, ".timeindex" + suffix_);
}

result<std::unique_ptr<segment>> segment::create(const std::filesystem::path& dir, int64_t base_offset,
                                                 int64_t now_ms, std::string_view suffix,
                                                 std::shared_ptr<file_cache> files) {
  auto path = dir / segment_file_name(base_offset, ".log" + std::string(suffix));
  auto f = segment_file::open(path, true);
  if (!f) return f.error();
  if (auto ec = (*f)->truncate(0)) return ec;
  std::unique_ptr<segment> s(new segment(dir, base_offset, std::move(files), path, now_ms));
  s->suffix_ = std::string(suffix);
  s->log_.set_pinned(true);
  s->log_.install(std::move(*f));
  // Create (empty) index files so the on-disk layout is complete from the start.
  for (auto p : {s->index_path(), s->timeindex_path()}) {
    auto ix = segment_file::open(p, true);
    if (!ix) {
      s->remove_files();
      return ix.error();
    }
    if (auto ec = (*ix)->truncate(0)) {
      s->remove_files();
      return ec;
    }
  }
  s->indexes_dirty_ = false;
  return s;
}

result<std::unique_ptr<segment>> segment::open(const std::filesystem::path& dir, int64_t base_offset,
                                               int64_t now_ms, std::shared_ptr<file_cache> files) {
  auto path = dir / segment_file_name(base_offset, ".log");
  auto f = segment_file::open(path, false);
  if (!f) return f.error();
  auto sz = (*f)->size();
  if (!sz) return sz.error();
  std::unique_ptr<segment> s(new segment(dir, base_offset, std::move(files), path, now_ms));
  s->size_ = *sz;
  s->log_.install(std::move(*f));
  return s;
}

void segment::reset_state() {
  size_ = 0;
  next_offset_ = base_;
  max_ts_ = -1;
  offset_of_max_ts_ = -1;
  bytes_since_index_ = 0;
  oindex_.clear();
  tindex_.clear();
  indexes_dirty_ = true;
}

bool segment::index_room(size_t n, uint32_t segment_index_bytes) const noexcept {
  size_t max_o = std::max<size_t>(segment_index_bytes / offset_entry_size, 1);
  size_t max_t = std::max<size_t>(segment_index_bytes / time_entry_size, 1);
  return oindex_.size() + n <= max_o && tindex_.size() + n + 1 <= max_t;  // +1: the final entry on roll
}

void segment::record_batch(const batch_info& b, uint64_t position, uint32_t index_interval_bytes) {
  if (b.max_timestamp > max_ts_) {
    max_ts_ = b.max_timestamp;
    offset_of_max_ts_ = b.last_offset;
  }
  if (bytes_since_index_ > index_interval_bytes) {
    oindex_.append(static_cast<int32_t>(b.last_offset - base_), static_cast<uint32_t>(position),
                   offset_entry::pack_batch(static_cast<int32_t>(b.base_offset - base_), b.size));
    if (max_ts_ >= 0) tindex_.maybe_append(max_ts_, static_cast<int32_t>(offset_of_max_ts_ - base_));
    bytes_since_index_ = 0;
    indexes_dirty_ = true;
  }
  bytes_since_index_ += b.size;
  size_ = position + b.size;
  next_offset_ = b.last_offset + 1;
}

std::error_code segment::append(const struct iovec* iov, size_t iovcnt, std::span<const batch_info> batches,
                                uint32_t index_interval_bytes, bool* unrecoverable) {
  uint64_t start = size_;
  auto file = log_.get();
  if (!file) return file.error();
  const auto& log = *file;
  if (auto ec = log->pwritev_full(start, iov, iovcnt)) {
    // Roll back a partial write so the file ends at a batch boundary again.
    if (auto tec = log->truncate(start)) {
      spdlog::critical("storage: {}: cannot truncate back after failed write: {}", log_path().string(),
                       tec.message());
      *unrecoverable = true;
    }
    return ec;
  }
  uint64_t pos = start;
  for (const auto& b : batches) {
    record_batch(b, pos, index_interval_bytes);
    pos += b.size;
  }
  return {};
}

void segment::on_roll() {
  if (max_ts_ >= 0 && tindex_.maybe_append(max_ts_, static_cast<int32_t>(offset_of_max_ts_ - base_)))
    indexes_dirty_ = true;
}

std::optional<offset_entry> segment::lookup_entry(int64_t offset) const noexcept {
  if (offset <= base_) return std::nullopt;
  int64_t rel = offset - base_;
  if (rel > std::numeric_limits<int32_t>::max()) rel = std::numeric_limits<int32_t>::max();
  return oindex_.floor(static_cast<int32_t>(rel));
}

std::optional<offset_entry> segment::ceil_entry(int64_t offset) const noexcept {
  int64_t rel = std::max<int64_t>(offset - base_, 0);
  if (rel > std::numeric_limits<int32_t>::max()) return std::nullopt;
  return oindex_.ceil(static_cast<int32_t>(rel));
}

uint64_t segment::lookup_position(int64_t offset) const noexcept {
  auto e = lookup_entry(offset);
  return e ? e->position : 0;
}

segment::scan_outcome segment::recover(uint32_t index_interval_bytes, int64_t min_offset, leader_epoch_cache* epochs,
                                       bool allow_gaps) {
  reset_state();
  scan_outcome out;
  out.next_offset = base_;
  auto file = log_.get();
  if (!file) {
    out.bad = file.error();
    return out;
  }
  const auto& log = *file;
  auto fsz = log->size();
  if (!fsz) {
    out.bad = fsz.error();
    return out;
  }
  const uint64_t file_size = *fsz;
  std::vector<uint8_t> buf;
  uint64_t wpos = 0;
  size_t wlen = 0;
  auto ensure = [&](uint64_t p, size_t n) -> result<const uint8_t*> {
    if (p >= wpos && p + n <= wpos + wlen) return buf.data() + (p - wpos);
    if (file_size - p < n) return static_cast<const uint8_t*>(nullptr);
    size_t want = static_cast<size_t>(std::min<uint64_t>(std::max<size_t>(n, 1u << 20), file_size - p));
    if (buf.size() < want) buf.resize(want);
    auto got = log->pread_full(p, std::span<uint8_t>(buf.data(), want));
    if (!got) return got.error();
    wpos = p;
    wlen = *got;
    if (wlen < n) return static_cast<const uint8_t*>(nullptr);
    return buf.data() + (p - wpos);
  };
  int64_t expected = std::max(base_, min_offset);
  uint64_t pos = 0;
  while (pos < file_size) {
    auto hdr = ensure(pos, rec::log_overhead);
    if (!hdr) { out.bad = hdr.error(); break; }
    if (*hdr == nullptr) { out.bad = make_error_code(rec::errc::truncated); break; }
    auto declared = rec::declared_batch_size(std::span<const uint8_t>(*hdr, rec::log_overhead));
    if (!declared) { out.bad = declared.error(); break; }
    if (*declared > file_size - pos) { out.bad = make_error_code(rec::errc::truncated); break; }
    if (pos + *declared > std::numeric_limits<uint32_t>::max()) { out.bad = make_error_code(errc::corrupt); break; }
    auto data = ensure(pos, *declared);
    if (!data) { out.bad = data.error(); break; }
    if (*data == nullptr) { out.bad = make_error_code(rec::errc::truncated); break; }
    auto bv = rec::batch_view::parse(std::span<const uint8_t>(*data, *declared));
    if (!bv) { out.bad = bv.error(); break; }
    if (auto ec = bv->verify_crc()) { out.bad = ec; break; }
    if (bv->base_offset() < expected || (!allow_gaps && bv->base_offset() != expected) ||
        bv->last_offset() - base_ > std::numeric_limits<int32_t>::max()) {
      out.bad = make_error_code(errc::corrupt);
      break;
    }
    batch_info b{bv->base_offset(), bv->last_offset(), bv->max_timestamp(), static_cast<uint32_t>(*declared),
                 bv->partition_leader_epoch()};
    record_batch(b, pos, index_interval_bytes);
    if (epochs) epochs->assign(b.leader_epoch, b.base_offset);
    expected = b.last_offset + 1;
    pos += *declared;
  }
  out.valid_bytes = size_;
  out.next_offset = next_offset_;
  return out;
}

std::error_code segment::load(int64_t next_segment_base, uint32_t index_interval_bytes) {
  reset_state();
  auto file = log_.get();
  if (!file) return file.error();
  const auto& log = *file;
  auto fsz = log->size();
  if (!fsz) return fsz.error();
  size_ = *fsz;
  int64_t max_rel = next_segment_base > base_ ? next_segment_base - base_ - 1 : std::numeric_limits<int32_t>::max();
  max_rel = std::min<int64_t>(max_rel, std::numeric_limits<int32_t>::max());
  for (int which = 0; which < 2; ++which) {
    auto text = read_small_file(which == 0 ? index_path() : timeindex_path());
    if (!text) return text.error();
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text->data()), text->size());
    bool ok = which == 0 ? oindex_.parse(bytes, max_rel, std::max<uint64_t>(size_, 1)) : tindex_.parse(bytes, max_rel);
    if (!ok) return make_error_code(errc::corrupt);
  }
  if (size_ == 0) {
    if (!oindex_.empty() || !tindex_.empty()) return make_error_code(errc::corrupt);
    indexes_dirty_ = false;
    return {};
  }
  header_reader hr(*log, size_);
  auto first = hr.at(0);
  if (!first || !*first || (*first)->base_offset < base_) return make_error_code(errc::corrupt);
  uint64_t pos = 0;
  int64_t tail_max_ts = -1, tail_max_off = -1;
  if (!oindex_.empty()) {
    const auto& e = oindex_.entries().back();
    pos = e.position;
    auto b = hr.at(pos);
    if (!b || !*b || (*b)->last_offset != base_ + e.relative_offset) return make_error_code(errc::corrupt);
  }
  // Walk the tail after the last index entry: every header must be sane, the file must end exactly at a batch
  // boundary, and the walk must not pass a point where an index entry should have been written.
  uint64_t since = 0;
  bool at_entry = !oindex_.empty();
  int64_t next = first.value()->base_offset;
  while (pos < size_) {
    auto b = hr.at(pos);
    if (!b || !*b) return make_error_code(errc::corrupt);
    const auto& bi = **b;
    if (!at_entry && since > index_interval_bytes) return make_error_code(errc::corrupt);  // index incomplete
    at_entry = false;
    if (pos != 0 && bi.base_offset < next) return make_error_code(errc::corrupt);
    if (bi.max_timestamp > tail_max_ts) {
      tail_max_ts = bi.max_timestamp;
      tail_max_off = bi.last_offset;
    }
    since += bi.size;
    next = bi.last_offset + 1;
    pos += bi.size;
  }
  if (next_segment_base > base_ && next > next_segment_base) return make_error_code(errc::corrupt);
  next_offset_ = next;
  if (!tindex_.empty()) {
    const auto& t = tindex_.entries().back();
    if (base_ + t.relative_offset >= next_offset_) return make_error_code(errc::corrupt);
    if (tail_max_ts > t.timestamp) return make_error_code(errc::corrupt);  // time index lost entries
    max_ts_ = t.timestamp;
    offset_of_max_ts_ = base_ + t.relative_offset;
  } else if (tail_max_ts >= 0) {
    return make_error_code(errc::corrupt);
  }
  (void)tail_max_off;
  bytes_since_index_ = since;
  indexes_dirty_ = false;
  return {};
}

std::error_code segment::rebuild_from_headers(uint32_t index_interval_bytes) {
  uint64_t end = size_;
  auto file = log_.get();
  if (!file) return file.error();
  reset_state();
  header_reader hr(**file, end);
  uint64_t pos = 0;
  while (pos < end) {
    auto b = hr.at(pos);
    if (!b) return b.error();
    if (!*b) break;
    record_batch(**b, pos, index_interval_bytes);
    pos += (*b)->size;
  }
  size_ = pos;
  return {};
}

std::error_code segment::truncate_to_position(uint64_t pos, uint32_t index_interval_bytes) {
  auto file = log_.get();
  if (!file) return file.error();
  if (auto ec = (*file)->truncate(pos)) return ec;
  size_ = pos;
  if (auto ec = rebuild_from_headers(index_interval_bytes)) return ec;
  indexes_dirty_ = true;
  return {};
}

result<uint64_t> segment::position_of(int64_t offset) const {
  uint64_t pos = lookup_position(offset);
  auto file = log_.get();
  if (!file) return file.error();
  header_reader hr(**file, size_);
  while (pos < size_) {
    auto b = hr.at(pos);
    if (!b) return b.error();
    if (!*b) break;
    if ((*b)->last_offset >= offset) return pos;
    pos += (*b)->size;
  }
  return size_;
}

std::error_code segment::write_indexes() {
  auto o = oindex_.serialize();
  auto t = tindex_.serialize();
  for (int which = 0; which < 2; ++which) {
    auto f = segment_file::open(which == 0 ? index_path() : timeindex_path(), true);
    if (!f) return f.error();
    const std::string& s = which == 0 ? o : t;
    if (auto ec = (*f)->truncate(0)) return ec;
    if (auto ec = (*f)->pwrite_full(0, {reinterpret_cast<const uint8_t*>(s.data()), s.size()})) return ec;
  }
  indexes_dirty_ = false;
  return {};
}

std::error_code segment::sync_all() {
  // Index files are derived data: failing to *write* them (disk full) is not fatal -- they stay dirty, are
  // retried on the next flush, and recovery rebuilds (CRC-checked) any that are missing or short. A failed
  // fdatasync of the log, on the other hand, is.
  bool indexes_written = true;
  if (indexes_dirty_) {
    if (auto ec = write_indexes()) {
      if (ec != make_error_code(errc::disk_full)) return ec;
      spdlog::warn("storage: cannot write indexes of {}: {}; will retry", log_path().string(), ec.message());
      indexes_dirty_ = true;
      indexes_written = false;
    }
  }
  if (auto ec = sync_log()) return ec;
  if (!indexes_written) return {};
  for (auto p : {index_path(), timeindex_path()}) {
    auto f = segment_file::open(p, false);
    if (!f) return f.error();
    if (auto ec = (*f)->datasync()) return ec;
  }
  return {};
}

std::error_code segment::sync_log() const {
  auto file = log_.get();
  if (!file) return file.error();
  return (*file)->datasync();
}

void segment::remove_files() {
  for (auto p : {log_path(), index_path(), timeindex_path()}) os().unlink(p.c_str());
}

std::error_code segment::rename_suffix(std::string_view to_suffix) {
  std::string to(to_suffix);
  for (auto ext : {".index", ".timeindex", ".log"}) {
    auto from_p = dir_ / segment_file_name(base_, std::string(ext) + suffix_);
    auto to_p = dir_ / segment_file_name(base_, std::string(ext) + to);
    if (os().rename(from_p.c_str(), to_p.c_str()) != 0 && errno != ENOENT) return errno_to_error(errno);
  }
  suffix_ = to;
  log_.set_path(log_path());
  return {};
}

}  // namespace samsa::storage
