// Partition reassignment (KIP-455) in the controller's rules: see controller.h.
#include <algorithm>
#include <set>

#include "samsa/cluster/controller.h"
#include "samsa/cluster/partition_rules.h"

namespace samsa::cluster {
namespace {

bool contains(const std::vector<broker_id>& v, broker_id b) { return std::find(v.begin(), v.end(), b) != v.end(); }

std::vector<broker_id> minus(const std::vector<broker_id>& a, const std::vector<broker_id>& b) {
  std::vector<broker_id> out;
  for (broker_id x : a)
    if (!contains(b, x)) out.push_back(x);
  return out;
}

partition_reassignment_record record_of(const uuid& topic, partition_id p, const partition_state& s) {
  return {topic, p, s.replicas, s.isr, s.leader, s.leader_epoch, s.partition_epoch, s.adding, s.removing};
}

}  // namespace

std::optional<partition_reassignment_record> complete_reassignment(const uuid& topic, partition_id p,
                                                                   const partition_state& cur,
                                                                   const std::vector<broker_id>& isr) {
  if (cur.adding.empty() && cur.removing.empty()) return std::nullopt;
  const std::vector<broker_id> target = minus(cur.replicas, cur.removing);
  for (broker_id b : target)
    if (!contains(isr, b)) return std::nullopt;
  partition_state next = cur;
  next.replicas = target;
  next.isr.clear();
  for (broker_id b : isr)
    if (contains(target, b)) next.isr.push_back(b);
  if (!contains(target, cur.leader)) {
    next.leader = next.isr.front();  // non-empty: every target replica is in it
    for (broker_id b : target)
      if (contains(next.isr, b)) {
        next.leader = b;
        break;
      }
    next.leader_epoch = cur.leader_epoch.next();
  }
  next.partition_epoch = cur.partition_epoch + 1;
  next.adding.clear();
  next.removing.clear();
  return record_of(topic, p, next);
}

controller_result<std::vector<reassignment_result>> controller::alter_partition_reassignments(
    const metadata_image& img, const std::vector<reassignment_request>& reqs) {
  controller_result<std::vector<reassignment_result>> out;
  std::set<topic_partition> seen;
  for (const auto& q : reqs) {
    auto& res = out.response.emplace_back();
    res.tp = {q.topic, q.partition};
    const topic_image* t = img.topic(q.topic);
    const partition_state* cur = t ? img.partition(t->id, q.partition) : nullptr;
    if (cur == nullptr) {
      res.error = {err::unknown_topic_or_partition, "This server does not host this topic-partition."};
      continue;
    }
    if (!seen.insert(res.tp).second) {
      res.error = {err::invalid_request, "The partition is listed more than once."};
      continue;
    }
    const bool ongoing = !cur->adding.empty() || !cur->removing.empty();
    const std::vector<broker_id> original = minus(cur->replicas, cur->adding);
    partition_state next = *cur;
    if (!q.replicas) {  // cancel
      if (!ongoing) {
        res.error = {err::no_reassignment_in_progress, "No reassignment is in progress for this partition."};
        continue;
      }
      next.replicas = original;
      next.isr = minus(cur->isr, cur->adding);
      if (next.isr.empty()) next.isr = cur->isr;  // never empty (the ISR holds every committed record)
      next.adding.clear();
      next.removing.clear();
      if (!contains(next.replicas, next.leader)) {
        auto e = elect_leader(next, next.isr, [&](broker_id b) { return img.broker(b) && !img.broker(b)->fenced; },
                              false);
        next.leader = e.leader;
        next.leader_epoch = cur->leader_epoch.next();
      }
    } else {
      const auto& target = *q.replicas;
      std::set<broker_id> distinct(target.begin(), target.end());
      if (target.empty() || distinct.size() != target.size()) {
        res.error = {err::invalid_replica_assignment, "The target replica list is empty or has duplicates."};
        continue;
      }
      bool unknown = false;
      for (broker_id b : target) unknown = unknown || img.broker(b) == nullptr;
      if (unknown) {
        res.error = {err::invalid_replica_assignment, "The target replicas include an unregistered broker."};
        continue;
      }
      if (!ongoing && target == cur->replicas) continue;  // already there
      // A new target replaces an ongoing reassignment: start again from the original replicas.
      next.replicas = target;
      for (broker_id b : original)
        if (!contains(target, b)) next.replicas.push_back(b);
      next.adding = minus(target, original);
      next.removing = minus(original, target);
      next.isr = minus(cur->isr, minus(cur->adding, target));  // replicas no longer wanted leave the ISR
      if (next.isr.empty()) next.isr = cur->isr;
    }
    next.partition_epoch = cur->partition_epoch + 1;
    if (auto done = complete_reassignment(t->id, q.partition, next, next.isr)) {
      done->partition_epoch = next.partition_epoch;  // one record, one epoch bump
      out.records.push_back(*done);
    } else {
      out.records.push_back(record_of(t->id, q.partition, next));
    }
  }
  return out;
}

std::vector<ongoing_reassignment> list_reassignments(const metadata_image& img,
                                                     const std::optional<std::vector<topic_partition>>& partitions) {
  std::vector<ongoing_reassignment> out;
  auto add = [&](const topic_image& t, partition_id p, const partition_state& s) {
    if (s.adding.empty() && s.removing.empty()) return;
    out.push_back({{t.name, p}, s.replicas, s.adding, s.removing});
  };
  if (partitions) {
    for (const auto& tp : *partitions) {
      const topic_image* t = img.topic(tp.topic);
      if (t == nullptr) continue;
      if (auto it = t->partitions.find(tp.partition); it != t->partitions.end()) add(*t, it->first, it->second);
    }
    return out;
  }
  for (const auto& [id, t] : img.topics())
    for (const auto& [p, s] : t->partitions) add(*t, p, s);
  return out;
}

}  // namespace samsa::cluster
