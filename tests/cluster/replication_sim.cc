// The replication simulator (see replication_sim.h). The brokers mirror the real wiring in src/server:
// replication.cc (leader state fed by appends and follower fetches, AlterPartition to the controller),
// replica_fetcher.cc (OffsetForLeaderEpoch truncation on becoming a follower, then fetching at the log end),
// handlers/fetch.cc + offset_for_leader_epoch.cc (leader-epoch checks, answers) and handlers/produce.cc (acks=all
// answered once the high watermark passes the batch and the ISR is at least min.insync.replicas).
#include "replication_sim.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <vector>

#include "replication_sim_log.h"
#include "samsa/cluster/controller.h"
#include "samsa/cluster/local_changes.h"
#include "samsa/cluster/partition_leader.h"
#include "samsa/cluster/partition_rules.h"

namespace samsa::cluster::sim {
namespace {

// Deterministic PRNG (splitmix64): the sequence must not depend on the standard library.
class rng {
 public:
  explicit rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t s_;
};

constexpr broker_id controller_id = 0;  // the controller's network address
constexpr broker_id client_id = -1;     // the producing clients (never partitioned away)
constexpr int32_t min_isr = 2;          // min.insync.replicas
constexpr int64_t tick_ms = 10;
constexpr int64_t quiet_ms = 3000;

enum class mk : uint8_t {
  fetch_req, fetch_resp, epoch_req, epoch_resp, produce_req, produce_resp,
  register_req, register_resp, heartbeat_req, heartbeat_resp, alter_req, alter_resp
};

struct message {
  mk kind = mk::fetch_req;
  broker_id from = 0, to = 0;
  uint64_t id = 0;         // request id; a response echoes it
  uint64_t incarnation = 0;  // of the requesting process; its response is lost when that process died (TCP)
  int16_t error = err::none;
  int32_t epoch = -1;      // current leader epoch of a request; the answered epoch of an epoch response
  int32_t asked_epoch = -1;
  int64_t offset = -1;     // fetch offset / end offset / produced offset
  int64_t hwm = -1;
  uint64_t payload = 0;
  int64_t broker_epoch = -1;
  std::vector<batch> batches{};
  std::shared_ptr<const metadata_image> image{};  // heartbeat responses carry the controller's image
  std::optional<alter_partition_request> alter{};
  std::optional<partition_state> state{};
};

struct produce_wait {
  uint64_t payload;
  int32_t epoch;
  int64_t offset;
  int64_t deadline;
};

struct broker {
  broker_id id = 0;
  bool up = true;
  int64_t paused_until = 0;  // SIGSTOP: no ticks, messages wait in the socket buffers
  uint64_t incarnation = 1;
  replica_log log;  // survives crashes
  int64_t flushed = 0;  // log end at the last fsync (options::follower_power_loss)
  int64_t next_flush = 0;
  // --- process state, lost on a crash ---
  int64_t broker_epoch = -1;  // -1: not registered yet
  uint64_t register_await = 0;
  int64_t next_register = 0, next_heartbeat = 0;
  metadata_image image;
  int64_t hwm = 0;  // not checkpointed (as in samsad): 0 after a restart
  broker_id leader = no_leader;
  int32_t leader_epoch = -1;
  std::optional<partition_leader> leading;
  bool truncate = false;       // the fetcher must ask OffsetForLeaderEpoch before fetching
  uint64_t fetch_await = 0;    // the one request of the fetcher in flight
  int64_t fetch_deadline = 0;  // socket timeout
  int64_t next_fetch = 0;
  uint64_t alter_await = 0;
  std::optional<alter_partition_request> alter_sent;  // the ISR change in flight, for retries
  int64_t alter_deadline = 0;
  std::vector<produce_wait> waits;
  // --- invariant bookkeeping ---
  int64_t verified = 0;  // entries below this were compared with committed_
};

enum class ev : uint8_t { deliver, tick, ctl_tick, produce, crash, restart, pause, partition, heal, quiet };

struct event {
  int64_t time;
  uint64_t seq;
  ev kind;
  broker_id target = 0;
  uint64_t incarnation = 0;
  std::shared_ptr<const message> msg{};
  bool operator>(const event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

std::string name(mk k) {
  static const char* names[] = {"fetch", "fetch_resp", "epoch", "epoch_resp", "produce", "produce_resp",
                                "register", "register_resp", "heartbeat", "heartbeat_resp", "alter", "alter_resp"};
  return names[static_cast<int>(k)];
}

std::string ids(const std::vector<broker_id>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

class simulation {
 public:
  explicit simulation(const options& opt) : opt_(opt), rng_(opt.seed), ctl_(make_config(opt, rng_)) {
    const uint64_t sizes[] = {3, 3, 3, 4, 5};
    n_ = static_cast<int32_t>(sizes[rng_.below(5)]);
    drop_ = static_cast<double>(rng_.below(11)) / 100.0;
    dup_ = static_cast<double>(rng_.below(6)) / 100.0;
    max_delay_ = rng_.between(1, 30);
    heartbeat_every_ = rng_.between(20, 50);
    lag_max_ = rng_.between(100, 300);
    max_fetch_ = rng_.between(1, 8);
    fetch_wait_ = rng_.between(5, 50);
    crash_every_ = rng_.between(200, 1500);
    restart_max_ = rng_.between(20, 500);
    pause_every_ = rng_.between(300, 2000);
    partition_every_ = rng_.between(200, 1500);
    produce_gap_ = rng_.between(1, 20);
    kill_leader_ = static_cast<double>(rng_.below(80)) / 100.0;
    flush_every_ = opt.follower_power_loss ? rng_.between(50, 1000) : 0;
    setup();
    schedule(0, ev::ctl_tick);
    schedule(rng_.between(0, 20), ev::produce);
    schedule(rng_.between(0, crash_every_), ev::crash);
    schedule(rng_.between(0, pause_every_), ev::pause);
    schedule(rng_.between(0, partition_every_), ev::partition);
    schedule(opt_.duration, ev::quiet);
  }

  outcome run() {
    const int64_t end = opt_.duration + quiet_ms;
    while (!queue_.empty() && out_.ok) {
      event e = queue_.top();
      queue_.pop();
      if (e.time > end) break;
      now_ = e.time;
      ++out_.events;
      handle(e);
      if (out_.ok) check_every_event();
    }
    if (out_.ok) check_converged();
    out_.acked = acked_.size();
    return out_;
  }

 private:
  static controller_config make_config(const options& opt, rng& r) {
    controller_config c;
    c.broker_session_timeout_ms = r.between(150, 400);
    c.unclean_leader_election_enable = opt.bugs.unclean_election;
    // Preferred-leader rebalancing moves leadership without failures (a clean handover the fetchers must survive).
    c.auto_leader_rebalance_enable = r.chance(0.5);
    c.leader_imbalance_check_interval_ms = r.between(300, 1500);
    c.leader_imbalance_per_broker_percentage = 0;
    c.seed = opt.seed;
    return c;
  }

  // ---- setup: bootstrap, every broker registered and unfenced, the topic with every broker as a replica ----
  void setup() {
    commit(ctl_.bootstrap(img_, "sim").records);
    std::vector<broker_id> replicas;
    for (broker_id b = 1; b <= n_; ++b) {
      replicas.push_back(b);
      broker& br = brokers_[b];
      br.id = b;
      auto reg = ctl_.register_broker(img_, registration(br), 0);
      commit(reg.records);
      br.broker_epoch = reg.response.broker_epoch;
      commit(ctl_.heartbeat(img_, {b, br.broker_epoch, img_.version().offset, false, false}, 0).records);
      schedule(rng_.between(0, tick_ms - 1), ev::tick, b);
    }
    for (size_t i = replicas.size(); i > 1; --i) std::swap(replicas[i - 1], replicas[rng_.below(i)]);
    auto ct = ctl_.create_topics(img_, {{"t", -1, -1, {{0, replicas}}, {}}});
    if (ct.response.empty() || !ct.response[0].error.ok()) return fail("cannot create the topic");
    topic_ = ct.response[0].topic_id;
    commit(ct.records);
  }

  broker_registration_request registration(const broker& b) const {
    return {b.id, uuid{static_cast<uint64_t>(b.id), b.incarnation}, {{"PLAINTEXT", "b", 9092, 0}}, {}};
  }

  // ---- scheduling, network ----
  void schedule(int64_t at, ev k, broker_id target = 0, std::shared_ptr<const message> m = {}, uint64_t inc = 0) {
    queue_.push(event{at, seq_++, k, target, inc, std::move(m)});
  }

  void trace(const std::string& s) {
    if (opt_.trace) out_.trace += "t=" + std::to_string(now_) + " " + s + "\n";
  }

  void fail(const std::string& what) {
    if (!out_.ok) return;
    out_.ok = false;
    out_.failure = "seed " + std::to_string(opt_.seed) + " t=" + std::to_string(now_) + ": " + what;
    trace("FAIL " + what);
  }

  bool connected(broker_id a, broker_id b) const {
    if (a == client_id || b == client_id) return true;
    return !cut_.count({std::min(a, b), std::max(a, b)});
  }

  static bool is_response(mk k) {
    return k == mk::fetch_resp || k == mk::epoch_resp || k == mk::register_resp || k == mk::heartbeat_resp ||
           k == mk::alter_resp;
  }

  void send(message m) {
    if (m.from > 0 && !is_response(m.kind)) m.incarnation = brokers_[m.from].incarnation;
    if (rng_.chance(drop_)) return;
    auto p = std::make_shared<const message>(std::move(m));
    const int copies = rng_.chance(dup_) ? 2 : 1;
    for (int i = 0; i < copies; ++i) schedule(now_ + rng_.between(1, max_delay_), ev::deliver, p->to, p);
  }

  message reply(const message& req, mk kind) {
    message m;
    m.kind = kind;
    m.from = req.to;
    m.to = req.from;
    m.id = req.id;
    m.incarnation = req.incarnation;
    return m;
  }

  // ---- events ----
  void handle(const event& e) {
    switch (e.kind) {
      case ev::deliver: deliver(e); break;
      case ev::tick: tick(brokers_[e.target]); schedule(now_ + tick_ms, ev::tick, e.target); break;
      case ev::ctl_tick:
        commit(ctl_.tick(img_, now_).records);
        commit(ctl_.rebalance_leaders(img_, now_).records);
        schedule(now_ + tick_ms, ev::ctl_tick);
        break;
      case ev::produce: produce(); break;
      case ev::crash: {
        if (quiet_) break;
        if (e.target != 0) {  // the leader killer
          broker& b = brokers_[e.target];
          if (b.up && b.incarnation == e.incarnation) crash(b);
          break;
        }
        broker& b = brokers_[1 + static_cast<broker_id>(rng_.below(static_cast<uint64_t>(n_)))];
        if (b.up) crash(b);
        schedule(now_ + rng_.between(1, crash_every_), ev::crash);
        break;
      }
      case ev::restart: restart(brokers_[e.target]); break;
      case ev::pause: {
        if (quiet_) break;
        broker& b = brokers_[1 + static_cast<broker_id>(rng_.below(static_cast<uint64_t>(n_)))];
        b.paused_until = now_ + rng_.between(20, 500);
        trace("pause " + std::to_string(b.id) + " until " + std::to_string(b.paused_until));
        schedule(now_ + rng_.between(1, pause_every_), ev::pause);
        break;
      }
      case ev::partition: partition(); break;
      case ev::heal:
        if (quiet_) break;
        cut_.clear();
        trace("heal");
        schedule(now_ + rng_.between(1, partition_every_), ev::partition);
        break;
      case ev::quiet:
        // From now on no faults: every broker must converge (liveness on top of the safety checks).
        quiet_ = true;
        cut_.clear();
        drop_ = dup_ = 0;
        max_fetch_ = 1000;  // small fetches make divergence likely during the faults; now let followers catch up
        trace("quiet phase");
        for (auto& [id, b] : brokers_) {
          b.paused_until = 0;
          if (!b.up) restart(b);
        }
        break;
    }
  }

  // Isolates one broker from the other brokers, from the controller, or from both.
  void partition() {
    if (quiet_) return;
    cut_.clear();
    const broker_id victim = 1 + static_cast<broker_id>(rng_.below(static_cast<uint64_t>(n_)));
    const auto how = rng_.below(3);
    for (broker_id b = 0; b <= n_; ++b) {
      if (b == victim) continue;
      const bool cut = b == controller_id ? how != 0 : how != 1;
      if (cut) cut_.insert({std::min(b, victim), std::max(b, victim)});
    }
    trace("partition: broker " + std::to_string(victim) +
          (how == 0 ? " cut from brokers" : how == 1 ? " cut from the controller" : " isolated"));
    schedule(now_ + rng_.between(50, 800), ev::heal);
  }

  void deliver(const event& e) {
    const message& m = *e.msg;
    if (m.to == client_id) return on_client_reply(m);
    if (m.to == controller_id) {
      if (!connected(m.from, m.to)) return;
      return on_controller_request(m);
    }
    broker& b = brokers_[m.to];
    if (!b.up || (is_response(m.kind) && m.incarnation != b.incarnation)) return;
    if (b.paused_until > now_) return schedule(b.paused_until, ev::deliver, m.to, e.msg);
    if (!connected(m.from, m.to)) return;
    if (opt_.trace && m.kind != mk::heartbeat_resp && m.kind != mk::heartbeat_req)
      trace("deliver " + name(m.kind) + " " + std::to_string(m.from) + "->" + std::to_string(m.to) +
            " err=" + std::to_string(m.error) + " epoch=" + std::to_string(m.epoch) + " off=" +
            std::to_string(m.offset) + " n=" + std::to_string(m.batches.size()));
    switch (m.kind) {
      case mk::fetch_req: return on_fetch(b, m);
      case mk::fetch_resp: return on_fetch_response(b, m);
      case mk::epoch_req: return on_epoch_request(b, m);
      case mk::epoch_resp: return on_epoch_response(b, m);
      case mk::produce_req: return on_produce(b, m);
      case mk::register_resp: return on_register_response(b, m);
      case mk::heartbeat_resp: return on_heartbeat_response(b, m);
      case mk::alter_resp: return on_alter_response(b, m);
      default: return;
    }
  }

  // ---- the controller (reliable, always up; only its messages suffer faults) ----
  void commit(const std::vector<metadata_record>& records) {
    if (records.empty()) return;
    auto next = apply_batch(img_, records, {img_.version().offset + 1, 1});
    if (!next) return fail("controller records do not apply: " + next.error().message());
    img_ = std::move(*next);
    if (const partition_state* s = img_.partition(topic_, 0)) {
      if (auto bad = check_partition_invariants(*s)) fail("partition state: " + *bad);
      trace("controller: leader " + std::to_string(s->leader) + " epoch " + std::to_string(s->leader_epoch) +
            " isr " + ids(s->isr) + " partition epoch " + std::to_string(s->partition_epoch));
    }
  }

  const partition_state* ctl_state() const { return img_.partition(topic_, 0); }

  void on_controller_request(const message& m) {
    switch (m.kind) {
      case mk::register_req: {
        broker_registration_request req{m.from, uuid{static_cast<uint64_t>(m.from), static_cast<uint64_t>(m.offset)},
                                        {{"PLAINTEXT", "b", 9092, 0}}, {}};
        auto r = ctl_.register_broker(img_, req, now_);
        commit(r.records);
        message resp = reply(m, mk::register_resp);
        resp.error = r.response.error.code;
        resp.broker_epoch = r.response.broker_epoch;
        return send(std::move(resp));
      }
      case mk::heartbeat_req: {
        auto r = ctl_.heartbeat(img_, {m.from, m.broker_epoch, m.offset, false, false}, now_);
        commit(r.records);
        message resp = reply(m, mk::heartbeat_resp);
        resp.error = r.response.error.code;
        resp.image = std::make_shared<const metadata_image>(img_);
        return send(std::move(resp));
      }
      case mk::alter_req: {
        auto r = ctl_.alter_partition(img_, *m.alter);
        commit(r.records);
        message resp = reply(m, mk::alter_resp);
        resp.error = r.response.error.code;
        resp.state = r.response.state;
        resp.epoch = m.alter->leader_epoch;
        return send(std::move(resp));
      }
      default: return;
    }
  }

  // ---- brokers: lifecycle ----
  void tick(broker& b) {
    if (!b.up || b.paused_until > now_) return;
    if (now_ >= b.next_flush) {  // the log manager's periodic flush
      b.flushed = b.log.end_offset();
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
    if (b.leading) {
      check_waits(b);
      // No answer: controller_node::alter_partition gives up (not_controller) and replication.cc reports a failure,
      // although the controller may have committed the change. Kafka retries instead (see options).
      if (b.alter_await && now_ >= b.alter_deadline) {
        b.alter_await = 0;
        if (opt_.keep_isr_change_of_unknown_outcome && b.leading->change_in_flight() && b.alter_sent) {
          send_alter(b, *b.alter_sent);
        } else {
          b.leading->on_isr_change_failed(now_, 100);
        }
      }
      maybe_change_isr(b);
    } else {
      if (b.fetch_await && now_ >= b.fetch_deadline) b.fetch_await = 0;  // socket timeout: reconnect, resend
      fetch_step(b);
    }
  }

  void crash(broker& b) {
    trace("crash " + std::to_string(b.id));
    if (opt_.follower_power_loss && !b.leading && b.log.end_offset() > b.flushed) {
      // Power loss: some of what the follower appended since its last flush is gone (page cache).
      const int64_t keep = rng_.between(b.flushed, b.log.end_offset() - 1);
      trace("broker " + std::to_string(b.id) + " loses its unflushed log from " + std::to_string(keep));
      b.log.truncate_to(keep);
      b.verified = std::min(b.verified, keep);
    }
    b.up = false;
    ++b.incarnation;
    schedule(now_ + rng_.between(10, restart_max_), ev::restart, b.id);
  }

  void restart(broker& b) {
    if (b.up) return;
    trace("restart " + std::to_string(b.id));
    replica_log log = std::move(b.log);
    const int64_t verified = b.verified, flushed = b.flushed;
    const uint64_t inc = b.incarnation;
    const broker_id id = b.id;
    b = broker{};
    b.id = id;
    b.log = std::move(log);
    b.verified = verified;
    b.flushed = flushed;
    b.incarnation = inc;
  }

  void on_register_response(broker& b, const message& m) {
    if (m.id != b.register_await || b.broker_epoch >= 0) return;
    if (m.error != err::none) return;  // e.g. DUPLICATE_BROKER_REGISTRATION until the old session expires
    b.broker_epoch = m.broker_epoch;
    b.next_heartbeat = now_;
  }

  void on_heartbeat_response(broker& b, const message& m) {
    // The controller forgot us (e.g. a late registration of our dead predecessor won): register again, as
    // controller_node::broker_loop does.
    if (m.error == err::stale_broker_epoch || m.error == err::broker_id_not_registered) {
      b.broker_epoch = -1;
      b.next_register = now_;
      return;
    }
    if (m.error != err::none || !m.image || m.image->version().offset <= b.image.version().offset) return;
    metadata_image before = b.image;
    b.image = *m.image;
    // Reconcile as broker::on_metadata does: leadership changes first, then ISR changes of a partition led here.
    for (const auto& ch : local_changes(before, b.image, b.id)) update_replication(b, ch.state, true);
    const partition_state* s = b.image.partition(topic_, 0);
    if (s && b.leading && s->leader == b.id && s->leader_epoch == b.leader_epoch &&
        s->partition_epoch > b.leading->state().partition_epoch)
      update_replication(b, *s, false);
  }

  // broker::update_replication
  void update_replication(broker& b, const partition_state& s, bool new_leadership) {
    b.leader = s.leader;
    b.leader_epoch = s.leader_epoch;
    if (s.leader == b.id) {
      if (new_leadership || !b.leading) {
        b.fetch_await = 0;
        b.alter_await = 0;
        b.leading.emplace(b.id, s, b.hwm, b.log.end_offset(), now_);
        on_become_leader(b);
        set_hwm(b, b.leading->high_watermark());
      } else if (b.leading->update_state(s, b.log.end_offset())) {
        set_hwm(b, b.leading->high_watermark());
      }
      maybe_change_isr(b);
      check_waits(b);
      return;
    }
    trace("broker " + std::to_string(b.id) + " follows " + std::to_string(s.leader) + " at epoch " +
          std::to_string(s.leader_epoch));
    b.leading.reset();
    check_waits(b);  // produce requests waiting here learn the partition is no longer theirs
    b.fetch_await = 0;  // a new generation: answers to earlier requests are ignored
    b.next_fetch = now_;
    b.truncate = true;
    if (opt_.bugs.follower_never_truncates) b.truncate = false;
    if (opt_.bugs.follower_truncates_to_hwm) {
      truncate_log(b, b.hwm);
      b.truncate = false;
    }
    fetch_step(b);
  }

  // ---- the leader side ----
  static int16_t check_leader_epoch(const broker& b, int32_t requested) {
    if (requested < 0 || requested == b.leader_epoch) return err::none;
    return requested < b.leader_epoch ? err::fenced_leader_epoch : err::unknown_leader_epoch;
  }

  void on_fetch(broker& b, const message& m) {
    message resp = reply(m, mk::fetch_resp);
    if (!b.leading) {
      resp.error = err::not_leader_or_follower;
    } else if (int16_t e = check_leader_epoch(b, m.epoch)) {
      resp.error = e;
    } else {
      const int64_t leo = b.log.end_offset();
      if (m.offset >= 0 && m.offset <= leo) {
        if (b.leading->on_follower_fetch(m.from, m.offset, leo, now_)) set_hwm(b, b.leading->high_watermark());
        maybe_change_isr(b);
        check_waits(b);
      }
      resp.hwm = b.hwm;
      if (m.offset > leo || m.offset < 0) {
        resp.error = err::offset_out_of_range;
      } else {
        for (int64_t o = m.offset; o < std::min(leo, m.offset + max_fetch_); ++o) resp.batches.push_back(b.log.at(o));
      }
    }
    send(std::move(resp));
  }

  void on_epoch_request(broker& b, const message& m) {
    message resp = reply(m, mk::epoch_resp);
    if (!b.leading) {
      resp.error = err::not_leader_or_follower;
    } else if (int16_t e = check_leader_epoch(b, m.epoch)) {
      resp.error = e;
    } else {
      auto [epoch, end] = b.log.end_offset_for(m.asked_epoch);
      // The current epoch has no batch yet when nothing was produced since the election: it ends at the log end.
      if (m.asked_epoch >= b.leader_epoch && epoch < b.leader_epoch) {
        epoch = b.leader_epoch;
        end = b.log.end_offset();
      }
      resp.epoch = epoch;
      resp.offset = end;
    }
    send(std::move(resp));
  }

  void on_produce(broker& b, const message& m) {
    message resp = reply(m, mk::produce_resp);
    resp.payload = m.payload;
    if (!b.leading) {
      resp.error = err::not_leader_or_follower;
    } else if (static_cast<int32_t>(b.leading->isr().size()) < min_isr) {
      resp.error = err::not_enough_replicas;
    } else {
      const batch nb{b.log.end_offset(), b.leader_epoch, m.payload};
      append(b, nb);
      b.flushed = b.log.end_offset();  // acks=all waits for the leader's fsync (group commit) first
      if (b.leading->on_leader_append(b.log.end_offset())) set_hwm(b, b.leading->high_watermark());
      b.waits.push_back({m.payload, b.leader_epoch, nb.offset, now_ + 500});
      check_waits(b);
      return;
    }
    send(std::move(resp));
  }

  // broker::await_high_watermark + the end of handle_produce, for every waiting request.
  void check_waits(broker& b) {
    std::vector<produce_wait> keep;
    for (const auto& w : b.waits) {
      message resp;
      resp.kind = mk::produce_resp;
      resp.from = b.id;
      resp.to = client_id;
      resp.payload = w.payload;
      if (!b.leading || b.leader_epoch != w.epoch) {
        resp.error = err::not_leader_or_follower;
      } else if (b.hwm >= w.offset + 1 || opt_.bugs.ack_before_hwm) {
        if (static_cast<int32_t>(b.leading->isr().size()) < min_isr) {
          resp.error = err::not_enough_replicas_after_append;
        } else {
          on_acked(b, w.offset, w.payload);
          resp.offset = w.offset;
        }
      } else if (now_ >= w.deadline) {
        resp.error = err::request_timed_out;
      } else {
        keep.push_back(w);
        continue;
      }
      send(std::move(resp));
    }
    b.waits = std::move(keep);
  }

  void maybe_change_isr(broker& b) {
    if (!b.leading) return;
    // (The planted bug keeps the change from partition_leader, so its HWM covers the known committed ISR only.)
    if (opt_.bugs.hwm_over_committed_isr && b.alter_await) return;
    auto want = b.leading->wanted_isr(now_, lag_max_);
    if (!want) return;
    trace("leader " + std::to_string(b.id) + " asks for ISR " + ids(*want));
    if (!opt_.bugs.hwm_over_committed_isr) b.leading->on_isr_change_sent(*want);
    alter_partition_request req;
    req.broker = b.id;
    req.broker_epoch = b.broker_epoch;
    req.topic_id = topic_;
    req.partition = 0;
    req.leader_epoch = b.leading->state().leader_epoch;
    req.partition_epoch = b.leading->state().partition_epoch;
    req.new_isr = std::move(*want);
    send_alter(b, req);
  }

  void send_alter(broker& b, const alter_partition_request& req) {
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

  // replication.cc send_isr_change
  void on_alter_response(broker& b, const message& m) {
    if (m.id != b.alter_await) return;
    b.alter_await = 0;
    if (!b.leading || b.leader_epoch != m.epoch) return;  // leadership moved meanwhile
    if (m.error != err::none) {
      // A stale partition or leader epoch may mean an earlier attempt of this very change was applied: Kafka then
      // keeps the change in flight until the metadata shows the outcome (update_state clears it).
      const bool maybe_applied = m.error == err::invalid_update_version || m.error == err::fenced_leader_epoch ||
                                 m.error == err::unknown_leader_epoch;
      if (opt_.keep_isr_change_of_unknown_outcome && maybe_applied) return;
      return b.leading->on_isr_change_failed(now_, 100);
    }
    if (m.state->leader_epoch == b.leader_epoch && m.state->partition_epoch > b.leading->state().partition_epoch &&
        b.leading->update_state(*m.state, b.log.end_offset())) {
      set_hwm(b, b.leading->high_watermark());
      check_waits(b);
    }
  }

  // ---- the follower side (replica_fetcher.cc) ----
  void fetch_step(broker& b) {
    if (b.leading || b.leader == no_leader || b.leader == b.id || b.fetch_await || now_ < b.next_fetch) return;
    if (b.truncate && (b.log.latest_epoch() < 0 || b.log.end_offset() == 0)) b.truncate = false;
    message m;
    m.from = b.id;
    m.to = b.leader;
    m.id = b.fetch_await = next_id_++;
    m.epoch = b.leader_epoch;
    if (b.truncate) {
      m.kind = mk::epoch_req;
      m.asked_epoch = b.log.latest_epoch();
    } else {
      m.kind = mk::fetch_req;
      m.offset = b.log.end_offset();
    }
    b.fetch_deadline = now_ + 150;
    send(std::move(m));
  }

  void on_epoch_response(broker& b, const message& m) {
    if (m.id != b.fetch_await || b.leading) return;
    b.fetch_await = 0;
    if (m.error != err::none) {
      b.next_fetch = now_ + 100;
      return;
    }
    const int64_t leo = b.log.end_offset();
    const auto ours = b.log.end_offset_for(m.epoch);
    const auto t = follower_truncation_point(leo, b.hwm, m.epoch, m.offset, ours);
    int64_t target = t.offset;
    bool again = !t.complete;
    if (!opt_.kafka_truncation_rule) {
      // Planted bug: the rule production had before this simulator found its gap — one round, and when the
      // follower's cache lacks the answered epoch, trusting the follower's log end.
      target = m.epoch < 0 || m.offset < 0 ? std::min(leo, b.hwm)
                                           : std::min({leo, m.offset, ours.first == m.epoch ? ours.second : leo});
      again = false;
    }
    trace("broker " + std::to_string(b.id) + " (leo " + std::to_string(leo) + ", latest epoch " +
          std::to_string(b.log.latest_epoch()) + ") leader's epoch " + std::to_string(m.epoch) + " ends at " +
          std::to_string(m.offset) + ", ours: epoch " + std::to_string(ours.first) + " ends at " +
          std::to_string(ours.second) + " -> truncate to " + std::to_string(target));
    truncate_log(b, target);
    b.truncate = again;
    fetch_step(b);
  }

  void on_fetch_response(broker& b, const message& m) {
    if (m.id != b.fetch_await || b.leading) return;
    b.fetch_await = 0;
    if (m.error == err::offset_out_of_range) {
      b.truncate = true;
    } else if (m.error != err::none) {
      b.next_fetch = now_ + 100;
      return;
    } else {
      for (const auto& nb : m.batches) {
        if (nb.offset != b.log.end_offset()) {
          b.truncate = true;
          break;
        }
        append(b, nb);
      }
      set_hwm(b, std::max(b.hwm, std::min(m.hwm, b.log.end_offset())));
      b.next_fetch = m.batches.empty() ? now_ + fetch_wait_ : now_;  // an empty answer stands for a long poll
    }
    fetch_step(b);
  }

  // ---- clients ----
  void produce() {
    if (quiet_ && now_ > opt_.duration + quiet_ms / 2) return;  // let the cluster settle before the final check
    schedule(now_ + rng_.between(1, produce_gap_), ev::produce);
    if (now_ >= client_refresh_) {  // clients refresh their metadata now and then (and after errors)
      client_leader_ = ctl_state() ? ctl_state()->leader : no_leader;
      client_refresh_ = now_ + rng_.between(20, 200);
    }
    message m;
    m.kind = mk::produce_req;
    m.from = client_id;
    m.to = client_leader_ > 0 ? client_leader_ : 1 + static_cast<broker_id>(rng_.below(static_cast<uint64_t>(n_)));
    m.id = next_id_++;
    m.payload = next_payload_++;
    send(std::move(m));
  }

  void on_client_reply(const message& m) {
    if (m.error != err::none) client_refresh_ = now_;
  }

  // ---- state changes, with their invariants ----
  void append(broker& b, const batch& nb) {
    if (!b.log.append(nb)) return fail("broker " + std::to_string(b.id) + " appended off its log end");
    // (A deposed leader that has not heard of it yet may append to its own log: it cannot get those acknowledged.)
    if (auto it = acked_.find(nb.offset); is_current_leader(b) && it != acked_.end() && it->second != nb.payload)
      fail("leader " + std::to_string(b.id) + " wrote over acknowledged offset " + std::to_string(nb.offset));
  }

  bool is_current_leader(const broker& b) const {
    const partition_state* s = ctl_state();
    return b.leading && s && s->leader == b.id && s->leader_epoch == b.leader_epoch;
  }

  void truncate_log(broker& b, int64_t target) {
    const int64_t leo = b.log.end_offset();
    if (target >= leo) return;
    trace("broker " + std::to_string(b.id) + " truncates from " + std::to_string(leo) + " to " +
          std::to_string(target));
    if (target < b.hwm)
      return fail("broker " + std::to_string(b.id) + " truncates to " + std::to_string(target) +
                  " below its high watermark " + std::to_string(b.hwm));
    const partition_state* s = ctl_state();
    const bool in_isr = s && std::find(s->isr.begin(), s->isr.end(), b.id) != s->isr.end();
    for (auto it = acked_.lower_bound(target); in_isr && it != acked_.end() && it->first < leo; ++it) {
      if (b.log.at(it->first).payload == it->second)
        return fail("ISR member " + std::to_string(b.id) + " truncates acknowledged offset " +
                    std::to_string(it->first) + " (to " + std::to_string(target) + ")");
    }
    b.log.truncate_to(target);
    b.verified = std::min(b.verified, target);
    b.flushed = std::min(b.flushed, target);
  }

  // Every entry below a high watermark is committed: all replicas agree on it (invariant 3, checked incrementally
  // against the first copy seen below any high watermark, which is equivalent to comparing every pair of logs up to
  // the smaller of their high watermarks since entries below a high watermark never change).
  void set_hwm(broker& b, int64_t hwm) {
    if (b.leading) {
      auto [it, fresh] = leader_hwm_.try_emplace(b.leader_epoch, hwm);
      if (!fresh && hwm < it->second)
        return fail("high watermark of leader " + std::to_string(b.id) + " went back from " +
                    std::to_string(it->second) + " to " + std::to_string(hwm) + " in epoch " +
                    std::to_string(b.leader_epoch));
      it->second = std::max(it->second, hwm);
    }
    b.hwm = hwm;
    if (hwm > b.log.end_offset()) return fail("high watermark beyond the log end on " + std::to_string(b.id));
    for (; b.verified < hwm; ++b.verified) {
      const batch& x = b.log.at(b.verified);
      auto [it, fresh] = committed_.try_emplace(x.offset, x);
      if (!fresh && it->second != x)
        return fail("logs differ below the high watermark at offset " + std::to_string(x.offset) + " on broker " +
                    std::to_string(b.id) + ": epoch " + std::to_string(x.epoch) + " payload " +
                    std::to_string(x.payload) + " vs epoch " + std::to_string(it->second.epoch) + " payload " +
                    std::to_string(it->second.payload));
    }
  }

  void on_acked(broker& b, int64_t offset, uint64_t payload) {
    trace("ack offset " + std::to_string(offset) + " payload " + std::to_string(payload) + " by " +
          std::to_string(b.id));
    acked_[offset] = payload;
  }

  // At most one leader per epoch; a new leader holds every acknowledged write (no acknowledged write lost).
  void on_become_leader(broker& b) {
    ++out_.leader_epochs;
    trace("broker " + std::to_string(b.id) + " leads epoch " + std::to_string(b.leader_epoch) + " leo " +
          std::to_string(b.log.end_offset()) + " isr " + ids(b.leading->isr()));
    auto [it, fresh] = leaders_.try_emplace(b.leader_epoch, b.id);
    if (!fresh && it->second != b.id)
      return fail("two leaders in epoch " + std::to_string(b.leader_epoch) + ": " + std::to_string(it->second) +
                  " and " + std::to_string(b.id));
    // (A broker that was paused or cut off may take up a leadership the controller has already moved on from: such
    // a stale leader cannot get anything acknowledged, and need not hold what its successors acknowledged.)
    if (is_current_leader(b)) check_acked_in(b, "new leader");
    // Leaders that die young leave followers with divergent suffixes (what truncation bugs need): kill some.
    if (!quiet_ && rng_.chance(kill_leader_))
      schedule(now_ + rng_.between(1, 300), ev::crash, b.id, {}, b.incarnation);
  }

  void check_acked_in(const broker& b, const std::string& who) {
    for (const auto& [offset, payload] : acked_) {
      if (offset >= b.log.end_offset() || b.log.at(offset).payload != payload)
        return fail(who + " " + std::to_string(b.id) + " (epoch " + std::to_string(b.leader_epoch) +
                    ") lacks acknowledged offset " + std::to_string(offset) + " payload " + std::to_string(payload));
    }
  }

  // Cheap checks after every event; the rest are checked where the state changes (above).
  void check_every_event() {
    for (auto& [id, b] : brokers_) {
      if (!b.up) continue;  // its process state is gone (restart() resets it)
      if (b.hwm > b.log.end_offset()) return fail("high watermark beyond the log end on " + std::to_string(id));
      if (b.leading && b.hwm != b.leading->high_watermark()) return fail("leader state and HWM disagree");
    }
  }

  void check_converged() {
    const partition_state* s = ctl_state();
    if (!s || s->leader == no_leader) return fail("no leader after the quiet phase");
    const broker& l = brokers_[s->leader];
    if (!l.leading || l.leader_epoch != s->leader_epoch) return fail("the elected leader does not lead");
    check_acked_in(l, "final leader");
    if (l.hwm != l.log.end_offset()) return fail("leader's high watermark is below its log end after the quiet phase");
    for (const auto& [id, b] : brokers_) {
      if (b.log.batches() != l.log.batches())
        return fail("broker " + std::to_string(id) + " log (end " + std::to_string(b.log.end_offset()) +
                    ") differs from the leader's (end " + std::to_string(l.log.end_offset()) +
                    ") after the quiet phase");
    }
    if (static_cast<int32_t>(s->isr.size()) != n_) fail("ISR " + ids(s->isr) + " is not full after the quiet phase");
  }

  options opt_;
  rng rng_;
  controller ctl_;
  metadata_image img_;
  uuid topic_{};
  outcome out_;
  int32_t n_ = 3;
  double drop_ = 0, dup_ = 0, kill_leader_ = 0;
  int64_t max_delay_ = 1, heartbeat_every_ = 30, lag_max_ = 200, max_fetch_ = 4, fetch_wait_ = 20;
  int64_t flush_every_ = 0;
  int64_t crash_every_ = 1000, restart_max_ = 300, pause_every_ = 1000, partition_every_ = 1000, produce_gap_ = 10;
  std::map<broker_id, broker> brokers_;
  std::set<std::pair<broker_id, broker_id>> cut_;
  std::priority_queue<event, std::vector<event>, std::greater<>> queue_;
  uint64_t seq_ = 0, next_id_ = 1, next_payload_ = 1;
  int64_t now_ = 0;
  bool quiet_ = false;
  broker_id client_leader_ = no_leader;
  int64_t client_refresh_ = 0;
  std::map<int64_t, uint64_t> acked_;     // offset -> payload of every acknowledged write
  std::map<int64_t, batch> committed_;    // offset -> the entry every replica holds there below its HWM
  std::map<int32_t, broker_id> leaders_;  // leader epoch -> the broker that took it up
  std::map<int32_t, int64_t> leader_hwm_; // leader epoch -> highest HWM the leader published
};

}  // namespace

outcome run(const options& opt) { return simulation(opt).run(); }

}  // namespace samsa::cluster::sim
