#pragma once
// The log of one partition: a directory `<log.dirs>/<topic>-<partition>/` of segments plus checkpoints.
//
// Threading: every method may be called from any thread. Appends and metadata changes take an exclusive lock for
// the duration of a write(2); reads take a shared lock only to snapshot segment sizes and index positions, then
// read by file position without locks, so they never wait for an fsync. fsyncs run on a flush_scheduler thread
// and never hold the append lock (group commit: one fdatasync covers every append that arrived meanwhile).
//
// Failure model: ENOSPC on append -> errc::disk_full, nothing written, log still usable. A failed fdatasync
// poisons the log for writes (errc::log_failed) until it is reopened (which re-runs recovery): a failed fsync
// may have dropped dirty pages, so retrying it and carrying on would be lying about durability.
//
// Where each part lives (src/storage/):
//   partition_log.cc     open, append and rolling, the read loop over segments, timestamp lookups, metadata,
//                        close, checkpoints, and the log's side of a group-commit round (what it syncs, poisoning)
//   segment_read.cc      segment::read: the per-segment read (index lookup, header walk, max_bytes, upper bound)
//   log_loader.{h,cc}    recovery at open: leftovers of interrupted operations, CRC scan from the recovery point,
//                        torn-tail truncation, index rebuilds, epoch cache and log start restored, checkpoints
//   group_commit.{h,cc}  fsync rounds: flush waiters, adaptive gathering, the fsyncs, the durable offset
//   truncation.cc        truncate_to, delete_records_before, apply_retention
//   compaction.cc        compact
// Lock order: maint_mu_ (maintenance), the group commit's round lock, mu_, the group commit's commit lock.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/storage/checkpoint.h"
#include "samsa/storage/errc.h"
#include "samsa/storage/file.h"
#include "samsa/storage/file_cache.h"
#include "samsa/storage/flush_scheduler.h"
#include "samsa/storage/group_commit.h"
#include "samsa/storage/log_config.h"
#include "samsa/storage/read_result.h"
#include "samsa/storage/segment_set.h"

namespace samsa::storage {

struct append_result {
  int64_t base_offset;
  int64_t last_offset;
  int64_t log_append_time = -1;  // set when the log stamps LogAppendTime
};

struct timestamp_offset {
  int64_t timestamp;
  int64_t offset;
};

struct open_options {
  std::shared_ptr<flush_scheduler> scheduler;  // default: flush_scheduler::default_instance()
  std::function<int64_t()> clock;              // wall clock in ms (tests inject one); default: system_clock
  // Bounded cache of open .log descriptors shared with other logs (log_manager passes its own); default:
  // file_cache::default_instance() (unbounded). The active segment's descriptor is always kept open.
  std::shared_ptr<file_cache> files;
};

class partition_log final : private group_commit::log_hooks {
 public:
  // Opens (creating if needed) the partition directory, whose name must be `<topic>-<partition>`, and recovers
  // it: segments from the one holding the recovery point on are CRC-scanned and a torn tail truncated; missing
  // or bad indexes are rebuilt; a bad batch below the recovery point fails with errc::corrupt.
  static result<std::unique_ptr<partition_log>> open(const std::filesystem::path& dir, const log_config& config,
                                                     open_options opts = {});
  ~partition_log();  // close()
  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  // Appends one complete v2 batch (already CRC-validated by the caller): rewrites baseOffset and
  // partitionLeaderEpoch in place (and maxTimestamp + CRC under LogAppendTime), then writes it.
  result<append_result> append(std::span<uint8_t> batch, int32_t leader_epoch);
  // Same for several batches with one gather write; offsets are assigned consecutively.
  result<append_result> append(std::span<const std::span<uint8_t>> batches, int32_t leader_epoch);
  result<append_result> append_batches(std::span<const std::span<uint8_t>> batches, int32_t leader_epoch) {
    return append(batches, leader_epoch);
  }

  // A follower's append: batches copied from the leader keep their offsets and leader epochs. The first batch
  // must start at the log end offset and the batches must be contiguous (errc::invalid_argument otherwise);
  // callers verify the CRCs. The leader-epoch cache learns each batch's epoch.
  result<append_result> append_replicated(std::span<const std::span<uint8_t>> batches);

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  int64_t durable_offset() const noexcept { return commit_.durable(); }
  // The recovery point last written to the checkpoint file.
  int64_t recovery_point() const;

  // Group commit (see group_commit.h). `done` runs on a flusher thread.
  void flush(std::function<void(std::error_code)> done) { commit_.flush(std::move(done)); }
  // Blocking variant.
  std::error_code flush_sync() { return commit_.flush_sync(); }
  // Flushes if flush.ms elapsed since the last flush with data pending (called by log_manager's flusher).
  void maybe_flush(int64_t now_ms) { commit_.maybe_flush(now_ms); }

  // Whole batches from the one containing `offset`, up to max_bytes (the first whole even when larger), none with
  // base offset >= upper_bound. out_of_range unless log_start_offset <= offset <= log_end_offset.
  result<read_result> read(int64_t offset, size_t max_bytes, int64_t upper_bound) const;

  // First offset >= log start whose record timestamp is >= ts (record precision; compressed batches are
  // decompressed), nullopt when none. ts = -1 / -2 (latest / earliest) are the caller's to map.
  std::optional<int64_t> offset_for_timestamp(int64_t ts) const;
  // Same, with the found record's own timestamp (what ListOffsets v1+ answers).
  std::optional<timestamp_offset> lookup_timestamp(int64_t ts) const;
  // (max timestamp, offset of the first record carrying it); (-1, -1) when the log is empty.
  std::pair<int64_t, int64_t> max_timestamp_and_offset() const;

  // Removes everything at or after `offset` (truncation happens at a batch boundary: a batch containing `offset`
  // goes entirely, so the new end may be below `offset`). An offset at or below the log start empties the log
  // and restarts it at `offset`; if the cut would leave only batches below the log start, the log restarts
  // empty at the log start. Returns the new log end offset.
  result<int64_t> truncate_to(int64_t offset);
  // DeleteRecords: raises the log start offset to `offset` (<= log end offset, else out_of_range) and deletes
  // segments wholly below it. Returns the new log start offset.
  result<int64_t> delete_records_before(int64_t offset);
  // Deletes whole segments (never the active one) past retention.ms / retention.bytes or below the log start
  // offset. Returns how many.
  size_t apply_retention(int64_t now_ms);

  // Leader epochs: OffsetsForLeaderEpoch (epoch, end offset) and the latest epoch (-1 when none).
  std::pair<int32_t, int64_t> end_offset_for_epoch(int32_t epoch) const;
  int32_t latest_epoch() const;
  std::vector<epoch_entry> epoch_entries() const;

  const std::string& name() const noexcept { return name_; }
  const std::string& topic() const noexcept { return topic_; }
  int32_t partition() const noexcept { return partition_; }
  const std::filesystem::path& dir() const noexcept { return dir_; }
  uint64_t size_bytes() const;
  size_t segment_count() const;
  std::vector<int64_t> segment_base_offsets() const;
  log_config config() const;
  void set_config(const log_config& c);
  // {} while healthy; the poisoning error after a failed fsync.
  std::error_code failure() const;
  // Number of fsync rounds (group commits) run so far.
  uint64_t flush_rounds() const noexcept { return commit_.rounds(); }

  // Flushes everything, writes indexes and checkpoints; the log then refuses appends (errc::closed).
  std::error_code close();
  // Closes without flushing and marks the log removed (log_manager::remove renames and deletes the directory).
  void abandon();

  // Compaction (cleanup.policy=compact): rewrites inactive segments keeping the latest record per key (and
  // tombstones younger than delete.retention.ms). Returns the number of segments rewritten.
  result<size_t> compact(int64_t now_ms);

 private:
  partition_log(std::filesystem::path dir, std::string topic, int32_t partition, const log_config& c,
                open_options opts);
  // Recovers the directory (log_loader) and takes the result as the log's state.
  std::error_code load();
  // leader_epoch < 0: a follower's append (offsets and epochs kept, see append_replicated).
  result<append_result> append_impl(std::span<const std::span<uint8_t>> batches, int32_t leader_epoch);
  std::error_code roll_locked(int64_t now_ms);
  void write_checkpoints(bool force);
  std::error_code write_log_start_checkpoint();
  std::error_code write_recovery_point(int64_t rp);
  std::error_code write_epoch_checkpoint_locked();
  // truncate_to's parts (truncation.cc): where the log restarts empty (-1: it is cut at a batch boundary instead),
  // and the two cases; mu_ held exclusively, `doomed` collects the segments to delete once it is released.
  result<int64_t> restart_point_locked(int64_t offset) const;
  std::error_code restart_locked(int64_t offset, std::vector<segment_set::ptr>& doomed);
  std::error_code cut_locked(int64_t offset, std::vector<segment_set::ptr>& doomed);
  // Drops pending syncs of segments no longer in the log.
  void forget_removed_locked();
  void delete_segments(std::vector<segment_set::ptr> doomed);
  int64_t now() const { return clock_(); }

  // group_commit::log_hooks
  commit_round begin_round_locked() override;
  void poison_locked(std::error_code ec) override;
  void end_round() override;
  bool flush_due_locked(int64_t now_ms) const override;

  const std::filesystem::path dir_;
  const std::string topic_;
  const int32_t partition_;
  const std::string name_;
  std::function<int64_t()> clock_;
  std::shared_ptr<file_cache> files_;

  mutable std::shared_mutex mu_;  // segments, offsets, indexes, epochs, config
  log_config config_;
  segment_set segments_;
  int64_t log_start_ = 0;
  int64_t leo_ = 0;
  std::atomic<int64_t> recovery_point_{0};  // last checkpointed
  leader_epoch_cache epochs_;
  uint64_t epochs_version_ = 0;  // bumped on every change
  uint64_t epochs_written_ = 0;  // version last written to leader-epoch-checkpoint
  std::error_code failed_;
  bool closed_ = false;
  std::vector<segment_set::ptr> unsynced_;  // rolled segments whose data/indexes are not yet fsynced
  bool dir_dirty_ = false;                  // a segment file was created since the last dir fsync
  int64_t unflushed_messages_ = 0;
  int64_t last_flush_ms_ = 0;               // when the last fsync round started (flush.ms)
  int64_t last_checkpoint_ms_ = 0;

  // Serializes maintenance (compaction, truncation, delete-records, retention, close). Taken before the group
  // commit's round lock.
  std::mutex maint_mu_;
  int64_t cleaned_upto_ = 0;  // compaction: offsets below this were cleaned by a previous pass
  // fsync rounds (group commit). Declared last: destroyed first, after waiting for a running round, which calls
  // back into the members above.
  group_commit commit_;
};

}  // namespace samsa::storage
