#pragma once
// A bounded set of open segment `.log` descriptors, shared by every partition of a log_manager, so a broker with
// many (sealed) segments does not run out of file descriptors.
//
// Each segment owns a cached_file: the path of its .log plus, while it is open, a shared segment_file. The
// active segment of a partition (and compaction output until it is swapped in) is *pinned*: its descriptor stays
// open. Every other descriptor is opened on demand (get()) and may be closed again when the cache holds more than
// `max_open` descriptors; the victim is chosen by CLOCK (second chance), an approximation of least recently used
// that needs no global lock on a hit.
//
// Closing from the cache only drops the cache's reference: a reader that obtained the segment_file (a fetch's
// file_slice waiting for sendfile, a header scan) keeps the descriptor open until it lets go. So the number of
// open .log descriptors is at most max(max_open, pinned) plus those held by in-flight reads.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/storage/file.h"

namespace samsa::storage {

class cached_file;

class file_cache {
 public:
  // max_open = 0: unbounded (descriptors are opened lazily but never closed by the cache).
  explicit file_cache(size_t max_open = 0) : max_(max_open) {}
  file_cache(const file_cache&) = delete;
  file_cache& operator=(const file_cache&) = delete;

  // The process-wide unbounded cache used by logs opened without one.
  static std::shared_ptr<file_cache> default_instance();

  size_t max_open() const;
  // Changes the bound (closing descriptors now when it shrinks).
  void set_max_open(size_t n);
  // Descriptors the cache currently holds (pinned ones included).
  size_t open_count() const;
  size_t pinned_count() const;
  uint64_t opens() const noexcept { return opens_.load(std::memory_order_relaxed); }
  uint64_t evictions() const noexcept { return evictions_.load(std::memory_order_relaxed); }

 private:
  friend class cached_file;
  void ring_add_locked(cached_file* e);
  void ring_remove_locked(cached_file* e);
  // Moves descriptors over the bound into `out` (destroyed by the caller after unlocking mu_).
  void evict_locked(std::vector<std::shared_ptr<segment_file>>& out);

  mutable std::mutex mu_;
  size_t max_;
  size_t open_ = 0;    // entries holding a descriptor
  size_t pinned_ = 0;  // of which pinned
  std::list<cached_file*> ring_;  // open, unpinned entries (CLOCK ring)
  std::list<cached_file*>::iterator hand_ = ring_.end();
  std::atomic<uint64_t> opens_{0};
  std::atomic<uint64_t> evictions_{0};
};

// One lazily opened file, member of a file_cache. Thread-safe.
class cached_file {
 public:
  cached_file(std::shared_ptr<file_cache> cache, std::filesystem::path path);
  ~cached_file();
  cached_file(const cached_file&) = delete;
  cached_file& operator=(const cached_file&) = delete;

  // The open file, opening it (read-write, never creating) when the cache closed it or it was never opened.
  result<std::shared_ptr<segment_file>> get() const;
  // Adopts an already open descriptor (a freshly created or just opened file).
  void install(std::shared_ptr<segment_file> f);
  // Pinned: the descriptor is never closed by the cache (once open: pinning does not open it).
  void set_pinned(bool pinned);
  bool pinned() const;
  // Whether a descriptor is currently held.
  bool is_open() const;
  // Drops the held descriptor (readers holding it keep it alive).
  void close();
  // The file was renamed: later opens use `p` (an open descriptor follows the file anyway).
  void set_path(std::filesystem::path p);
  std::filesystem::path path() const;
  const std::shared_ptr<file_cache>& cache() const noexcept { return cache_; }

 private:
  friend class file_cache;
  // Installs `f` unless a descriptor was installed meanwhile; returns the one in effect. Takes the cache lock.
  std::shared_ptr<segment_file> adopt(std::shared_ptr<segment_file> f) const;

  const std::shared_ptr<file_cache> cache_;
  mutable std::mutex mu_;                        // file_, path_ (taken after cache_->mu_)
  mutable std::shared_ptr<segment_file> file_;   // changes from/to null only with both locks held
  std::filesystem::path path_;
  // Guarded by cache_->mu_:
  mutable bool pinned_ = false;
  mutable bool in_ring_ = false;
  mutable std::list<cached_file*>::iterator pos_;
  mutable std::atomic<bool> referenced_{false};  // CLOCK bit, set on every hit
};

}  // namespace samsa::storage
