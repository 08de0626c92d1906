// The leader side of replication on the broker: per-partition leader state (cluster::partition_leader) fed by
// appends and follower fetches, ISR changes sent to the controller, and the periodic ISR check. The follower side
// is replica_fetcher.cc. Everything runs on the broker's io thread.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <chrono>
#include <fmt/ranges.h>

#include "replica_fetcher.h"
#include "steady_clock.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/server/broker.h"
#include "samsa/server/kafka_error.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {

namespace asio = boost::asio;

namespace {

// Whether an AlterPartition error leaves the outcome open: no controller answered in time, or a stale epoch that an
// earlier attempt of this very change may have caused. Such a change stays in flight (it keeps counting in the
// maximal ISR) and is retried until the controller or the metadata image settles it, as Kafka does (KIP-841): had
// the leader dropped an expansion the controller did commit, it would acknowledge writes the new member lacks, and
// the controller may elect that member (found by the replication simulator, tests/cluster/replication_sim*).
bool outcome_unknown(int16_t code) {
  namespace ke = protocol::kafka_error;
  return code == ke::not_controller || code == ke::request_timed_out || code == ke::unknown_server_error ||
         code == ke::invalid_update_version || code == ke::fenced_leader_epoch || code == ke::unknown_leader_epoch;
}

// Still this change's to settle: same leadership, the state it was computed from, and a change in flight.
bool still_pending(const partition& p, const cluster::alter_partition_request& req) {
  return p.leader_state && p.leader_epoch == req.leader_epoch && p.leader_state->change_in_flight() &&
         p.leader_state->state().partition_epoch == req.partition_epoch;
}

asio::awaitable<void> send_isr_change(broker& b, std::shared_ptr<partition> p, cluster::alter_partition_request req) {
  asio::steady_timer pause(b.executor());
  cluster::alter_partition_response r;
  for (;;) {
    r = co_await b.controller().alter_partition(req);
    if (!still_pending(*p, req)) co_return;  // leadership moved, or the image already settled it
    if (r.error.ok()) break;
    if (!outcome_unknown(r.error.code)) {
      spdlog::warn("[{}-{}] ISR change to [{}] refused: {} ({})", p->topic, p->index, fmt::join(req.new_isr, ","),
                   r.error.message, r.error.code);
      p->leader_state->on_isr_change_failed(steady_ms());
      co_return;
    }
    spdlog::info("[{}-{}] ISR change to [{}]: outcome unknown ({}); kept in flight, retrying", p->topic, p->index,
                 fmt::join(req.new_isr, ","), r.error.message);
    pause.expires_after(std::chrono::milliseconds(500));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!still_pending(*p, req)) co_return;
  }
  spdlog::info("[{}-{}] ISR now [{}] (partition epoch {})", p->topic, p->index, fmt::join(r.state.isr, ","),
               r.state.partition_epoch);
  // The change is committed: adopt it now rather than when the image arrives (the image then changes nothing).
  if (r.state.leader_epoch == p->leader_epoch &&
      r.state.partition_epoch > p->leader_state->state().partition_epoch &&
      p->leader_state->update_state(r.state, p->log->log_end_offset())) {
    p->high_watermark = p->leader_state->high_watermark();
    b.notify_append();
  }
}

asio::awaitable<void> isr_ticker(broker& b, asio::steady_timer& t, std::chrono::milliseconds period) {
  for (;;) {
    t.expires_after(period);
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    for (const auto& [name, topic] : b.topics())
      for (const auto& p : topic.partitions)
        if (p && p->leader_state) b.maybe_change_isr(p);
  }
}

}  // namespace

asio::awaitable<int16_t> broker::await_high_watermark(std::shared_ptr<partition> p, int32_t leader_epoch, int64_t end,
                                                      std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(ex_);
  for (;;) {
    if (!p->is_leader || p->leader_epoch != leader_epoch || !p->leader_state)
      co_return kafka_error::not_leader_or_follower;
    if (p->high_watermark >= end) co_return kafka_error::none;
    if (std::chrono::steady_clock::now() >= deadline) co_return kafka_error::request_timed_out;
    // Woken by notify_append: appends, high-watermark advances, leadership changes.
    timer.expires_at(deadline);
    park_fetch(&timer);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    unpark_fetch(&timer);
  }
}

bool broker::throttled(const partition& p, int32_t replica, bool as_leader) const {
  if (as_leader ? leader_quota_.unlimited() : follower_quota_.unlimited()) return false;
  const auto v = image().config(cluster::resource_type::topic, p.topic,
                                as_leader ? "leader.replication.throttled.replicas"
                                          : "follower.replication.throttled.replicas");
  if (!v || !replica_throttled(*v, p.index, replica)) return false;
  const auto* s = image().partition(p.topic_id, p.index);
  return s == nullptr || std::find(s->isr.begin(), s->isr.end(), replica) == s->isr.end();
}

void broker::start_isr_checks() {
  if (isr_timer_) return;
  isr_timer_ = std::make_unique<asio::steady_timer>(ex_);
  // Kafka checks every replica.lag.time.max.ms / 2.
  const auto period = std::chrono::milliseconds(std::max<int64_t>(50, config_.replication.lag_time_max_ms / 2));
  asio::co_spawn(ex_, isr_ticker(*this, *isr_timer_, period), asio::detached);
}

void broker::update_replication(const std::shared_ptr<partition>& p, const cluster::partition_state& s,
                                bool new_leadership) {
  const int32_t self = config_.node_id;
  const int64_t leo = p->log->log_end_offset();
  p->leader_id = s.leader;
  p->leader_epoch = s.leader_epoch;
  p->is_leader = s.leader == self;
  if (p->is_leader) {
    if (new_leadership || !p->leader_state) {
      fetchers_->unfollow(p->topic, p->index);
      p->leader_state.emplace(self, s, p->high_watermark, leo, steady_ms());
      p->high_watermark = p->leader_state->high_watermark();
      notify_append();
    } else if (p->leader_state->update_state(s, leo)) {
      p->high_watermark = p->leader_state->high_watermark();
      notify_append();
    }
    maybe_change_isr(p);
    return;
  }
  p->leader_state.reset();
  if (s.leader >= 0) fetchers_->follow(p, s.leader);
  else fetchers_->unfollow(p->topic, p->index);
  notify_append();  // produce requests waiting on this partition learn it is no longer theirs
}

void broker::on_leader_append(partition& p) {
  if (!p.leader_state) return;
  if (p.leader_state->on_leader_append(p.log->log_end_offset())) p.high_watermark = p.leader_state->high_watermark();
}

void broker::on_follower_fetch(const std::shared_ptr<partition>& p, int32_t replica, int64_t fetch_offset) {
  if (!p->leader_state) return;
  if (p->leader_state->on_follower_fetch(replica, fetch_offset, p->log->log_end_offset(), steady_ms())) {
    p->high_watermark = p->leader_state->high_watermark();
    notify_append();
  }
  maybe_change_isr(p);
}

void broker::maybe_change_isr(const std::shared_ptr<partition>& p) {
  if (!p->leader_state) return;
  auto want = p->leader_state->wanted_isr(steady_ms(), config_.replication.lag_time_max_ms);
  if (!want) return;
  spdlog::info("[{}-{}] asking the controller to change the ISR from [{}] to [{}]", p->topic, p->index,
               fmt::join(p->leader_state->isr(), ","), fmt::join(*want, ","));
  p->leader_state->on_isr_change_sent(*want);
  cluster::alter_partition_request req;
  req.broker = config_.node_id;
  req.broker_epoch = controller_.broker_epoch();
  req.topic_id = p->topic_id;
  req.partition = p->index;
  req.leader_epoch = p->leader_state->state().leader_epoch;
  req.partition_epoch = p->leader_state->state().partition_epoch;
  req.new_isr = std::move(*want);
  asio::co_spawn(ex_, send_isr_change(*this, p, std::move(req)), asio::detached);
}

}  // namespace samsa::server
