#include "samsa/storage/partition_log.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include <spdlog/spdlog.h>

#include "log_loader.h"
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
// open
// ---------------------------------------------------------------------------------------------------------------

partition_log::partition_log(fs::path dir, std::string topic, int32_t partition, const log_config& c,
                             open_options opts)
    : dir_(std::move(dir)),
      topic_(std::move(topic)),
      partition_(partition),
      name_(topic_ + "-" + std::to_string(partition_)),
      clock_(opts.clock ? std::move(opts.clock) : std::function<int64_t()>(system_now_ms)),
      files_(opts.files ? std::move(opts.files) : file_cache::default_instance()),
      config_(c),
      commit_(*this, mu_, dir_, name_, std::move(opts.scheduler)) {}

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
  if (auto ec = log->load()) {
    log->closed_ = true;  // nothing to flush: the destructor must not touch the empty state
    return ec;
  }
  return log;
}

std::error_code partition_log::load() {
  log_loader loader({dir_, name_, topic_, partition_, config_, files_, now()});
  auto loaded = loader.load();
  if (!loaded) return loaded.error();
  std::unique_lock lk(mu_);
  segments_ = std::move(loaded->segments);
  log_start_ = loaded->log_start;
  leo_ = loaded->log_end;
  epochs_ = std::move(loaded->epochs);
  // The loader synced everything it accepted and checkpointed the log end as the recovery point.
  commit_.set_durable(leo_);
  recovery_point_ = leo_;
  last_flush_ms_ = last_checkpoint_ms_ = now();
  return {};
}

partition_log::~partition_log() {
  close();
  // A round may still be answering waiters (it calls back into this log).
  commit_.wait_idle();
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
    commit_.flush_in_background();
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
  commit_.flush_in_background();
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// the log's side of group commit (group_commit.h), checkpoints
// ---------------------------------------------------------------------------------------------------------------

commit_round partition_log::begin_round_locked() {
  commit_round r;
  if (failed_) {
    r.answer = make_error_code(errc::log_failed);
  } else if (closed_) {
    // Durable only when close() synced everything (abandon() does not).
    if (commit_.durable() < leo_) r.answer = make_error_code(errc::closed);
  } else {
    r.open = true;
    r.target = leo_;
    r.sealed.swap(unsynced_);
    r.active = segments_.active();
    r.dir_dirty = dir_dirty_;
    dir_dirty_ = false;
    unflushed_messages_ = 0;
    last_flush_ms_ = now();
  }
  return r;
}

void partition_log::poison_locked(std::error_code ec) { failed_ = ec; }

void partition_log::end_round() { write_checkpoints(false); }

bool partition_log::flush_due_locked(int64_t now_ms) const {
  if (closed_ || failed_) return false;
  if (leo_ <= commit_.durable() && unsynced_.empty()) return false;
  return now_ms - last_flush_ms_ >= config_.flush_ms;
}

void partition_log::write_checkpoints(bool force) {
  // Rounds are blocked (the caller holds the round lock). Read the durable offset first: every epoch entry below it
  // is already in the cache.
  const int64_t rp = commit_.durable();
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
  segment_set::ptr seg;
  for (bool first = true;; first = false) {
    segment_snapshot snap;
    {
      std::shared_lock lk(mu_);
      if (first) {
        if (offset < log_start_ || offset > leo_) return make_error_code(errc::out_of_range);
        if (offset == leo_) return out;
        seg = segments_.floor(cur);
        if (!seg && !segments_.empty()) seg = segments_.first();
      } else {
        seg = segments_.higher(seg->base_offset());
      }
      if (!seg) break;
      auto s = seg->snapshot(cur, first, config_.index_interval_bytes);
      if (!s) {
        spdlog::error("[{}] segment {}: cannot open the log file: {}", name_, seg->base_offset(), s.error().message());
        if (out.slices.empty()) return s.error();
        break;
      }
      snap = std::move(*s);
    }
    // Without the lock: appends and fsync rounds go on meanwhile.
    auto r = seg->read(snap, cur, max_bytes, upper_bound, mu_, out);
    if (!r) return r.error();
    if (r->done) break;
    cur = r->next_offset;
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
  auto rounds = commit_.block_rounds();
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
  commit_.set_durable(leo_);
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
