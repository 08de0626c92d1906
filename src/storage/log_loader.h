#pragma once
// Opening a partition directory (partition_log::open): finishes or discards what interrupted operations left behind
// (`.deleted`, `.cleaned`, `.tmp`, `.swap` and `.swapend` files, orphan indexes), reads the checkpoints, loads the
// segments -- CRC-scanning those from the one holding the recovery point on (every one after an unclean shutdown
// with verify_all_segments_on_open), truncating a torn tail, rebuilding missing or inconsistent indexes -- restores
// the leader-epoch cache and the log start offset, and makes the result durable and checkpointed before the log
// accepts its first append. Damage below the recovery point (fsynced data) fails with errc::corrupt.
// See docs/formats/segment-log.md ("Recovery") and docs/formats/checkpoints.md.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/storage/checkpoint.h"
#include "samsa/storage/file_cache.h"
#include "samsa/storage/log_config.h"
#include "samsa/storage/segment_set.h"

namespace samsa::storage {

// A recovered log: durable up to its end, whose recovery point, log start and epochs are checkpointed.
struct loaded_log {
  segment_set segments;  // never empty; the last (active) one pinned
  int64_t log_start = 0;
  int64_t log_end = 0;
  leader_epoch_cache epochs;
};

class log_loader {
 public:
  struct params {
    std::filesystem::path dir;
    std::string name;  // `<topic>-<partition>`, for log lines
    std::string topic;
    int32_t partition = 0;
    log_config config;
    std::shared_ptr<file_cache> files;
    int64_t now_ms = 0;  // creation time of the segments opened
  };

  explicit log_loader(params p) : p_(std::move(p)) {}
  // Runs once.
  result<loaded_log> load();

 private:
  // 1. Leftovers of interrupted operations.
  result<std::vector<std::filesystem::path>> remove_incomplete();
  std::error_code complete_swaps(const std::vector<std::filesystem::path>& swaps);
  result<int64_t> swap_end(const std::filesystem::path& log_swap, int64_t base);
  std::error_code remove_replaced(int64_t base, int64_t end);
  std::error_code rename_swaps(const std::vector<std::filesystem::path>& swaps);
  result<std::vector<int64_t>> list_segments();
  // 2. Checkpoints.
  std::error_code read_checkpoints();
  // 3. Segments.
  size_t first_scanned(const std::vector<int64_t>& bases) const;
  std::error_code load_segments(const std::vector<int64_t>& bases);
  std::error_code drop_discontinuous(const segment& s, const std::vector<int64_t>& bases, size_t from);
  std::error_code load_trusted(segment_set::ptr s, int64_t next_base);
  result<bool> scan(segment_set::ptr s, bool last);
  std::error_code truncate_tail(segment_set::ptr s, const segment::scan_outcome& out, uint64_t file_size);
  std::error_code remove_segment_files(int64_t base);
  // 4. Offsets, durability, checkpoints.
  std::error_code settle_offsets();
  std::error_code make_durable();

  const params p_;
  int64_t recovery_point_ = 0;
  std::optional<int64_t> log_start_checkpoint_;
  bool clean_ = false;      // a clean-shutdown marker was found (and is honoured)
  int64_t prev_next_ = -1;  // the next offset of the last segment loaded (-1 before the first)
  bool truncated_ = false;  // segment files were cut or removed
  bool dir_dirty_ = false;  // a segment file was created
  std::vector<segment_set::ptr> to_sync_;
  loaded_log out_;
};

}  // namespace samsa::storage
