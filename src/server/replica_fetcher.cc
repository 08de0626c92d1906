#include "replica_fetcher.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "samsa/base/endian.h"
#include "steady_clock.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/protocol/header.h"
#include "samsa/protocol/messages/all.h"
#include "samsa/records/record_batch.h"
#include "samsa/server/broker.h"
#include "samsa/server/kafka_error.h"
#include "samsa/storage/errc.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {
constexpr int16_t fetch_version = 11;
constexpr int16_t epoch_version = 3;
constexpr int32_t partition_error_backoff_ms = 100;

}  // namespace

struct replica_fetchers::fetcher {
  int32_t leader = -1;
  int32_t index = 0;
  struct assignment {
    std::shared_ptr<partition> p;
    uint64_t generation = 0;
    bool truncate = true;
    int64_t backoff_until_ms = 0;
  };
  std::map<std::pair<std::string, int32_t>, assignment> parts;
  bool running = false;
  bool stopped = false;
  std::shared_ptr<tcp::socket> sock;
  std::unique_ptr<asio::steady_timer> pause;
  std::unique_ptr<asio::steady_timer> watchdog;
  int32_t next_correlation = 1;
  uint64_t next_generation = 1;
};

namespace {

using fetcher = replica_fetchers::fetcher;

asio::awaitable<void> sleep_for(fetcher& f, std::chrono::milliseconds d) {
  f.pause->expires_after(d);
  co_await f.pause->async_wait(asio::as_tuple(asio::use_awaitable));
}

// The request's entry for `topic`: partitions come in (topic, partition) order, so it is the last one or a new one.
template <typename Topics>
auto& topic_entry(Topics& topics, const std::string& topic) {
  if (topics.empty() || topics.back().topic != topic) topics.emplace_back().topic = topic;
  return topics.back();
}

void disconnect(fetcher& f) {
  if (f.sock) {
    boost::system::error_code ig;
    f.sock->close(ig);
    f.sock.reset();
  }
}

// Connects to the leader's client listener (its first registered endpoint).
asio::awaitable<bool> ensure_connected(broker& b, fetcher& f) {
  if (f.sock && f.sock->is_open()) co_return true;
  const auto* reg = b.image().broker(f.leader);
  if (reg == nullptr || reg->endpoints.empty()) co_return false;
  const auto& ep = reg->endpoints.front();
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(ep.host, ec);
  tcp::endpoint target;
  if (!ec) {
    target = tcp::endpoint(addr, ep.port);
  } else {
    tcp::resolver resolver(b.executor());
    auto [rec, results] = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                          asio::as_tuple(asio::use_awaitable));
    if (rec || results.empty()) co_return false;
    target = results.begin()->endpoint();
  }
  auto sock = std::make_shared<tcp::socket>(b.executor());
  f.watchdog->expires_after(std::chrono::milliseconds(b.config().replication.socket_timeout_ms));
  f.watchdog->async_wait([sock](boost::system::error_code wec) {
    if (!wec) {
      boost::system::error_code ig;
      sock->close(ig);
    }
  });
  auto [cec] = co_await sock->async_connect(target, asio::as_tuple(asio::use_awaitable));
  f.watchdog->cancel();
  if (cec || !sock->is_open()) co_return false;
  sock->set_option(tcp::no_delay(true), ec);
  f.sock = std::move(sock);
  co_return true;
}

// One request/response on the fetcher's connection; the response body (after the correlation id) or nullopt on
// any failure (the connection is then closed).
template <typename Request>
asio::awaitable<std::optional<std::vector<uint8_t>>> call(broker& b, fetcher& f, int16_t key, int16_t version,
                                                          const Request& req, std::chrono::milliseconds timeout) {
  protocol::request_header h;
  h.api_key = key;
  h.api_version = version;
  h.correlation_id = f.next_correlation++;
  h.client_id = "samsad-replica-" + std::to_string(b.config().node_id);
  auto frame = protocol::encode_request_frame(h, req);
  auto sock = f.sock;
  f.watchdog->expires_after(timeout);
  f.watchdog->async_wait([sock](boost::system::error_code wec) {
    if (!wec) {
      boost::system::error_code ig;
      sock->close(ig);
    }
  });
  std::optional<std::vector<uint8_t>> out;
  auto [wec, wn] = co_await asio::async_write(*sock, asio::buffer(frame), asio::as_tuple(asio::use_awaitable));
  uint8_t size_buf[4];
  if (!wec) {
    auto [rec, rn] = co_await asio::async_read(*sock, asio::buffer(size_buf), asio::as_tuple(asio::use_awaitable));
    const int32_t size = be::load<int32_t>(size_buf);
    // A response is at most the requested bytes plus its framing; anything larger is a broken peer.
    const int64_t limit = static_cast<int64_t>(b.config().replication.fetch_response_max_bytes) * 2 + (16 << 20);
    if (!rec && size >= 4 && size <= limit) {
      std::vector<uint8_t> body(static_cast<size_t>(size));
      auto [bec, bn] = co_await asio::async_read(*sock, asio::buffer(body), asio::as_tuple(asio::use_awaitable));
      if (!bec && be::load<int32_t>(body.data()) == h.correlation_id) {
        body.erase(body.begin(), body.begin() + 4);
        out = std::move(body);
      }
    }
  }
  f.watchdog->cancel();
  if (!out) disconnect(f);
  co_return out;
}

// KIP-279: where our log and the leader's agree, from the leader's end offset of our latest epoch. Returns false
// when another round is needed (our log held epochs the leader does not have).
bool truncate_to_leader(partition& p, int32_t leader_epoch, int64_t leader_end_offset) {
  const int64_t leo = p.log->log_end_offset();
  const auto t = cluster::follower_truncation_point(leo, p.high_watermark, leader_epoch, leader_end_offset,
                                                    p.log->end_offset_for_epoch(leader_epoch));
  if (t.offset < leo) {
    auto r = p.log->truncate_to(t.offset);
    if (!r) {
      spdlog::error("[{}-{}] truncation to {} failed: {}", p.topic, p.index, t.offset, r.error().message());
      return false;
    }
    spdlog::info("[{}-{}] truncated from {} to {} to match the leader (its epoch {} ends at {})", p.topic, p.index,
                 leo, *r, leader_epoch, leader_end_offset);
    p.high_watermark = std::min(p.high_watermark, *r);
    broker::rebuild_producer_state(p);
  }
  return t.complete;
}

asio::awaitable<void> truncate_assigned(broker& b, fetcher& f) {
  protocol::OffsetForLeaderEpochRequest req;
  req.replica_id = b.config().node_id;
  std::vector<std::pair<std::pair<std::string, int32_t>, uint64_t>> asked;
  const int64_t now = steady_ms();
  for (auto& [key, a] : f.parts) {
    if (!a.truncate || a.backoff_until_ms > now) continue;
    const int32_t latest = a.p->log->latest_epoch();
    if (latest < 0 || a.p->log->log_end_offset() == 0) {
      a.truncate = false;  // nothing of ours to disagree with
      continue;
    }
    auto& rp = topic_entry(req.topics, key.first).partitions.emplace_back();
    rp.partition = key.second;
    rp.current_leader_epoch = a.p->leader_epoch;
    rp.leader_epoch = latest;
    asked.push_back({key, a.generation});
  }
  if (asked.empty()) co_return;
  auto body = co_await call(b, f, protocol::OffsetForLeaderEpochRequest::api_key, epoch_version, req, 30s);
  if (!body) co_return;
  auto resp = protocol::decode_message<protocol::OffsetForLeaderEpochResponse>(*body, epoch_version);
  if (!resp) {
    disconnect(f);
    co_return;
  }
  for (const auto& t : resp->topics) {
    for (const auto& rp : t.partitions) {
      auto it = f.parts.find({t.topic, rp.partition});
      if (it == f.parts.end()) continue;
      auto& a = it->second;
      bool was_asked = false;
      for (const auto& [k, g] : asked) was_asked |= k == it->first && g == a.generation;
      if (!was_asked || a.p->is_leader) continue;
      if (rp.error_code != kafka_error::none) {
        a.backoff_until_ms = steady_ms() + partition_error_backoff_ms;
        continue;
      }
      a.truncate = !truncate_to_leader(*a.p, rp.leader_epoch, rp.end_offset);
    }
  }
}

// Appends one partition's fetched records; false when they do not fit our log (truncate again).
bool append_fetched(partition& p, const protocol::records_view& records) {
  std::span<const uint8_t> rest(records.data(), records.size());
  std::vector<std::span<uint8_t>> batches;
  std::vector<records::batch_view> views;
  while (!rest.empty()) {
    auto bv = records::batch_view::parse(rest);
    if (!bv) break;  // a partial batch at the end of a size-limited response
    if (auto ec = bv->verify_crc()) {
      spdlog::error("[{}-{}] batch at offset {} from the leader fails its CRC: not appended", p.topic, p.index,
                    bv->base_offset());
      return true;
    }
    // The response buffer is ours: the span may be mutable (append_replicated does not modify it).
    batches.emplace_back(const_cast<uint8_t*>(rest.data()), bv->size_bytes());
    views.push_back(*bv);
    rest = rest.subspan(bv->size_bytes());
  }
  if (batches.empty()) return true;
  auto r = p.log->append_replicated(batches);
  if (!r) {
    if (r.error() == storage::errc::invalid_argument) return false;
    spdlog::error("[{}-{}] replicated append failed: {}", p.topic, p.index, r.error().message());
    return true;
  }
  for (const auto& bv : views) {
    if (bv.producer_id() < 0 || bv.base_sequence() < 0) continue;
    const int64_t last = static_cast<int64_t>(bv.base_sequence()) + bv.last_offset_delta();
    p.producers.on_append({bv.producer_id(), bv.producer_epoch(), bv.base_sequence(),
                           static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last)},
                          bv.base_offset(), bv.last_offset());
  }
  return true;
}

asio::awaitable<void> fetch_once(broker& b, fetcher& f) {
  const auto& rc = b.config().replication;
  protocol::FetchRequest req;
  req.replica_id = b.config().node_id;
  req.max_wait_ms = rc.fetch_wait_max_ms;
  req.min_bytes = rc.fetch_min_bytes;
  req.max_bytes = rc.fetch_response_max_bytes;
  req.isolation_level = 0;
  req.session_id = 0;
  req.session_epoch = -1;
  std::map<std::pair<std::string, int32_t>, uint64_t> asked;
  const int64_t now = steady_ms();
  const int32_t self = b.config().node_id;
  const bool quota_spent = b.follower_quota().exceeded(now);
  for (auto& [key, a] : f.parts) {
    if (a.truncate || a.backoff_until_ms > now) continue;
    if (quota_spent && b.throttled(*a.p, self, false)) continue;  // follower.replication.throttled.rate
    auto& rp = topic_entry(req.topics, key.first).partitions.emplace_back();
    rp.partition = key.second;
    rp.current_leader_epoch = a.p->leader_epoch;
    rp.fetch_offset = a.p->log->log_end_offset();
    rp.log_start_offset = a.p->log->log_start_offset();
    rp.partition_max_bytes = rc.fetch_max_bytes;
    asked[key] = a.generation;
  }
  if (asked.empty()) {
    co_await sleep_for(f, std::chrono::milliseconds(partition_error_backoff_ms));
    co_return;
  }
  auto body = co_await call(b, f, protocol::FetchRequest::api_key, fetch_version, req,
                            std::chrono::milliseconds(rc.fetch_wait_max_ms + rc.socket_timeout_ms));
  if (!body) co_return;
  auto resp = protocol::decode_message<protocol::FetchResponse>(*body, fetch_version);
  if (!resp) {
    spdlog::warn("replica fetcher: undecodable fetch response from broker {}", f.leader);
    disconnect(f);
    co_return;
  }
  for (const auto& t : resp->responses) {
    for (const auto& rp : t.partitions) {
      auto it = f.parts.find({t.topic, rp.partition_index});
      if (it == f.parts.end()) continue;
      auto& a = it->second;
      auto ask = asked.find(it->first);
      if (ask == asked.end() || ask->second != a.generation || a.p->is_leader) continue;  // reassigned meanwhile
      partition& p = *a.p;
      if (rp.error_code == kafka_error::offset_out_of_range) {
        if (p.log->log_end_offset() < rp.log_start_offset) {
          spdlog::error("[{}-{}] fell behind the leader's log start {} (our end {}): cannot catch up yet", p.topic,
                        p.index, rp.log_start_offset, p.log->log_end_offset());
          a.backoff_until_ms = steady_ms() + rc.fetch_backoff_ms;
        } else {
          a.truncate = true;
        }
        continue;
      }
      if (rp.error_code != kafka_error::none) {
        a.backoff_until_ms = steady_ms() + partition_error_backoff_ms;
        continue;
      }
      if (rp.records && rp.records->size() > 0) {
        if (b.throttled(p, self, false))
          b.follower_quota().record(static_cast<int64_t>(rp.records->size()), steady_ms());
        if (!append_fetched(p, *rp.records)) {
          a.truncate = true;
          continue;
        }
      }
      p.high_watermark = std::max(p.high_watermark, std::min(rp.high_watermark, p.log->log_end_offset()));
    }
  }
}

// (No co_await inside conditions and no `continue` around co_await here: GCC 12 miscompiles some of those shapes.)
asio::awaitable<void> run_fetcher(broker& b, std::shared_ptr<fetcher> keep) {
  fetcher& f = *keep;
  const auto backoff = std::chrono::milliseconds(b.config().replication.fetch_backoff_ms);
  spdlog::info("replica fetcher {} for leader {} started", f.index, f.leader);
  while (!f.stopped && !f.parts.empty()) {
    bool ok = co_await ensure_connected(b, f);
    if (ok) {
      co_await truncate_assigned(b, f);
      if (!f.stopped && f.sock) co_await fetch_once(b, f);
      ok = f.sock != nullptr;
    }
    if (!ok && !f.stopped) {
      disconnect(f);
      co_await sleep_for(f, backoff);
    }
  }
  disconnect(f);
  f.running = false;
  spdlog::info("replica fetcher {} for leader {} stopped", f.index, f.leader);
}

}  // namespace

replica_fetchers::replica_fetchers(broker& b) : b_(b) {}

replica_fetchers::~replica_fetchers() { stop(); }

void replica_fetchers::follow(const std::shared_ptr<partition>& p, int32_t leader) {
  if (stopped_) return;
  unfollow(p->topic, p->index);
  const int32_t n = std::max(1, b_.config().replication.num_replica_fetchers);
  const int32_t index =
      static_cast<int32_t>((std::hash<std::string>{}(p->topic) * 31 + static_cast<size_t>(p->index)) % n);
  const std::pair<int32_t, int32_t> key{leader, index};
  auto& f = fetchers_[key];
  if (!f) {
    f = std::make_shared<fetcher>();
    f->leader = leader;
    f->index = index;
    f->pause = std::make_unique<asio::steady_timer>(b_.executor());
    f->watchdog = std::make_unique<asio::steady_timer>(b_.executor());
  }
  auto& a = f->parts[{p->topic, p->index}];
  a.p = p;
  a.generation = f->next_generation++;
  a.truncate = true;
  a.backoff_until_ms = 0;
  assigned_[{p->topic, p->index}] = key;
  if (!f->running) {
    f->running = true;
    asio::co_spawn(b_.executor(), run_fetcher(b_, f), asio::detached);
  }
}

void replica_fetchers::unfollow(const std::string& topic, int32_t index) {
  auto it = assigned_.find({topic, index});
  if (it == assigned_.end()) return;
  auto f = fetchers_.find(it->second);
  if (f != fetchers_.end()) {
    f->second->parts.erase({topic, index});
    // An idle fetcher ends its loop by itself; drop it from the map so a later follow() starts a fresh one.
    if (f->second->parts.empty()) {
      f->second->pause->cancel();
      fetchers_.erase(f);
    }
  }
  assigned_.erase(it);
}

void replica_fetchers::stop() {
  stopped_ = true;
  for (auto& [key, f] : fetchers_) {
    f->stopped = true;
    f->pause->cancel();
    f->watchdog->cancel();
    disconnect(*f);
  }
  fetchers_.clear();
  assigned_.clear();
}

}  // namespace samsa::server
