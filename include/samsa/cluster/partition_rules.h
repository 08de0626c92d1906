#pragma once
// The leader/ISR/epoch rules of one partition, as pure functions (no image, no I/O) so that each rule is unit-tested
// on its own. The controller composes them; applying their output (partition_change_record) is a plain assignment.
//
// Rules:
//  * a change that alters the leader bumps leader_epoch; every change bumps partition_epoch; no change, no record;
//  * the ISR never becomes empty: when its last member goes away it stays (leader none), so that the replica that
//    has every committed record can be elected cleanly when it returns;
//  * a leader is chosen from the ISR in replica order among live brokers (clean); only when none is live and
//    unclean election is allowed, the first live replica becomes leader with ISR = {it} (unclean).
#include <functional>
#include <optional>
#include <vector>

#include "samsa/cluster/image.h"

namespace samsa::cluster {

using is_live_fn = std::function<bool(broker_id)>;

// The change record turning `cur` into (leader, isr), with the epoch bumps; nullopt when nothing changes.
std::optional<partition_change_record> make_partition_change(const uuid& topic, partition_id p,
                                                             const partition_state& cur, broker_id leader,
                                                             std::vector<broker_id> isr);

struct election {
  broker_id leader = no_leader;
  std::vector<broker_id> isr{};
  bool unclean = false;
};

// Clean election: first replica (in replica order) that is in `isr` and live. Else, if unclean_allowed, the first
// live replica with isr = {it}. Else leader none and isr unchanged.
election elect_leader(const partition_state& cur, const std::vector<broker_id>& isr, const is_live_fn& live,
                      bool unclean_allowed);

// `gone` is fenced: drop it from the ISR (unless it is the last member) and, if it led (or nobody led), elect anew.
election on_broker_fenced(const partition_state& cur, broker_id gone, const is_live_fn& live, bool unclean_allowed);

// `back` is unfenced: a leaderless partition whose ISR holds it elects it (or, unclean allowed, any live replica).
election on_broker_unfenced(const partition_state& cur, broker_id back, const is_live_fn& live,
                            bool unclean_allowed);

// leader ∈ isr ⊆ replicas (or leader none), isr non-empty, no duplicates. Returns a description of the violation.
std::optional<std::string> check_partition_invariants(const partition_state& s);

}  // namespace samsa::cluster
