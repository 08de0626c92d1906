#include "samsa/cluster/controller_node.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "samsa/cluster/active_controller.h"
#include "samsa/cluster/broker_lifecycle.h"
#include "samsa/cluster/metadata_observer.h"
#include "samsa/cluster/node_rpc.h"

namespace samsa::cluster {

namespace asio = boost::asio;
using namespace std::chrono_literals;

controller_node::controller_node(asio::io_context& io, controller_node_options opt)
    : io_(io), opt_(std::move(opt)), rules_(opt_.rules) {
  rpc_ = std::make_unique<node_rpc>(io_, opt_.node_id);
  active_duties_ = std::make_unique<active_controller>(io_, *this, *rpc_);
  lifecycle_ = std::make_unique<broker_lifecycle>(io_, *this, *rpc_);
  observer_ = std::make_unique<metadata_observer>(io_, *this, *rpc_);
}

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
  d.raft.id = static_cast<raft::node_id>(n->opt_.node_id.value());
  for (const auto& [id, ep] : n->opt_.voters) d.raft.voters.push_back(static_cast<raft::node_id>(id.value()));
  // An observer's core is a placeholder the driver never runs (it must name itself to be valid).
  if (d.raft.voters.empty() || n->opt_.observer) d.raft.voters.push_back(d.raft.id);
  d.observer = n->opt_.observer;
  const auto tick_ms = std::max<int64_t>(1, n->opt_.tick.count());
  d.raft.election_tick = static_cast<int>(std::max<int64_t>(2, n->opt_.election_timeout_ms / tick_ms));
  d.raft.heartbeat_tick = std::max(1, d.raft.election_tick / 10);
  d.raft.seed = static_cast<uint64_t>(n->opt_.node_id.value()) * 0x9E3779B97F4A7C15ull ^
                static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  auto drv = raft::driver::open(io, std::move(d), *n);
  if (!drv) return drv.error();
  n->driver_ = std::move(*drv);
  std::map<raft::node_id, asio::ip::tcp::endpoint> peers;
  for (const auto& [id, ep] : n->opt_.voters) peers[static_cast<raft::node_id>(id.value())] = ep;
  n->driver_->set_peers(peers);
  n->rpc_->attach(n->driver_);
  n->driver_->set_app_handler([rpc = n->rpc_.get()](raft::node_id from, std::string_view payload) {
    rpc->on_app_message(static_cast<broker_id>(from), payload);
  });
  return n;
}

void controller_node::start() {
  driver_->start();
  if (opt_.observer) observer_->start();
  else active_duties_->start();
}

void controller_node::stop() {
  if (stopped_) return;
  stopped_ = true;
  active_duties_->stop();
  lifecycle_->stop();
  observer_->stop();
  fail_waiters();
  rpc_->stop();
  if (driver_) driver_->stop();
}

broker_id controller_node::leader_id() const noexcept {
  if (opt_.observer) return observer_->observed_leader();
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
  if (failure_) return;
  auto outcome = apply_entry(committed_, static_cast<int64_t>(e.index), static_cast<int64_t>(e.term), e.data);
  if (outcome.error == errc::unsupported_version) {
    // Written in a format this build cannot read (e.g. by an older samsad): skipping it would leave an image
    // without the topics the log holds, and the broker would delete their data as strays. Stop instead.
    return fail_unreadable("metadata entry " + std::to_string(e.index), outcome.error);
  }
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
    active_duties_->on_activated();
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
  if (failure_) return;
  auto img = parse_snapshot(s.data);
  if (!img) return fail_unreadable("metadata snapshot at " + std::to_string(s.index), img.error());
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
  active_duties_->on_deactivated();
  latest_ = committed_;
  fail_waiters();
}

void controller_node::fail_unreadable(const std::string& what, std::error_code ec) {
  failure_ = ec;
  spdlog::critical("{} cannot be read ({}): this node stops; the metadata log in {} was written by an "
                   "incompatible samsad", what, ec.message(), opt_.dir.string());
  boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    stop();
    io_.stop();
  });
}

void controller_node::fail_waiters() {
  for (auto& [index, w] : waiters_) {
    if (!w->committed) w->committed = false;
    w->timer->cancel();
  }
}


}  // namespace samsa::cluster
