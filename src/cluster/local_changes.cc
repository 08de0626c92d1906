#include "samsa/cluster/local_changes.h"

#include <algorithm>

namespace samsa::cluster {
namespace {
bool is_replica(const partition_state& s, broker_id b) {
  return std::find(s.replicas.begin(), s.replicas.end(), b) != s.replicas.end();
}
}  // namespace

std::vector<local_replica_change> local_changes(const metadata_image& before, const metadata_image& after,
                                                broker_id self) {
  using kind = local_replica_change::kind;
  std::vector<local_replica_change> out;
  for (const auto& [id, t] : before.topics()) {
    const topic_image* now = after.topic(id);
    for (const auto& [p, s] : t->partitions) {
      if (!is_replica(s, self)) continue;
      if (now != nullptr && now->partitions.count(p) && is_replica(now->partitions.at(p), self)) continue;
      out.push_back({kind::remove, id, t->name, p, s});
    }
  }
  for (const auto& [id, t] : after.topics()) {
    // Unchanged topics are shared between the images: nothing to compare.
    if (auto it = before.topics().find(id); it != before.topics().end() && it->second == t) continue;
    const topic_image* old = before.topic(id);
    for (const auto& [p, s] : t->partitions) {
      if (!is_replica(s, self)) continue;
      const partition_state* prev = nullptr;
      if (old != nullptr)
        if (auto it = old->partitions.find(p); it != old->partitions.end() && is_replica(it->second, self))
          prev = &it->second;
      const bool leads = s.leader == self;
      const bool same_leadership = prev != nullptr && prev->leader == s.leader && prev->leader_epoch == s.leader_epoch;
      if (same_leadership) continue;
      out.push_back({leads ? kind::become_leader : kind::become_follower, id, t->name, p, s});
    }
  }
  return out;
}

}  // namespace samsa::cluster
