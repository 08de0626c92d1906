#pragma once
// node_rpc: the controller quorum's node-to-node RPCs. Requests and responses are Kafka-protocol frames of APIs
// declared in src/protocol/schema like every other (BrokerRegistration, BrokerHeartbeat, AllocateProducerIds,
// AlterPartition, and Samsa's MetadataLogFetch), encoded and decoded by the generated, bounds-checked codec and
// covered by the request-decode fuzz target. They travel in the Raft transport's application frames (the
// quorum's connections, see raft/driver.h): [u8 'Q'][request frame] and [u8 'R'][response frame], each frame as on
// a Kafka connection (size prefix, header, body). Like Raft messages they may be lost: every call has a deadline.
//
// A call to this node itself runs the registered handler directly (the same code a remote caller reaches).
// Single-threaded: everything runs on the io_context of the Raft driver.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "samsa/cluster/types.h"
#include "samsa/protocol/header.h"

namespace samsa::raft {
class driver;
}

namespace samsa::cluster {

class node_rpc {
 public:
  using bytes = std::vector<uint8_t>;
  // A request body at a version from a node; the encoded response body, or nullopt for no answer.
  using raw_handler =
      std::function<boost::asio::awaitable<std::optional<bytes>>(broker_id from, int16_t version,
                                                                 std::span<const uint8_t> body)>;

  node_rpc(boost::asio::io_context& io, broker_id self) : io_(io), self_(self) {}
  ~node_rpc();
  void attach(std::shared_ptr<raft::driver> driver) { driver_ = std::move(driver); }
  void stop();

  // Serves API `Request::api_key`. `fn` gets the decoded request and returns the response (nullopt: no answer).
  template <typename Request, typename Response>
  void serve(std::function<boost::asio::awaitable<std::optional<Response>>(broker_id from, Request req)> fn);

  // Calls `node` (possibly this node) and waits up to `timeout` for the decoded response.
  template <typename Response, typename Request>
  boost::asio::awaitable<std::optional<Response>> call(broker_id node, const Request& req, int16_t version,
                                                       std::chrono::milliseconds timeout);

  // The Raft driver's application-frame handler.
  void on_app_message(broker_id from, std::string_view payload);

 private:
  struct pending;
  boost::asio::awaitable<std::optional<bytes>> call_raw(broker_id node, int16_t key, int16_t version,
                                                        const bytes& request_frame, int32_t correlation_id,
                                                        std::chrono::milliseconds timeout);
  boost::asio::awaitable<void> serve_frame(broker_id from, std::string frame);

  boost::asio::io_context& io_;
  broker_id self_;
  std::shared_ptr<raft::driver> driver_;
  std::map<int16_t, raw_handler> handlers_;
  std::map<int32_t, std::shared_ptr<pending>> calls_;
  int32_t next_correlation_ = 1;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

template <typename Request, typename Response>
void node_rpc::serve(std::function<boost::asio::awaitable<std::optional<Response>>(broker_id, Request)> fn) {
  handlers_[Request::api_key] = [fn = std::move(fn)](broker_id from, int16_t version,
                                                     std::span<const uint8_t> body)
      -> boost::asio::awaitable<std::optional<bytes>> {
    auto req = protocol::decode_message<Request>(body, version);
    if (!req) co_return std::nullopt;  // malformed: no answer, the caller times out
    auto resp = co_await fn(from, std::move(*req));
    if (!resp) co_return std::nullopt;
    co_return protocol::encode_message(*resp, version);
  };
}

template <typename Response, typename Request>
boost::asio::awaitable<std::optional<Response>> node_rpc::call(broker_id node, const Request& req, int16_t version,
                                                               std::chrono::milliseconds timeout) {
  protocol::request_header h;
  h.api_key = Request::api_key;
  h.api_version = version;
  h.correlation_id = next_correlation_++;
  const std::string client_id = "samsad-node-" + samsa::to_string(self_);
  h.client_id = client_id;
  auto body = co_await call_raw(node, Request::api_key, version, protocol::encode_request_frame(h, req),
                                h.correlation_id, timeout);
  if (!body) co_return std::nullopt;
  auto payload = protocol::response_body(*body, protocol::response_header_version(Request::api_key, version));
  if (!payload) co_return std::nullopt;
  auto resp = protocol::decode_message<Response>(*payload, version);
  if (!resp) co_return std::nullopt;
  co_return std::move(*resp);
}

}  // namespace samsa::cluster
