#include "samsa/replica/partition_manager.h"

#include <spdlog/spdlog.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "samsa/cluster/local_changes.h"
#include "samsa/config/topic_table.h"
#include "samsa/protocol/kafka_error.h"
#include "samsa/storage/log_manager.h"

namespace samsa::replica {

namespace ke = protocol::kafka_error;
using kind = cluster::local_replica_change::kind;

namespace {
const cluster::partition_state* partition_state_of(const cluster::metadata_image& img, const std::string& topic,
                                                   partition_index index) {
  const auto* t = img.topic(topic);
  if (t == nullptr) return nullptr;
  auto it = t->partitions.find(index);
  return it == t->partitions.end() ? nullptr : &it->second;
}
}  // namespace

partition_manager::partition_manager(manager_options opt, storage::log_manager& logs, purgatory& waiters,
                                     topic_settings settings, manager_hooks hooks)
    : opt_(opt),
      logs_(logs),
      waiters_(waiters),
      settings_(std::move(settings)),
      hooks_(std::move(hooks)),
      leader_quota_(opt.leader_throttled_rate),
      follower_quota_(opt.follower_throttled_rate) {}

void partition_manager::apply(const cluster::metadata_image& before, const cluster::metadata_image& after,
                              int64_t now_ms) {
  image_ = &after;
  const auto changes = cluster::local_changes(before, after, opt_.self);
  for (const auto& ch : changes) {
    if (ch.what == kind::remove) {
      remove(ch);
      continue;
    }
    auto& slots = topics_[ch.topic];
    const auto* t = after.topic(ch.topic);
    const size_t count = t ? t->partitions.size() : 0;
    if (slots.size() < count) slots.resize(count);
    auto& slot = slots[static_cast<size_t>(ch.partition.value())];
    if (!slot) slot = create(ch, after);
    if (!slot) continue;
    slot->set_topic_id(ch.topic_id);
    spdlog::info("[{}-{}] {} at leader epoch {} (leader {}, isr {})", ch.topic, ch.partition,
                 ch.what == kind::become_leader ? "leader" : "follower", ch.state.leader_epoch, ch.state.leader,
                 fmt::join(ch.state.isr, ","));
    set_role(slot, ch.state, true, now_ms);
  }
  // ISR changes of partitions led here (local_changes reports only leadership changes).
  if (before.topics_identity() != after.topics_identity()) apply_isr_changes(after, now_ms);
  if (before.configs_identity() != after.configs_identity()) apply_topic_configs(before, after);
  if (!hooks_.leadership) return;
  for (const auto& ch : changes) {
    hooks_.leadership(ch.topic, ch.partition, ch.state.leader_epoch, ch.what == kind::become_leader);
  }
}

std::shared_ptr<partition> partition_manager::create(const cluster::local_replica_change& ch,
                                                     const cluster::metadata_image& img) {
  const auto* overrides = img.configs(cluster::resource_type::topic, ch.topic);
  const cluster::config_map none;
  const auto& cfg = overrides ? *overrides : none;
  auto log = logs_.get_or_create(ch.topic, ch.partition, settings_.log_config(cfg));
  if (!log) {
    spdlog::error("[{}-{}] cannot create the log: {}", ch.topic, ch.partition, log.error().message());
    return nullptr;
  }
  auto p = std::make_shared<partition>(ch.topic, ch.partition, std::move(*log), opt_.self);
  p->set_limits(settings_.limits(cfg));
  return p;
}

void partition_manager::remove(const cluster::local_replica_change& ch) {
  auto it = topics_.find(ch.topic);
  if (it != topics_.end() && static_cast<size_t>(ch.partition.value()) < it->second.size()) {
    auto& slot = it->second[static_cast<size_t>(ch.partition.value())];
    if (slot) {
      if (hooks_.unfollow) hooks_.unfollow(*slot);  // a follower must not append to a log being deleted
      slot->on_removed();  // produce requests waiting on it answer NOT_LEADER_OR_FOLLOWER
      notify(*slot);
    }
    slot.reset();
  }
  // The directory is renamed now and deleted by the log manager's background thread (off the hot path).
  if (auto ec = logs_.remove(ch.topic, ch.partition))
    spdlog::warn("[{}-{}] could not remove the log: {}", ch.topic, ch.partition, ec.message());
  if (it != topics_.end() && std::none_of(it->second.begin(), it->second.end(), [](auto& p) { return !!p; })) {
    topics_.erase(it);
    spdlog::info("deleted topic {}", ch.topic);
  }
}

void partition_manager::set_role(const std::shared_ptr<partition>& p, const cluster::partition_state& s,
                                 bool new_leadership, int64_t now_ms) {
  const bool wake = p->apply_state(s, new_leadership, now_ms);
  if (p->is_leader()) {
    if (new_leadership && hooks_.unfollow) hooks_.unfollow(*p);
  } else if (s.leader >= 0) {
    if (hooks_.follow) hooks_.follow(p, s.leader);
  } else if (hooks_.unfollow) {
    hooks_.unfollow(*p);
  }
  if (wake) notify(*p);
  if (p->is_leader() && hooks_.check_isr) hooks_.check_isr(p);
}

void partition_manager::apply_isr_changes(const cluster::metadata_image& after, int64_t now_ms) {
  for (auto& [name, slots] : topics_) {
    for (auto& p : slots) {
      if (!p || !p->leader_state()) continue;
      const auto* s = after.partition(p->topic_id(), p->index());
      if (s != nullptr && s->leader == opt_.self && s->leader_epoch == p->leader_epoch() &&
          s->partition_epoch > p->leader_state()->state().partition_epoch)
        set_role(p, *s, false, now_ms);
    }
  }
}

void partition_manager::apply_topic_configs(const cluster::metadata_image& before,
                                            const cluster::metadata_image& after) {
  const cluster::config_map none;
  for (auto& [name, slots] : topics_) {
    const auto* a = after.configs(cluster::resource_type::topic, name);
    const auto* b = before.configs(cluster::resource_type::topic, name);
    if ((a == nullptr) == (b == nullptr) && (!a || *a == *b)) continue;
    const auto& cfg = a ? *a : none;
    const auto log_cfg = settings_.log_config(cfg);
    const auto limits = settings_.limits(cfg);
    for (auto& p : slots) {
      if (!p) continue;
      p->log_for_maintenance().set_config(log_cfg);
      p->set_limits(limits);
    }
  }
}

void partition_manager::remove_stray_logs(const cluster::metadata_image& img) {
  for (const auto& tp : logs_.list()) {
    const auto* s = partition_state_of(img, tp.topic, tp.partition);
    if (s != nullptr && std::find(s->replicas.begin(), s->replicas.end(), opt_.self) != s->replicas.end()) continue;
    spdlog::warn("[{}-{}] not assigned to this broker in the metadata log (deleted while it was down?): removing",
                 tp.topic, tp.partition);
    if (auto ec = logs_.remove(tp.topic, tp.partition))
      spdlog::warn("[{}-{}] could not remove the log: {}", tp.topic, tp.partition, ec.message());
  }
}

std::shared_ptr<partition> partition_manager::get(const std::string& topic, partition_index index) const {
  auto it = topics_.find(topic);
  if (it == topics_.end() || index < 0 || static_cast<size_t>(index.value()) >= it->second.size()) return nullptr;
  return it->second[static_cast<size_t>(index.value())];
}

leader_lookup partition_manager::leader(const std::string& topic, partition_index index) const {
  auto p = get(topic, index);
  if (p && p->is_leader() && (!hooks_.lease_valid || hooks_.lease_valid())) return {std::move(p), ke::none};
  const bool exists = image_ != nullptr && partition_state_of(*image_, topic, index) != nullptr;
  return {nullptr, exists ? ke::not_leader_or_follower : ke::unknown_topic_or_partition};
}

void partition_manager::for_each_leader(const std::function<void(const std::shared_ptr<partition>&)>& fn) const {
  for (const auto& [name, slots] : topics_)
    for (const auto& p : slots)
      if (p && p->leader_state()) fn(p);
}

bool partition_manager::throttled(const partition& p, broker_id replica, bool as_leader) const {
  if (as_leader ? leader_quota_.unlimited() : follower_quota_.unlimited()) return false;
  if (image_ == nullptr) return false;
  const auto v = image_->config(cluster::resource_type::topic, p.topic(),
                                as_leader ? config::topic_key("leader.replication.throttled.replicas").name
                                          : config::topic_key("follower.replication.throttled.replicas").name);
  if (!v || !replica_throttled(*v, p.index().value(), replica.value())) return false;
  const auto* s = image_->partition(p.topic_id(), p.index());
  return s == nullptr || std::find(s->isr.begin(), s->isr.end(), replica) == s->isr.end();
}

}  // namespace samsa::replica
