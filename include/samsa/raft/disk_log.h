#pragma once
// disk_log: the durable half of the ready_batch contract for one raft node. A directory holds
//   log         records [u32 length][u32 crc32c(payload)][payload = entry], appended and truncated in place
//   hard_state  [u32 crc32c][term, vote, commit], replaced atomically (temp + fsync + rename + fsync dir)
//   snapshot    [u32 crc32c][index, term, data], replaced atomically
// persist() performs steps 1-3 of ready.h in order and returns only once they are durable. open() recovers:
// a log record that is incomplete or fails its CRC ends the log (a torn tail from a crash: it was never fsynced, so
// nothing depended on it) and is cut off; entries at or below the snapshot are dropped. The core then rejects a
// commit index beyond the recovered log as corruption. See docs/raft.md.
//
// Not thread-safe; owned by one driver.
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/raft/core.h"
#include "samsa/raft/ready.h"

namespace samsa::storage {
class segment_file;
}

namespace samsa::raft {

class disk_log {
 public:
  struct opened;
  // Creates the directory if needed and recovers the persisted state.
  static result<opened> open(const std::filesystem::path& dir);

  std::error_code persist(const ready_batch& rd);
  index_t last_index() const noexcept { return first_index_ + offsets_.size() - 1; }

 private:
  disk_log(std::filesystem::path dir, std::shared_ptr<storage::segment_file> f) : dir_(std::move(dir)), log_(std::move(f)) {}
  std::error_code truncate_from(index_t i);
  std::error_code write_snapshot(const snapshot& s);
  std::error_code append(const std::vector<entry>& es);
  // Rewrites the log without entries <= index (after a snapshot covering them is durable).
  std::error_code drop_prefix(index_t index);

  std::filesystem::path dir_;
  std::shared_ptr<storage::segment_file> log_;
  uint64_t size_ = 0;
  index_t first_index_ = 1;        // index of the first record in the file
  std::vector<uint64_t> offsets_;  // file offset of each record
};

struct disk_log::opened {
  std::unique_ptr<disk_log> log;
  persisted_state state;
};

}  // namespace samsa::raft
