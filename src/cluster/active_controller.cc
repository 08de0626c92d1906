#include "samsa/cluster/active_controller.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "samsa/base/steady_clock.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/cluster/node_rpc.h"
#include "node_rpc_messages.h"

namespace samsa::cluster {

namespace asio = boost::asio;

api_error not_active_error(broker_id self) {
  return {err::not_controller, "node " + samsa::to_string(self) + " is not the active controller"};
}

active_controller::active_controller(asio::io_context& io, controller_node& node, node_rpc& rpc)
    : io_(io), node_(node), rpc_(rpc) {
  serve_rpcs();
}

active_controller::~active_controller() {
  *alive_ = false;
  stop();
}

void active_controller::start() {
  timer_ = std::make_unique<asio::steady_timer>(io_);
  asio::co_spawn(io_, loop(), asio::detached);
}

void active_controller::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

asio::awaitable<void> active_controller::loop() {
  std::weak_ptr<bool> alive = alive_;
  while (!alive.expired() && !stopped_) {
    timer_->expires_after(std::chrono::milliseconds(std::max<int64_t>(50, node_.options().tick.count() * 2)));
    boost::system::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (alive.expired() || stopped_) co_return;
    if (!node_.is_active()) continue;
    if (node_.latest().cluster_id().empty()) {
      if (!bootstrap_pending_) co_await bootstrap();
      continue;
    }
    const int64_t now = steady_ms();
    command<std::vector<broker_id>> fence = [now](controller& c, const metadata_image& img) { return c.tick(img, now); };
    auto fenced = co_await node_.execute(std::move(fence));
    if (alive.expired()) co_return;
    for (broker_id b : fenced.response) spdlog::warn("broker {} missed its heartbeats: fenced", b);
    if (node_.is_active()) co_await rebalance(now);
  }
}

asio::awaitable<void> active_controller::bootstrap() {
  std::weak_ptr<bool> alive = alive_;
  bootstrap_pending_ = true;
  auto init = node_.options().initial_cluster_id;
  command<std::string> cmd = [init](controller& c, const metadata_image& img) { return c.bootstrap(img, init); };
  auto r = co_await node_.execute(std::move(cmd));
  if (alive.expired()) co_return;
  bootstrap_pending_ = false;
  if (r.error == command_error::none) spdlog::info("bootstrapped cluster {}", r.response);
}

// Preferred-leader rebalancing: the rules decide when a check is due (leader.imbalance.check.interval).
asio::awaitable<void> active_controller::rebalance(int64_t now) {
  command<rebalance_result> cmd = [now](controller& c, const metadata_image& img) {
    return c.rebalance_leaders(img, now);
  };
  auto r = co_await node_.execute(std::move(cmd));
  if (r.error != command_error::none || !r.response.checked) co_return;
  for (const auto& b : r.response.imbalance.brokers) {
    if (!b.over_threshold) continue;
    spdlog::info("leader imbalance: broker {} leads {} of the {} partitions it is the preferred replica of "
                 "(limit {}% not led)", b.broker, b.preferred - b.not_leading, b.preferred,
                 node_.options().rules.leader_imbalance_per_broker_percentage);
  }
  for (const auto& e : r.response.elections) {
    if (e.error.ok()) spdlog::info("preferred leader elected for {}-{}", e.tp.topic, e.tp.partition);
    else spdlog::warn("preferred leader election for {}-{} failed: {}", e.tp.topic, e.tp.partition, e.error.message);
  }
}

void active_controller::serve_rpcs() {
  using namespace protocol;
  rpc_.serve<BrokerRegistrationRequest, BrokerRegistrationResponse>(
      [this](broker_id, BrokerRegistrationRequest req) -> asio::awaitable<std::optional<BrokerRegistrationResponse>> {
        const auto q = from_message(req);
        const int64_t now = steady_ms();
        // The broker of this process: any older registration under our id is a previous, dead incarnation of this
        // very process, so waiting out its session (DUPLICATE_BROKER_REGISTRATION) would only delay a restart.
        const bool own_broker = q.id == node_.node_id();
        command<broker_registration_response> cmd = [q, now, own_broker](controller& c, const metadata_image& img) {
          if (own_broker) c.expire_session(q.id);
          return c.register_broker(img, q, now);
        };
        auto r = co_await node_.execute(std::move(cmd));
        if (r.error != command_error::none) r.response.error = not_active_error(node_.node_id());
        co_return to_message(r.response);
      });
  rpc_.serve<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(
      [this](broker_id, BrokerHeartbeatRequest req) -> asio::awaitable<std::optional<BrokerHeartbeatResponse>> {
        const auto q = from_message(req);
        const int64_t now = steady_ms();
        command<broker_heartbeat_response> cmd = [q, now](controller& c, const metadata_image& img) {
          return c.heartbeat(img, q, now);
        };
        auto r = co_await node_.execute(std::move(cmd));
        if (r.error != command_error::none) r.response.error = not_active_error(node_.node_id());
        co_return to_message(r.response);
      });
  rpc_.serve<AllocateProducerIdsRequest, AllocateProducerIdsResponse>(
      [this](broker_id, AllocateProducerIdsRequest req) -> asio::awaitable<std::optional<AllocateProducerIdsResponse>> {
        const broker_id b = req.broker_id;
        const int64_t epoch = req.broker_epoch;
        command<producer_ids_response> cmd = [b, epoch](controller& c, const metadata_image& img) {
          return c.allocate_producer_ids(img, b, epoch);
        };
        auto r = co_await node_.execute(std::move(cmd));
        if (r.error != command_error::none) r.response.error = not_active_error(node_.node_id());
        co_return to_message(r.response);
      });
  rpc_.serve<AlterPartitionRequest, AlterPartitionResponse>(
      [this](broker_id, AlterPartitionRequest req) -> asio::awaitable<std::optional<AlterPartitionResponse>> {
        auto q = from_message(req);
        if (!q) co_return std::nullopt;  // not one partition of one topic by id: not ours to answer
        command<alter_partition_response> cmd = [q = *q](controller& c, const metadata_image& img) {
          return c.alter_partition(img, q);
        };
        auto r = co_await node_.execute(std::move(cmd));
        if (r.error != command_error::none) r.response.error = not_active_error(node_.node_id());
        co_return to_message(*q, r.response);
      });
}

}  // namespace samsa::cluster
