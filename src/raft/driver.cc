#include "samsa/raft/driver.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "samsa/base/endian.h"
#include "samsa/raft/codec.h"

namespace samsa::raft {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr uint32_t max_frame = 64u << 20;  // a snapshot of the metadata image fits with room to spare
constexpr size_t max_queued_frames = 4096;  // beyond this the peer is hopelessly behind: drop, raft will resend
// First byte of an application frame: [0xA5][u64 sender id][payload]. Raft frames start with the codec's version
// byte, which is small.
constexpr uint8_t app_frame_marker = 0xA5;
}  // namespace

driver::driver(asio::io_context& io, driver_options opt, state_machine& sm, core c, std::unique_ptr<disk_log> log)
    : io_(io), opt_(std::move(opt)), sm_(sm), core_(std::move(c)), log_(std::move(log)), acceptor_(io), ticker_(io) {}

result<std::shared_ptr<driver>> driver::open(asio::io_context& io, driver_options opt, state_machine& sm) {
  auto disk = disk_log::open(opt.dir);
  if (!disk) return disk.error();
  if (disk->state.snap.index > 0 && !opt.observer) sm.restore(disk->state.snap);
  auto c = core::open(opt.raft, std::move(disk->state));
  if (!c) return c.error();
  std::shared_ptr<driver> d(new driver(io, std::move(opt), sm, std::move(*c), std::move(disk->log)));
  boost::system::error_code ec;
  d->acceptor_.open(d->opt_.listen.protocol(), ec);
  if (!ec) d->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) d->acceptor_.bind(d->opt_.listen, ec);
  if (!ec) d->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::error_code(ec.value(), std::system_category());
  return d;
}

uint16_t driver::port() const { return acceptor_.local_endpoint().port(); }

void driver::set_peers(const std::map<node_id, tcp::endpoint>& peers) {
  for (auto& [id, ep] : peers) {
    if (id == core_.id()) continue;
    peer& p = peers_[id];
    p.endpoint = ep;
    p.wake = std::make_unique<asio::steady_timer>(io_);
  }
}

void driver::ensure_peer(node_id id, const tcp::endpoint& ep) {
  if (id == core_.id() || stopped_) return;
  auto it = peers_.find(id);
  if (it != peers_.end()) {
    if (it->second.endpoint != ep) {
      it->second.endpoint = ep;
      boost::system::error_code ignored;
      if (it->second.socket) it->second.socket->close(ignored);
    }
    return;
  }
  peer& p = peers_[id];
  p.endpoint = ep;
  p.wake = std::make_unique<asio::steady_timer>(io_);
  auto self = shared_from_this();
  asio::co_spawn(io_, [self, id]() { return self->send_loop(id); }, asio::detached);
}

void driver::start() {
  auto self = shared_from_this();
  if (opt_.observer) {
    asio::co_spawn(io_, [self]() { return self->accept_loop(); }, asio::detached);
    for (auto& [id, p] : peers_) {
      asio::co_spawn(io_, [self, id = id]() { return self->send_loop(id); }, asio::detached);
    }
    return;
  }
  asio::co_spawn(io_, [self]() { return self->tick_loop(); }, asio::detached);
  asio::co_spawn(io_, [self]() { return self->accept_loop(); }, asio::detached);
  for (auto& [id, p] : peers_) {
    asio::co_spawn(io_, [self, id = id]() { return self->send_loop(id); }, asio::detached);
  }
  process_ready();  // a single voter is leader from the start and has a no-op to persist
}

void driver::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  ticker_.cancel();
  for (auto& [id, p] : peers_) {
    p.wake->cancel();
    if (p.socket) p.socket->close(ignored);
  }
  for (auto& w : inbound_) {
    if (auto s = w.lock()) s->close(ignored);
  }
}

result<index_t> driver::propose(std::string data) {
  if (stopped_) return errc::not_leader;
  std::vector<std::string> batch;
  batch.push_back(std::move(data));
  auto r = core_.propose(std::move(batch));
  if (r) process_ready();
  return r;
}

std::error_code driver::compact(index_t index, std::string data) {
  auto ec = core_.compact(index, std::move(data));
  if (!ec) process_ready();
  return ec;
}

void driver::process_ready() {
  while (!stopped_ && core_.has_ready()) {
    ready_batch rd = core_.ready();
    if (auto ec = log_->persist(rd)) {
      // Without durability we cannot send what this batch promises; stop rather than lie to the quorum.
      failure_ = ec;
      stop();
      return;
    }
    for (const auto& m : rd.messages) enqueue(m);
    if (rd.role) sm_.on_role_change(*rd.role);
    if (rd.restore_snapshot && rd.snapshot) sm_.restore(*rd.snapshot);
    for (const auto& e : rd.committed) sm_.apply(e);
    core_.advance(rd);
  }
}

void driver::enqueue(const message& m) { enqueue_frame(m.to, codec::encode(m)); }

void driver::send_app(node_id to, std::string_view payload) {
  if (stopped_) return;
  std::string body(9, '\0');
  body[0] = static_cast<char>(app_frame_marker);
  be::store(reinterpret_cast<uint8_t*>(body.data() + 1), static_cast<uint64_t>(core_.id()));
  body.append(payload);
  enqueue_frame(to, body);
}

void driver::enqueue_frame(node_id to, std::string_view payload) {
  auto it = peers_.find(to);
  if (it == peers_.end()) return;
  peer& p = it->second;
  if (p.frames.size() >= max_queued_frames) p.frames.pop_front();
  std::string frame(4, '\0');
  be::store(reinterpret_cast<uint8_t*>(frame.data()), static_cast<uint32_t>(payload.size()));
  frame.append(payload);
  p.frames.push_back(std::move(frame));
  p.wake->cancel();
}

asio::awaitable<void> driver::tick_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    ticker_.expires_after(opt_.tick);
    co_await ticker_.async_wait(use_tuple);
    if (stopped_) break;
    (void)core_.tick();
    process_ready();
  }
}

asio::awaitable<void> driver::accept_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    auto [ec, sock] = co_await acceptor_.async_accept(use_tuple);
    if (ec) {
      if (stopped_) break;
      continue;
    }
    sock.set_option(tcp::no_delay(true));
    auto s = std::make_shared<tcp::socket>(std::move(sock));
    std::erase_if(inbound_, [](auto& w) { return w.expired(); });
    inbound_.push_back(s);
    asio::co_spawn(io_, [self, s]() { return self->read_loop(s); }, asio::detached);
  }
}

asio::awaitable<void> driver::read_loop(std::shared_ptr<tcp::socket> s) {
  auto self = shared_from_this();
  std::string buf;
  while (!stopped_) {
    uint8_t header[4];
    auto [ec, n] = co_await asio::async_read(*s, asio::buffer(header), use_tuple);
    if (ec) break;
    const uint32_t len = be::load<uint32_t>(header);
    if (len > max_frame) break;  // not one of ours, or garbage: drop the connection
    buf.resize(len);
    auto [ec2, n2] = co_await asio::async_read(*s, asio::buffer(buf), use_tuple);
    if (ec2 || stopped_) break;
    if (!buf.empty() && static_cast<uint8_t>(buf[0]) == app_frame_marker) {
      if (buf.size() < 9) break;
      const auto from = be::load<uint64_t>(reinterpret_cast<const uint8_t*>(buf.data() + 1));
      if (app_handler_) app_handler_(from, std::string_view(buf).substr(9));
      continue;
    }
    if (opt_.observer) continue;  // an observer's core takes no part in Raft
    auto m = codec::decode_message(buf);
    if (!m) break;
    if (!core_.step(*m)) process_ready();  // misaddressed messages are ignored
  }
  boost::system::error_code ignored;
  s->close(ignored);
}

asio::awaitable<void> driver::send_loop(node_id id) {
  auto self = shared_from_this();
  peer& p = peers_.at(id);
  asio::steady_timer backoff(io_);
  while (!stopped_) {
    if (p.frames.empty()) {
      p.wake->expires_at(asio::steady_timer::time_point::max());
      co_await p.wake->async_wait(use_tuple);  // cancelled by enqueue() or stop()
      continue;
    }
    if (!p.socket) {
      auto sock = std::make_unique<tcp::socket>(io_);
      auto [ec] = co_await sock->async_connect(p.endpoint, use_tuple);
      if (ec) {
        p.frames.clear();  // the peer is down: what we had for it is stale by the time it returns
        backoff.expires_after(opt_.tick);
        co_await backoff.async_wait(use_tuple);
        continue;
      }
      sock->set_option(tcp::no_delay(true));
      p.socket = std::move(sock);
    }
    std::string frame = std::move(p.frames.front());
    p.frames.pop_front();
    auto [ec, n] = co_await asio::async_write(*p.socket, asio::buffer(frame), use_tuple);
    if (ec) {
      boost::system::error_code ignored;
      p.socket->close(ignored);
      p.socket.reset();
    }
  }
}

}  // namespace samsa::raft
