// The replication simulator's world: event loop, network, controller, clients and faults (replication_sim.h).
// The brokers are in replication_sim_broker.cc, the invariants in replication_sim_checks.cc.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <system_error>

#include "replication_sim_world.h"
#include "samsa/cluster/partition_rules.h"

namespace samsa::cluster::sim {

namespace fs = std::filesystem;

namespace {

std::string name(mk k) {
  static const char* names[] = {"fetch", "fetch_resp", "epoch", "epoch_resp", "produce", "produce_resp",
                                "register", "register_resp", "heartbeat", "heartbeat_resp", "alter", "alter_resp"};
  return names[static_cast<int>(k)];
}

std::string ids(const std::vector<broker_id>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + samsa::to_string(v[i]);
  return s + "]";
}

bool is_response(mk k) {
  return k == mk::fetch_resp || k == mk::epoch_resp || k == mk::register_resp || k == mk::heartbeat_resp ||
         k == mk::alter_resp;
}

// Where the simulated brokers keep their logs: memory-backed when the machine has /dev/shm.
fs::path scratch_root() {
  std::error_code ec;
  fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
  std::string tmpl = (base / "samsa-repl-sim-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

}  // namespace

simulation::simulation(const options& opt, fs::path root)
    : opt_(opt), root_(std::move(root)), rng_(opt.seed), ctl_(make_config(opt, rng_)) {
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
  // Answers to AlterPartition lost after the controller committed the change: the outcome the leader must treat
  // as unknown (KIP-841), the case production once got wrong.
  alter_loss_ = static_cast<double>(rng_.below(31)) / 100.0;
  if (opt.alter_answer_loss >= 0) alter_loss_ = opt.alter_answer_loss;
  // Small segments: rolls, and truncations across segment boundaries, happen in most runs.
  segment_bytes_ = static_cast<uint64_t>(rng_.between(8 << 10, 128 << 10));
  setup();
  schedule(0, ev::ctl_tick);
  schedule(rng_.between(0, 20), ev::produce);
  schedule(rng_.between(0, crash_every_), ev::crash);
  schedule(rng_.between(0, pause_every_), ev::pause);
  schedule(rng_.between(0, partition_every_), ev::partition);
  schedule(opt_.duration, ev::quiet);
}

simulation::~simulation() {
  for (auto& [id, b] : brokers_) {  // stop the processes before their directories go
    b.session.reset();
    b.replica.reset();
    b.manager.reset();
    b.logs.reset();
  }
}

outcome simulation::run() {
  const int64_t end = opt_.duration + quiet_ms;
  while (!queue_.empty() && out_.ok) {
    event e = queue_.top();
    queue_.pop();
    if (e.time > end) break;
    now_ = e.time;
    ++out_.events;
    handle(e);
    if (e.target > 0 && out_.ok) {
      auto it = brokers_.find(e.target);
      if (it != brokers_.end() && it->second.up) observe(it->second);
    }
    if (out_.ok) check_every_event();
  }
  if (out_.ok) check_converged();
  out_.acked = acked_.size();
  return out_;
}

controller_config simulation::make_config(const options& opt, rng& r) {
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

// Bootstrap, every broker registered and unfenced, the topic with every broker as a replica.
void simulation::setup() {
  commit(ctl_.bootstrap(img_, "sim").records);
  std::vector<broker_id> replicas;
  for (int32_t id = 1; id <= n_; ++id) {
    replicas.push_back(id);
    broker& b = brokers_[id];
    b.id = id;
    b.dir = root_ / ("broker-" + std::to_string(id));
    start_process(b);
    auto reg = ctl_.register_broker(
        img_, {id, uuid{static_cast<uint64_t>(id), b.incarnation}, {{"PLAINTEXT", "b", 9092, 0}}, {}}, 0);
    commit(reg.records);
    b.broker_epoch = reg.response.broker_epoch;
    commit(ctl_.heartbeat(img_, {id, b.broker_epoch, img_.version().offset, false, false}, 0).records);
    schedule(rng_.between(0, tick_ms - 1), ev::tick, id);
  }
  for (size_t i = replicas.size(); i > 1; --i) std::swap(replicas[i - 1], replicas[rng_.below(i)]);
  auto ct = ctl_.create_topics(img_, {{topic_name, -1, -1, {{0, replicas}}, {}}});
  if (ct.response.empty() || !ct.response[0].error.ok()) return fail("cannot create the topic");
  topic_ = ct.response[0].topic_id;
  commit(ct.records);
}

void simulation::schedule(int64_t at, ev k, broker_id target, std::shared_ptr<const message> m, uint64_t inc) {
  queue_.push(event{at, seq_++, k, target, inc, std::move(m)});
}

void simulation::trace(const std::string& s) {
  if (opt_.trace) out_.trace += "t=" + std::to_string(now_) + " " + s + "\n";
}

void simulation::fail(const std::string& what) {
  if (!out_.ok) return;
  out_.ok = false;
  out_.failure = "seed " + std::to_string(opt_.seed) + " t=" + std::to_string(now_) + ": " + what;
  trace("FAIL " + what);
}

bool simulation::connected(broker_id a, broker_id b) const {
  if (a == client_id || b == client_id) return true;
  return !cut_.count({std::min(a, b), std::max(a, b)});
}

void simulation::send(message m) {
  if (m.from > 0 && !is_response(m.kind)) m.incarnation = brokers_[m.from].incarnation;
  if (rng_.chance(drop_)) return;
  auto p = std::make_shared<const message>(std::move(m));
  const int copies = rng_.chance(dup_) ? 2 : 1;
  for (int i = 0; i < copies; ++i) schedule(now_ + rng_.between(1, max_delay_), ev::deliver, p->to, p);
}

message simulation::reply(const message& req, mk kind) const {
  message m;
  m.kind = kind;
  m.from = req.to;
  m.to = req.from;
  m.id = req.id;
  m.incarnation = req.incarnation;
  return m;
}

void simulation::handle(const event& e) {
  switch (e.kind) {
    case ev::deliver: return deliver(e);
    case ev::tick:
      tick(brokers_[e.target]);
      return schedule(now_ + tick_ms, ev::tick, e.target);
    case ev::ctl_tick:
      commit(ctl_.tick(img_, now_).records);
      commit(ctl_.rebalance_leaders(img_, now_).records);
      return schedule(now_ + tick_ms, ev::ctl_tick);
    case ev::produce: return produce();
    case ev::restart: return restart(brokers_[e.target]);
    default: return on_fault_event(e);
  }
}

void simulation::on_fault_event(const event& e) {
  switch (e.kind) {
    case ev::crash: {
      if (quiet_) return;
      if (e.target != 0) {  // the leader killer
        broker& b = brokers_[e.target];
        if (b.up && b.incarnation == e.incarnation) crash(b);
        return;
      }
      broker& b = brokers_[random_broker()];
      if (b.up) crash(b);
      return schedule(now_ + rng_.between(1, crash_every_), ev::crash);
    }
    case ev::pause: {
      if (quiet_) return;
      broker& b = brokers_[random_broker()];
      b.paused_until = now_ + rng_.between(20, 500);
      trace("pause " + samsa::to_string(b.id) + " until " + std::to_string(b.paused_until));
      return schedule(now_ + rng_.between(1, pause_every_), ev::pause);
    }
    case ev::partition: return partition();
    case ev::heal:
      if (quiet_) return;
      cut_.clear();
      trace("heal");
      return schedule(now_ + rng_.between(1, partition_every_), ev::partition);
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
      return;
    default: return;
  }
}

// Isolates one broker from the other brokers, from the controller, or from both.
void simulation::partition() {
  if (quiet_) return;
  cut_.clear();
  const broker_id victim = random_broker();
  const auto how = rng_.below(3);
  for (int32_t i = 0; i <= n_; ++i) {
    const broker_id b = i;
    if (b == victim) continue;
    const bool cut = b == controller_id ? how != 0 : how != 1;
    if (cut) cut_.insert({std::min(b, victim), std::max(b, victim)});
  }
  trace("partition: broker " + samsa::to_string(victim) +
        (how == 0 ? " cut from brokers" : how == 1 ? " cut from the controller" : " isolated"));
  schedule(now_ + rng_.between(50, 800), ev::heal);
}

void simulation::deliver(const event& e) {
  const message& m = *e.msg;
  if (m.to == client_id) {
    if (m.error != protocol::kafka_errc::none) client_refresh_ = now_;  // clients refresh their metadata after errors
    return;
  }
  if (m.to == controller_id) {
    if (!connected(m.from, m.to)) return;
    return on_controller_request(m);
  }
  broker& b = brokers_[m.to];
  if (!b.up || (is_response(m.kind) && m.incarnation != b.incarnation)) return;
  if (b.paused_until > now_) return schedule(b.paused_until, ev::deliver, m.to, e.msg);
  if (!connected(m.from, m.to)) return;
  if (opt_.trace && m.kind != mk::heartbeat_resp && m.kind != mk::heartbeat_req)
    trace("deliver " + name(m.kind) + " " + samsa::to_string(m.from) + "->" + samsa::to_string(m.to) +
          " err=" + std::to_string(protocol::wire_code(m.error)));
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

void simulation::commit(const std::vector<metadata_record>& records) {
  if (records.empty()) return;
  auto next = apply_batch(img_, records, {img_.version().offset + 1, 1});
  if (!next) return fail("controller records do not apply: " + next.error().message());
  img_ = std::move(*next);
  if (const partition_state* s = ctl_state()) {
    if (auto bad = check_partition_invariants(*s)) fail("partition state: " + *bad);
    trace("controller: leader " + samsa::to_string(s->leader) + " epoch " + samsa::to_string(s->leader_epoch) +
          " isr " + ids(s->isr) + " partition epoch " + std::to_string(s->partition_epoch));
  }
}

void simulation::on_controller_request(const message& m) {
  switch (m.kind) {
    case mk::register_req: {
      broker_registration_request req{m.from, uuid{static_cast<uint64_t>(m.from.value()), static_cast<uint64_t>(m.offset)},
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
      if (rng_.chance(alter_loss_)) return;
      message resp = reply(m, mk::alter_resp);
      resp.altered = r.response;
      return send(std::move(resp));
    }
    default: return;
  }
}

// ---- clients ----

void simulation::produce() {
  if (quiet_ && now_ > opt_.duration + quiet_ms / 2) return;  // let the cluster settle before the final check
  schedule(now_ + rng_.between(1, produce_gap_), ev::produce);
  if (now_ >= client_refresh_) {  // clients refresh their metadata now and then (and after errors)
    client_leader_ = ctl_state() ? ctl_state()->leader : no_leader;
    client_refresh_ = now_ + rng_.between(20, 200);
  }
  message m;
  m.kind = mk::produce_req;
  m.from = client_id;
  m.to = client_leader_ > 0 ? client_leader_ : random_broker();
  m.id = next_id_++;
  m.payload = next_payload_++;
  send(std::move(m));
}

outcome run(const options& opt) {
  const fs::path root = scratch_root();
  if (root.empty()) return {false, "cannot create a scratch directory", "", 0, 0, 0};
  // The production code logs every role change and truncation; the simulator's own trace says what matters.
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);
  outcome out;
  {
    simulation s(opt, root);
    out = s.run();
  }
  spdlog::set_level(level);
  std::error_code ec;
  fs::remove_all(root, ec);
  return out;
}

}  // namespace samsa::cluster::sim
