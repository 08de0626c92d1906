#pragma once
// client::connection: the one outbound Kafka-protocol client of samsad (and samsactl): one TCP connection to one
// broker, request/response with correlation ids, a deadline per request (the connection is closed when it passes:
// an answer that comes later cannot be matched to anything), a bound on the response size checked *before* the
// buffer is allocated, and reconnect back-off. Used by the replica fetcher, controller RPCs and admin forwarding.
//
// One request at a time per connection (callers that want several in flight open several connections, as
// Kafka's replica fetchers do). Runs on the executor it was made with; not thread-safe.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/protocol/header.h"

namespace samsa::client {

enum class errc {
  not_connected = 1,   // no connection (connect failed or was closed)
  timed_out,           // the connection or the request passed its deadline
  response_too_large,  // the response's size prefix exceeds max_response_bytes
  bad_response,        // wrong correlation id, or a body that does not decode
  io_error,            // the socket failed
};
const std::error_category& client_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

struct options {
  std::string client_id = "samsad";
  std::chrono::milliseconds connect_timeout{30000};
  // Responses larger than this are refused before anything is allocated for them (the connection is closed).
  int64_t max_response_bytes = 100 << 20;
  // Reconnect back-off: first pause, doubling up to the maximum.
  std::chrono::milliseconds backoff{100};
  std::chrono::milliseconds backoff_max{1000};
};

// A decoded response and the bytes it points into (records fields are views into `body`).
template <typename Response>
struct response {
  std::shared_ptr<std::vector<uint8_t>> body;
  Response message;
};

class connection {
 public:
  connection(boost::asio::any_io_executor ex, options opt);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Connects (resolving `host` when it is not an address) unless connected; errc::timed_out after
  // connect_timeout.
  boost::asio::awaitable<std::error_code> connect(std::string host, uint16_t port);
  bool connected() const noexcept;
  // Closes the connection; a request in progress fails with not_connected.
  void close();

  // Sends `frame` (a whole request: size prefix, header with `correlation_id`, body) and returns the response
  // after its size prefix: the correlation id (checked), then the rest of the header and the body (see
  // protocol::response_body). On any failure the connection is closed.
  boost::asio::awaitable<result<std::shared_ptr<std::vector<uint8_t>>>> round_trip(
      std::vector<uint8_t> frame, int32_t correlation_id, std::chrono::milliseconds timeout);

  // Encodes `req` at `version`, sends it and decodes the response.
  template <typename Response, typename Request>
  boost::asio::awaitable<result<response<Response>>> call(const Request& req, int16_t version,
                                                          std::chrono::milliseconds timeout);

  // The pause before the next connection attempt after a failure; grows until success (reset_backoff()).
  std::chrono::milliseconds next_backoff() noexcept;
  void reset_backoff() noexcept { backoff_ = opt_.backoff; }
  const options& opts() const noexcept { return opt_; }

 private:
  struct state;
  std::shared_ptr<state> s_;
  options opt_;
  std::chrono::milliseconds backoff_;
  int32_t next_correlation_ = 1;
};

}  // namespace samsa::client

template <>
struct std::is_error_code_enum<samsa::client::errc> : std::true_type {};

namespace samsa::client {

template <typename Response, typename Request>
boost::asio::awaitable<result<response<Response>>> connection::call(const Request& req, int16_t version,
                                                                    std::chrono::milliseconds timeout) {
  protocol::request_header h;
  h.api_key = Request::api_key;
  h.api_version = version;
  h.correlation_id = next_correlation_++;
  h.client_id = opt_.client_id;
  auto body = co_await round_trip(protocol::encode_request_frame(h, req), h.correlation_id, timeout);
  if (!body) co_return body.error();
  auto payload = protocol::response_body(std::span<const uint8_t>(**body).subspan(4),
                                         protocol::response_header_version(Request::api_key, version));
  auto m = payload ? protocol::decode_message<Response>(*payload, version) : result<Response>(payload.error());
  if (!m) {
    close();
    co_return errc::bad_response;
  }
  co_return response<Response>{std::move(*body), std::move(*m)};
}

}  // namespace samsa::client
