// The replication simulator's invariants (replication_sim.h). The production code changes the logs and high
// watermarks inside its own methods; after every event the simulator looks at what changed (observe) and checks
// each change against what it knows: the acknowledged writes, the entries committed below some high watermark, the
// leaderships taken up.
#include <cstring>

#include "replication_sim_world.h"
#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"

namespace samsa::cluster::sim {

std::vector<uint8_t> make_batch(uint64_t payload, int64_t timestamp) {
  records::batch_builder bb;
  char value[sizeof payload];
  std::memcpy(value, &payload, sizeof payload);
  bb.add(timestamp, std::nullopt, std::string_view(value, sizeof value));
  auto bytes = bb.build();
  return bytes ? std::move(*bytes) : std::vector<uint8_t>{};
}

std::vector<entry> read_entries(const storage::partition_log& log, int64_t from, int64_t to) {
  std::vector<entry> out;
  while (from < to) {
    auto r = log.read(from, 1 << 20, to);
    if (!r || r->total_bytes == 0) break;
    auto bytes = r->copy_bytes();
    if (!bytes) break;
    for (std::span<const uint8_t> rest(*bytes); !rest.empty();) {
      auto b = records::batch_view::parse(rest);
      if (!b) break;
      rest = rest.subspan(b->size_bytes());
      if (b->base_offset() < from) continue;
      uint64_t payload = 0;
      std::vector<uint8_t> scratch;
      (void)records::for_each_record(*b, scratch, records::default_max_decompressed,
                                     [&](const records::record_view& rec) {
                                       if (rec.value && rec.value->size() == sizeof payload)
                                         std::memcpy(&payload, rec.value->data(), sizeof payload);
                                       return false;
                                     });
      out.push_back({b->base_offset(), b->partition_leader_epoch(), payload});
      from = b->last_offset() + 1;
    }
  }
  return out;
}

// ---- what changed at a broker ----

void simulation::observe(broker& b) {
  auto p = b.part();
  if (!p) return;  // no replica yet (no image since the process started)
  observe_log(b, *p);
  if (!out_.ok) return;
  const bool leading = p->leader_state() != nullptr;
  if (leading && (!b.seen_leader || b.seen_epoch != p->leader_epoch())) on_become_leader(b, p->leader_epoch());
  const bool became = leading && (!b.seen_leader || b.seen_epoch != p->leader_epoch());
  b.seen_leader = leading;
  b.seen_epoch = p->leader_epoch();
  if (out_.ok && (became || p->high_watermark() != b.seen_hwm)) on_hwm(b, p->high_watermark(), leading, b.seen_epoch);
}

void simulation::observe_log(broker& b, const replica::partition& p) {
  const int64_t leo = p.log_end_offset();
  const int64_t known = static_cast<int64_t>(b.shadow.size());
  if (leo == known) return;
  // Within one event a log only grows or only shrinks (truncation and fetching are separate round trips), so the
  // entries below min(leo, known) are the ones already seen; check_converged re-reads every log to confirm it.
  const int64_t keep = std::min(leo, known);
  if (keep < known) on_truncated(b, keep, known);
  if (!out_.ok || leo <= keep) return;
  for (const auto& e : read_entries(p.log(), keep, leo)) {
    on_appended(b, e);
    if (!out_.ok) return;
  }
  if (static_cast<int64_t>(b.shadow.size()) != leo)
    fail("broker " + samsa::to_string(b.id) + " log reads " + std::to_string(b.shadow.size()) +
         " entries, its log end is " + std::to_string(leo) + " (offsets not dense)");
}

void simulation::on_truncated(broker& b, int64_t to, int64_t from) {
  trace("broker " + samsa::to_string(b.id) + " truncated from " + std::to_string(from) + " to " + std::to_string(to));
  if (to < b.seen_hwm)
    return fail("broker " + samsa::to_string(b.id) + " truncated to " + std::to_string(to) +
                " below its high watermark " + std::to_string(b.seen_hwm));
  const partition_state* s = ctl_state();
  const bool in_isr = s && std::find(s->isr.begin(), s->isr.end(), b.id) != s->isr.end();
  for (auto it = acked_.lower_bound(to); in_isr && it != acked_.end() && it->first < from; ++it) {
    if (b.shadow[static_cast<size_t>(it->first)].payload == it->second)
      return fail("ISR member " + samsa::to_string(b.id) + " truncated acknowledged offset " +
                  std::to_string(it->first) + " (to " + std::to_string(to) + ")");
  }
  b.shadow.resize(static_cast<size_t>(to));
  b.verified = std::min(b.verified, to);
  b.flushed = std::min(b.flushed, to);
}

void simulation::on_appended(broker& b, const entry& e) {
  if (e.offset != static_cast<int64_t>(b.shadow.size()))
    return fail("broker " + samsa::to_string(b.id) + " has offset " + std::to_string(e.offset) + " at position " +
                std::to_string(b.shadow.size()) + " (offsets not dense)");
  b.shadow.push_back(e);
  // (A deposed leader that has not heard of it yet may append to its own log: it cannot get those acknowledged.)
  if (auto it = acked_.find(e.offset); is_current_leader(b) && it != acked_.end() && it->second != e.payload)
    fail("leader " + samsa::to_string(b.id) + " wrote over acknowledged offset " + std::to_string(e.offset));
}

bool simulation::is_current_leader(const broker& b) const {
  const partition_state* s = ctl_state();
  auto p = b.part();
  return p && p->leader_state() && s && s->leader == b.id && s->leader_epoch == p->leader_epoch();
}

// Every entry below a high watermark is committed: all replicas agree on it (checked incrementally against the
// first copy seen below any high watermark, which is equivalent to comparing every pair of logs up to the smaller
// of their high watermarks since entries below a high watermark never change).
void simulation::on_hwm(broker& b, int64_t hwm, bool leading, samsa::leader_epoch epoch) {
  if (leading) {
    auto [it, fresh] = leader_hwm_.try_emplace(epoch, hwm);
    if (!fresh && hwm < it->second)
      return fail("high watermark of leader " + samsa::to_string(b.id) + " went back from " +
                  std::to_string(it->second) + " to " + std::to_string(hwm) + " in epoch " + samsa::to_string(epoch));
    it->second = std::max(it->second, hwm);
  }
  b.seen_hwm = hwm;
  if (hwm > static_cast<int64_t>(b.shadow.size()))
    return fail("high watermark beyond the log end on " + samsa::to_string(b.id));
  for (; b.verified < hwm; ++b.verified) {
    const entry& x = b.shadow[static_cast<size_t>(b.verified)];
    auto [it, fresh] = committed_.try_emplace(x.offset, x);
    if (!fresh && it->second != x)
      return fail("logs differ below the high watermark at offset " + std::to_string(x.offset) + " on broker " +
                  samsa::to_string(b.id) + ": epoch " + std::to_string(x.epoch) + " payload " +
                  std::to_string(x.payload) + " vs epoch " + std::to_string(it->second.epoch) + " payload " +
                  std::to_string(it->second.payload));
  }
}

void simulation::on_acked(broker& b, int64_t offset, uint64_t payload) {
  trace("ack offset " + std::to_string(offset) + " payload " + std::to_string(payload) + " by " +
        samsa::to_string(b.id));
  acked_[offset] = payload;
}

// At most one leader per epoch; a new leader holds every acknowledged write (no acknowledged write lost).
void simulation::on_become_leader(broker& b, samsa::leader_epoch epoch) {
  ++out_.leader_epochs;
  trace("broker " + samsa::to_string(b.id) + " leads epoch " + samsa::to_string(epoch) + " leo " +
        std::to_string(b.shadow.size()));
  auto [it, fresh] = leaders_.try_emplace(epoch, b.id);
  if (!fresh && it->second != b.id)
    return fail("two leaders in epoch " + samsa::to_string(epoch) + ": " + samsa::to_string(it->second) + " and " +
                samsa::to_string(b.id));
  // (A broker that was paused or cut off may take up a leadership the controller has already moved on from: such
  // a stale leader cannot get anything acknowledged, and need not hold what its successors acknowledged.)
  if (is_current_leader(b)) check_acked_in(b, "new leader");
  // Leaders that die young leave followers with divergent suffixes (what truncation bugs need): kill some.
  if (!quiet_ && rng_.chance(kill_leader_)) schedule(now_ + rng_.between(1, 300), ev::crash, b.id, {}, b.incarnation);
}

void simulation::check_acked_in(const broker& b, const std::string& who) {
  for (const auto& [offset, payload] : acked_) {
    if (offset >= static_cast<int64_t>(b.shadow.size()) || b.shadow[static_cast<size_t>(offset)].payload != payload)
      return fail(who + " " + samsa::to_string(b.id) + " lacks acknowledged offset " + std::to_string(offset) +
                  " payload " + std::to_string(payload));
  }
}

// Cheap checks of the production state after every event.
void simulation::check_every_event() {
  for (auto& [id, b] : brokers_) {
    if (!b.up) continue;
    auto p = b.part();
    if (!p) continue;
    if (p->high_watermark() > p->log_end_offset())
      return fail("high watermark beyond the log end on " + samsa::to_string(id));
    if (p->leader_state() && p->high_watermark() != p->leader_state()->high_watermark())
      return fail("leader state and HWM disagree on " + samsa::to_string(id));
  }
}

void simulation::check_converged() {
  for (auto& [id, b] : brokers_) {
    if (b.up) observe(b);
    if (!out_.ok) return;
    auto p = b.part();
    if (p && read_entries(p->log(), 0, p->log_end_offset()) != b.shadow)
      return fail("broker " + samsa::to_string(id) + "'s log is not what the checks saw it become");
  }
  const partition_state* s = ctl_state();
  if (!s || s->leader == no_leader) return fail("no leader after the quiet phase");
  const broker& l = brokers_[s->leader];
  auto p = l.part();
  if (!p || !p->leader_state() || p->leader_epoch() != s->leader_epoch) return fail("the elected leader does not lead");
  check_acked_in(l, "final leader");
  if (p->high_watermark() != p->log_end_offset())
    return fail("leader's high watermark is below its log end after the quiet phase");
  for (const auto& [id, b] : brokers_) {
    if (b.shadow != l.shadow)
      return fail("broker " + samsa::to_string(id) + " log (end " + std::to_string(b.shadow.size()) +
                  ") differs from the leader's (end " + std::to_string(l.shadow.size()) + ") after the quiet phase");
  }
  if (static_cast<int32_t>(s->isr.size()) != n_) {
    std::string isr;
    for (auto r : s->isr) isr += samsa::to_string(r) + " ";
    fail("ISR [ " + isr + "] is not full after the quiet phase");
  }
}

}  // namespace samsa::cluster::sim
