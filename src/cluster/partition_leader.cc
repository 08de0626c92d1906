#include "samsa/cluster/partition_leader.h"

#include <algorithm>

namespace samsa::cluster {

namespace {
bool contains(const std::vector<broker_id>& v, broker_id b) { return std::find(v.begin(), v.end(), b) != v.end(); }
}  // namespace

partition_leader::partition_leader(broker_id self, const partition_state& s, int64_t high_watermark,
                                   int64_t leader_leo, int64_t now_ms)
    : self_(self), state_(s), hwm_(std::min(high_watermark, leader_leo)), epoch_start_offset_(leader_leo) {
  for (broker_id r : s.replicas) {
    if (r == self_) continue;
    follower f;
    // ISR members get a full lag window from the start of this leadership (Kafka does the same).
    if (contains(s.isr, r)) f.last_caught_up_ms = now_ms;
    followers_[r] = f;
  }
  recompute(leader_leo);
}

bool partition_leader::update_state(const partition_state& s, int64_t leader_leo) {
  if (s.partition_epoch != state_.partition_epoch) pending_.reset();
  for (broker_id r : s.replicas)
    if (r != self_ && !followers_.count(r)) followers_[r] = follower{};
  state_ = s;
  return recompute(leader_leo);
}

bool partition_leader::on_follower_fetch(broker_id id, int64_t fetch_offset, int64_t leader_leo, int64_t now_ms) {
  auto it = followers_.find(id);
  if (it == followers_.end()) return false;  // not a replica (the caller answers the fetch with an error)
  follower& f = it->second;
  f.leo = fetch_offset;
  if (fetch_offset >= leader_leo) {
    f.last_caught_up_ms = now_ms;
  } else if (f.last_fetch_ms >= 0 && fetch_offset >= f.last_fetch_leader_leo) {
    f.last_caught_up_ms = std::max(f.last_caught_up_ms, f.last_fetch_ms);
  }
  f.last_fetch_ms = now_ms;
  f.last_fetch_leader_leo = leader_leo;
  return recompute(leader_leo);
}

bool partition_leader::on_leader_append(int64_t leader_leo) { return recompute(leader_leo); }

std::vector<broker_id> partition_leader::maximal_isr() const {
  std::vector<broker_id> m = state_.isr;
  if (pending_)
    for (broker_id b : *pending_)
      if (!contains(m, b)) m.push_back(b);
  return m;
}

bool partition_leader::recompute(int64_t leader_leo) {
  int64_t low = leader_leo;
  for (broker_id b : maximal_isr()) {
    if (b == self_) continue;
    auto it = followers_.find(b);
    if (it == followers_.end() || it->second.leo < 0) return false;  // unknown: the HWM waits for it
    low = std::min(low, it->second.leo);
  }
  if (low <= hwm_) return false;
  hwm_ = low;
  return true;
}

std::optional<std::vector<broker_id>> partition_leader::wanted_isr(int64_t now_ms,
                                                                    int64_t lag_max_ms) const {
  if (pending_ || now_ms < retry_at_ms_) return std::nullopt;
  std::vector<broker_id> next;
  bool changed = false;
  for (broker_id r : state_.replicas) {
    const bool in = contains(state_.isr, r);
    if (r == self_) {
      next.push_back(r);
      changed |= !in;
      continue;
    }
    auto it = followers_.find(r);
    const follower* f = it == followers_.end() ? nullptr : &it->second;
    if (in) {
      const bool lagging = f == nullptr || f->last_caught_up_ms < 0 || now_ms - f->last_caught_up_ms > lag_max_ms;
      if (lagging) {
        changed = true;
        continue;
      }
      next.push_back(r);
    } else if (f != nullptr && f->leo >= 0 && f->leo >= hwm_ && f->leo >= epoch_start_offset_ &&
               f->last_caught_up_ms >= 0 && now_ms - f->last_caught_up_ms <= lag_max_ms) {
      // Also caught up recently by the shrink rule's measure: a replica that just left for lagging (a dead one
      // whose last fetch was at the log end) does not come straight back.
      next.push_back(r);
      changed = true;
    }
  }
  // ISR members outside the replica list (a reassignment dropped them) leave too.
  for (broker_id b : state_.isr)
    if (!contains(state_.replicas, b)) changed = true;
  if (!changed) return std::nullopt;
  return next;
}

void partition_leader::on_isr_change_sent(std::vector<broker_id> isr) { pending_ = std::move(isr); }

void partition_leader::on_isr_change_failed(int64_t now_ms, int64_t retry_backoff_ms) {
  pending_.reset();
  retry_at_ms_ = now_ms + retry_backoff_ms;
}

int64_t partition_leader::follower_leo(broker_id f) const {
  auto it = followers_.find(f);
  return it == followers_.end() ? -1 : it->second.leo;
}

truncation follower_truncation_point(int64_t local_leo, int64_t local_hwm, int32_t answered_epoch, int64_t answered_end,
                                     std::pair<int32_t, int64_t> local_end_for_answered) {
  if (answered_epoch < 0 || answered_end < 0) return {std::min(local_leo, local_hwm), true};
  const auto [ours_epoch, ours_end] = local_end_for_answered;
  if (ours_epoch < 0) return {std::min(local_leo, answered_end), true};  // no epochs here at all
  if (ours_epoch != answered_epoch) {
    const int64_t cut = std::min(local_leo, ours_end);
    return {cut, cut >= local_leo};  // nothing cut: asking again would get the same answer
  }
  return {std::min({local_leo, answered_end, ours_end}), true};
}

}  // namespace samsa::cluster
