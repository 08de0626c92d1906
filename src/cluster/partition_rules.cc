// Leader election, ISR and epoch rules of one partition (see partition_rules.h).
#include "samsa/cluster/partition_rules.h"

#include <algorithm>

namespace samsa::cluster {
namespace {
bool contains(const std::vector<broker_id>& v, broker_id b) { return std::find(v.begin(), v.end(), b) != v.end(); }
}  // namespace

std::optional<partition_change_record> make_partition_change(const uuid& topic, partition_id p,
                                                             const partition_state& cur, broker_id leader,
                                                             std::vector<broker_id> isr) {
  if (leader == cur.leader && isr == cur.isr) return std::nullopt;
  partition_change_record c;
  c.topic_id = topic;
  c.partition = p;
  c.leader = leader;
  c.isr = std::move(isr);
  c.leader_epoch = leader != cur.leader ? cur.leader_epoch.next() : cur.leader_epoch;
  c.partition_epoch = cur.partition_epoch + 1;
  return c;
}

election elect_leader(const partition_state& cur, const std::vector<broker_id>& isr, const is_live_fn& live,
                      bool unclean_allowed) {
  for (broker_id r : cur.replicas)
    if (contains(isr, r) && live(r)) return {r, isr, false};
  if (unclean_allowed) {
    for (broker_id r : cur.replicas)
      if (live(r)) return {r, {r}, true};
  }
  return {no_leader, isr, false};
}

election on_broker_fenced(const partition_state& cur, broker_id gone, const is_live_fn& live,
                          bool unclean_allowed) {
  auto alive = [&](broker_id b) { return b != gone && live(b); };
  std::vector<broker_id> isr;
  for (broker_id b : cur.isr)
    if (b != gone) isr.push_back(b);
  if (isr.empty()) isr = cur.isr;  // never empty: keep the last member, which holds every committed record
  if (cur.leader != gone && cur.leader != no_leader && alive(cur.leader)) return {cur.leader, isr, false};
  return elect_leader(cur, isr, alive, unclean_allowed);
}

election on_broker_unfenced(const partition_state& cur, broker_id back, const is_live_fn& live,
                            bool unclean_allowed) {
  if (cur.leader != no_leader || !contains(cur.replicas, back)) return {cur.leader, cur.isr, false};
  auto alive = [&](broker_id b) { return b == back || live(b); };
  return elect_leader(cur, cur.isr, alive, unclean_allowed);
}

std::optional<std::string> check_partition_invariants(const partition_state& s) {
  auto dup = [](std::vector<broker_id> v) {
    std::sort(v.begin(), v.end());
    return std::adjacent_find(v.begin(), v.end()) != v.end();
  };
  if (s.replicas.empty()) return "no replicas";
  if (dup(s.replicas)) return "duplicate replicas";
  if (s.isr.empty()) return "empty ISR";
  if (dup(s.isr)) return "duplicate ISR members";
  for (broker_id b : s.isr)
    if (!contains(s.replicas, b)) return "ISR member " + samsa::to_string(b) + " is not a replica";
  if (s.leader != no_leader && !contains(s.isr, s.leader))
    return "leader " + samsa::to_string(s.leader) + " is not in the ISR";
  if (s.leader_epoch < 0 || s.partition_epoch < 0) return "negative epoch";
  return std::nullopt;
}

}  // namespace samsa::cluster
