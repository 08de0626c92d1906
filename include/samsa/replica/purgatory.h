#pragma once
// Delayed operations ("purgatory", as Kafka calls it), keyed by partition. A long-polling Fetch and an acks=all
// Produce park a waiter under each partition they wait on; a change to one partition (an append, a high-watermark
// advance, a role change) wakes only that partition's waiters, which then re-check their own condition. A broker
// with 1,000 partitions and 200 parked fetches thus does work for the fetches of the partition that changed, not
// for all 200.
//
// Single-threaded (the owner of the partitions). Waking never runs a waiter's continuation inline: a waiter only
// arranges to re-check (production: cancels its timer), so notify() is safe to call from anywhere on that thread.
#include <cstddef>
#include <unordered_map>
#include <vector>

namespace samsa::replica {

class partition;

class purgatory {
 public:
  class waiter {
   public:
    virtual void wake() = 0;

   protected:
    ~waiter() = default;
  };

  void watch(const partition* key, waiter* w);
  void unwatch(const partition* key, waiter* w);
  // Wakes the waiters of `key` (they stay registered until they unwatch).
  void notify(const partition* key);
  // Parked registrations in total (one waiter counts once per partition it watches).
  size_t size() const noexcept { return registrations_; }

 private:
  std::unordered_map<const partition*, std::vector<waiter*>> by_partition_;
  size_t registrations_ = 0;
};

}  // namespace samsa::replica
