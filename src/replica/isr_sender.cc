#include "samsa/replica/isr_sender.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <chrono>

#include "samsa/base/steady_clock.h"
#include "samsa/replica/partition.h"
#include "samsa/replica/partition_manager.h"

namespace samsa::replica {

namespace asio = boost::asio;

namespace {

constexpr auto retry_pause = std::chrono::milliseconds(500);

asio::awaitable<void> send_change(partition_manager& m, isr_sender::transport send, std::shared_ptr<partition> p,
                                  cluster::alter_partition_request req) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    const auto resp = co_await send(req);
    bool hwm_advanced = false;
    const auto next = p->on_isr_change_response(req, resp, steady_ms(), hwm_advanced);
    if (hwm_advanced) m.notify(*p);
    if (next == isr_change_next::done) co_return;
    pause.expires_after(retry_pause);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!p->isr_change_pending(req)) co_return;
  }
}

asio::awaitable<void> ticker(partition_manager& m, isr_sender& sender, asio::steady_timer& t,
                             std::chrono::milliseconds period) {
  for (;;) {
    t.expires_after(period);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    m.for_each_leader([&](const std::shared_ptr<partition>& p) { sender.check(p); });
  }
}

}  // namespace

isr_sender::isr_sender(asio::any_io_executor ex, partition_manager& manager, transport send,
                       std::function<int64_t()> broker_epoch, int64_t lag_time_max_ms)
    : ex_(std::move(ex)),
      manager_(manager),
      send_(std::move(send)),
      broker_epoch_(std::move(broker_epoch)),
      lag_time_max_ms_(lag_time_max_ms) {}

isr_sender::~isr_sender() { stop(); }

void isr_sender::check(const std::shared_ptr<partition>& p) {
  asio::post(ex_, [this, alive = std::weak_ptr<bool>(alive_), p] {
    if (!alive.expired()) send_if_wanted(p);
  });
}

void isr_sender::send_if_wanted(const std::shared_ptr<partition>& p) {
  auto req = p->next_isr_change(steady_ms(), lag_time_max_ms_, broker_epoch_());
  if (!req) return;
  asio::co_spawn(ex_, send_change(manager_, send_, p, std::move(*req)), asio::detached);
}

void isr_sender::start() {
  if (timer_) return;
  timer_ = std::make_unique<asio::steady_timer>(ex_);
  // Kafka checks every replica.lag.time.max.ms / 2.
  const auto period = std::chrono::milliseconds(std::max<int64_t>(50, lag_time_max_ms_ / 2));
  asio::co_spawn(ex_, ticker(manager_, *this, *timer_, period), asio::detached);
}

void isr_sender::stop() {
  if (timer_) timer_->cancel();
  alive_.reset();
}

}  // namespace samsa::replica
