#include "samsa/client/connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>

#include "samsa/base/endian.h"

namespace samsa::client {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "samsa.client"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_connected: return "not connected";
      case errc::timed_out: return "timed out";
      case errc::response_too_large: return "response larger than allowed";
      case errc::bad_response: return "malformed response";
      case errc::io_error: return "connection failed";
    }
    return "unknown client error";
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const category_impl c;
  return c;
}
std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), client_category()}; }

// The socket and its watchdog live in a shared state so that a watchdog firing after the connection object is
// gone (or reconnected) touches nothing it does not own.
struct connection::state {
  explicit state(asio::any_io_executor ex) : ex(ex), watchdog(ex) {}
  asio::any_io_executor ex;
  std::shared_ptr<tcp::socket> sock;
  asio::steady_timer watchdog;
  bool expired = false;

  // Closes the socket when `timeout` passes before disarm().
  void arm(std::chrono::milliseconds timeout) {
    expired = false;
    watchdog.expires_after(timeout);
    watchdog.async_wait([this, sock = sock](boost::system::error_code ec) {
      if (ec || !sock) return;
      expired = true;
      boost::system::error_code ig;
      sock->close(ig);
    });
  }
  void disarm() { watchdog.cancel(); }
  void close() {
    if (!sock) return;
    boost::system::error_code ig;
    sock->close(ig);
    sock.reset();
  }
};

connection::connection(asio::any_io_executor ex, options opt)
    : s_(std::make_shared<state>(std::move(ex))), opt_(std::move(opt)), backoff_(opt_.backoff) {}

connection::~connection() {
  s_->disarm();
  s_->close();
}

bool connection::connected() const noexcept { return s_->sock && s_->sock->is_open(); }

void connection::close() { s_->close(); }

std::chrono::milliseconds connection::next_backoff() noexcept {
  const auto now = backoff_;
  backoff_ = std::min(backoff_ * 2, opt_.backoff_max);
  return now;
}

asio::awaitable<std::error_code> connection::connect(std::string host, uint16_t port) {
  if (connected()) co_return std::error_code{};
  close();
  auto s = s_;  // keeps the state alive across suspensions
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  tcp::endpoint target;
  if (!ec) {
    target = tcp::endpoint(addr, port);
  } else {
    tcp::resolver resolver(s->ex);
    auto [rec, results] =
        co_await resolver.async_resolve(host, std::to_string(port), asio::as_tuple(asio::use_awaitable));
    if (rec || results.empty()) co_return errc::not_connected;
    target = results.begin()->endpoint();
  }
  s->sock = std::make_shared<tcp::socket>(s->ex);
  s->arm(opt_.connect_timeout);
  auto sock = s->sock;
  auto [cec] = co_await sock->async_connect(target, asio::as_tuple(asio::use_awaitable));
  s->disarm();
  if (cec || !sock->is_open()) {
    const bool expired = s->expired;
    if (s->sock == sock) s->close();
    co_return expired ? errc::timed_out : errc::not_connected;
  }
  sock->set_option(tcp::no_delay(true), ec);
  co_return std::error_code{};
}

asio::awaitable<result<std::shared_ptr<std::vector<uint8_t>>>> connection::round_trip(
    std::vector<uint8_t> frame, int32_t correlation_id, std::chrono::milliseconds timeout) {
  auto s = s_;
  auto sock = s->sock;
  if (!sock || !sock->is_open()) co_return errc::not_connected;
  s->arm(timeout);
  std::error_code failure;
  std::shared_ptr<std::vector<uint8_t>> body;
  auto [wec, wn] = co_await asio::async_write(*sock, asio::buffer(frame), asio::as_tuple(asio::use_awaitable));
  uint8_t size_buf[4];
  if (wec) {
    failure = errc::io_error;
  } else {
    auto [rec, rn] = co_await asio::async_read(*sock, asio::buffer(size_buf), asio::as_tuple(asio::use_awaitable));
    const int32_t size = be::load<int32_t>(size_buf);
    if (rec) {
      failure = errc::io_error;
    } else if (size < 4 || size > opt_.max_response_bytes) {
      failure = errc::response_too_large;  // refused before allocating anything for it
    } else {
      body = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(size));
      auto [bec, bn] = co_await asio::async_read(*sock, asio::buffer(*body), asio::as_tuple(asio::use_awaitable));
      if (bec) failure = errc::io_error;
      else if (be::load<int32_t>(body->data()) != correlation_id) failure = errc::bad_response;
    }
  }
  s->disarm();
  if (failure && s->expired) failure = errc::timed_out;
  if (failure) {
    if (s->sock == sock) s->close();
    co_return failure;
  }
  co_return body;
}

}  // namespace samsa::client
