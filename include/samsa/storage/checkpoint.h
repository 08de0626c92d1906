#pragma once
// Checkpoint files kept in the partition directory (see docs/formats/checkpoints.md):
//   recovery-point-offset-checkpoint, log-start-offset-checkpoint: Kafka's offset-checkpoint text format
//       "0\n1\n<topic> <partition> <offset>\n"
//   leader-epoch-checkpoint: "0\n<n>\n<epoch> <startOffset>\n" * n
// All are written atomically (tmp + fsync + rename + dir fsync).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "samsa/base/result.h"

namespace samsa::storage {

inline constexpr const char* recovery_point_file = "recovery-point-offset-checkpoint";
inline constexpr const char* log_start_offset_file = "log-start-offset-checkpoint";
inline constexpr const char* leader_epoch_file = "leader-epoch-checkpoint";
// Empty file written by a successful close() after everything was fsynced and checkpointed; removed by open().
// When present, open() trusts every segment (index files checked, no CRC scan), like Kafka's clean shutdown.
inline constexpr const char* clean_shutdown_file = ".clean-shutdown";

std::error_code write_offset_checkpoint(const std::filesystem::path& file, const std::string& topic,
                                        int32_t partition, int64_t offset);
// nullopt when the file does not exist; errc::corrupt when it cannot be parsed.
result<std::optional<int64_t>> read_offset_checkpoint(const std::filesystem::path& file);

struct epoch_entry {
  int32_t epoch;
  int64_t start_offset;
  bool operator==(const epoch_entry&) const = default;
};

// The leader-epoch cache: (epoch, first offset written in that epoch), strictly increasing in both. Not
// thread-safe (partition_log guards it).
class leader_epoch_cache {
 public:
  const std::vector<epoch_entry>& entries() const noexcept { return entries_; }
  std::optional<epoch_entry> latest() const noexcept;
  // Records that `epoch` starts at `offset` if epoch is newer than the latest one. Returns whether it changed.
  // (Entries with an older or equal epoch but a larger start offset are dropped first, as Kafka does.)
  bool assign(int32_t epoch, int64_t offset);
  // Removes entries starting at or after `end_offset` (truncation of the log end).
  bool truncate_from_end(int64_t end_offset);
  // Removes entries wholly below `start_offset`, moving the latest such one to start there.
  bool truncate_from_start(int64_t start_offset);
  // OffsetsForLeaderEpoch: (largest epoch <= requested, its end offset = where the next higher epoch starts, or the
  // log end for the latest). A requested epoch below every known one gives (requested, start of the earliest), as
  // Kafka answers; (-1, -1) when the cache is empty or the requested epoch is -1.
  std::pair<int32_t, int64_t> end_offset_for(int32_t epoch, int64_t log_end_offset) const;
  void clear() noexcept { entries_.clear(); }

  std::string serialize() const;
  static result<leader_epoch_cache> parse(const std::string& text);

 private:
  std::vector<epoch_entry> entries_;
};

}  // namespace samsa::storage
