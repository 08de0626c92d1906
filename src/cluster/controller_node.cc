#include "samsa/cluster/controller_node.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "wire.h"

namespace samsa::cluster {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Node-to-node RPCs on the raft transport's application frames: [u8 kind][u64 correlation][body]. Requests have
// odd kinds, their responses the next even one. Bodies use the metadata records' encoding (wire.h).
namespace rpc {
constexpr uint8_t register_req = 1, register_resp = 2;
constexpr uint8_t heartbeat_req = 3, heartbeat_resp = 4;
constexpr uint8_t forward_req = 5, forward_resp = 6;
constexpr uint8_t producer_ids_req = 7, producer_ids_resp = 8;
constexpr uint8_t fetch_req = 9, fetch_resp = 10;  // observers following the committed metadata log
constexpr uint8_t alter_partition_req = 11, alter_partition_resp = 12;  // partition leaders changing the ISR
}  // namespace rpc

struct controller_node::pending_call {
  std::unique_ptr<asio::steady_timer> timer;
  std::optional<std::string> reply;
};

namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (i * 8)));
}
uint64_t get_u64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[static_cast<size_t>(i)]);
  return v;
}

void put_error(std::string& out, const api_error& e) {
  wire::put_varlong(out, e.code);
  wire::put_string(out, e.message);
}
api_error get_error(wire::reader& r) {
  api_error e;
  e.code = r.varint16();
  e.message = r.string();
  return e;
}

std::string encode_registration(const broker_registration_request& q) {
  std::string out;
  wire::put_varlong(out, q.id);
  wire::put_uuid(out, q.incarnation_id);
  wire::put_uvarint(out, q.endpoints.size());
  for (const auto& e : q.endpoints) {
    wire::put_string(out, e.listener);
    wire::put_string(out, e.host);
    wire::put_varlong(out, e.port);
    wire::put_varlong(out, e.security_protocol);
  }
  wire::put_opt_string(out, q.rack);
  return out;
}
std::optional<broker_registration_request> decode_registration(std::string_view body) {
  wire::reader r(body);
  broker_registration_request q;
  q.id = r.varint32();
  q.incarnation_id = r.read_uuid();
  const size_t n = r.count(4);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    endpoint e;
    e.listener = r.string();
    e.host = r.string();
    e.port = static_cast<uint16_t>(r.varint32());
    e.security_protocol = r.varint16();
    q.endpoints.push_back(std::move(e));
  }
  q.rack = r.opt_string();
  if (!r.ok()) return std::nullopt;
  return q;
}

}  // namespace

controller_node::controller_node(asio::io_context& io, controller_node_options opt)
    : io_(io), opt_(std::move(opt)), rules_(opt_.rules) {}

controller_node::~controller_node() {
  *alive_ = false;
  stop();
}

result<std::unique_ptr<controller_node>> controller_node::open(asio::io_context& io, controller_node_options opt) {
  std::unique_ptr<controller_node> n(new controller_node(io, std::move(opt)));
  raft::driver_options d;
  d.dir = n->opt_.dir;
  d.listen = n->opt_.listen;
  d.tick = n->opt_.tick;
  d.raft.id = static_cast<raft::node_id>(n->opt_.node_id);
  for (const auto& [id, ep] : n->opt_.voters) d.raft.voters.push_back(static_cast<raft::node_id>(id));
  // An observer's core is a placeholder the driver never runs (it must name itself to be valid).
  if (d.raft.voters.empty() || n->opt_.observer) d.raft.voters.push_back(d.raft.id);
  d.observer = n->opt_.observer;
  const auto tick_ms = std::max<int64_t>(1, n->opt_.tick.count());
  d.raft.election_tick = static_cast<int>(std::max<int64_t>(2, n->opt_.election_timeout_ms / tick_ms));
  d.raft.heartbeat_tick = std::max(1, d.raft.election_tick / 10);
  d.raft.seed = static_cast<uint64_t>(n->opt_.node_id) * 0x9E3779B97F4A7C15ull ^
                static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  auto drv = raft::driver::open(io, std::move(d), *n);
  if (!drv) return drv.error();
  n->driver_ = std::move(*drv);
  std::map<raft::node_id, asio::ip::tcp::endpoint> peers;
  for (const auto& [id, ep] : n->opt_.voters) peers[static_cast<raft::node_id>(id)] = ep;
  n->driver_->set_peers(peers);
  n->driver_->set_app_handler([raw = n.get()](raft::node_id from, std::string_view payload) {
    raw->on_app_message(from, payload);
  });
  return n;
}

void controller_node::start() {
  loop_timer_ = std::make_unique<asio::steady_timer>(io_);
  driver_->start();
  asio::co_spawn(io_, opt_.observer ? observer_loop() : controller_loop(), asio::detached);
}

void controller_node::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (loop_timer_) loop_timer_->cancel();
  if (broker_timer_) broker_timer_->cancel();
  fail_waiters();
  for (auto& [corr, c] : calls_) c->timer->cancel();
  if (driver_) driver_->stop();
}

broker_id controller_node::leader_id() const noexcept {
  if (opt_.observer) return observed_leader_;
  const raft::node_id l = driver_->raft().leader();
  return l == raft::no_node ? -1 : static_cast<broker_id>(l);
}

int64_t controller_node::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// --- the state machine ----------------------------------------------------------------------------------------------

void controller_node::set_image(metadata_image next) {
  metadata_image before = std::move(committed_);
  committed_ = std::move(next);
  for (auto& l : listeners_) l(before, committed_);
}

void controller_node::apply(const raft::entry& e) {
  auto outcome = apply_entry(committed_, static_cast<int64_t>(e.index), static_cast<int64_t>(e.term), e.data);
  if (outcome.error) {
    spdlog::error("metadata entry {}@{} skipped: {}", e.index, e.term, outcome.error.message());
  }
  set_image(std::move(outcome.image));
  // Settle the command waiting for this index: committed if the entry is the one it proposed (same term).
  if (auto it = waiters_.find(e.index); it != waiters_.end()) {
    it->second->committed = (it->second->term == e.term);
    it->second->timer->cancel();
  }
  if (driver_ && driver_->raft().role() == raft::role_kind::leader && e.term == leader_term_ && !active_) {
    // Everything earlier leaders committed is now in the image: this node may act as the controller.
    active_ = true;
    latest_ = committed_;
    last_proposed_ = e.index;
    rules_.reset_sessions(committed_, now_ms());
    spdlog::info("node {} is the active controller (epoch {})", opt_.node_id, e.term);
  }
  if (active_ && e.index >= last_proposed_) latest_ = committed_;
  if (!opt_.observer && ++applied_since_snapshot_ >= opt_.snapshot_every_entries && driver_) {
    applied_since_snapshot_ = 0;
    // Safe inside apply: the driver compacts after the current batch is handled (it queues the request).
    asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_), index = e.index] {
      if (alive.expired() || stopped_) return;
      if (auto ec = driver_->compact(index, serialize_snapshot(committed_)))
        spdlog::warn("metadata snapshot at {} failed: {}", index, ec.message());
    });
  }
}

void controller_node::restore(const raft::snapshot& s) {
  auto img = parse_snapshot(s.data);
  if (!img) {
    spdlog::critical("metadata snapshot at {} does not parse: {}", s.index, img.error().message());
    return;
  }
  set_image(std::move(*img));
  latest_ = committed_;
}

void controller_node::on_role_change(const raft::role_change& rc) {
  spdlog::info("metadata quorum: node {} is {} in epoch {} (leader {})", opt_.node_id, raft::to_string(rc.role),
               rc.term, rc.leader == raft::no_node ? -1 : static_cast<int64_t>(rc.leader));
  if (rc.role == raft::role_kind::leader) {
    leader_term_ = rc.term;
    return;  // active once the term's first entry is applied (see apply)
  }
  if (active_) spdlog::info("node {} is no longer the active controller", opt_.node_id);
  active_ = false;
  bootstrap_pending_ = false;
  latest_ = committed_;
  fail_waiters();
}

void controller_node::fail_waiters() {
  for (auto& [index, w] : waiters_) {
    if (!w->committed) w->committed = false;
    w->timer->cancel();
  }
}

// --- the active controller's periodic work ---------------------------------------------------------------------------

asio::awaitable<void> controller_node::controller_loop() {
  std::weak_ptr<bool> alive = alive_;
  while (!alive.expired() && !stopped_) {
    loop_timer_->expires_after(std::chrono::milliseconds(std::max<int64_t>(50, opt_.tick.count() * 2)));
    boost::system::error_code ec;
    co_await loop_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (alive.expired() || stopped_) co_return;
    if (!active_) continue;
    if (latest_.cluster_id().empty() && !bootstrap_pending_) {
      bootstrap_pending_ = true;
      auto init = opt_.initial_cluster_id;
      command<std::string> r_cmd = [init](controller& c, const metadata_image& img) { return c.bootstrap(img, init); };
      auto r = co_await execute(std::move(r_cmd));
      if (alive.expired()) co_return;
      bootstrap_pending_ = false;
      if (r.error == command_error::none) spdlog::info("bootstrapped cluster {}", r.response);
      continue;
    }
    const int64_t now = now_ms();
    command<std::vector<broker_id>> fenced_cmd = [now](controller& c, const metadata_image& img) { return c.tick(img, now); };
    auto fenced = co_await execute(std::move(fenced_cmd));
    if (alive.expired()) co_return;
    for (broker_id b : fenced.response) spdlog::warn("broker {} missed its heartbeats: fenced", b);
    if (!active_) continue;
    // Preferred-leader rebalancing: the rules decide when a check is due (leader.imbalance.check.interval).
    command<rebalance_result> rebalance_cmd = [now](controller& c, const metadata_image& img) {
      return c.rebalance_leaders(img, now);
    };
    auto rebalance = co_await execute(std::move(rebalance_cmd));
    if (alive.expired()) co_return;
    if (rebalance.error == command_error::none && rebalance.response.checked) {
      for (const auto& b : rebalance.response.imbalance.brokers) {
        if (!b.over_threshold) continue;
        spdlog::info("leader imbalance: broker {} leads {} of the {} partitions it is the preferred replica of "
                     "(limit {}% not led)", b.broker, b.preferred - b.not_leading, b.preferred,
                     opt_.rules.leader_imbalance_per_broker_percentage);
      }
      for (const auto& e : rebalance.response.elections) {
        if (e.error.ok()) spdlog::info("preferred leader elected for {}-{}", e.tp.topic, e.tp.partition);
        else spdlog::warn("preferred leader election for {}-{} failed: {}", e.tp.topic, e.tp.partition, e.error.message);
      }
    }
  }
}

// --- the local broker's session ----------------------------------------------------------------------------------------

void controller_node::run_broker_session(broker_registration_request reg) {
  broker_timer_ = std::make_unique<asio::steady_timer>(io_);
  asio::co_spawn(io_, broker_loop(std::move(reg)), asio::detached);
}

asio::awaitable<void> controller_node::broker_loop(broker_registration_request reg) {
  std::weak_ptr<bool> alive = alive_;
  bool fenced = true;
  while (!alive.expired() && !stopped_ && broker_epoch_ != -2) {
    if (broker_epoch_ < 0) {
      auto reply = co_await call_leader(rpc::register_req, encode_registration(reg));
      if (alive.expired() || stopped_) co_return;
      if (reply) {
        wire::reader r(*reply);
        auto err = get_error(r);
        const int64_t epoch = r.varlong();
        if (broker_epoch_ == -2) co_return;  // shutting down meanwhile
        if (r.ok() && err.ok()) {
          broker_epoch_ = epoch;
          spdlog::info("broker {} registered with epoch {}", reg.id, epoch);
        } else if (r.ok()) {
          spdlog::warn("broker registration refused: {}", err.message);
        }
      }
    } else {
      std::string body;
      wire::put_varlong(body, reg.id);
      wire::put_varlong(body, broker_epoch_);
      wire::put_varlong(body, committed_.version().offset);
      wire::put_bool(body, false);
      wire::put_bool(body, false);
      const int64_t sent_ms = now_ms();
      auto reply = co_await call_leader(rpc::heartbeat_req, std::move(body));
      if (alive.expired() || stopped_) co_return;
      if (reply) {
        wire::reader r(*reply);
        auto err = get_error(r);
        r.boolean();  // caught up
        const bool is_fenced = r.boolean();
        if (r.ok() && (err.code == err::stale_broker_epoch || err.code == err::broker_id_not_registered)) {
          broker_epoch_ = -1;  // the controller forgot us (e.g. a newer registration): register again
          continue;
        }
        if (r.ok() && err.ok() && fenced != is_fenced) {
          fenced = is_fenced;
          spdlog::info("broker {} is {}", reg.id, fenced ? "fenced" : "unfenced");
        }
        // Measured from when the heartbeat left: the controller heard it later, so this lease ends before the
        // controller's session for it can expire.
        if (r.ok() && err.ok() && !is_fenced) lease_from_ms_ = std::max(lease_from_ms_, sent_ms);
      }
    }
    // Heartbeat quickly until unfenced, then at broker.heartbeat.interval.ms.
    const int64_t wait = (broker_epoch_ < 0 || fenced) ? std::min<int64_t>(100, opt_.heartbeat_interval_ms)
                                                       : opt_.heartbeat_interval_ms;
    broker_timer_->expires_after(std::chrono::milliseconds(wait));
    boost::system::error_code ec;
    co_await broker_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

bool controller_node::broker_lease_valid() const {
  return broker_epoch_ >= 0 && lease_from_ms_ >= 0 && now_ms() - lease_from_ms_ < opt_.rules.broker_session_timeout_ms;
}

asio::awaitable<void> controller_node::shutdown_broker(int32_t broker_id) {
  if (broker_epoch_ < 0 || stopped_) co_return;
  if (broker_timer_) broker_timer_->cancel();
  std::string body;
  wire::put_varlong(body, broker_id);
  wire::put_varlong(body, broker_epoch_);
  wire::put_varlong(body, committed_.version().offset);
  wire::put_bool(body, false);
  wire::put_bool(body, true);  // want_shutdown
  broker_epoch_ = -2;          // the heartbeat loop stops (see broker_loop)
  auto reply = co_await call_leader(rpc::heartbeat_req, std::move(body), 2000);
  if (reply) spdlog::info("broker {} fenced for shutdown", broker_id);
  else spdlog::warn("broker {}: no controller acknowledged the shutdown; its session will expire", broker_id);
}

asio::awaitable<producer_ids_response> controller_node::allocate_producer_ids() {
  std::string body;
  wire::put_varlong(body, opt_.node_id);
  wire::put_varlong(body, broker_epoch_);
  producer_ids_response out;
  auto reply = co_await call_leader(rpc::producer_ids_req, std::move(body));
  if (!reply) {
    out.error = {err::not_controller, "no active controller answered"};
    co_return out;
  }
  wire::reader r(*reply);
  out.error = get_error(r);
  out.first_producer_id = r.varlong();
  out.count = r.varlong();
  if (!r.ok()) out.error = {err::unknown_server_error, "malformed producer-id reply"};
  co_return out;
}

namespace {
api_error not_active_error(broker_id self) {
  return {err::not_controller, "node " + std::to_string(self) + " is not the active controller"};
}
void put_ids(std::string& out, const std::vector<broker_id>& ids) {
  wire::put_uvarint(out, ids.size());
  for (broker_id b : ids) wire::put_varlong(out, b);
}
std::vector<broker_id> get_ids(wire::reader& r) {
  std::vector<broker_id> ids(r.count());
  for (auto& b : ids) b = r.varint32();
  return ids;
}
}  // namespace

asio::awaitable<alter_partition_response> controller_node::alter_partition(alter_partition_request req) {
  std::string body;
  wire::put_varlong(body, req.broker);
  wire::put_varlong(body, req.broker_epoch);
  wire::put_uuid(body, req.topic_id);
  wire::put_varlong(body, req.partition);
  wire::put_varlong(body, req.leader_epoch);
  wire::put_varlong(body, req.partition_epoch);
  put_ids(body, req.new_isr);
  alter_partition_response out;
  auto reply = co_await call_leader(rpc::alter_partition_req, std::move(body));
  if (!reply) {
    out.error = {err::not_controller, "no active controller answered"};
    co_return out;
  }
  wire::reader r(*reply);
  out.error = get_error(r);
  out.state.replicas = get_ids(r);
  out.state.isr = get_ids(r);
  out.state.leader = r.varint32();
  out.state.leader_epoch = r.varint32();
  out.state.partition_epoch = r.varint32();
  if (!r.ok()) out.error = {err::unknown_server_error, "malformed AlterPartition reply"};
  co_return out;
}

asio::awaitable<std::optional<std::string>> controller_node::serve_alter_partition(std::string body) {
  wire::reader rd(body);
  alter_partition_request req;
  req.broker = rd.varint32();
  req.broker_epoch = rd.varlong();
  req.topic_id = rd.read_uuid();
  req.partition = rd.varint32();
  req.leader_epoch = rd.varint32();
  req.partition_epoch = rd.varint32();
  req.new_isr = get_ids(rd);
  if (!rd.ok()) co_return std::nullopt;
  command<alter_partition_response> cmd = [req](controller& c, const metadata_image& img) {
    return c.alter_partition(img, req);
  };
  auto r = co_await execute(std::move(cmd));
  std::string out;
  put_error(out, r.error == command_error::none ? r.response.error : not_active_error(opt_.node_id));
  put_ids(out, r.response.state.replicas);
  put_ids(out, r.response.state.isr);
  wire::put_varlong(out, r.response.state.leader);
  wire::put_varlong(out, r.response.state.leader_epoch);
  wire::put_varlong(out, r.response.state.partition_epoch);
  co_return out;
}

asio::awaitable<std::optional<std::string>> controller_node::forward(std::string frame) {
  std::string body;
  wire::put_string(body, frame);
  auto reply = co_await call_leader(rpc::forward_req, std::move(body));
  if (!reply) co_return std::nullopt;
  wire::reader r(*reply);
  auto err = get_error(r);
  std::string response = r.string();
  if (!r.ok() || !err.ok() || response.empty()) co_return std::nullopt;
  co_return response;
}

// --- RPC plumbing ------------------------------------------------------------------------------------------------------

// Sends a request to the current leader (or serves it here when this node is the leader) and waits for the reply.
// Retries while no leader is known or the leader does not answer, up to a few seconds.
asio::awaitable<std::optional<std::string>> controller_node::call_leader(uint8_t kind, std::string body,
                                                                        int64_t deadline_ms) {
  std::weak_ptr<bool> alive = alive_;
  const int64_t deadline = now_ms() + deadline_ms;
  while (!alive.expired() && !stopped_ && now_ms() < deadline) {
    const broker_id leader = leader_id();
    if (leader == opt_.node_id && active_) {
      // Local: run the same server-side code as a remote caller would.
      auto c = std::make_shared<pending_call>();
      c->timer = std::make_unique<asio::steady_timer>(
          io_, std::chrono::milliseconds(std::max<int64_t>(1, deadline - now_ms())));
      const uint64_t corr = next_corr_++;
      calls_[corr] = c;
      asio::co_spawn(io_, serve_call(static_cast<raft::node_id>(opt_.node_id), kind, corr, body), asio::detached);
      boost::system::error_code ec;
      if (!c->reply) co_await c->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (alive.expired()) co_return std::nullopt;
      calls_.erase(corr);
      co_return c->reply;
    }
    if (leader >= 0 && leader != opt_.node_id) {
      auto reply = co_await call_node(leader, kind, body, 2s);
      if (alive.expired()) co_return std::nullopt;
      if (reply) {
        // A leader that is not (yet) active answers not_controller: wait and try again.
        wire::reader r(*reply);
        auto err = get_error(r);
        if (!(r.ok() && err.code == err::not_controller)) co_return reply;
      }
    }
    asio::steady_timer pause(io_, 100ms);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<std::string>> controller_node::call_node(broker_id node, uint8_t kind, std::string body,
                                                                      std::chrono::milliseconds timeout) {
  std::weak_ptr<bool> alive = alive_;
  auto c = std::make_shared<pending_call>();
  c->timer = std::make_unique<asio::steady_timer>(io_, timeout);
  const uint64_t corr = next_corr_++;
  calls_[corr] = c;
  std::string msg(1, static_cast<char>(kind));
  put_u64(msg, corr);
  msg += body;
  driver_->send_app(static_cast<raft::node_id>(node), msg);
  boost::system::error_code ec;
  co_await c->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (alive.expired()) co_return std::nullopt;
  calls_.erase(corr);
  co_return c->reply;
}

// --- observers: following the committed log -------------------------------------------------------------------------
//
// fetch_req: [varlong observer id][string reply host][varlong reply port][uvarint after index]
// fetch_resp: [varlong leader id][bool is_leader][uvarint commit][bool has snapshot][snapshot: uvarint index,
//             uvarint term, string data][uvarint n][n x (uvarint index, uvarint term, string data)]
// Only the leader answers with data, and only committed entries (at most 500 per reply).

std::optional<std::string> controller_node::serve_fetch(raft::node_id from, std::string_view body) {
  wire::reader r(body);
  r.varint32();
  const std::string host = r.string();
  const int32_t port = r.varint32();
  const uint64_t after = r.uvarint();
  if (!r.ok() || port <= 0 || port > 65535) return std::nullopt;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  if (!opt_.voters.count(static_cast<broker_id>(from))) {
    driver_->ensure_peer(from, asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(port)));
  }
  std::string out;
  const raft::core& core = driver_->raft();
  wire::put_varlong(out, leader_id());
  const bool leading = core.role() == raft::role_kind::leader && !opt_.observer;
  wire::put_bool(out, leading);
  if (!leading) return out;
  const raft::index_t commit = core.commit();
  wire::put_uvarint(out, commit);
  raft::index_t start = after + 1;
  const auto& snap = core.latest_snapshot();
  if (after < core.log().snapshot_index() && snap.index > 0) {
    wire::put_bool(out, true);
    wire::put_uvarint(out, snap.index);
    wire::put_uvarint(out, snap.term);
    wire::put_string(out, snap.data);
    start = snap.index + 1;
  } else {
    wire::put_bool(out, false);
  }
  auto entries = start <= commit ? core.log().slice(start, commit, 500) : std::vector<raft::entry>{};
  wire::put_uvarint(out, entries.size());
  for (const auto& e : entries) {
    wire::put_uvarint(out, e.index);
    wire::put_uvarint(out, e.term);
    wire::put_string(out, e.data);
  }
  return out;
}

asio::awaitable<void> controller_node::observer_loop() {
  std::weak_ptr<bool> alive = alive_;
  std::vector<broker_id> voters;
  for (const auto& [id, ep] : opt_.voters) voters.push_back(id);
  size_t next = 0;
  while (!alive.expired() && !stopped_ && !voters.empty()) {
    const broker_id target = observed_leader_ >= 0 ? observed_leader_ : voters[next++ % voters.size()];
    const int64_t applied = committed_.version().offset;
    std::string body;
    wire::put_varlong(body, opt_.node_id);
    wire::put_string(body, opt_.advertised_host);
    wire::put_varlong(body, driver_->port());
    wire::put_uvarint(body, applied < 0 ? 0 : static_cast<uint64_t>(applied));
    auto reply = co_await call_node(target, rpc::fetch_req, std::move(body), 1s);
    if (alive.expired() || stopped_) co_return;
    bool more = false;
    if (!reply) {
      observed_leader_ = -1;  // silent: try the next voter
    } else {
      wire::reader r(*reply);
      const broker_id leader = r.varint32();
      const bool leading = r.boolean();
      if (!r.ok()) {
        observed_leader_ = -1;
      } else if (!leading) {
        observed_leader_ = (leader >= 0 && leader != target && opt_.voters.count(leader)) ? leader : -1;
      } else {
        observed_leader_ = target;
        const uint64_t commit = r.uvarint();
        if (r.boolean()) {
          raft::snapshot snap;
          snap.index = r.uvarint();
          snap.term = r.uvarint();
          snap.data = r.string();
          if (r.ok() && static_cast<int64_t>(snap.index) > committed_.version().offset) restore(snap);
        }
        const size_t n = r.count(3);
        for (size_t i = 0; i < n && r.ok(); ++i) {
          raft::entry e;
          e.index = r.uvarint();
          e.term = r.uvarint();
          e.data = r.string();
          if (!r.ok()) break;
          // Raft indexes start at 1; the empty image is at -1.
          const int64_t expected = std::max<int64_t>(committed_.version().offset, 0) + 1;
          if (static_cast<int64_t>(e.index) != expected) break;  // not contiguous: refetch
          apply(e);
        }
        more = committed_.version().offset >= 0 && static_cast<uint64_t>(committed_.version().offset) < commit;
      }
    }
    if (more) continue;
    loop_timer_->expires_after(std::max<std::chrono::milliseconds>(opt_.tick, 50ms));
    boost::system::error_code ec;
    co_await loop_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void controller_node::on_app_message(raft::node_id from, std::string_view payload) {
  if (payload.size() < 9) return;
  const auto kind = static_cast<uint8_t>(payload[0]);
  const uint64_t corr = get_u64(payload.substr(1, 8));
  std::string body(payload.substr(9));
  if (kind % 2 == 0) {  // a response to one of our calls
    auto it = calls_.find(corr);
    if (it == calls_.end()) return;  // timed out already
    it->second->reply = std::move(body);
    it->second->timer->cancel();
    return;
  }
  if (kind == rpc::fetch_req) {
    if (auto out = serve_fetch(from, body)) reply(from, rpc::fetch_resp, corr, std::move(*out));
    return;
  }
  asio::co_spawn(io_, serve_call(from, kind, corr, std::move(body)), asio::detached);
}

void controller_node::reply(raft::node_id to, uint8_t kind, uint64_t corr, std::string body) {
  if (to == static_cast<raft::node_id>(opt_.node_id)) {
    auto it = calls_.find(corr);
    if (it == calls_.end()) return;
    it->second->reply = std::move(body);
    it->second->timer->cancel();
    return;
  }
  std::string msg(1, static_cast<char>(kind));
  put_u64(msg, corr);
  msg += body;
  driver_->send_app(to, msg);
}


asio::awaitable<void> controller_node::serve_call(raft::node_id from, uint8_t kind, uint64_t corr, std::string body) {
  std::weak_ptr<bool> alive = alive_;
  std::optional<std::string> out;
  if (kind == rpc::register_req) out = co_await serve_register(std::move(body));
  else if (kind == rpc::heartbeat_req) out = co_await serve_heartbeat(std::move(body));
  else if (kind == rpc::producer_ids_req) out = co_await serve_producer_ids(std::move(body));
  else if (kind == rpc::alter_partition_req) out = co_await serve_alter_partition(std::move(body));
  else if (kind == rpc::forward_req) out = co_await serve_forward(std::move(body));
  // Unknown kinds (a newer peer) and malformed bodies get no answer: the caller times out.
  if (alive.expired() || !out) co_return;
  reply(from, static_cast<uint8_t>(kind + 1), corr, std::move(*out));
}

asio::awaitable<std::optional<std::string>> controller_node::serve_register(std::string body) {
  auto q = decode_registration(body);
  if (!q) co_return std::nullopt;
  const int64_t now = now_ms();
  // The broker of this process: any older registration under our id is a previous, dead incarnation of this very
  // process, so waiting out its session (DUPLICATE_BROKER_REGISTRATION) would only delay a restart.
  const bool own_broker = q->id == opt_.node_id;
  command<broker_registration_response> cmd = [req = *q, now, own_broker](controller& c, const metadata_image& img) {
    if (own_broker) c.expire_session(req.id);
    return c.register_broker(img, req, now);
  };
  auto r = co_await execute(std::move(cmd));
  std::string out;
  put_error(out, r.error == command_error::none ? r.response.error : not_active_error(opt_.node_id));
  wire::put_varlong(out, r.response.broker_epoch);
  co_return out;
}

asio::awaitable<std::optional<std::string>> controller_node::serve_heartbeat(std::string body) {
  wire::reader rd(body);
  broker_heartbeat_request q;
  q.id = rd.varint32();
  q.broker_epoch = rd.varlong();
  q.current_metadata_offset = rd.varlong();
  q.want_fence = rd.boolean();
  q.want_shutdown = rd.boolean();
  if (!rd.ok()) co_return std::nullopt;
  const int64_t now = now_ms();
  command<broker_heartbeat_response> cmd = [q, now](controller& c, const metadata_image& img) {
    return c.heartbeat(img, q, now);
  };
  auto r = co_await execute(std::move(cmd));
  std::string out;
  put_error(out, r.error == command_error::none ? r.response.error : not_active_error(opt_.node_id));
  wire::put_bool(out, r.response.is_caught_up);
  wire::put_bool(out, r.response.is_fenced);
  wire::put_bool(out, r.response.should_shutdown);
  co_return out;
}

asio::awaitable<std::optional<std::string>> controller_node::serve_producer_ids(std::string body) {
  wire::reader rd(body);
  const broker_id b = rd.varint32();
  const int64_t epoch = rd.varlong();
  if (!rd.ok()) co_return std::nullopt;
  command<producer_ids_response> cmd = [b, epoch](controller& c, const metadata_image& img) {
    return c.allocate_producer_ids(img, b, epoch);
  };
  auto r = co_await execute(std::move(cmd));
  std::string out;
  put_error(out, r.error == command_error::none ? r.response.error : not_active_error(opt_.node_id));
  wire::put_varlong(out, r.response.first_producer_id);
  wire::put_varlong(out, r.response.count);
  co_return out;
}

asio::awaitable<std::optional<std::string>> controller_node::serve_forward(std::string body) {
  wire::reader rd(body);
  std::string frame = rd.string();
  if (!rd.ok()) co_return std::nullopt;
  std::string out;
  if (!active_ || !forward_handler_) {
    put_error(out, not_active_error(opt_.node_id));
    wire::put_string(out, "");
    co_return out;
  }
  std::string response = co_await forward_handler_(std::move(frame));
  put_error(out, {});
  wire::put_string(out, response);
  co_return out;
}

}  // namespace samsa::cluster
