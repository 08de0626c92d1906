#pragma once
// partition_leader: what the leader of one partition knows about its followers, as a pure state machine (no I/O,
// no clock: time is an argument) so that every rule is unit-tested on its own. The broker feeds it follower
// fetches and its own appends, and sends the ISR changes it asks for to the controller (AlterPartition).
//
// Rules (Kafka's, KIP-497/KIP-841):
//  * a follower's fetch offset is its log end offset (it has every record below it);
//  * high watermark = min log end offset over the *maximal* ISR = committed ISR ∪ the ISR of an AlterPartition in
//    flight. A shrink therefore takes effect for the high watermark only once the controller committed it (any
//    member of the committed ISR may be elected, so each must hold every record below the high watermark), and an
//    expansion at once. A member whose log end offset is unknown yet (no fetch since this leadership began) holds
//    the high watermark where it is. The high watermark never moves back;
//  * a follower is caught up at a fetch when its fetch offset reaches the leader's log end offset of that moment,
//    or of its previous fetch (then it was caught up at that previous fetch's time); an ISR member not caught up for
//    replica.lag.time.max.ms is dropped;
//  * a replica outside the ISR joins once its log end offset reaches the high watermark and the offset at which
//    this leader epoch began (so it holds every record of the current epoch's predecessors that may be committed),
//    and it counts as caught up by the shrink rule (else a dead replica, last seen at the log end, would flap in
//    and out);
//  * one ISR change is in flight at a time; after a failed one the next waits retry_backoff_ms.
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "samsa/cluster/image.h"

namespace samsa::cluster {

class partition_leader {
 public:
  // `high_watermark`: what this broker knew as a follower (or 0); `leader_leo`: its log end offset now.
  partition_leader(broker_id self, const partition_state& s, int64_t high_watermark, int64_t leader_leo,
                   int64_t now_ms);

  // A newer state of the partition from the metadata image, same leadership (the ISR or partition epoch may
  // have changed). Clears the change in flight once the partition epoch moved. True when the HWM advanced.
  bool update_state(const partition_state& s, int64_t leader_leo);

  // Follower `f` fetched at `fetch_offset`. True when the HWM advanced.
  bool on_follower_fetch(broker_id f, int64_t fetch_offset, int64_t leader_leo, int64_t now_ms);
  // The leader's own log grew (or shrank by truncation of unreplicated data). True when the HWM advanced.
  bool on_leader_append(int64_t leader_leo);

  // The ISR change wanted now, nullopt when none is needed or one is in flight / backing off.
  std::optional<std::vector<broker_id>> wanted_isr(int64_t now_ms, int64_t lag_max_ms) const;
  void on_isr_change_sent(std::vector<broker_id> isr);
  void on_isr_change_failed(int64_t now_ms, int64_t retry_backoff_ms = 1000);

  int64_t high_watermark() const noexcept { return hwm_; }
  const std::vector<broker_id>& isr() const noexcept { return state_.isr; }
  const partition_state& state() const noexcept { return state_; }
  bool change_in_flight() const noexcept { return pending_.has_value(); }
  // Log end offset of a replica as last seen (-1 unknown); the leader's own is the caller's.
  int64_t follower_leo(broker_id f) const;
  int64_t epoch_start_offset() const noexcept { return epoch_start_offset_; }

 private:
  struct follower {
    int64_t leo = -1;
    int64_t last_caught_up_ms = -1;
    int64_t last_fetch_ms = -1;
    int64_t last_fetch_leader_leo = -1;
  };
  std::vector<broker_id> maximal_isr() const;
  bool recompute(int64_t leader_leo);

  broker_id self_;
  partition_state state_;
  int64_t hwm_;
  int64_t epoch_start_offset_;
  std::map<broker_id, follower> followers_;
  std::optional<std::vector<broker_id>> pending_;
  int64_t retry_at_ms_ = 0;
};

// The follower's side of KIP-101/KIP-279 (Kafka's AbstractFetcherThread rule): after asking the leader for the end
// offset of its own latest epoch and getting (answered_epoch, answered_end), where the follower truncates its log.
// `local_end_for_answered` is the follower's own epoch cache's answer for answered_epoch (largest epoch <= it, and
// where that one ends). When the follower's epoch is not the answered one, its entries from the end of its largest
// epoch below the answered one belong to epochs the leader does not have: it cuts there and asks again
// (complete = false) about its new latest epoch. Each round removes at least one epoch, so this ends. When the
// leader knows no epoch at or below ours the follower keeps what it knows to be committed (its high watermark).
struct truncation {
  int64_t offset = 0;     // truncate to this (== local log end: nothing to cut)
  bool complete = true;   // false: ask the leader again with the new latest epoch
};
truncation follower_truncation_point(int64_t local_leo, int64_t local_hwm, int32_t answered_epoch, int64_t answered_end,
                                     std::pair<int32_t, int64_t> local_end_for_answered);

}  // namespace samsa::cluster
