#pragma once
// One log segment: `<base>.log` (batches exactly as appended), `<base>.index`, `<base>.timeindex`.
// The indexes live in memory (their files are opened only to be rewritten or synced); the .log descriptor is a
// cached_file of a file_cache: opened on demand, possibly closed again by the cache unless the segment is pinned
// (see file_cache.h).
// Not thread-safe: partition_log serializes mutation under its lock; the .log file itself is read concurrently
// by position (pread/sendfile) up to a size snapshot taken under that lock (see snapshot() and read()).
#include <sys/uio.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <system_error>

#include "samsa/base/result.h"
#include "samsa/storage/checkpoint.h"
#include "samsa/storage/file.h"
#include "samsa/storage/file_cache.h"
#include "samsa/storage/index.h"
#include "samsa/storage/log_config.h"
#include "samsa/storage/read_result.h"

namespace samsa::storage {

// "00000000000000001234" + suffix.
std::string segment_file_name(int64_t base_offset, std::string_view suffix);
// Parses a 20-digit base offset file stem; nullopt for anything else.
std::optional<int64_t> parse_segment_base(std::string_view stem);

// Fields of a batch header the storage layer cares about.
struct batch_info {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  uint32_t size = 0;  // whole batch, batchLength + 12
  int32_t leader_epoch = -1;
};

// Reads batch headers from a segment file by position through a small read-ahead window.
class header_reader {
 public:
  static constexpr size_t max_window = 16384;
  // `window`: bytes read per refill (clamped to [batch header, max_window]). Small windows suit lookups and big
  // batches (one header per read, no copying of batch bodies); big ones scans over small batches.
  header_reader(const segment_file& f, uint64_t end, size_t window = max_window) : f_(f), end_(end) {
    set_window(window);
  }
  // The batch at `pos`: std::nullopt at/after end; errc::corrupt when the header is implausible or the batch
  // runs past `end`; io_error on read failure.
  result<std::optional<batch_info>> at(uint64_t pos);
  void set_window(size_t w) noexcept;
  // Number of pread calls so far (tests, benchmarks).
  size_t reads() const noexcept { return reads_; }

 private:
  const segment_file& f_;
  uint64_t end_;
  uint64_t win_pos_ = 0;
  size_t win_len_ = 0;
  size_t window_ = max_window;
  size_t reads_ = 0;
  uint8_t buf_[max_window];
};

// A reader's view of a segment, taken under the owning log's shared lock (segment::snapshot); the read itself then
// runs without that lock, by file position, up to `end` -- so it never waits for an append or an fsync, and never
// sees a batch that was only partly written when the snapshot was taken.
struct segment_snapshot {
  std::shared_ptr<segment_file> file;
  uint64_t end = 0;                          // the segment's size at the snapshot
  uint32_t index_interval_bytes = 0;         // the log's index.interval.bytes at the snapshot
  bool located = false;                      // whether the entries below were looked up
  std::optional<offset_entry> below, above;  // index entries at or below / at or after the start offset
};

// Where a segment read stopped.
struct segment_read {
  int64_t next_offset = 0;  // a lower bound of the next offset to read (where the next segment's read starts)
  bool done = false;        // max_bytes or upper_bound reached (or an unreadable batch after some data): stop there
};

class segment {
 public:
  // `suffix` is appended to every file name (".cleaned" for compaction output). The new segment is pinned.
  // `files`: the descriptor cache (nullptr: file_cache::default_instance(), unbounded).
  static result<std::unique_ptr<segment>> create(const std::filesystem::path& dir, int64_t base_offset,
                                                 int64_t now_ms, std::string_view suffix = {},
                                                 std::shared_ptr<file_cache> files = nullptr);
  // Opens an existing .log (its indexes are loaded or rebuilt separately). The segment is not pinned.
  static result<std::unique_ptr<segment>> open(const std::filesystem::path& dir, int64_t base_offset,
                                               int64_t now_ms, std::shared_ptr<file_cache> files = nullptr);

  int64_t base_offset() const noexcept { return base_; }
  uint64_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  int64_t next_offset() const noexcept { return next_offset_; }
  int64_t max_timestamp() const noexcept { return max_ts_; }
  int64_t offset_of_max_timestamp() const noexcept { return offset_of_max_ts_; }
  int64_t created_ms() const noexcept { return created_ms_; }
  // The .log file, opened if the descriptor cache closed it (fails with io_error, e.g. EMFILE). Hold the
  // returned pointer while using the descriptor.
  result<std::shared_ptr<segment_file>> log_file() const { return log_.get(); }
  // Pinned: the .log descriptor stays open (the active segment, compaction output until swapped in).
  void set_pinned(bool pinned) { log_.set_pinned(pinned); }
  bool pinned() const { return log_.pinned(); }
  // Whether the .log descriptor is currently open (tests).
  bool file_open() const { return log_.is_open(); }
  const offset_index& index() const noexcept { return oindex_; }
  const time_index& tindex() const noexcept { return tindex_; }
  std::filesystem::path log_path() const;
  std::filesystem::path index_path() const;
  std::filesystem::path timeindex_path() const;

  // --- appending (caller holds the partition's exclusive lock) ---
  // Whether `n` more index entries would overflow a segment.index.bytes-sized index.
  bool index_room(size_t n, uint32_t segment_index_bytes) const noexcept;
  // Writes the gathered bytes at the end; on failure the file is truncated back and nothing changes (if even
  // that fails, `*unrecoverable` is set). On success records each batch (indexes, max timestamp, next offset).
  std::error_code append(const struct iovec* iov, size_t iovcnt, std::span<const batch_info> batches,
                         uint32_t index_interval_bytes, bool* unrecoverable);
  // Called when the segment stops being the active one: adds the final time-index entry.
  void on_roll();

  // --- reading ---
  // A file position at or before the batch containing `offset` (from the sparse index).
  uint64_t lookup_position(int64_t offset) const noexcept;
  // The offset-index entry used by lookup_position (to verify it when reading).
  std::optional<offset_entry> lookup_entry(int64_t offset) const noexcept;
  // The first offset-index entry whose batch ends at or after `offset` (that batch holds `offset` when it starts
  // at or before it).
  std::optional<offset_entry> ceil_entry(int64_t offset) const noexcept;
  // What read() needs, taken while the caller holds the owning log's lock (shared). `locate`: also look up the index
  // entries around `offset` (the segment a read starts in; the read of a later segment starts at its beginning).
  result<segment_snapshot> snapshot(int64_t offset, bool locate, uint32_t index_interval_bytes) const;
  // The per-segment part of partition_log::read, run without the log's lock: appends to `out` whole batches from the
  // one holding `offset`, none with base offset >= upper_bound, while out.total_bytes stays within max_bytes -- except
  // that the first batch of an empty `out` goes whole even when larger (KIP-74), so a consumer always progresses.
  // Adjacent batches share a slice. `guard`: the owning log's lock, taken shared only around the brief index look-ups
  // (appends change the index under its exclusive lock). Fails only while `out` is empty (errc::corrupt for an
  // unreadable batch header); after some data an unreadable header ends the read (done) with what was found.
  result<segment_read> read(const segment_snapshot& snap, int64_t offset, size_t max_bytes, int64_t upper_bound,
                            std::shared_mutex& guard, read_result& out) const;

  // --- recovery ---
  struct scan_outcome {
    uint64_t valid_bytes = 0;      // bytes of complete, CRC-valid batches
    int64_t next_offset = 0;       // offset after the last valid batch (base when none)
    std::error_code bad;           // why the scan stopped before the end of the file ({} = clean)
  };
  // Full scan with CRC checks; rebuilds both indexes and the in-memory state from the valid prefix. Does not
  // touch the file. `min_offset`: batches must start at or after it. Leader epochs seen are fed to `epochs`.
  // `allow_gaps`: a batch may start after the previous one's next offset (compacted logs); otherwise it must
  // start exactly there (catches flipped baseOffset bytes, which the CRC does not cover).
  scan_outcome recover(uint32_t index_interval_bytes, int64_t min_offset, leader_epoch_cache* epochs,
                       bool allow_gaps);
  // Loads the index files and checks them (structure + the last entries against the log, and the tail of the
  // log after the last entry). On any doubt returns an error (caller rebuilds with recover()).
  std::error_code load(int64_t next_segment_base, uint32_t index_interval_bytes);
  // Truncates the .log to `pos` (a batch boundary) and rebuilds the in-memory state from headers.
  std::error_code truncate_to_position(uint64_t pos, uint32_t index_interval_bytes);
  // The position of the first batch whose last offset is >= offset (size() when none).
  result<uint64_t> position_of(int64_t offset) const;

  // --- durability ---
  // Rewrites both index files from memory (used when the segment becomes inactive, on close, after rebuild).
  std::error_code write_indexes();
  std::error_code sync_log() const;
  // Writes the index files if dirty and fdatasyncs .log, .index and .timeindex.
  std::error_code sync_all();
  // Unlinks the three files (open descriptors stay valid for readers).
  void remove_files();
  // Renames the three files from the current suffix to `to_suffix` (".deleted", ".swap", "" ...). The index
  // files are renamed before the .log, so a `.log.<suffix>` means all three carry it.
  std::error_code rename_suffix(std::string_view to_suffix);
  const std::string& suffix() const noexcept { return suffix_; }

 private:
  segment(std::filesystem::path dir, int64_t base, std::shared_ptr<file_cache> files, std::filesystem::path log_path,
          int64_t now_ms)
      : dir_(std::move(dir)), base_(base), next_offset_(base), created_ms_(now_ms),
        log_(std::move(files), std::move(log_path)) {}
  void reset_state();
  void record_batch(const batch_info& b, uint64_t position, uint32_t index_interval_bytes);
  // Rebuilds state from headers (no CRC) over [0, size_).
  std::error_code rebuild_from_headers(uint32_t index_interval_bytes);

  std::filesystem::path dir_;
  std::string suffix_;
  int64_t base_;
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_ts_ = -1;
  int64_t offset_of_max_ts_ = -1;
  int64_t created_ms_;
  bool created_from_batch_ = false;
  uint64_t bytes_since_index_ = 0;
  cached_file log_;
  offset_index oindex_;
  time_index tindex_;
  bool indexes_dirty_ = true;
};

}  // namespace samsa::storage
