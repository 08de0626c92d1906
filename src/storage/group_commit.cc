#include "samsa/storage/group_commit.h"

#include <chrono>
#include <future>

#include <spdlog/spdlog.h>

#include "samsa/storage/errc.h"
#include "samsa/storage/file.h"

namespace samsa::storage {

group_commit::group_commit(log_hooks& log, std::shared_mutex& log_mu, std::filesystem::path dir, std::string name,
                           std::shared_ptr<flush_scheduler> scheduler)
    : log_(log),
      log_mu_(log_mu),
      dir_(std::move(dir)),
      name_(std::move(name)),
      scheduler_(scheduler ? std::move(scheduler) : flush_scheduler::default_instance()) {}

group_commit::~group_commit() { wait_idle(); }

void group_commit::wait_idle() {
  std::unique_lock c(mu_);
  cv_.wait(c, [&] { return inflight_ == 0; });
}

void group_commit::schedule_locked() {
  if (scheduled_) return;
  scheduled_ = true;
  ++inflight_;
  scheduler_->post([this] {
    run();
    std::lock_guard c(mu_);
    --inflight_;
    cv_.notify_all();
  });
}

void group_commit::flush(callback done) {
  std::lock_guard c(mu_);
  waiters_.push_back(std::move(done));
  if (gathering_ && waiters_.size() >= last_round_waiters_) cv_.notify_all();
  schedule_locked();
}

std::error_code group_commit::flush_sync() {
  std::promise<std::error_code> p;
  auto f = p.get_future();
  flush([&p](std::error_code ec) { p.set_value(ec); });
  return f.get();
}

void group_commit::flush_in_background() {
  std::lock_guard c(mu_);
  waiters_.push_back(nullptr);
  schedule_locked();
}

void group_commit::maybe_flush(int64_t now_ms) {
  {
    std::shared_lock lk(log_mu_);
    if (!log_.flush_due_locked(now_ms)) return;
  }
  flush(nullptr);
}

// Step (1): the previous round's waiters are typically appending their next batch right now.
void group_commit::gather() {
  std::unique_lock c(mu_);
  const size_t want = last_round_waiters_;
  if (want > 1 && !waiters_.empty() && waiters_.size() < want) {
    gathering_ = true;
    const auto budget = std::chrono::nanoseconds(std::min<int64_t>(last_sync_ns_ / 4, 500'000));
    cv_.wait_for(c, budget, [&] { return waiters_.size() >= want; });
    gathering_ = false;
  }
}

void group_commit::run() {
  std::unique_lock rl(round_mu_);
  for (;;) {
    gather();
    std::vector<callback> waiters;
    commit_round round;
    {
      // Step (2): taking the waiters and reading the log end in one critical section of the log's lock.
      std::unique_lock lk(log_mu_);
      {
        std::lock_guard c(mu_);
        waiters.swap(waiters_);
        if (waiters.empty()) {
          scheduled_ = false;
          return;
        }
      }
      round = log_.begin_round_locked();
    }
    const std::error_code ec = round.open ? sync(round, waiters.size()) : round.answer;
    // Callbacks run without the round lock so they may call anything on the log (even truncate_to); no other round
    // of this log can start meanwhile because `scheduled_` is still set.
    rl.unlock();
    for (auto& cb : waiters)
      if (cb) cb(ec);
    rl.lock();
    if (!ec && round.open) log_.end_round();
  }
}

std::error_code group_commit::sync(const commit_round& round, size_t waiters) {
  if (round.target <= durable() && round.sealed.empty() && !round.dir_dirty) return {};  // nothing new
  rounds_.fetch_add(1, std::memory_order_relaxed);
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  for (const auto& s : round.sealed)
    if ((ec = s->sync_all())) break;
  if (!ec) ec = round.active->sync_log();
  if (!ec && round.dir_dirty) ec = fsync_dir(dir_);
  {
    std::lock_guard c(mu_);
    last_sync_ns_ =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    last_round_waiters_ = waiters;
  }
  if (ec) {
    std::unique_lock lk(log_mu_);
    log_.poison_locked(ec);
    spdlog::critical("[{}] fsync failed ({}); the log now refuses writes until it is reopened and recovered", name_,
                     ec.message());
    return make_error_code(errc::log_failed);
  }
  int64_t cur = durable_.load();
  while (round.target > cur && !durable_.compare_exchange_weak(cur, round.target)) {
  }
  return {};
}

}  // namespace samsa::storage
