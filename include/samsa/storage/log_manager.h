#pragma once
// Owns the data directories (log.dirs): loads every `<topic>-<partition>` directory at start-up (in parallel),
// hands out partition logs, deletes removed partitions in the background, and runs the flusher (flush.ms /
// flush.messages) and retention (log.retention.check.interval.ms) threads.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/base/ids.h"
#include "samsa/storage/file_cache.h"
#include "samsa/storage/flush_scheduler.h"
#include "samsa/storage/log_config.h"
#include "samsa/storage/partition_log.h"

namespace samsa::storage {

struct topic_partition {
  std::string topic;
  partition_index partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

struct manager_options {
  size_t recovery_threads = 0;                 // 0 = hardware_concurrency
  size_t flusher_threads = 1;                  // threads running fsync rounds for all partitions
  int64_t flush_check_interval_ms = 1000;      // how often flush.ms is checked (log.flush.scheduler.interval.ms)
  int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms
  // Bound on the open segment .log descriptors of all partitions together (0 = unbounded). Sealed segments are
  // opened on demand and closed least-recently-used-first above the bound; each partition's active segment stays
  // open regardless (so the real count is at least the number of partitions). See file_cache.h.
  size_t max_open_segment_files = 1024;
  // Per-topic configuration for logs found at start-up (default: the manager's defaults).
  std::function<log_config(const std::string& topic)> config_for;
  std::function<int64_t()> clock;              // wall clock in ms; default system_clock
};

class log_manager {
 public:
  static result<std::unique_ptr<log_manager>> open(std::vector<std::filesystem::path> log_dirs, log_config defaults,
                                                   manager_options opts = {});
  ~log_manager();  // stop() and close every log
  log_manager(const log_manager&) = delete;
  log_manager& operator=(const log_manager&) = delete;

  // nullptr when the partition is not hosted here.
  std::shared_ptr<partition_log> get(const std::string& topic, partition_index partition) const;
  // Existing log, or a new one in the data directory with the fewest partitions.
  result<std::shared_ptr<partition_log>> get_or_create(const std::string& topic, partition_index partition,
                                                       const log_config& config);
  result<std::shared_ptr<partition_log>> get_or_create(const std::string& topic, partition_index partition) {
    return get_or_create(topic, partition, defaults_);
  }
  // Stops serving the partition now; its directory is renamed to `<topic>-<partition>.<id>-delete` and deleted
  // by a background thread. Outstanding file_slices stay readable.
  std::error_code remove(const std::string& topic, partition_index partition);
  std::vector<topic_partition> list() const;
  std::vector<std::shared_ptr<partition_log>> logs() const;
  const log_config& defaults() const noexcept { return defaults_; }
  const std::vector<std::filesystem::path>& log_dirs() const noexcept { return dirs_; }
  // The shared cache of open segment descriptors (stats, tests).
  const std::shared_ptr<file_cache>& files() const noexcept { return files_; }

  // Background threads: flusher (flush.ms) and retention (+ compaction for compacted topics).
  void start();
  void stop();
  // One pass of each background duty (tests call these directly).
  void flush_check(int64_t now_ms);
  size_t retention_pass(int64_t now_ms);
  // Flushes and closes every log (also done by the destructor). Returns the first error.
  std::error_code close();
  // Blocks until the background deleter has removed every directory queued so far.
  void wait_for_deletions();

 private:
  log_manager(std::vector<std::filesystem::path> dirs, log_config defaults, manager_options opts);
  std::error_code load_all();
  void deleter_loop();
  void enqueue_delete(std::filesystem::path p);
  int64_t now() const { return clock_(); }

  const std::vector<std::filesystem::path> dirs_;
  const log_config defaults_;
  manager_options opts_;
  std::function<int64_t()> clock_;
  std::shared_ptr<flush_scheduler> scheduler_;
  std::shared_ptr<file_cache> files_;

  mutable std::mutex mu_;
  std::map<topic_partition, std::shared_ptr<partition_log>> logs_;
  std::map<topic_partition, std::filesystem::path> dir_of_;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread flusher_;
  std::thread retention_;

  std::mutex del_mu_;
  std::condition_variable del_cv_;
  std::deque<std::filesystem::path> del_q_;
  size_t del_pending_ = 0;
  bool del_stop_ = false;
  std::thread deleter_;
};

}  // namespace samsa::storage
