#pragma once
// Group commit for one partition log: callers that want their appends durable queue a callback (flush); one fsync
// round on a flush_scheduler thread covers every append that arrived meanwhile and answers all of its waiters.
// partition_log owns one and supplies the log's side of a round (log_hooks).
//
// A round: (1) gather -- when fewer waiters are queued than the previous round answered, wait briefly (a quarter of
// the last fsync's duration, at most 0.5 ms) for the rest: they are typically appending their next batch right
// now, and one round for all is cheaper than a small round and a big one; (2) under the log's exclusive lock, take
// the queued waiters and ask the log what the round covers -- in one critical section, so every taken waiter's
// append is below the log end the round makes durable; (3) fdatasync rolled segments, the active segment and, when
// a segment file was created, the directory -- without the log's lock, so appends and reads go on; (4) advance the
// durable offset and answer the waiters; (5) let the log write its checkpoints.
//
// A failed fsync poisons the log (log_hooks::poison_locked): it may have dropped dirty pages, so retrying it and
// carrying on would be lying about durability. That round's waiters, and every later one, get errc::log_failed.
//
// Locks, always taken in this order: the round lock (one round of this log at a time; truncation, retention and
// close keep rounds out with block_rounds()), the log's lock, the commit lock (waiters and scheduling state, never
// held across I/O or a callback).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <vector>

#include "samsa/storage/flush_scheduler.h"
#include "samsa/storage/segment_set.h"

namespace samsa::storage {

// What one round covers, decided by the log under its exclusive lock.
struct commit_round {
  bool open = false;        // false: the log is closed or failed; nothing is synced and the waiters get `answer`
  std::error_code answer;
  int64_t target = 0;                    // the log end offset: durable once the round's syncs succeed
  std::vector<segment_set::ptr> sealed;  // rolled segments not yet synced (data and indexes)
  segment_set::ptr active;               // the active segment (its .log is synced)
  bool dir_dirty = false;                // a segment file was created since the last directory fsync
};

class group_commit {
 public:
  using callback = std::function<void(std::error_code)>;

  // The log's side of a round (partition_log implements it).
  class log_hooks {
   public:
    // The log's exclusive lock is held: what this round covers (and the log's bookkeeping of a round starting).
    virtual commit_round begin_round_locked() = 0;
    // The log's exclusive lock is held: an fsync of this round failed with `ec`; refuse writes from now on.
    virtual void poison_locked(std::error_code ec) = 0;
    // After a successful round of an open log, rounds still excluded (the round lock is held): checkpoints.
    virtual void end_round() = 0;
    // The log's shared lock is held: whether data awaits a sync and flush.ms has passed since the last round.
    virtual bool flush_due_locked(int64_t now_ms) const = 0;

   protected:
    ~log_hooks() = default;
  };

  // `log_mu`: the log's lock (guards what the hooks read). `dir`: the partition directory; `name` for log lines.
  group_commit(log_hooks& log, std::shared_mutex& log_mu, std::filesystem::path dir, std::string name,
               std::shared_ptr<flush_scheduler> scheduler);
  ~group_commit();  // wait_idle()
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  // Queues `done` (may be empty) for the next round; it runs on a flusher thread with {} once everything appended
  // before the call is durable, or the round's error.
  void flush(callback done);
  // Blocking variant.
  std::error_code flush_sync();
  // Queues a round with no waiter (a rolled segment, flush.messages reached). Unlike flush(), it does not end a
  // gathering round's wait early: no caller is waiting for it.
  void flush_in_background();
  // A round if the log says one is due (log_manager's periodic flusher, through partition_log::maybe_flush).
  void maybe_flush(int64_t now_ms);
  // Keeps rounds out while held (maintenance that removes or rewrites what a round would sync). Take it before the
  // log's lock.
  [[nodiscard]] std::unique_lock<std::mutex> block_rounds() { return std::unique_lock(round_mu_); }
  // Waits until no round is scheduled or running (the log is being destroyed).
  void wait_idle();

  // Everything below this offset is durable.
  int64_t durable() const noexcept { return durable_.load(std::memory_order_acquire); }
  // Set outside a round, with rounds blocked or none possible: after open's recovery, on close (everything was
  // synced), after a truncation (lowered to the new log end).
  void set_durable(int64_t offset) noexcept { durable_.store(offset, std::memory_order_release); }
  // Number of fsync rounds run so far.
  uint64_t rounds() const noexcept { return rounds_.load(std::memory_order_relaxed); }

 private:
  void schedule_locked();
  void run();
  void gather();
  // Step (3)/(4) of a round; returns the waiters' answer.
  std::error_code sync(const commit_round& round, size_t waiters);

  log_hooks& log_;
  std::shared_mutex& log_mu_;
  const std::filesystem::path dir_;
  const std::string name_;
  const std::shared_ptr<flush_scheduler> scheduler_;
  std::atomic<int64_t> durable_{0};
  std::atomic<uint64_t> rounds_{0};

  std::mutex round_mu_;  // one round at a time; see block_rounds()
  std::mutex mu_;        // the commit lock: the fields below
  std::condition_variable cv_;
  std::vector<callback> waiters_;
  bool scheduled_ = false;  // a round is queued or running; it keeps going while waiters keep arriving
  int inflight_ = 0;        // scheduler tasks not finished (wait_idle)
  // Adaptive gathering: how many waiters the last round with an fsync answered, and how long that fsync took.
  size_t last_round_waiters_ = 0;
  int64_t last_sync_ns_ = 0;
  bool gathering_ = false;
};

}  // namespace samsa::storage
