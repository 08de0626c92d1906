#include "samsa/replica/replica_fetcher.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "samsa/client/connection.h"
#include "samsa/replica/partition_manager.h"
#include "samsa/base/steady_clock.h"

namespace samsa::replica {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr int16_t fetch_version = 11;
constexpr int16_t epoch_version = 3;
}  // namespace

struct replica_fetchers::fetcher {
  fetcher(asio::any_io_executor ex, broker_id leader, int32_t index, const fetcher_options& opt)
      : leader(leader),
        index(index),
        session(opt.session),
        conn(ex, connection_options(opt)),
        pause(ex) {}

  static client::options connection_options(const fetcher_options& opt) {
    client::options o;
    o.client_id = "samsad-replica-" + samsa::to_string(opt.session.self);
    o.connect_timeout = std::chrono::milliseconds(opt.socket_timeout_ms);
    // A response is at most the requested bytes plus its framing; anything larger is a broken peer.
    o.max_response_bytes = static_cast<int64_t>(opt.session.response_max_bytes) * 2 + (16 << 20);
    return o;
  }

  broker_id leader;
  int32_t index;
  follower_session session;
  client::connection conn;
  asio::steady_timer pause;
  bool running = false;
  bool stopped = false;
};

namespace {

using fetcher = replica_fetchers::fetcher;

asio::awaitable<void> sleep_for(fetcher& f, std::chrono::milliseconds d) {
  f.pause.expires_after(d);
  co_await f.pause.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Connects to the leader's first registered listener.
asio::awaitable<bool> ensure_connected(fetcher& f, const cluster::metadata_image& img) {
  if (f.conn.connected()) co_return true;
  const auto* reg = img.broker(f.leader);
  if (reg == nullptr || reg->endpoints.empty()) co_return false;
  const auto ep = reg->endpoints.front();
  const auto ec = co_await f.conn.connect(ep.host, ep.port);
  co_return !ec;
}

asio::awaitable<void> truncate_assigned(fetcher& f) {
  auto round = f.session.truncation_request(steady_ms());
  if (!round) co_return;
  auto resp = co_await f.conn.call<protocol::OffsetForLeaderEpochResponse>(round->request, epoch_version, 30s);
  if (resp) f.session.on_truncation_response(*round, resp->message, steady_ms());
}

asio::awaitable<void> fetch_once(fetcher& f, partition_manager& m, const fetcher_options& opt) {
  const broker_id self = opt.session.self;
  const bool quota_spent = m.follower_quota().exceeded(steady_ms());
  // follower.replication.throttled.rate: throttled replicas sit out while the quota is spent.
  auto round = f.session.fetch_request(
      steady_ms(), [&](const partition& p) { return quota_spent && m.throttled(p, self, false); });
  if (!round) {
    co_await sleep_for(f, std::chrono::milliseconds(opt.session.partition_error_backoff_ms));
    co_return;
  }
  const auto timeout = std::chrono::milliseconds(opt.session.max_wait_ms + opt.socket_timeout_ms);
  auto resp = co_await f.conn.call<protocol::FetchResponse>(round->request, fetch_version, timeout);
  if (!resp) {
    if (resp.error() == client::errc::bad_response)
      spdlog::warn("replica fetcher: undecodable fetch response from broker {}", f.leader);
    co_return;
  }
  f.session.on_fetch_response(*round, resp->message, steady_ms(), [&](const partition& p, size_t bytes) {
    if (m.throttled(p, self, false)) m.follower_quota().record(static_cast<int64_t>(bytes), steady_ms());
  });
}

// (No co_await inside conditions and no `continue` around co_await here: GCC 12 miscompiles some of those shapes.)
asio::awaitable<void> run_fetcher(std::shared_ptr<fetcher> keep, partition_manager& m, fetcher_options opt,
                                  std::function<const cluster::metadata_image&()> image) {
  fetcher& f = *keep;
  const auto backoff = std::chrono::milliseconds(opt.session.fetch_backoff_ms);
  spdlog::info("replica fetcher {} for leader {} started", f.index, f.leader);
  while (!f.stopped && !f.session.empty()) {
    bool ok = co_await ensure_connected(f, image());
    if (ok) {
      co_await truncate_assigned(f);
      if (!f.stopped && f.conn.connected()) co_await fetch_once(f, m, opt);
      ok = f.conn.connected();
    }
    if (!ok && !f.stopped) {
      f.conn.close();
      co_await sleep_for(f, backoff);
    }
  }
  f.conn.close();
  f.running = false;
  spdlog::info("replica fetcher {} for leader {} stopped", f.index, f.leader);
}

}  // namespace

replica_fetchers::replica_fetchers(asio::any_io_executor ex, fetcher_options opt, partition_manager& manager,
                                   std::function<const cluster::metadata_image&()> image)
    : ex_(std::move(ex)), opt_(opt), manager_(manager), image_(std::move(image)) {}

replica_fetchers::~replica_fetchers() { stop(); }

void replica_fetchers::follow(const std::shared_ptr<partition>& p, broker_id leader) {
  if (stopped_) return;
  unfollow(p->topic(), p->index());
  const int32_t n = std::max(1, opt_.num_fetchers);
  const auto index =
      static_cast<int32_t>((std::hash<std::string>{}(p->topic()) * 31 + static_cast<size_t>(p->index().value())) % n);
  const std::pair<broker_id, int32_t> key{leader, index};
  auto& f = fetchers_[key];
  if (!f) f = std::make_shared<fetcher>(ex_, leader, index, opt_);
  f->session.assign(p);
  assigned_[{p->topic(), p->index()}] = key;
  if (!f->running) {
    f->running = true;
    asio::co_spawn(ex_, run_fetcher(f, manager_, opt_, image_), asio::detached);
  }
}

void replica_fetchers::unfollow(const std::string& topic, partition_index index) {
  auto it = assigned_.find({topic, index});
  if (it == assigned_.end()) return;
  auto f = fetchers_.find(it->second);
  if (f != fetchers_.end()) {
    f->second->session.unassign(topic, index);
    // An idle fetcher ends its loop by itself; drop it from the map so a later follow() starts a fresh one.
    if (f->second->session.empty()) {
      f->second->pause.cancel();
      fetchers_.erase(f);
    }
  }
  assigned_.erase(it);
}

void replica_fetchers::stop() {
  stopped_ = true;
  for (auto& [key, f] : fetchers_) {
    f->stopped = true;
    f->pause.cancel();
    f->conn.close();
  }
  fetchers_.clear();
  assigned_.clear();
}

}  // namespace samsa::replica
