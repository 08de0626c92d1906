// One connection = a reader coroutine (frames in, one handler coroutine spawned per request) and a writer
// coroutine (responses out strictly in request order, which Kafka clients require). Both run on the connection's
// reactor shard; handlers run on shard 0, which owns the partitions: the request goes there with co_spawn and the
// finished response comes back with a post, so the connection's state is only ever touched from its own shard. Memory is bounded: a frame
// is refused before it is read when it exceeds socket.request.max.bytes, and the reader stops reading while
// queued.max.requests responses are pending.
#include "connection.h"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>

#include "request_context.h"

namespace samsa::server {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

struct connection_state {
  connection_state(tcp::socket s, services& br)
      : socket(std::move(s)), executor(socket.get_executor()), b(br), wakeup(socket.get_executor()), reader_wakeup(socket.get_executor()),
        idle(socket.get_executor()) {
    wakeup.expires_at(asio::steady_timer::time_point::max());
    reader_wakeup.expires_at(asio::steady_timer::time_point::max());
  }
  tcp::socket socket;
  const asio::any_io_executor executor;  // the connection's shard
  services& b;
  std::string peer;
  std::deque<std::shared_ptr<outbound>> pending;  // in request order
  asio::steady_timer wakeup;                      // wakes the writer when a response may be ready
  asio::steady_timer reader_wakeup;               // wakes the reader when the queue drains
  asio::steady_timer idle;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  bool closing = false;

  void close() {
    if (closing) return;
    closing = true;
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    wakeup.cancel();
    reader_wakeup.cancel();
    idle.cancel();
  }
};

// Runs on shard 0 and touches only `out` (handed over whole: nothing else uses it until it is marked ready) and its
// own request; the connection's state is touched back on the connection's shard. It holds the connection weakly: a
// handler still parked on shard 0 at shutdown must not own a socket of a shard that is already gone.
asio::awaitable<void> run_handler(std::weak_ptr<connection_state> conn, asio::any_io_executor conn_executor,
                                  const api_handler* h, std::unique_ptr<request_context> ctx) {
  auto out = ctx->out;
  try {
    co_await h->fn(*ctx);
  } catch (const std::exception& e) {
    // A handler bug must not take the broker down: log it and drop this connection.
    spdlog::error("[{}] handler for api {} v{} failed: {}", ctx->peer, h->key, ctx->version(), e.what());
    out->close_after = true;
  }
  ctx.reset();  // frees the request frame now rather than on the connection's shard later
  asio::dispatch(conn_executor, [conn = std::move(conn), out = std::move(out)] {
    out->ready = true;
    if (auto c = conn.lock()) c->wakeup.cancel();
  });
}

// Writes one file slice with sendfile(2) on the non-blocking socket, waiting for writability on EAGAIN.
asio::awaitable<bool> send_file_slice(connection_state& c, const storage::file_slice& s) {
  off_t offset = static_cast<off_t>(s.position);
  size_t left = s.length;
  while (left > 0) {
    ssize_t n = ::sendfile(c.socket.native_handle(), s.fd(), &offset, left);
    if (n > 0) {
      left -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto [ec] = co_await c.socket.async_wait(tcp::socket::wait_write, use_nothrow);
      if (ec) co_return false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // n == 0: the file is shorter than the slice (truncated underneath us); the response is now corrupt.
    if (c.closing || (n < 0 && (errno == EPIPE || errno == ECONNRESET || errno == EBADF))) {
      spdlog::debug("[{}] client went away during sendfile: {}", c.peer, std::strerror(errno));
    } else {
      spdlog::warn("[{}] sendfile failed: {}", c.peer, n == 0 ? "short file" : std::strerror(errno));
    }
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> writer(std::shared_ptr<connection_state> c) {
  std::vector<asio::const_buffer> buffers;
  while (!c->closing) {
    if (c->pending.empty() || !c->pending.front()->ready) {
      co_await c->wakeup.async_wait(use_nothrow);
      c->wakeup.expires_at(asio::steady_timer::time_point::max());
      continue;
    }
    auto out = std::move(c->pending.front());
    c->pending.pop_front();
    c->reader_wakeup.cancel();
    if (out->close_after) {
      c->close();
      break;
    }
    if (out->no_response) continue;
    // Gather consecutive memory parts into one write; file slices go through sendfile.
    size_t i = 0;
    while (i < out->parts.size() && !c->closing) {
      buffers.clear();
      while (i < out->parts.size() && std::holds_alternative<std::vector<uint8_t>>(out->parts[i])) {
        const auto& v = std::get<std::vector<uint8_t>>(out->parts[i]);
        buffers.emplace_back(v.data(), v.size());
        ++i;
      }
      if (!buffers.empty()) {
        auto [ec, n] = co_await asio::async_write(c->socket, buffers, use_nothrow);
        if (ec) { c->close(); break; }
      }
      if (i < out->parts.size()) {
        if (!co_await send_file_slice(*c, std::get<storage::file_slice>(out->parts[i]))) { c->close(); break; }
        ++i;
      }
    }
    c->last_activity = std::chrono::steady_clock::now();
  }
}

// Closes connections with no traffic for connections.max.idle.ms.
asio::awaitable<void> idle_watchdog(std::shared_ptr<connection_state> c, std::chrono::milliseconds max_idle) {
  while (!c->closing) {
    c->idle.expires_after(max_idle);
    co_await c->idle.async_wait(use_nothrow);  // cancelled on close; the loop condition handles it
    if (c->closing) break;
    if (std::chrono::steady_clock::now() - c->last_activity >= max_idle && c->pending.empty()) {
      spdlog::debug("[{}] closing idle connection", c->peer);
      c->close();
    }
  }
}

// Answers an ApiVersions request whose version is above ours with a v0-layout UNSUPPORTED_VERSION reply that
// lists our ApiVersions range, as Kafka does (KIP-511), so the client can retry at a version we speak.
std::vector<uint8_t> api_versions_fallback(int32_t correlation_id) {
  const api_handler* h = find_handler(protocol::api_versions_key);
  std::vector<uint8_t> out(4 + 4 + 2 + 4 + 6);
  protocol::writer w(out.data(), out.size());
  w.write_int<int32_t>(static_cast<int32_t>(out.size() - 4));
  w.write_int<int32_t>(correlation_id);
  w.write_int<int16_t>(35);  // UNSUPPORTED_VERSION
  w.write_int<int32_t>(1);
  w.write_int<int16_t>(protocol::api_versions_key);
  w.write_int<int16_t>(h->min_version);
  w.write_int<int16_t>(h->max_version);
  return out;
}

}  // namespace

asio::awaitable<void> serve_connection(services& b, tcp::socket socket,
                                       std::shared_ptr<std::atomic<size_t>> open_connections) {
  auto c = std::make_shared<connection_state>(std::move(socket), b);
  ++*open_connections;
  boost::system::error_code ec;
  auto ep = c->socket.remote_endpoint(ec);
  c->peer = ec ? "?" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  c->socket.set_option(tcp::no_delay(true), ec);
  c->socket.native_non_blocking(true, ec);
  spdlog::debug("[{}] connected", c->peer);

  const auto& cfg = b.config;
  auto ex = c->socket.get_executor();
  asio::co_spawn(ex, writer(c), asio::detached);
  asio::co_spawn(ex, idle_watchdog(c, std::chrono::milliseconds(cfg.connections_max_idle_ms)), asio::detached);

  uint8_t size_buf[4];
  while (!c->closing) {
    while (c->pending.size() >= static_cast<size_t>(cfg.queued_max_requests) && !c->closing) {
      co_await c->reader_wakeup.async_wait(use_nothrow);
      c->reader_wakeup.expires_at(asio::steady_timer::time_point::max());
    }
    if (c->closing) break;
    auto [e1, n1] = co_await asio::async_read(c->socket, asio::buffer(size_buf), use_nothrow);
    if (e1) break;
    const int32_t size = be::load<int32_t>(size_buf);
    if (auto err = protocol::check_frame_size(size, cfg.socket_request_max_bytes)) {
      spdlog::warn("[{}] refusing frame of {} bytes: {}", c->peer, size, err.message());
      break;
    }
    auto frame = std::make_shared<frame_buffer>(static_cast<size_t>(size));
    auto [e2, n2] = co_await asio::async_read(c->socket, asio::buffer(*frame), use_nothrow);
    if (e2) break;
    c->last_activity = std::chrono::steady_clock::now();

    protocol::reader r(*frame);
    auto header = protocol::decode_request_header(r);
    if (!header) {
      spdlog::warn("[{}] malformed request header: {}", c->peer, header.error().message());
      break;
    }
    auto out = std::make_shared<outbound>();
    const api_handler* h = find_handler(header->api_key);
    if (header->api_key == protocol::api_versions_key && h != nullptr && header->api_version > h->max_version) {
      out->parts.emplace_back(api_versions_fallback(header->correlation_id));
      out->ready = true;
      c->pending.push_back(out);
      c->wakeup.cancel();
      continue;
    }
    if (h == nullptr || header->api_version < h->min_version || header->api_version > h->max_version) {
      // Kafka closes the connection for keys or versions it does not advertise.
      spdlog::warn("[{}] unsupported api {} v{}: closing", c->peer, header->api_key, header->api_version);
      out->close_after = true;
      out->ready = true;
      c->pending.push_back(out);
      c->wakeup.cancel();
      break;
    }
    const size_t header_bytes = frame->size() - r.remaining();
    auto ctx = std::unique_ptr<request_context>(new request_context{
        b, *header, frame, std::span<uint8_t>(frame->data() + header_bytes, r.remaining()), c->peer, out});
    c->pending.push_back(out);
    asio::co_spawn(b.executor, run_handler(c, c->executor, h, std::move(ctx)), asio::detached);
  }
  // Let queued responses drain before closing: the writer closes on its own at a close_after marker.
  while (!c->closing && !c->pending.empty()) {
    co_await c->reader_wakeup.async_wait(use_nothrow);
    c->reader_wakeup.expires_at(asio::steady_timer::time_point::max());
  }
  c->close();
  --*open_connections;
  spdlog::debug("[{}] disconnected", c->peer);
}

}  // namespace samsa::server
