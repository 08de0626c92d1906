#include "samsa/storage/partition_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>
#include <limits>

#include <spdlog/spdlog.h>

#include "samsa/base/endian.h"
#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"

namespace samsa::storage {

namespace rec = samsa::records;
namespace fs = std::filesystem;

namespace {

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool parse_dir_name(const std::string& name, std::string& topic, int32_t& partition) {
  auto dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) return false;
  std::string_view num(name.data() + dash + 1, name.size() - dash - 1);
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), partition);
  if (ec != std::errc() || p != num.data() + num.size() || partition < 0) return false;
  topic = name.substr(0, dash);
  return true;
}

std::error_code validate_config(const log_config& c) {
  if (c.segment_bytes < rec::batch_header_size || c.segment_bytes > static_cast<uint64_t>(INT32_MAX))
    return make_error_code(errc::invalid_argument);
  if (c.segment_index_bytes < offset_entry_size * 2) return make_error_code(errc::invalid_argument);
  return {};
}

// Finds the first record of the batch at [pos, pos+size) satisfying pred(timestamp, offset) with offset >= min.
// The first record (offset >= min_offset) of the batch at [pos, pos+size) satisfying pred(timestamp, offset),
// as (timestamp, offset).
template <typename Pred>
std::optional<timestamp_offset> find_record(const segment_file& f, uint64_t pos, uint32_t size, int64_t min_offset,
                                            Pred pred) {
  std::vector<uint8_t> buf(size);
  auto n = f.pread_full(pos, buf);
  if (!n || *n != size) return std::nullopt;
  auto bv = rec::batch_view::parse(buf);
  if (!bv) return std::nullopt;
  if (bv->timestamp_type_log_append()) {
    // Every record carries the batch's max timestamp.
    if (pred(bv->max_timestamp(), bv->last_offset()))
      return timestamp_offset{bv->max_timestamp(), std::max(bv->base_offset(), min_offset)};
    return std::nullopt;
  }
  std::vector<uint8_t> scratch;
  std::optional<timestamp_offset> found;
  auto ec = rec::for_each_record(*bv, scratch, rec::default_max_decompressed, [&](const rec::record_view& r) {
    int64_t off = bv->base_offset() + r.offset_delta;
    int64_t ts = bv->base_timestamp() + r.timestamp_delta;
    if (off >= min_offset && pred(ts, off)) {
      found = timestamp_offset{ts, off};
      return false;
    }
    return true;
  });
  // Undecodable records: batch precision.
  if (!found && ec) return timestamp_offset{bv->max_timestamp(), std::max(bv->base_offset(), min_offset)};
  return found;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// read_result
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// open / recovery
// ---------------------------------------------------------------------------------------------------------------

partition_log::partition_log(fs::path dir, std::string topic, int32_t partition, const log_config& c,
                             open_options opts)
    : dir_(std::move(dir)),
      topic_(std::move(topic)),
      partition_(partition),
      name_(topic_ + "-" + std::to_string(partition_)),
      clock_(opts.clock ? std::move(opts.clock) : std::function<int64_t()>(system_now_ms)),
      scheduler_(opts.scheduler ? std::move(opts.scheduler) : flush_scheduler::default_instance()),
      files_(opts.files ? std::move(opts.files) : file_cache::default_instance()),
      config_(c) {}

result<std::unique_ptr<partition_log>> partition_log::open(const fs::path& dir_in, const log_config& config,
                                                           open_options opts) {
  fs::path dir = dir_in.lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  std::string topic;
  int32_t partition = 0;
  if (!parse_dir_name(dir.filename().string(), topic, partition)) {
    spdlog::error("storage: {} is not a <topic>-<partition> directory", dir.string());
    return make_error_code(errc::invalid_argument);
  }
  if (auto ec = validate_config(config)) return ec;
  std::error_code fec;
  fs::create_directories(dir, fec);
  if (fec) {
    spdlog::error("storage: cannot create {}: {}", dir.string(), fec.message());
    return errno_to_error(fec.value());
  }
  std::unique_ptr<partition_log> log(new partition_log(dir, topic, partition, config, std::move(opts)));
  if (auto ec = log->recover()) {
    log->closed_ = true;  // nothing to flush: the destructor must not touch the half-loaded state
    return ec;
  }
  return log;
}

std::error_code partition_log::recover() {
  const auto t0 = std::chrono::steady_clock::now();
  std::lock_guard fl(flush_mu_);
  std::unique_lock lk(mu_);
  const uint32_t interval = config_.index_interval_bytes;
  // 1. Leftovers of interrupted operations.
  std::vector<int64_t> bases;
  std::vector<fs::path> swaps;
  std::error_code fec;
  for (const auto& e : fs::directory_iterator(dir_, fec)) {
    std::string fname = e.path().filename().string();
    if (ends_with(fname, ".deleted") || ends_with(fname, ".cleaned") || ends_with(fname, ".tmp")) {
      spdlog::info("[{}] removing leftover {}", name_, fname);
      if (auto ec = remove_file(e.path())) return ec;
      continue;
    }
    if (ends_with(fname, ".swap")) swaps.push_back(e.path());
  }
  // A .swap set is finished, fsynced compaction output whose swap-in was interrupted. Complete it: delete the
  // segments whose base falls inside the swapped segment's offset range (other than its own base, which the
  // rename replaces), then rename the .swap files into place.
  for (const auto& p : swaps) {
    fs::path target = p;
    target.replace_extension();  // drop ".swap"
    if (target.extension() != ".log") continue;
    auto base = parse_segment_base(target.stem().string());
    if (!base) continue;
    auto f = segment_file::open(p, false);
    if (!f) return f.error();
    auto fsz = (*f)->size();
    if (!fsz) return fsz.error();
    header_reader hr(**f, *fsz);
    int64_t next = *base;
    // The output ends where its last kept batch ends, which may be below the end of the segments it replaces
    // (their last records were all superseded, or the output is empty): the compaction recorded that end in
    // `<base>.swapend` before committing.
    if (auto marker = read_small_file(dir_ / segment_file_name(*base, ".swapend"))) {
      int64_t end = 0;
      auto [ptr, perr] = std::from_chars(marker->data(), marker->data() + marker->size(), end);
      if (perr != std::errc()) {
        spdlog::critical("[{}] unreadable swap end marker for segment {}", name_, *base);
        return make_error_code(errc::corrupt);
      }
      next = std::max(next, end);
    } else if (marker.error() != make_error_code(errc::not_found)) {
      return marker.error();
    }
    for (uint64_t pos = 0; pos < *fsz;) {
      auto b = hr.at(pos);
      if (!b || !*b) {
        spdlog::critical("[{}] unreadable swap segment {}", name_, p.filename().string());
        return make_error_code(errc::corrupt);
      }
      next = std::max(next, (*b)->last_offset + 1);
      pos += (*b)->size;
    }
    for (const auto& e : fs::directory_iterator(dir_, fec)) {
      if (e.path().extension() != ".log") continue;
      auto b = parse_segment_base(e.path().stem().string());
      if (b && *b > *base && *b < next) {
        spdlog::info("[{}] completing swap: removing replaced segment {}", name_, *b);
        for (auto ext : {".log", ".index", ".timeindex"})
          if (auto ec = remove_file(dir_ / segment_file_name(*b, ext))) return ec;
      }
    }
  }
  // The replaced segments must be gone (durably) before the output takes their place: a directory that kept
  // the renames but lost the unlinks would hold overlapping segments.
  if (!swaps.empty())
    if (auto ec = fsync_dir(dir_)) return ec;
  for (const auto& p : swaps) {
    fs::path target = p;
    target.replace_extension();
    // rename_suffix renames the index files before the .log, so a `.swap` index without its `.log.swap` is
    // output whose commit (the rename to .swap) never finished: discard it.
    auto log_swap = dir_ / segment_file_name(parse_segment_base(target.stem().string()).value_or(-1), ".log.swap");
    if (target.extension() != ".log" && std::find(swaps.begin(), swaps.end(), log_swap) == swaps.end()) {
      spdlog::info("[{}] removing uncommitted {}", name_, p.filename().string());
      if (auto ec = remove_file(p)) return ec;
      continue;
    }
    spdlog::info("[{}] completing interrupted swap {}", name_, p.filename().string());
    if (auto ec = rename_file(p, target)) return ec;
  }
  if (!swaps.empty())
    if (auto ec = fsync_dir(dir_)) return ec;
  // Swap-end markers are needed only while their .swap exists (completed above, or never committed).
  for (const auto& e : fs::directory_iterator(dir_, fec))
    if (e.path().extension() == ".swapend")
      if (auto ec = remove_file(e.path())) return ec;
  for (const auto& e : fs::directory_iterator(dir_, fec)) {
    const auto& p = e.path();
    if (p.extension() == ".log") {
      auto base = parse_segment_base(p.stem().string());
      if (base) bases.push_back(*base);
    }
  }
  if (fec) return make_error_code(errc::io_error);
  std::sort(bases.begin(), bases.end());
  for (const auto& e : fs::directory_iterator(dir_, fec)) {
    const auto& p = e.path();
    if (p.extension() == ".index" || p.extension() == ".timeindex") {
      auto base = parse_segment_base(p.stem().string());
      if (base && !std::binary_search(bases.begin(), bases.end(), *base)) {
        spdlog::info("[{}] removing orphan index {}", name_, p.filename().string());
        if (auto ec = remove_file(p)) return ec;
      }
    }
  }

  // 2. Checkpoints.
  auto rp = read_offset_checkpoint(dir_ / recovery_point_file);
  if (!rp) {
    spdlog::critical("[{}] unreadable {}: {}", name_, recovery_point_file, rp.error().message());
    return make_error_code(errc::corrupt);
  }
  auto ls = read_offset_checkpoint(dir_ / log_start_offset_file);
  if (!ls) {
    spdlog::critical("[{}] unreadable {}: {}", name_, log_start_offset_file, ls.error().message());
    return make_error_code(errc::corrupt);
  }
  auto epoch_text = read_small_file(dir_ / leader_epoch_file);
  if (epoch_text) {
    auto c = leader_epoch_cache::parse(*epoch_text);
    if (!c) {
      spdlog::critical("[{}] unreadable {}", name_, leader_epoch_file);
      return make_error_code(errc::corrupt);
    }
    epochs_ = std::move(*c);
  } else if (epoch_text.error() != make_error_code(errc::not_found)) {
    return epoch_text.error();
  }
  const int64_t rpoint = rp->value_or(0);
  recovery_point_ = rpoint;

  // 3. Segments.
  const int64_t tnow = now();
  const bool clean = !config_.verify_all_segments_on_open && fs::exists(dir_ / clean_shutdown_file, fec);
  size_t scan_from = 0;
  if (clean)
    scan_from = bases.size();  // everything was fsynced at close: check indexes only
  else if (!config_.verify_all_segments_on_open)
    for (size_t i = 0; i < bases.size(); ++i)
      if (bases[i] <= rpoint) scan_from = i;
  int64_t prev_next = -1;
  bool truncated = false;
  std::vector<segment_set::ptr> to_sync;
  for (size_t i = 0; i < bases.size(); ++i) {
    auto opened = segment::open(dir_, bases[i], tnow, files_);
    if (!opened) return opened.error();
    segment_set::ptr s(std::move(*opened));
    const bool last = i + 1 == bases.size();
    const int64_t next_base = last ? -1 : bases[i + 1];
    // Segments must tile the offset space (compacted logs may leave gaps between them).
    if (prev_next >= 0 && (s->base_offset() < prev_next || (!config_.compact && s->base_offset() != prev_next))) {
      if (prev_next < rpoint) {
        spdlog::critical("[{}] segment {} does not follow the previous one (which ends at {}) below the recovery "
                         "point {}: fsynced data is missing",
                         name_, s->base_offset(), prev_next, rpoint);
        return make_error_code(errc::corrupt);
      }
      spdlog::warn("[{}] segment {} does not follow the previous one (ends at {}); dropping it and later ones", name_,
                   s->base_offset(), prev_next);
      for (size_t j = i; j < bases.size(); ++j)
        for (auto ext : {".log", ".index", ".timeindex"})
          if (auto ec = remove_file(dir_ / segment_file_name(bases[j], ext))) return ec;
      truncated = true;
      break;
    }
    if (i < scan_from) {
      if (auto ec = s->load(next_base, interval)) {
        spdlog::warn("[{}] indexes of segment {} missing or inconsistent ({}); rebuilding", name_, s->base_offset(),
                     ec.message());
        uint64_t file_size = s->size();
        auto out = s->recover(interval, std::max<int64_t>(prev_next, 0), nullptr, config_.compact);
        if (out.bad || out.valid_bytes != file_size) {
          spdlog::critical("[{}] segment {} is below the recovery point {} but fails validation at position {} "
                           "(offset {}): {}",
                           name_, s->base_offset(), rpoint, out.valid_bytes, out.next_offset,
                           out.bad ? out.bad.message() : "size mismatch");
          return make_error_code(errc::corrupt);
        }
        s->on_roll();
        to_sync.push_back(s);
      }
      prev_next = s->next_offset();
      segments_.add(std::move(s));
      continue;
    }
    const uint64_t file_size = s->size();
    auto out = s->recover(interval, std::max<int64_t>(prev_next, 0), &epochs_, config_.compact);
    if (out.bad) {
      const int64_t expected = s->empty() ? std::max(s->base_offset(), prev_next) : out.next_offset;
      if (expected < rpoint) {
        spdlog::critical("[{}] segment {}: invalid batch at position {} (offset {}) below the recovery point {}: {}"
                         " -- refusing to open (fsynced data is damaged)",
                         name_, s->base_offset(), out.valid_bytes, expected, rpoint, out.bad.message());
        return make_error_code(errc::corrupt);
      }
      spdlog::warn("[{}] segment {}: truncating torn/invalid tail at position {} of {} (offset {}): {}", name_,
                   s->base_offset(), out.valid_bytes, file_size, expected, out.bad.message());
      auto lf = s->log_file();
      if (!lf) return lf.error();
      if (auto ec = (*lf)->truncate(out.valid_bytes)) return ec;
      truncated = true;
      to_sync.push_back(s);
      const bool keep = !(s->empty() && !segments_.empty() && s->base_offset() != out.next_offset);
      if (keep || segments_.empty()) {
        segments_.add(s);
      } else {
        s->remove_files();
      }
      for (size_t j = i + 1; j < bases.size(); ++j) {
        spdlog::warn("[{}] removing segment {} after the truncation point", name_, bases[j]);
        for (auto ext : {".log", ".index", ".timeindex"})
          if (auto ec = remove_file(dir_ / segment_file_name(bases[j], ext))) return ec;
      }
      break;
    }
    if (!last) s->on_roll();
    to_sync.push_back(s);
    prev_next = s->next_offset();
    segments_.add(std::move(s));
  }
  if (segments_.empty()) {
    int64_t start = std::max<int64_t>(ls->value_or(0), 0);
    auto s = segment::create(dir_, start, tnow, {}, files_);
    if (!s) return s.error();
    segments_.add(segment_set::ptr(std::move(*s)));
    dir_dirty_ = true;
  }
  segments_.active()->set_pinned(true);
  leo_ = segments_.active()->next_offset();
  if (leo_ < rpoint) {
    spdlog::critical("[{}] log ends at offset {} but the recovery point is {}: fsynced data is missing", name_, leo_,
                     rpoint);
    return make_error_code(errc::corrupt);
  }
  log_start_ = std::max(ls->value_or(segments_.first()->base_offset()), segments_.first()->base_offset());
  if (log_start_ > leo_) {
    spdlog::warn("[{}] log start offset {} beyond log end {}; clamping", name_, log_start_, leo_);
    log_start_ = leo_;
  }
  epochs_.truncate_from_end(leo_);
  epochs_.truncate_from_start(log_start_);

  // 4. Make what we accepted durable, then checkpoint.
  for (const auto& s : to_sync) {
    std::error_code ec = s == segments_.active() ? s->sync_log() : s->sync_all();
    if (ec) return ec;
  }
  if (clean) {
    // From now on the log may change: the marker must be gone (durably) before the first append.
    if (auto ec = remove_file(dir_ / clean_shutdown_file)) return ec;
  }
  if (truncated || dir_dirty_ || clean)
    if (auto ec = fsync_dir(dir_)) return ec;
  dir_dirty_ = false;
  durable_ = leo_;
  if (auto ec = write_file_atomic(dir_ / leader_epoch_file, epochs_.serialize())) return ec;
  if (auto ec = write_offset_checkpoint(dir_ / log_start_offset_file, topic_, partition_, log_start_)) return ec;
  if (auto ec = write_offset_checkpoint(dir_ / recovery_point_file, topic_, partition_, leo_)) return ec;
  recovery_point_ = leo_;
  last_flush_ms_ = last_checkpoint_ms_ = tnow;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("[{}] loaded {} segments{}, log start {} end {} (recovery point was {}) in {} ms", name_,
               segments_.count(), clean ? " after a clean shutdown" : "", log_start_, leo_, rpoint, ms);
  return {};
}

partition_log::~partition_log() {
  close();
  std::unique_lock lk(commit_mu_);
  commit_cv_.wait(lk, [&] { return inflight_ == 0; });
}

// ---------------------------------------------------------------------------------------------------------------
// append
// ---------------------------------------------------------------------------------------------------------------

result<append_result> partition_log::append(std::span<uint8_t> batch, int32_t leader_epoch) {
  std::span<uint8_t> one[1] = {batch};
  return append_impl(one, leader_epoch);
}

result<append_result> partition_log::append(std::span<const std::span<uint8_t>> batches, int32_t leader_epoch) {
  return append_impl(batches, leader_epoch);
}

result<append_result> partition_log::append_replicated(std::span<const std::span<uint8_t>> batches) {
  return append_impl(batches, -1);
}

result<append_result> partition_log::append_impl(std::span<const std::span<uint8_t>> batches, int32_t leader_epoch) {
  if (batches.empty()) return make_error_code(errc::invalid_argument);
  const bool replicated = leader_epoch < 0;
  thread_local std::vector<batch_info> infos;
  thread_local std::vector<struct iovec> iovs;
  infos.clear();
  iovs.clear();
  uint64_t total = 0;
  int64_t records = 0;
  for (auto b : batches) {
    if (b.size() < rec::batch_header_size) return make_error_code(errc::invalid_batch);
    int32_t len = be::load<int32_t>(b.data() + rec::offset::batch_length);
    int32_t lod = be::load<int32_t>(b.data() + rec::offset::last_offset_delta);
    if (len < rec::min_batch_length || static_cast<size_t>(len) + rec::log_overhead != b.size() ||
        static_cast<int8_t>(b[rec::offset::magic]) != rec::current_magic || lod < 0)
      return make_error_code(errc::invalid_batch);
    total += b.size();
    records += std::max<int32_t>(be::load<int32_t>(b.data() + rec::offset::record_count), 0);
    iovs.push_back({b.data(), b.size()});
  }
  const int64_t tnow = now();
  std::unique_lock lk(mu_);
  if (closed_) return make_error_code(errc::closed);
  if (failed_) return make_error_code(errc::log_failed);
  const bool lat = config_.log_append_time && !replicated;
  int64_t off = leo_;
  for (auto b : batches) {
    int32_t epoch = leader_epoch;
    if (replicated) {
      if (be::load<int64_t>(b.data() + rec::offset::base_offset) != off) {
        infos.clear();
        return make_error_code(errc::invalid_argument);
      }
      epoch = be::load<int32_t>(b.data() + rec::offset::partition_leader_epoch);
    } else {
      rec::set_base_offset(b, off);
      rec::set_partition_leader_epoch(b, leader_epoch);
    }
    if (lat) {
      rec::set_attributes(b, static_cast<int16_t>(be::load<int16_t>(b.data() + rec::offset::attributes) |
                                                  rec::attr::log_append_time));
      rec::set_max_timestamp(b, tnow);
      rec::recompute_crc(b);
    }
    int32_t lod = be::load<int32_t>(b.data() + rec::offset::last_offset_delta);
    infos.push_back({off, off + lod, be::load<int64_t>(b.data() + rec::offset::max_timestamp),
                     static_cast<uint32_t>(b.size()), epoch});
    off += static_cast<int64_t>(lod) + 1;
  }
  auto active = segments_.active();
  if (!active->empty() &&
      (active->size() + total > config_.segment_bytes || tnow - active->created_ms() > config_.segment_ms ||
       !active->index_room(batches.size(), config_.segment_index_bytes) ||
       (off - 1) - active->base_offset() > std::numeric_limits<int32_t>::max())) {
    if (auto ec = roll_locked(tnow)) return ec;
    active = segments_.active();
  }
  bool unrecoverable = false;
  if (auto ec = active->append(iovs.data(), iovs.size(), infos, config_.index_interval_bytes, &unrecoverable)) {
    if (unrecoverable) failed_ = make_error_code(errc::log_failed);
    if (ec == make_error_code(errc::disk_full))
      spdlog::error("[{}] append of {} bytes at offset {} failed: disk full", name_, total, leo_);
    else
      spdlog::error("[{}] append of {} bytes at offset {} failed: {}", name_, total, leo_, ec.message());
    return ec;
  }
  append_result res{leo_, off - 1, lat ? tnow : -1};
  leo_ = off;
  for (const auto& info : infos)
    if (epochs_.assign(info.leader_epoch, info.base_offset)) ++epochs_version_;
  unflushed_messages_ += records;
  if (unflushed_messages_ >= config_.flush_messages) {
    unflushed_messages_ = 0;
    std::lock_guard c(commit_mu_);
    waiters_.push_back(nullptr);
    schedule_flush_locked();
  }
  return res;
}

std::error_code partition_log::roll_locked(int64_t now_ms) {
  auto active = segments_.active();
  if (active->empty() && active->base_offset() == leo_) return {};
  auto s = segment::create(dir_, leo_, now_ms, {}, files_);
  if (!s) {
    spdlog::error("[{}] cannot roll a new segment at {}: {}", name_, leo_, s.error().message());
    return s.error();
  }
  active->on_roll();
  // Sealed: its descriptor may be closed by the cache from now on. Not even until its fsync: with many
  // partitions rolling faster than the flusher syncs them that would defeat the bound, and fdatasync through a
  // reopened descriptor flushes the same inode (Linux reports a writeback error to it unless another
  // descriptor's fsync already consumed it, and nothing else fsyncs our segments).
  active->set_pinned(false);
  unsynced_.push_back(active);
  segments_.add(segment_set::ptr(std::move(*s)));
  dir_dirty_ = true;
  spdlog::debug("[{}] rolled new segment at offset {}", name_, leo_);
  // Like Kafka, flush the finished segment (and its indexes) in the background right away.
  std::lock_guard c(commit_mu_);
  waiters_.push_back(nullptr);
  schedule_flush_locked();
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// flush / group commit
// ---------------------------------------------------------------------------------------------------------------

void partition_log::schedule_flush_locked() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  ++inflight_;
  scheduler_->post([this] {
    run_flush();
    std::lock_guard c(commit_mu_);
    --inflight_;
    commit_cv_.notify_all();
  });
}

void partition_log::flush(std::function<void(std::error_code)> done) {
  std::lock_guard c(commit_mu_);
  waiters_.push_back(std::move(done));
  if (gathering_ && waiters_.size() >= last_round_waiters_) commit_cv_.notify_all();
  schedule_flush_locked();
}

std::error_code partition_log::flush_sync() {
  std::promise<std::error_code> p;
  auto f = p.get_future();
  flush([&p](std::error_code ec) { p.set_value(ec); });
  return f.get();
}

void partition_log::maybe_flush(int64_t now_ms) {
  {
    std::shared_lock lk(mu_);
    if (closed_ || failed_) return;
    if (leo_ <= durable_.load() && unsynced_.empty()) return;
    if (now_ms - last_flush_ms_ < config_.flush_ms) return;
  }
  flush(nullptr);
}

void partition_log::run_flush() {
  std::unique_lock fl(flush_mu_);
  for (;;) {
    std::vector<std::function<void(std::error_code)>> batch;
    std::vector<segment_set::ptr> to_sync;
    segment_set::ptr active;
    int64_t target = 0;
    bool dir_dirty = false;
    std::error_code ec;
    {
      // Gather: the previous round's waiters are typically appending their next batch right now.
      std::unique_lock c(commit_mu_);
      const size_t want = last_round_waiters_;
      if (want > 1 && !waiters_.empty() && waiters_.size() < want) {
        gathering_ = true;
        const auto budget = std::chrono::nanoseconds(std::min<int64_t>(last_sync_ns_ / 4, 500'000));
        commit_cv_.wait_for(c, budget, [&] { return waiters_.size() >= want; });
        gathering_ = false;
      }
    }
    {
      std::unique_lock lk(mu_);
      {
        std::lock_guard c(commit_mu_);
        batch.swap(waiters_);
        if (batch.empty()) {
          flush_scheduled_ = false;
          return;
        }
      }
      if (failed_) {
        ec = make_error_code(errc::log_failed);
      } else if (closed_) {
        ec = durable_.load() >= leo_ ? std::error_code{} : make_error_code(errc::closed);
      } else {
        target = leo_;
        to_sync.swap(unsynced_);
        active = segments_.active();
        dir_dirty = dir_dirty_;
        dir_dirty_ = false;
        unflushed_messages_ = 0;
        last_flush_ms_ = now();
      }
    }
    if (!ec && active && (target > durable_.load() || !to_sync.empty() || dir_dirty)) {
      flush_rounds_.fetch_add(1, std::memory_order_relaxed);
      const auto s0 = std::chrono::steady_clock::now();
      for (const auto& s : to_sync)
        if ((ec = s->sync_all())) break;
      if (!ec) ec = active->sync_log();
      if (!ec && dir_dirty) ec = fsync_dir(dir_);
      {
        std::lock_guard c(commit_mu_);
        last_sync_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - s0)
                            .count();
        last_round_waiters_ = batch.size();
      }
      if (ec) {
        std::unique_lock lk(mu_);
        failed_ = ec;
        spdlog::critical("[{}] fsync failed ({}); the log now refuses writes until it is reopened and recovered",
                         name_, ec.message());
        ec = make_error_code(errc::log_failed);
      } else {
        int64_t cur = durable_.load();
        while (target > cur && !durable_.compare_exchange_weak(cur, target)) {
        }
      }
    }
    // Callbacks run without flush_mu_ so they may call anything on the log (even truncate_to); no other fsync
    // round of this log can start meanwhile because flush_scheduled_ is still set.
    fl.unlock();
    for (auto& cb : batch)
      if (cb) cb(ec);
    fl.lock();
    if (!ec && active) write_checkpoints(false);
  }
}

void partition_log::write_checkpoints(bool force) {
  // Caller holds flush_mu_. Read the durable offset first: every epoch entry below it is already in the cache.
  const int64_t rp = durable_.load();
  std::string epochs_text;
  uint64_t version = 0;
  {
    std::shared_lock lk(mu_);
    int64_t t = now();
    if (!force && t - last_checkpoint_ms_ < config_.recovery_point_checkpoint_ms) return;
    if (epochs_version_ != epochs_written_) {
      epochs_text = epochs_.serialize();
      version = epochs_version_;
    }
  }
  if (!epochs_text.empty()) {
    if (auto ec = write_file_atomic(dir_ / leader_epoch_file, epochs_text)) {
      spdlog::error("[{}] cannot write {}: {}", name_, leader_epoch_file, ec.message());
      return;  // do not advance the recovery point past epochs we could not record
    }
    std::unique_lock lk(mu_);
    epochs_written_ = std::max(epochs_written_, version);
  }
  if (rp != recovery_point_.load()) {
    if (auto ec = write_recovery_point(rp)) {
      spdlog::error("[{}] cannot write {}: {}", name_, recovery_point_file, ec.message());
      return;
    }
  }
  std::unique_lock lk(mu_);
  last_checkpoint_ms_ = now();
}

std::error_code partition_log::write_recovery_point(int64_t rp) {
  if (auto ec = write_offset_checkpoint(dir_ / recovery_point_file, topic_, partition_, rp)) return ec;
  recovery_point_.store(rp);
  return {};
}

std::error_code partition_log::write_log_start_checkpoint() {
  return write_offset_checkpoint(dir_ / log_start_offset_file, topic_, partition_, log_start_);
}

std::error_code partition_log::write_epoch_checkpoint_locked() {
  auto ec = write_file_atomic(dir_ / leader_epoch_file, epochs_.serialize());
  if (!ec) epochs_written_ = epochs_version_;
  return ec;
}

// ---------------------------------------------------------------------------------------------------------------
// reads
// ---------------------------------------------------------------------------------------------------------------

result<read_result> partition_log::read(int64_t offset, size_t max_bytes, int64_t upper_bound) const {
  read_result out;
  int64_t cur = offset;
  int64_t seg_base = -1;
  for (;;) {
    segment_set::ptr seg;
    std::shared_ptr<segment_file> file;
    uint64_t end = 0;
    int64_t base = 0;
    uint32_t interval = 0;
    std::optional<offset_entry> below, above;  // index entries around `cur` (first segment only)
    {
      std::shared_lock lk(mu_);
      if (seg_base < 0) {
        if (offset < log_start_ || offset > leo_) return make_error_code(errc::out_of_range);
        if (offset == leo_) return out;
      }
      seg = seg_base < 0 ? segments_.floor(cur) : segments_.higher(seg_base);
      if (!seg && seg_base < 0) seg = segments_.empty() ? nullptr : segments_.first();
      if (!seg) break;
      auto lf = seg->log_file();
      if (!lf) {
        spdlog::error("[{}] segment {}: cannot open the log file: {}", name_, seg->base_offset(), lf.error().message());
        if (out.slices.empty()) return lf.error();
        break;
      }
      file = std::move(*lf);
      end = seg->size();
      base = seg->base_offset();
      interval = config_.index_interval_bytes;
      if (seg_base < 0) {
        below = seg->lookup_entry(cur);
        above = seg->ceil_entry(cur);
      }
    }
    const bool first_segment = seg_base < 0;
    seg_base = base;
    // Find the batch holding `cur` with as few (and as small) reads as possible: the index entry at or after
    // `cur` names a batch ending at or after it, which holds `cur` whenever it starts at or before it -- always
    // so when batches are larger than index.interval.bytes. Otherwise scan from the entry below (at most about
    // one index interval of headers: one read). Every entry used is checked against the header it points at (once:
    // what the header says is remembered in the in-memory entry; entries made by appends know it already).
    header_reader hr(*file, end, 2 * rec::batch_header_size);
    uint64_t pos = 0;
    std::optional<batch_info> first;
    // The batch behind an index entry: from memory when known, else from its header (checked against the entry,
    // and then remembered). nullopt when the entry disagrees with the log.
    auto batch_at = [&](const offset_entry& e) -> std::optional<batch_info> {
      if (e.batch_known() && e.position + uint64_t{e.batch_size()} <= end)
        return batch_info{base + e.batch_base_rel(), base + e.relative_offset, -1, e.batch_size(), -1};
      auto b = hr.at(e.position);
      if (!b || !*b || (*b)->last_offset != base + e.relative_offset) {
        spdlog::warn("[{}] offset index of segment {} disagrees with the log at position {}; scanning", name_, base,
                     e.position);
        return std::nullopt;
      }
      {
        std::shared_lock lk(mu_);
        seg->index().remember(e.relative_offset, e.position, static_cast<int32_t>((*b)->base_offset - base),
                              (*b)->size);
      }
      return **b;
    };
    if (above) {
      if (auto b = batch_at(*above)) {
        if (b->base_offset <= cur) {
          pos = above->position;
          first = b;
        }
      } else {
        below.reset();
      }
    }
    if (!first && first_segment) {
      hr.set_window(static_cast<size_t>(interval) + 2 * rec::batch_header_size);
      if (below) {
        if (auto b = batch_at(*below)) {
          pos = below->position;
          first = b;
        }
      }
    } else if (!first_segment) {
      hr.set_window(header_reader::max_window);
    }
    bool stop = false;
    bool jumped = false;
    while (pos < end) {
      result<std::optional<batch_info>> b = first ? result<std::optional<batch_info>>(first) : hr.at(pos);
      first.reset();
      if (!b) {
        spdlog::error("[{}] segment {}: unreadable batch header at position {}: {}", name_, base, pos,
                      b.error().message());
        if (out.slices.empty()) return make_error_code(errc::corrupt);
        stop = true;
        break;
      }
      if (!*b) break;
      const auto& bi = **b;
      if (bi.last_offset < cur) {
        pos += bi.size;
        continue;
      }
      if (bi.base_offset >= upper_bound || (out.total_bytes > 0 && out.total_bytes + bi.size > max_bytes)) {
        stop = true;
        break;
      }
      if (!out.slices.empty() && out.slices.back().file == file &&
          out.slices.back().position + out.slices.back().length == pos &&
          static_cast<uint64_t>(out.slices.back().length) + bi.size <= std::numeric_limits<uint32_t>::max()) {
        out.slices.back().length += bi.size;
      } else {
        out.slices.push_back(file_slice{file, pos, bi.size});
      }
      out.total_bytes += bi.size;
      cur = bi.last_offset + 1;
      pos += bi.size;
      if (out.total_bytes >= max_bytes) {
        stop = true;
        break;
      }
      // Big batches: one header per read, no point reading more. Small ones: a wide window.
      hr.set_window(bi.size >= 4096 ? 2 * rec::batch_header_size : header_reader::max_window);
      // A larger fetch: jump over whole batches to the last indexed batch start that still fits (an index entry
      // marks a batch boundary; the batches before it end below its offset, so they are below upper_bound when
      // it is), instead of reading every header on the way.
      if (!jumped && max_bytes - out.total_bytes > 2 * static_cast<size_t>(interval) + 2 * bi.size) {
        jumped = true;
        const uint64_t limit = pos + (max_bytes - out.total_bytes);
        std::optional<offset_entry> e;
        {
          std::shared_lock lk(mu_);
          e = seg->index().floor_position(std::min(limit, end));
          // And not past the last entry whose batch ends below upper_bound.
          if (e && base + e->relative_offset >= upper_bound) {
            const int64_t rel = std::min<int64_t>(upper_bound - 1 - base, std::numeric_limits<int32_t>::max());
            e = rel < 0 ? std::nullopt : seg->index().floor(static_cast<int32_t>(rel));
          }
        }
        auto& last = out.slices.back();
        if (e && e->position > pos && e->position < end &&
            static_cast<uint64_t>(last.length) + (e->position - pos) <= std::numeric_limits<uint32_t>::max()) {
          // Only trust the entry when the header it points at agrees.
          if (auto hb = batch_at(*e)) {
            const uint64_t skip = e->position - pos;
            last.length += static_cast<uint32_t>(skip);
            out.total_bytes += skip;
            pos = e->position;
            first = hb;
            // `cur` stays a lower bound: every batch from here on ends at or after it.
          }
        }
      }
    }
    if (stop) break;
  }
  return out;
}

std::optional<int64_t> partition_log::offset_for_timestamp(int64_t ts) const {
  auto r = lookup_timestamp(ts);
  if (!r) return std::nullopt;
  return r->offset;
}

std::optional<timestamp_offset> partition_log::lookup_timestamp(int64_t ts) const {
  int64_t seg_base = -1;
  int64_t ls = 0;
  for (;;) {
    std::shared_ptr<segment_file> file;
    uint64_t end = 0, pos = 0;
    int64_t base = 0;
    std::optional<offset_entry> entry;
    {
      std::shared_lock lk(mu_);
      ls = log_start_;
      segment_set::ptr seg = seg_base < 0 ? (segments_.empty() ? nullptr : segments_.first())
                                          : segments_.higher(seg_base);
      while (seg && (seg->max_timestamp() < ts || seg->next_offset() <= ls)) seg = segments_.higher(seg->base_offset());
      if (!seg) return std::nullopt;
      auto lf = seg->log_file();
      if (!lf) return std::nullopt;
      file = std::move(*lf);
      end = seg->size();
      base = seg->base_offset();
      auto te = seg->tindex().last_below(ts);
      int64_t from = std::max(te ? base + te->relative_offset + 1 : base, ls);
      entry = seg->lookup_entry(from);
    }
    seg_base = base;
    header_reader hr(*file, end);
    if (entry) {
      auto b = hr.at(entry->position);
      if (b && *b && (*b)->last_offset == base + entry->relative_offset) pos = entry->position;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      while (pos < end) {
        auto b = hr.at(pos);
        if (!b || !*b) break;
        const auto& bi = **b;
        if (bi.max_timestamp >= ts && bi.last_offset >= ls) {
          auto r = find_record(*file, pos, bi.size, ls, [ts](int64_t t, int64_t) { return t >= ts; });
          if (r) return r;
        }
        pos += bi.size;
      }
      if (pos == 0) break;
      pos = 0;  // the time index pointed past the answer (damaged?): rescan the segment
    }
  }
}

std::pair<int64_t, int64_t> partition_log::max_timestamp_and_offset() const {
  std::shared_ptr<segment_file> file;
  int64_t max_ts = -1, off = -1;
  uint64_t end = 0, pos = 0;
  {
    std::shared_lock lk(mu_);
    segment_set::ptr best;
    for (const auto& [b, s] : segments_)
      if (s->max_timestamp() > max_ts) {
        max_ts = s->max_timestamp();
        off = s->offset_of_max_timestamp();
        best = s;
      }
    if (!best) return {-1, -1};
    auto lf = best->log_file();
    if (!lf) return {max_ts, off};
    file = std::move(*lf);
    end = best->size();
    auto e = best->lookup_entry(off);
    pos = e ? e->position : 0;
  }
  // Refine from the batch's last offset to the first record carrying the max timestamp.
  header_reader hr(*file, end);
  for (int attempt = 0; attempt < 2; ++attempt) {
    while (pos < end) {
      auto b = hr.at(pos);
      if (!b || !*b) break;
      if ((*b)->last_offset >= off) {
        if ((*b)->last_offset == off || (*b)->base_offset <= off) {
          auto r = find_record(*file, pos, (*b)->size, 0, [max_ts](int64_t t, int64_t) { return t == max_ts; });
          if (r) return {max_ts, r->offset};
          return {max_ts, off};
        }
        break;
      }
      pos += (*b)->size;
    }
    pos = 0;
  }
  return {max_ts, off};
}

// ---------------------------------------------------------------------------------------------------------------
// truncation, delete records, retention
// ---------------------------------------------------------------------------------------------------------------

void partition_log::delete_segments(std::vector<segment_set::ptr> doomed) {
  for (auto& s : doomed) {
    spdlog::info("[{}] deleting segment {} ({} bytes)", name_, s->base_offset(), s->size());
    s->remove_files();
  }
  if (!doomed.empty()) {
    if (auto ec = fsync_dir(dir_)) spdlog::warn("[{}] fsync of directory failed after delete: {}", name_, ec.message());
  }
}

result<int64_t> partition_log::truncate_to(int64_t offset) {
  if (offset < 0) return make_error_code(errc::invalid_argument);
  std::lock_guard mt(maint_mu_);
  std::lock_guard fl(flush_mu_);
  std::vector<segment_set::ptr> doomed;
  {
    std::unique_lock lk(mu_);
    if (closed_) return make_error_code(errc::closed);
    if (failed_) return make_error_code(errc::log_failed);
    if (offset >= leo_) return leo_;
    const int64_t old_leo = leo_;
    // Lower the recovery point first so a crash mid-way never leaves it above the log end.
    int64_t floor_base = segments_.floor(offset) ? segments_.floor(offset)->base_offset() : offset;
    int64_t new_rp = std::min<int64_t>(recovery_point_.load(), std::min(floor_base, offset));
    if (new_rp != recovery_point_.load())
      if (auto ec = write_recovery_point(new_rp)) return ec;
    // Where would the log end after cutting at the batch boundary? If nothing at or above the log start would
    // remain, restart the log empty instead (at `offset` when it is below the log start, as Kafka does).
    int64_t restart_at = -1;
    if (offset <= log_start_) {
      restart_at = offset;
    } else {
      auto seg = segments_.floor(offset);
      auto pos = seg->position_of(offset);
      if (!pos) return pos.error();
      int64_t boundary = seg->next_offset();
      if (*pos < seg->size()) {
        auto lf = seg->log_file();
        if (!lf) return lf.error();
        header_reader hr(**lf, seg->size());
        auto b = hr.at(*pos);
        if (!b || !*b) return make_error_code(errc::corrupt);
        boundary = (*b)->base_offset;
      }
      if (boundary < log_start_) restart_at = log_start_;
    }
    if (restart_at >= 0) {
      offset = restart_at;
      // Truncate fully and restart at `offset`.
      auto fresh = segment::create(dir_, offset, now(), {}, files_);
      if (!fresh) return fresh.error();
      for (auto& s : segments_.all()) {
        if (s->base_offset() == offset) continue;  // the fresh segment reused (and emptied) that file
        doomed.push_back(segments_.remove(s->base_offset()));
      }
      segments_.remove(offset);
      segments_.add(segment_set::ptr(std::move(*fresh)));
      log_start_ = offset;
      leo_ = offset;
      if (auto ec = write_log_start_checkpoint()) return ec;
    } else {
      for (auto& s : segments_.all())
        if (s->base_offset() >= offset && s != segments_.first()) doomed.push_back(segments_.remove(s->base_offset()));
      auto seg = segments_.active();
      seg->set_pinned(true);  // may be a sealed segment that becomes the active one again
      auto pos = seg->position_of(offset);
      if (!pos) return pos.error();
      if (auto ec = seg->truncate_to_position(*pos, config_.index_interval_bytes)) {
        failed_ = make_error_code(errc::log_failed);
        return ec;
      }
      leo_ = seg->next_offset();
    }
    // Forget pending syncs of segments that are gone (including one whose file the fresh segment reused).
    std::erase_if(unsynced_, [&](const segment_set::ptr& s) {
      auto cur = segments_.floor(s->base_offset());
      return cur != s;
    });
    if (durable_.load() > leo_) durable_.store(leo_);
    if (epochs_.truncate_from_end(leo_)) ++epochs_version_;
    if (auto ec = write_epoch_checkpoint_locked()) return ec;
    if (auto ec = segments_.active()->sync_log()) {
      failed_ = ec;
      return make_error_code(errc::log_failed);
    }
    spdlog::info("[{}] truncated to offset {} (requested {}, was {})", name_, leo_, offset, old_leo);
  }
  delete_segments(std::move(doomed));
  return log_end_offset();
}

result<int64_t> partition_log::delete_records_before(int64_t offset) {
  std::lock_guard mt(maint_mu_);
  std::lock_guard fl(flush_mu_);
  std::vector<segment_set::ptr> doomed;
  int64_t result_start;
  {
    std::unique_lock lk(mu_);
    if (closed_) return make_error_code(errc::closed);
    if (offset < 0 || offset > leo_) return make_error_code(errc::out_of_range);
    if (offset <= log_start_) return log_start_;
    const int64_t old = log_start_;
    log_start_ = offset;
    if (auto ec = write_log_start_checkpoint()) {
      log_start_ = old;
      return ec;
    }
    if (epochs_.truncate_from_start(log_start_)) ++epochs_version_;
    auto all = segments_.all();
    for (size_t i = 0; i + 1 < all.size(); ++i) {
      if (all[i + 1]->base_offset() > log_start_) break;
      doomed.push_back(segments_.remove(all[i]->base_offset()));
    }
    std::erase_if(unsynced_, [&](const segment_set::ptr& s) {
      return std::find(doomed.begin(), doomed.end(), s) != doomed.end();
    });
    result_start = log_start_;
    spdlog::info("[{}] log start offset raised {} -> {}", name_, old, log_start_);
  }
  delete_segments(std::move(doomed));
  return result_start;
}

size_t partition_log::apply_retention(int64_t now_ms) {
  std::lock_guard mt(maint_mu_);
  std::lock_guard fl(flush_mu_);
  std::vector<segment_set::ptr> doomed;
  {
    std::unique_lock lk(mu_);
    if (closed_) return 0;
    auto all = segments_.all();
    uint64_t total = segments_.size_bytes();
    for (size_t i = 0; i + 1 < all.size(); ++i) {
      const auto& s = all[i];
      bool below_start = all[i + 1]->base_offset() <= log_start_;
      bool by_time = config_.delete_ && config_.retention_ms >= 0 && s->max_timestamp() >= 0 &&
                     now_ms - s->max_timestamp() > config_.retention_ms;
      bool by_size = config_.delete_ && config_.retention_bytes >= 0 &&
                     total - s->size() >= static_cast<uint64_t>(config_.retention_bytes);
      if (!(below_start || by_time || by_size)) break;
      total -= s->size();
      doomed.push_back(s);
    }
    if (doomed.empty()) return 0;
    for (auto& s : doomed) segments_.remove(s->base_offset());
    std::erase_if(unsynced_, [&](const segment_set::ptr& s) {
      return std::find(doomed.begin(), doomed.end(), s) != doomed.end();
    });
    int64_t new_start = std::max(log_start_, segments_.first()->base_offset());
    if (new_start != log_start_) {
      log_start_ = new_start;
      if (auto ec = write_log_start_checkpoint())
        spdlog::error("[{}] cannot write {}: {}", name_, log_start_offset_file, ec.message());
      if (epochs_.truncate_from_start(log_start_)) ++epochs_version_;
    }
    spdlog::info("[{}] retention: deleting {} segment(s); log start offset now {}", name_, doomed.size(), log_start_);
  }
  size_t n = doomed.size();
  delete_segments(std::move(doomed));
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// metadata
// ---------------------------------------------------------------------------------------------------------------

int64_t partition_log::log_start_offset() const {
  std::shared_lock lk(mu_);
  return log_start_;
}
int64_t partition_log::log_end_offset() const {
  std::shared_lock lk(mu_);
  return leo_;
}
int64_t partition_log::recovery_point() const { return recovery_point_.load(); }
uint64_t partition_log::size_bytes() const {
  std::shared_lock lk(mu_);
  return segments_.size_bytes();
}
size_t partition_log::segment_count() const {
  std::shared_lock lk(mu_);
  return segments_.count();
}
std::vector<int64_t> partition_log::segment_base_offsets() const {
  std::shared_lock lk(mu_);
  std::vector<int64_t> out;
  for (const auto& [b, s] : segments_) out.push_back(b);
  return out;
}
log_config partition_log::config() const {
  std::shared_lock lk(mu_);
  return config_;
}
void partition_log::set_config(const log_config& c) {
  if (validate_config(c)) return;
  std::unique_lock lk(mu_);
  config_ = c;
}
std::error_code partition_log::failure() const {
  std::shared_lock lk(mu_);
  return failed_;
}
std::pair<int32_t, int64_t> partition_log::end_offset_for_epoch(int32_t epoch) const {
  std::shared_lock lk(mu_);
  return epochs_.end_offset_for(epoch, leo_);
}
int32_t partition_log::latest_epoch() const {
  std::shared_lock lk(mu_);
  auto l = epochs_.latest();
  return l ? l->epoch : -1;
}
std::vector<epoch_entry> partition_log::epoch_entries() const {
  std::shared_lock lk(mu_);
  return epochs_.entries();
}

std::error_code partition_log::close() {
  std::lock_guard mt(maint_mu_);
  std::lock_guard fl(flush_mu_);
  std::vector<segment_set::ptr> all;
  {
    std::unique_lock lk(mu_);
    if (closed_) return {};
    closed_ = true;
    if (failed_) return failed_;
    if (segments_.empty()) return {};
    all = segments_.all();
    segments_.active()->on_roll();
    unsynced_.clear();
  }
  std::error_code ec;
  for (const auto& s : all)
    if ((ec = s->sync_all())) break;
  if (!ec) ec = fsync_dir(dir_);
  if (ec) {
    std::unique_lock lk(mu_);
    failed_ = ec;
    spdlog::critical("[{}] fsync failed while closing: {}", name_, ec.message());
    return ec;
  }
  durable_.store(leo_);
  write_checkpoints(true);
  if (auto e2 = write_log_start_checkpoint()) {
    spdlog::error("[{}] cannot write log start checkpoint: {}", name_, e2.message());
    return {};
  }
  bool complete;
  {
    std::shared_lock lk(mu_);
    complete = recovery_point_.load() == leo_ && epochs_written_ == epochs_version_;
  }
  if (complete)
    if (auto e3 = write_file_atomic(dir_ / clean_shutdown_file, ""))
      spdlog::warn("[{}] cannot write the clean-shutdown marker: {}", name_, e3.message());
  return {};
}

void partition_log::abandon() {
  std::unique_lock lk(mu_);
  closed_ = true;
}

}  // namespace samsa::storage
