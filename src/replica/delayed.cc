#include "samsa/replica/delayed.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "samsa/protocol/kafka_error.h"
#include "samsa/replica/partition.h"

namespace samsa::replica {

namespace asio = boost::asio;

namespace {

// Wakes a parked coroutine by cancelling its timer. Registration and the wait start without a suspension in
// between, on the partitions' one thread, so no notification can fall in a gap.
class timer_waiter final : public purgatory::waiter {
 public:
  explicit timer_waiter(asio::steady_timer& t) : t_(t) {}
  void wake() override { t_.cancel(); }

 private:
  asio::steady_timer& t_;
};

}  // namespace

asio::awaitable<void> wait_for_change(purgatory& q, std::span<const partition* const> keys,
                                      std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  timer_waiter w(timer);
  for (const partition* k : keys) q.watch(k, &w);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  for (const partition* k : keys) q.unwatch(k, &w);
}

asio::awaitable<protocol::kafka_errc> await_replication(purgatory& q, std::shared_ptr<partition> p, samsa::leader_epoch epoch,
                                           int64_t end, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (auto outcome = p->replication_outcome(epoch, end)) co_return *outcome;
    if (std::chrono::steady_clock::now() >= deadline) co_return protocol::kafka_error::request_timed_out;
    const partition* key = p.get();
    co_await wait_for_change(q, std::span<const partition* const>(&key, 1), deadline);
  }
}

}  // namespace samsa::replica
