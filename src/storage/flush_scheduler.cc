#include "samsa/storage/flush_scheduler.h"

namespace samsa::storage {

flush_scheduler::flush_scheduler(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

flush_scheduler::~flush_scheduler() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void flush_scheduler::post(std::function<void()> task) {
  {
    std::lock_guard lk(mu_);
    q_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void flush_scheduler::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !q_.empty(); });
      if (q_.empty()) return;
      task = std::move(q_.front());
      q_.pop_front();
    }
    task();
  }
}

std::shared_ptr<flush_scheduler> flush_scheduler::default_instance() {
  static std::shared_ptr<flush_scheduler> s = std::make_shared<flush_scheduler>(1);
  return s;
}

}  // namespace samsa::storage
