// Maintenance that removes data from a partition log: truncation of the end (a follower diverging from its leader),
// DeleteRecords (raising the log start) and retention (deleting whole old segments). Each runs under the
// maintenance lock with fsync rounds blocked, changes the log's state under its exclusive lock, and unlinks the
// files of removed segments only after releasing it (readers holding slices keep their descriptors).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "samsa/storage/partition_log.h"

namespace samsa::storage {

void partition_log::delete_segments(std::vector<segment_set::ptr> doomed) {
  for (auto& s : doomed) {
    spdlog::info("[{}] deleting segment {} ({} bytes)", name_, s->base_offset(), s->size());
    s->remove_files();
  }
  if (!doomed.empty()) {
    if (auto ec = fsync_dir(dir_)) spdlog::warn("[{}] fsync of directory failed after delete: {}", name_, ec.message());
  }
}

void partition_log::forget_removed_locked() {
  // A segment whose base now names another segment (or none) is gone, including one whose file a fresh segment
  // reused.
  std::erase_if(unsynced_, [&](const segment_set::ptr& s) { return segments_.floor(s->base_offset()) != s; });
}

result<int64_t> partition_log::truncate_to(int64_t offset) {
  if (offset < 0) return make_error_code(errc::invalid_argument);
  std::lock_guard mt(maint_mu_);
  auto rounds = commit_.block_rounds();
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
    auto restart = restart_point_locked(offset);
    if (!restart) return restart.error();
    if (*restart >= 0) offset = *restart;
    if (auto ec = *restart >= 0 ? restart_locked(offset, doomed) : cut_locked(offset, doomed)) return ec;
    forget_removed_locked();
    if (commit_.durable() > leo_) commit_.set_durable(leo_);
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

// Where would the log end after cutting at the batch boundary? If nothing at or above the log start would remain,
// the log restarts empty instead (at `offset` when it is below the log start, as Kafka does). -1: no restart.
result<int64_t> partition_log::restart_point_locked(int64_t offset) const {
  if (offset <= log_start_) return offset;
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
  return boundary < log_start_ ? log_start_ : -1;
}

// Empties the log and restarts it at `offset`.
std::error_code partition_log::restart_locked(int64_t offset, std::vector<segment_set::ptr>& doomed) {
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
  return write_log_start_checkpoint();
}

// Cuts the log at the boundary of the batch holding `offset`: later segments go, the one holding it becomes the
// active segment, truncated.
std::error_code partition_log::cut_locked(int64_t offset, std::vector<segment_set::ptr>& doomed) {
  for (auto& s : segments_.all())
    if (s->base_offset() >= offset && s != segments_.first()) doomed.push_back(segments_.remove(s->base_offset()));
  auto seg = segments_.active();
  seg->set_pinned(true);  // may be a sealed segment that becomes the active one again
  auto pos = seg->position_of(offset);
  if (!pos) return pos.error();
  if (auto ec = seg->truncate_to_position(*pos, config_.index_interval_bytes)) {
    // The in-memory state no longer matches the file.
    failed_ = make_error_code(errc::log_failed);
    return ec;
  }
  leo_ = seg->next_offset();
  return {};
}

result<int64_t> partition_log::delete_records_before(int64_t offset) {
  std::lock_guard mt(maint_mu_);
  auto rounds = commit_.block_rounds();
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
    forget_removed_locked();
    result_start = log_start_;
    spdlog::info("[{}] log start offset raised {} -> {}", name_, old, log_start_);
  }
  delete_segments(std::move(doomed));
  return result_start;
}

size_t partition_log::apply_retention(int64_t now_ms) {
  std::lock_guard mt(maint_mu_);
  auto rounds = commit_.block_rounds();
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
    forget_removed_locked();
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

}  // namespace samsa::storage
