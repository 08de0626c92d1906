// The simulated brokers: the production replica layer (replica::partition_manager, replica::partition,
// replica::follower_session) over real logs, with the simulator supplying what samsad's I/O shells supply — the
// transport, the clock, the handlers' glue (src/server/handlers/{produce,fetch,offset_for_leader_epoch}.cc),
// the replica fetcher's loop (src/replica/replica_fetcher.cc) and the ISR-change sender's
// (src/replica/isr_sender.cc). Planted bugs are faults injected from outside the production code: a follower that
// lies to itself about the leader's answer, an ISR sender that forgets its request, a handler that acknowledges
// early.
#include "replication_sim_world.h"

#include "samsa/protocol/kafka_error.h"
#include "samsa/storage/partition_log.h"

namespace samsa::cluster::sim {

namespace ke = protocol::kafka_error;

namespace {
// A produced batch is about this big (one record with an 8-byte value): fetch sizes are counted in batches.
constexpr int32_t batch_bytes = 80;
}  // namespace

// ---- process lifecycle ----

void simulation::start_process(broker& b) {
  storage::log_config lc;
  lc.segment_bytes = segment_bytes_;
  lc.segment_index_bytes = 64 << 10;
  storage::manager_options mo;
  mo.recovery_threads = 1;
  mo.clock = [this] { return now_; };
  auto logs = storage::log_manager::open({b.dir}, lc, mo);
  if (!logs) return fail("broker " + samsa::to_string(b.id) + " cannot open its logs: " + logs.error().message());
  b.logs = std::move(*logs);
  b.waiters = std::make_unique<replica::purgatory>();
  replica::topic_settings settings;
  settings.log_config = [lc](const config_map&) { return lc; };
  settings.limits = [](const config_map&) { return replica::partition_limits{1 << 20, min_isr, {}}; };
  replica::manager_hooks hooks;
  broker* bp = &b;
  hooks.follow = [this, bp](const std::shared_ptr<replica::partition>& p, broker_id leader) { follow(*bp, p, leader); };
  hooks.unfollow = [this, bp](const replica::partition&) { unfollow(*bp); };
  hooks.check_isr = [this, bp](const std::shared_ptr<replica::partition>&) { maybe_change_isr(*bp); };
  b.manager = std::make_unique<replica::partition_manager>(replica::manager_options{b.id}, *b.logs, *b.waiters,
                                                           std::move(settings), std::move(hooks));
}

void simulation::tick(broker& b) {
  if (!b.up || b.paused_until > now_) return;
  if (now_ >= b.next_flush) {  // the log manager's periodic flush
    b.flushed = static_cast<int64_t>(b.shadow.size());
    b.next_flush = now_ + flush_every_;
  }
  if (b.broker_epoch < 0) {
    if (now_ >= b.next_register) {
      message m;
      m.kind = mk::register_req;
      m.from = b.id;
      m.to = controller_id;
      m.id = b.register_await = next_id_++;
      m.offset = static_cast<int64_t>(b.incarnation);
      b.next_register = now_ + 50;
      send(std::move(m));
    }
  } else if (now_ >= b.next_heartbeat) {
    message m;
    m.kind = mk::heartbeat_req;
    m.from = b.id;
    m.to = controller_id;
    m.id = next_id_++;
    m.broker_epoch = b.broker_epoch;
    m.offset = b.image.version().offset;
    b.next_heartbeat = now_ + heartbeat_every_;
    send(std::move(m));
  }
  auto p = b.part();
  if (p && p->is_leader()) {
    check_waits(b);
    // No answer in time: the sender sees REQUEST_TIMED_OUT (controller_node::alter_partition gives up).
    if (b.alter_await && now_ >= b.alter_deadline) {
      message timeout;
      timeout.id = b.alter_await;
      timeout.altered = alter_partition_response{{ke::request_timed_out, "no answer"}, {}};
      on_alter_response(b, timeout);
    }
    if (!b.alter_await && b.alter_sent && b.alter_retry_at >= 0 && now_ >= b.alter_retry_at) {
      b.alter_retry_at = -1;
      if (p->isr_change_pending(*b.alter_sent)) send_alter(b, *b.alter_sent);
    }
    maybe_change_isr(b);  // the periodic ISR check
  } else {
    if (b.fetch_await && now_ >= b.fetch_deadline) b.fetch_await = 0;  // socket timeout: reconnect, resend
    fetch_step(b);
  }
}

void simulation::crash(broker& b) {
  trace("crash " + samsa::to_string(b.id));
  // The process dies: nothing is flushed or checkpointed (the OS keeps what was written).
  if (b.logs)
    for (const auto& log : b.logs->logs()) log->abandon();
  b.session.reset();
  b.replica.reset();
  b.manager.reset();
  b.waiters.reset();
  b.logs.reset();
  const int64_t leo = static_cast<int64_t>(b.shadow.size());
  if (opt_.follower_power_loss && !b.seen_leader && leo > b.flushed) {
    // Power loss: some of what the follower appended since its last flush is gone (page cache).
    const int64_t keep = rng_.between(b.flushed, leo - 1);
    trace("broker " + samsa::to_string(b.id) + " loses its unflushed log from " + std::to_string(keep));
    auto logs = storage::log_manager::open({b.dir}, {}, {});
    if (!logs) return fail("cannot reopen the logs of " + samsa::to_string(b.id));
    if (auto log = (*logs)->get(topic_name, 0)) (void)log->truncate_to(keep);
    b.shadow.resize(static_cast<size_t>(keep));
    b.verified = std::min(b.verified, keep);
  }
  b.up = false;
  ++b.incarnation;
  schedule(now_ + rng_.between(10, restart_max_), ev::restart, b.id);
}

void simulation::restart(broker& b) {
  if (b.up) return;
  trace("restart " + samsa::to_string(b.id));
  broker fresh;
  fresh.id = b.id;
  fresh.dir = b.dir;
  fresh.shadow = std::move(b.shadow);
  fresh.verified = b.verified;
  fresh.flushed = b.flushed;
  fresh.incarnation = b.incarnation;
  b = std::move(fresh);
  start_process(b);  // recovery of the logs as they were left
}

void simulation::on_register_response(broker& b, const message& m) {
  if (m.id != b.register_await || b.broker_epoch >= 0) return;
  if (m.error != ke::none) return;  // e.g. DUPLICATE_BROKER_REGISTRATION until the old session expires
  b.broker_epoch = m.broker_epoch;
  b.next_heartbeat = now_;
}

void simulation::on_heartbeat_response(broker& b, const message& m) {
  // The controller forgot us (e.g. a late registration of our dead predecessor won): register again, as
  // controller_node::broker_loop does.
  if (m.error == ke::stale_broker_epoch || m.error == ke::broker_id_not_registered) {
    b.broker_epoch = -1;
    b.next_register = now_;
    return;
  }
  if (m.error != ke::none || !m.image || m.image->version().offset <= b.image.version().offset) return;
  const metadata_image before = b.image;
  b.image = *m.image;
  b.manager->apply(before, b.image, now_);  // the production reconciliation
  b.replica = b.manager->get(topic_name, 0);
  check_waits(b);
}

// ---- the fetcher (replica_fetcher.cc's loop) ----

void simulation::follow(broker& b, const std::shared_ptr<replica::partition>& p, broker_id leader) {
  trace("broker " + samsa::to_string(b.id) + " follows " + samsa::to_string(leader) + " at epoch " +
        samsa::to_string(p->leader_epoch()));
  if (!b.session || b.following != leader) {
    replica::follower_settings s;
    s.self = b.id;
    s.max_wait_ms = static_cast<int32_t>(fetch_wait_);
    b.session = std::make_unique<replica::follower_session>(s);
    b.following = leader;
  }
  b.session->assign(p);  // a new generation: answers to earlier requests are ignored
  b.fetch_await = 0;
  b.next_fetch = now_;
  check_waits(b);  // produce requests waiting here learn the partition is no longer theirs
  fetch_step(b);
}

void simulation::unfollow(broker& b) {
  b.session.reset();
  b.following = no_leader;
  b.fetch_await = 0;
}

void simulation::fetch_step(broker& b) {
  if (!b.session || b.fetch_await || now_ < b.next_fetch) return;
  message m;
  m.from = b.id;
  m.to = b.following;
  m.id = next_id_++;
  b.epoch_round = b.session->truncation_request(now_);
  if (b.epoch_round) {
    if (opt_.bugs.follower_never_truncates || opt_.bugs.follower_truncates_to_hwm) {
      // Planted bugs: the follower answers itself. "Our own latest epoch ends at our log end" truncates nothing;
      // "no epoch known" makes it keep only what it knows to be committed (its high watermark), as before KIP-101.
      protocol::OffsetForLeaderEpochResponse self;
      auto p = b.part();
      for (const auto& t : b.epoch_round->request.topics) {
        auto& rt = self.topics.emplace_back();
        rt.topic = t.topic;
        for (const auto& rp : t.partitions) {
          auto& out = rt.partitions.emplace_back();
          out.partition = rp.partition;
          out.leader_epoch = opt_.bugs.follower_never_truncates ? rp.leader_epoch : -1;
          out.end_offset = opt_.bugs.follower_never_truncates && p ? p->log_end_offset() : -1;
        }
      }
      b.session->on_truncation_response(*b.epoch_round, self, now_);
      b.epoch_round.reset();
      return fetch_step(b);
    }
    m.kind = mk::epoch_req;
    m.epoch_req = b.epoch_round->request;
  } else {
    b.fetch_round = b.session->fetch_request(now_, nullptr);
    if (!b.fetch_round) {
      b.next_fetch = now_ + 100;
      return;
    }
    for (auto& t : b.fetch_round->request.topics)
      for (auto& rp : t.partitions) rp.partition_max_bytes = static_cast<int32_t>(max_fetch_ * batch_bytes);
    m.kind = mk::fetch_req;
    m.fetch = b.fetch_round->request;
  }
  b.fetch_await = m.id;
  b.fetch_deadline = now_ + 150;
  send(std::move(m));
}

void simulation::on_epoch_response(broker& b, const message& m) {
  if (m.id != b.fetch_await || !b.session || !b.epoch_round) return;
  b.fetch_await = 0;
  protocol::OffsetForLeaderEpochResponse resp = *m.epoch_resp;
  if (!opt_.kafka_truncation_rule) {
    // Planted: the rule production had before this simulator found its gap — one round, and when the follower's
    // cache lacks the answered epoch, trusting the follower's log end. Expressed as the answer that makes the
    // production rule cut exactly there: "our own latest epoch ends at the target".
    auto p = b.part();
    for (auto& t : resp.topics) {
      for (auto& rp : t.partitions) {
        if (!p || rp.error_code != ke::none) continue;
        const int64_t leo = p->log_end_offset(), hwm = p->high_watermark();
        const auto ours = p->log().end_offset_for_epoch(rp.leader_epoch.value());
        const int64_t target = rp.leader_epoch < 0 || rp.end_offset < 0
                                   ? std::min(leo, hwm)
                                   : std::min({leo, rp.end_offset, ours.first == rp.leader_epoch.value() ? ours.second : leo});
        rp.leader_epoch = p->log().latest_epoch();
        rp.end_offset = target;
      }
    }
  }
  const int64_t partition_backoff = 100;
  bool any_error = false;
  for (const auto& t : resp.topics)
    for (const auto& rp : t.partitions) any_error |= rp.error_code != ke::none;
  b.session->on_truncation_response(*b.epoch_round, resp, now_);
  b.epoch_round.reset();
  if (any_error) b.next_fetch = now_ + partition_backoff;
  fetch_step(b);
}

void simulation::on_fetch_response(broker& b, const message& m) {
  if (m.id != b.fetch_await || !b.session || !b.fetch_round) return;
  b.fetch_await = 0;
  b.session->on_fetch_response(*b.fetch_round, *m.fetched, now_, nullptr);
  b.fetch_round.reset();
  bool empty = true, error = false;
  for (const auto& t : m.fetched->responses)
    for (const auto& rp : t.partitions) {
      empty &= !rp.records || rp.records->size() == 0;
      error |= rp.error_code != ke::none && rp.error_code != ke::offset_out_of_range;
    }
  // An empty answer stands for a long poll; a partition error backs off.
  b.next_fetch = error ? now_ + 100 : empty ? now_ + fetch_wait_ : now_;
  fetch_step(b);
}

// ---- the leader side (the handlers' glue) ----

void simulation::on_fetch(broker& b, const message& m) {
  message resp = reply(m, mk::fetch_resp);
  protocol::FetchResponse out;
  auto buffer = std::make_shared<std::vector<uint8_t>>();
  std::vector<std::pair<protocol::FetchResponse::FetchableTopicResponse::PartitionData*, std::pair<size_t, size_t>>>
      spans;
  for (const auto& t : m.fetch->topics) {
    auto& rt = out.responses.emplace_back();
    rt.topic = t.topic;
    for (const auto& fp : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = fp.partition;
      auto [p, error] = b.manager->leader(t.topic, fp.partition);
      if (!p) error = error != ke::none ? error : ke::not_leader_or_follower;
      else error = p->check_leader_epoch(fp.current_leader_epoch);
      if (error != ke::none) {
        rp.error_code = error;
        rp.high_watermark = rp.log_start_offset = -1;
        continue;
      }
      if (p->on_follower_fetch(m.from, fp.fetch_offset, now_)) check_waits(b);
      maybe_change_isr(b);
      const auto r = p->read(fp.fetch_offset, static_cast<size_t>(fp.partition_max_bytes), true);
      rp.error_code = r.error;
      rp.high_watermark = r.high_watermark;
      rp.log_start_offset = r.log_start_offset;
      if (r.records.total_bytes == 0) continue;
      auto bytes = r.records.copy_bytes();
      if (!bytes) return fail("leader " + samsa::to_string(b.id) + " cannot read its log");
      spans.push_back({&rp, {buffer->size(), bytes->size()}});
      buffer->insert(buffer->end(), bytes->begin(), bytes->end());
    }
  }
  for (auto& [rp, range] : spans) rp->records = protocol::records_view{buffer->data() + range.first, range.second};
  resp.fetched = std::move(out);
  resp.records = std::move(buffer);
  send(std::move(resp));
}

void simulation::on_epoch_request(broker& b, const message& m) {
  message resp = reply(m, mk::epoch_resp);
  protocol::OffsetForLeaderEpochResponse out;
  for (const auto& t : m.epoch_req->topics) {
    auto& rt = out.topics.emplace_back();
    rt.topic = t.topic;
    for (const auto& ep : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition = ep.partition;
      auto [p, error] = b.manager->leader(t.topic, ep.partition);
      if (p) error = p->check_leader_epoch(ep.current_leader_epoch);
      if (error != ke::none) {
        rp.error_code = error;
        continue;
      }
      const auto end = p->end_offset_for_epoch(ep.leader_epoch);
      rp.leader_epoch = end.epoch;
      rp.end_offset = end.end_offset;
    }
  }
  resp.epoch_resp = std::move(out);
  send(std::move(resp));
}

void simulation::on_produce(broker& b, const message& m) {
  message resp = reply(m, mk::produce_resp);
  resp.payload = m.payload;
  auto [p, error] = b.manager->leader(topic_name, 0);
  if (p) {
    auto bytes = make_batch(m.payload, now_);
    auto bv = records::batch_view::parse(bytes);
    const auto out = p->append(std::span<uint8_t>(bytes), *bv, true);
    error = out.error;
    if (error == ke::none) {
      b.flushed = p->log_end_offset();  // acks=all waits for the leader's fsync (group commit) first
      b.waits.push_back({m.payload, p->leader_epoch(), out.last_offset + 1, now_ + 500});
      observe(b);  // the new entry, with the "never over an acknowledged write" check
      return check_waits(b);
    }
  }
  resp.error = error;
  send(std::move(resp));
}

// What an acks=all request waiting in the purgatory answers when woken (replica::await_replication).
void simulation::check_waits(broker& b) {
  if (b.waits.empty()) return;
  auto p = b.part();
  std::vector<produce_wait> keep;
  for (const auto& w : b.waits) {
    std::optional<protocol::kafka_errc> outcome = p ? p->replication_outcome(w.epoch, w.end) : ke::not_leader_or_follower;
    if (!outcome && opt_.bugs.ack_before_hwm) {  // planted: answered at append, without waiting for the HWM
      outcome = static_cast<int32_t>(p->leader_state()->isr().size()) < min_isr ? ke::not_enough_replicas_after_append
                                                                                 : ke::none;
    }
    if (!outcome && now_ >= w.deadline) outcome = ke::request_timed_out;
    if (!outcome) {
      keep.push_back(w);
      continue;
    }
    message resp;
    resp.kind = mk::produce_resp;
    resp.from = b.id;
    resp.to = client_id;
    resp.payload = w.payload;
    resp.error = *outcome;
    if (*outcome == ke::none) {
      on_acked(b, w.end - 1, w.payload);
      resp.offset = w.end - 1;
    }
    send(std::move(resp));
  }
  b.waits = std::move(keep);
}

// ---- the ISR-change sender (isr_sender.cc's loop) ----

void simulation::maybe_change_isr(broker& b) {
  auto p = b.part();
  if (!p || !p->leader_state() || b.alter_await) return;
  std::optional<alter_partition_request> req;
  if (opt_.bugs.hwm_over_committed_isr) {
    // Planted: the sender asks without telling the partition, so its HWM covers the committed ISR only.
    auto want = p->leader_state()->wanted_isr(now_, lag_max_);
    if (!want) return;
    req.emplace();
    req->broker = b.id;
    req->broker_epoch = b.broker_epoch;
    req->topic_id = p->topic_id();
    req->partition = p->index();
    req->leader_epoch = p->leader_state()->state().leader_epoch;
    req->partition_epoch = p->leader_state()->state().partition_epoch;
    req->new_isr = std::move(*want);
  } else {
    req = p->next_isr_change(now_, lag_max_, b.broker_epoch);
    if (!req) return;
  }
  trace("leader " + samsa::to_string(b.id) + " asks for an ISR change");
  b.alter_retry_at = -1;
  send_alter(b, *req);
}

void simulation::send_alter(broker& b, const alter_partition_request& req) {
  message m;
  m.kind = mk::alter_req;
  m.from = b.id;
  m.to = controller_id;
  m.id = b.alter_await = next_id_++;
  m.alter = req;
  b.alter_sent = req;
  b.alter_deadline = now_ + 200;
  send(std::move(m));
}

void simulation::on_alter_response(broker& b, const message& m) {
  if (m.id != b.alter_await || !b.alter_sent) return;
  b.alter_await = 0;
  auto p = b.part();
  if (!p) return;
  alter_partition_response resp = *m.altered;
  if (!opt_.keep_isr_change_of_unknown_outcome && replica::isr_change_outcome_unknown(resp.error.code))
    resp.error.code = ke::invalid_request;  // planted: an unknown outcome taken for a refusal
  bool hwm_advanced = false;
  if (p->on_isr_change_response(*b.alter_sent, resp, now_, hwm_advanced) == replica::isr_change_next::retry) {
    b.alter_retry_at = now_ + 100;  // the sender's pause before asking again
    return;
  }
  if (hwm_advanced) check_waits(b);
  maybe_change_isr(b);
}

}  // namespace samsa::cluster::sim
