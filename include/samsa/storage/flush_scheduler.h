#pragma once
// A small pool of threads that run fsync rounds (group commits) for partition logs. log_manager owns one; a
// partition_log opened on its own uses a process-wide default with one thread.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace samsa::storage {

class flush_scheduler {
 public:
  explicit flush_scheduler(size_t threads = 1);
  ~flush_scheduler();  // runs the queued tasks, then joins
  flush_scheduler(const flush_scheduler&) = delete;
  flush_scheduler& operator=(const flush_scheduler&) = delete;

  void post(std::function<void()> task);
  static std::shared_ptr<flush_scheduler> default_instance();

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace samsa::storage
