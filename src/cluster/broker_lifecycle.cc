#include "samsa/cluster/broker_lifecycle.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "node_rpc_messages.h"
#include "samsa/base/steady_clock.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/cluster/node_rpc.h"

namespace samsa::cluster {

namespace asio = boost::asio;
using namespace std::chrono_literals;

broker_lifecycle::broker_lifecycle(asio::io_context& io, controller_node& node, node_rpc& rpc)
    : io_(io), node_(node), rpc_(rpc) {}

broker_lifecycle::~broker_lifecycle() {
  *alive_ = false;
  stop();
}

void broker_lifecycle::run(broker_registration_request reg) {
  timer_ = std::make_unique<asio::steady_timer>(io_);
  asio::co_spawn(io_, loop(std::move(reg)), asio::detached);
}

void broker_lifecycle::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

template <typename Response, typename Request>
asio::awaitable<std::optional<Response>> broker_lifecycle::call_controller(const Request& req, int16_t version,
                                                                           int64_t deadline_ms) {
  std::weak_ptr<bool> alive = alive_;
  const int64_t deadline = steady_ms() + deadline_ms;
  while (!alive.expired() && !stopped_ && steady_ms() < deadline) {
    const broker_id leader = node_.leader_id();
    if (leader >= 0) {
      const auto left = std::chrono::milliseconds(std::max<int64_t>(1, std::min<int64_t>(2000, deadline - steady_ms())));
      auto resp = co_await rpc_.call<Response>(leader, req, version, left);
      if (alive.expired()) co_return std::nullopt;
      // A leader that is not (yet) active answers NOT_CONTROLLER: wait and try again.
      if (resp && resp->error_code != err::not_controller) co_return resp;
    }
    asio::steady_timer pause(io_, 100ms);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return std::nullopt;
}

asio::awaitable<void> broker_lifecycle::loop(broker_registration_request reg) {
  std::weak_ptr<bool> alive = alive_;
  bool fenced = true;
  while (!alive.expired() && !stopped_ && broker_epoch_ != -2) {
    if (broker_epoch_ < 0) co_await register_once(reg);
    else co_await heartbeat_once(reg.id, fenced);
    if (alive.expired() || stopped_) co_return;
    // Heartbeat quickly until unfenced, then at broker.heartbeat.interval.ms.
    const int64_t interval = node_.options().heartbeat_interval_ms;
    const int64_t wait = (broker_epoch_ < 0 || fenced) ? std::min<int64_t>(100, interval) : interval;
    timer_->expires_after(std::chrono::milliseconds(wait));
    boost::system::error_code ec;
    co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> broker_lifecycle::register_once(const broker_registration_request& reg) {
  auto req = to_message(reg);
  req.cluster_id = node_.image().cluster_id();
  auto reply = co_await call_controller<protocol::BrokerRegistrationResponse>(req, registration_version);
  if (!reply || broker_epoch_ == -2) co_return;  // no answer, or shutting down meanwhile
  if (reply->error_code == err::none) {
    broker_epoch_ = reply->broker_epoch;
    spdlog::info("broker {} registered with epoch {}", reg.id, broker_epoch_);
  } else {
    spdlog::warn("broker registration refused: error {}", reply->error_code);
  }
}

asio::awaitable<void> broker_lifecycle::heartbeat_once(broker_id id, bool& fenced) {
  broker_heartbeat_request q{id, broker_epoch_, node_.image().version().offset, false, false};
  const int64_t sent_ms = steady_ms();
  auto reply = co_await call_controller<protocol::BrokerHeartbeatResponse>(to_message(q), heartbeat_version);
  if (!reply) co_return;
  if (reply->error_code == err::stale_broker_epoch || reply->error_code == err::broker_id_not_registered) {
    if (broker_epoch_ >= 0) broker_epoch_ = -1;  // the controller forgot us (e.g. a newer registration): register
    co_return;
  }
  if (reply->error_code != err::none) co_return;
  if (fenced != reply->is_fenced) {
    fenced = reply->is_fenced;
    spdlog::info("broker {} is {}", id, fenced ? "fenced" : "unfenced");
  }
  // Measured from when the heartbeat left: the controller heard it later, so this lease ends before the
  // controller's session for it can expire.
  if (!reply->is_fenced) lease_from_ms_ = std::max(lease_from_ms_, sent_ms);
}

bool broker_lifecycle::lease_valid() const {
  return broker_epoch_ >= 0 && lease_from_ms_ >= 0 &&
         steady_ms() - lease_from_ms_ < node_.options().rules.broker_session_timeout_ms;
}

asio::awaitable<void> broker_lifecycle::shutdown(broker_id id) {
  if (broker_epoch_ < 0 || stopped_) co_return;
  if (timer_) timer_->cancel();
  broker_heartbeat_request q{id, broker_epoch_, node_.image().version().offset, false, true};
  broker_epoch_ = -2;  // the heartbeat loop stops (see loop)
  auto reply = co_await call_controller<protocol::BrokerHeartbeatResponse>(to_message(q), heartbeat_version, 2000);
  if (reply) spdlog::info("broker {} fenced for shutdown", id);
  else spdlog::warn("broker {}: no controller acknowledged the shutdown; its session will expire", id);
}

asio::awaitable<producer_ids_response> broker_lifecycle::allocate_producer_ids() {
  protocol::AllocateProducerIdsRequest req;
  req.broker_id = node_.node_id();
  req.broker_epoch = broker_epoch_;
  producer_ids_response out;
  auto reply = co_await call_controller<protocol::AllocateProducerIdsResponse>(req, producer_ids_version);
  if (!reply) {
    out.error = {err::not_controller, "no active controller answered"};
    co_return out;
  }
  out.error = error_of(reply->error_code);
  out.first_producer_id = reply->producer_id_start;
  out.count = reply->producer_id_len;
  co_return out;
}

asio::awaitable<alter_partition_response> broker_lifecycle::alter_partition(alter_partition_request req) {
  auto reply = co_await call_controller<protocol::AlterPartitionResponse>(to_message(req), alter_partition_version);
  if (!reply) {
    alter_partition_response out;
    out.error = {err::not_controller, "no active controller answered"};
    co_return out;
  }
  co_return from_message(*reply);
}

}  // namespace samsa::cluster
