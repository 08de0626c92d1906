// Broker lifecycle in the controller: registration, heartbeats, session expiry (fencing) and the leadership moves
// that fencing and unfencing cause.
#include "samsa/cluster/controller.h"
#include "samsa/cluster/partition_rules.h"

namespace samsa::cluster {

namespace {
bool is_live(const metadata_image& img, broker_id b) {
  const broker_registration* r = img.broker(b);
  return r != nullptr && !r->fenced;
}
bool contains(const std::vector<broker_id>& v, broker_id b) { return std::find(v.begin(), v.end(), b) != v.end(); }
}  // namespace

void controller::fence_consequences(const metadata_image& img, broker_id b, std::vector<metadata_record>& out) const {
  auto live = [&](broker_id x) { return is_live(img, x); };
  for (const auto& [id, t] : img.topics()) {
    const bool unclean = unclean_allowed(img, t->name);
    for (const auto& [p, s] : t->partitions) {
      if (s.leader != b && !contains(s.isr, b)) continue;
      auto e = on_broker_fenced(s, b, live, unclean);
      if (auto ch = make_partition_change(id, p, s, e.leader, e.isr)) out.push_back(*ch);
    }
  }
}

void controller::unfence_consequences(const metadata_image& img, broker_id b,
                                      std::vector<metadata_record>& out) const {
  auto live = [&](broker_id x) { return is_live(img, x); };
  for (const auto& [id, t] : img.topics()) {
    const bool unclean = unclean_allowed(img, t->name);
    for (const auto& [p, s] : t->partitions) {
      if (s.leader != no_leader || !contains(s.replicas, b)) continue;
      auto e = on_broker_unfenced(s, b, live, unclean);
      if (auto ch = make_partition_change(id, p, s, e.leader, e.isr)) out.push_back(*ch);
    }
  }
}

controller_result<broker_registration_response> controller::register_broker(const metadata_image& img,
                                                                            const broker_registration_request& req,
                                                                            int64_t now_ms) {
  controller_result<broker_registration_response> out;
  if (req.id < 0) {
    out.response.error = {err::invalid_request, "Broker id must be non-negative."};
    return out;
  }
  const broker_registration* old = img.broker(req.id);
  if (old != nullptr && old->incarnation_id == req.incarnation_id) {
    // A retried registration of the same incarnation: idempotent.
    out.response.broker_epoch = old->broker_epoch;
    last_contact_ms_[req.id] = now_ms;
    return out;
  }
  if (old != nullptr && !old->fenced) {
    auto it = last_contact_ms_.find(req.id);
    if (it != last_contact_ms_.end() && now_ms - it->second <= cfg_.broker_session_timeout_ms) {
      out.response.error = {err::duplicate_broker_registration,
                            "Another broker is registered with broker id " + samsa::to_string(req.id) +
                                " and its session has not expired."};
      return out;
    }
  }
  register_broker_record r;
  r.id = req.id;
  r.incarnation_id = req.incarnation_id;
  r.broker_epoch = old ? old->broker_epoch + 1 : 1;
  r.endpoints = req.endpoints;
  r.rack = req.rack;
  r.fenced = true;  // unfenced by a heartbeat once it has caught up with the metadata log
  out.response.broker_epoch = r.broker_epoch;
  // The old incarnation is gone: it loses its leaderships and ISR memberships as if it had been fenced.
  if (old != nullptr && !old->fenced) fence_consequences(img, req.id, out.records);
  out.records.insert(out.records.begin(), std::move(r));
  last_contact_ms_[req.id] = now_ms;
  caught_up_offset_[req.id] = img.version().offset + 1;
  return out;
}

controller_result<broker_heartbeat_response> controller::heartbeat(const metadata_image& img,
                                                                  const broker_heartbeat_request& req,
                                                                  int64_t now_ms) {
  controller_result<broker_heartbeat_response> out;
  auto& res = out.response;
  const broker_registration* b = img.broker(req.id);
  if (b == nullptr) {
    res.error = {err::broker_id_not_registered, "Broker " + samsa::to_string(req.id) + " is not registered."};
    return out;
  }
  if (b->broker_epoch != req.broker_epoch) {
    res.error = {err::stale_broker_epoch, "Broker epoch " + std::to_string(req.broker_epoch) +
                                              " is not the current one (" + std::to_string(b->broker_epoch) + ")."};
    return out;
  }
  last_contact_ms_[req.id] = now_ms;
  auto it = caught_up_offset_.find(req.id);
  const int64_t target = it != caught_up_offset_.end() ? it->second : img.version().offset;
  res.is_caught_up = req.current_metadata_offset >= target;
  res.should_shutdown = req.want_shutdown;
  if (b->fenced) {
    if (!req.want_fence && !req.want_shutdown && res.is_caught_up) {
      out.records.push_back(broker_fence_record{b->id, b->broker_epoch, false});
      unfence_consequences(img, b->id, out.records);
      res.is_fenced = false;
    } else {
      res.is_fenced = true;
    }
  } else if (req.want_fence || req.want_shutdown) {
    out.records.push_back(broker_fence_record{b->id, b->broker_epoch, true});
    fence_consequences(img, b->id, out.records);
    res.is_fenced = true;
  } else {
    res.is_fenced = false;
  }
  return out;
}

controller_result<std::vector<broker_id>> controller::tick(const metadata_image& img, int64_t now_ms) {
  controller_result<std::vector<broker_id>> out;
  metadata_image cur = img;
  for (const auto& [id, b] : img.brokers()) {
    auto [it, fresh] = last_contact_ms_.try_emplace(id, now_ms);  // unknown broker: its session starts now
    if (b.fenced || fresh || now_ms - it->second <= cfg_.broker_session_timeout_ms) continue;
    std::vector<metadata_record> recs{broker_fence_record{id, b.broker_epoch, true}};
    fence_consequences(cur, id, recs);
    // Later brokers' consequences must see this one's partition changes (epochs, ISR), so apply as we go.
    auto next = apply_batch(cur, recs, cur.version());
    if (!next) continue;  // cannot happen: the records were computed from cur
    cur = std::move(*next);
    out.records.insert(out.records.end(), recs.begin(), recs.end());
    out.response.push_back(id);
  }
  return out;
}

void controller::reset_sessions(const metadata_image& img, int64_t now_ms) {
  last_contact_ms_.clear();
  caught_up_offset_.clear();
  for (const auto& [id, b] : img.brokers()) {
    last_contact_ms_[id] = now_ms;
    caught_up_offset_[id] = img.version().offset;
  }
  next_rebalance_ms_ = now_ms + cfg_.leader_imbalance_check_interval_ms;  // first balance check: one interval on
}

}  // namespace samsa::cluster
