#pragma once
// What one broker must do to its local replicas when its metadata image moves from `before` to `after` (the
// "reconcile" step of command -> log -> apply -> image -> reconcile). Pure: the broker's replica manager executes the
// changes (create the log, start fetching from the leader, or start serving as leader at the new leader epoch;
// delete the data of removed replicas).
//
// A partition of which the broker is a replica in `after` yields
//  * become_leader when it leads in `after` and did not lead at the same leader epoch in `before`;
//  * become_follower when someone else (or nobody, leader -1) leads in `after` and the leader or leader epoch
//    changed, or the partition is new to the broker;
// and nothing when only the ISR changed. A partition of which it was a replica in `before` and that no longer exists
// in `after` (topic deleted) yields remove.
#include <string>
#include <vector>

#include "samsa/cluster/image.h"

namespace samsa::cluster {

struct local_replica_change {
  enum class kind { become_leader, become_follower, remove };
  kind what = kind::become_follower;
  uuid topic_id{};
  std::string topic;
  partition_id partition = 0;
  partition_state state{};  // in `after` (in `before` for remove)
  friend bool operator==(const local_replica_change&, const local_replica_change&) = default;
};

// Ordered by (topic id, partition); removals first.
std::vector<local_replica_change> local_changes(const metadata_image& before, const metadata_image& after,
                                                broker_id self);

}  // namespace samsa::cluster
