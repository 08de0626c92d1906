#include "samsa/cluster/node_rpc.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "samsa/base/endian.h"
#include "samsa/raft/driver.h"

namespace samsa::cluster {

namespace asio = boost::asio;

namespace {
constexpr char request_mark = 'Q';
constexpr char response_mark = 'R';
}  // namespace

struct node_rpc::pending {
  std::unique_ptr<asio::steady_timer> timer;
  std::optional<bytes> reply;  // the response frame after its correlation id
};

node_rpc::~node_rpc() {
  *alive_ = false;
  stop();
}

void node_rpc::stop() {
  stopped_ = true;
  for (auto& [corr, p] : calls_) p->timer->cancel();
}

asio::awaitable<std::optional<node_rpc::bytes>> node_rpc::call_raw(broker_id node, int16_t, int16_t,
                                                                   const bytes& request_frame, int32_t correlation_id,
                                                                   std::chrono::milliseconds timeout) {
  if (stopped_ || !driver_) co_return std::nullopt;
  std::weak_ptr<bool> alive = alive_;
  auto p = std::make_shared<pending>();
  p->timer = std::make_unique<asio::steady_timer>(io_, timeout);
  calls_[correlation_id] = p;
  std::string msg(1, request_mark);
  msg.append(request_frame.begin(), request_frame.end());
  if (node == self_) {
    asio::co_spawn(io_, serve_frame(self_, msg.substr(1)), asio::detached);
  } else {
    driver_->send_app(static_cast<raft::node_id>(node.value()), msg);
  }
  boost::system::error_code ec;
  if (!p->reply) co_await p->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (alive.expired()) co_return std::nullopt;
  calls_.erase(correlation_id);
  co_return std::move(p->reply);
}

asio::awaitable<void> node_rpc::serve_frame(broker_id from, std::string frame) {
  std::weak_ptr<bool> alive = alive_;
  if (frame.size() < protocol::frame_size_prefix) co_return;
  const auto* data = reinterpret_cast<const uint8_t*>(frame.data());
  protocol::reader r(std::span<const uint8_t>(data + protocol::frame_size_prefix,
                                              frame.size() - protocol::frame_size_prefix));
  auto header = protocol::decode_request_header(r);
  if (!header) co_return;
  auto h = handlers_.find(header->api_key);
  if (h == handlers_.end()) co_return;  // not ours (a newer peer): no answer, the caller times out
  const int32_t corr = header->correlation_id;
  const int16_t hv = protocol::response_header_version(header->api_key, header->api_version);
  auto body = co_await h->second(from, header->api_version, std::span<const uint8_t>(r.position(), r.remaining()));
  if (alive.expired() || stopped_ || !body) co_return;
  const size_t n = protocol::response_header_size(hv) + body->size();
  bytes out(protocol::frame_size_prefix + n);
  protocol::writer w(out.data(), out.size());
  w.write_int<int32_t>(static_cast<int32_t>(n));
  protocol::encode_response_header(w, corr, hv);
  w.write_raw(body->data(), body->size());
  if (from == self_) {
    auto it = calls_.find(corr);
    if (it == calls_.end()) co_return;
    it->second->reply = bytes(out.begin() + protocol::frame_size_prefix + 4, out.end());
    it->second->timer->cancel();
    co_return;
  }
  std::string msg(1, response_mark);
  msg.append(out.begin(), out.end());
  driver_->send_app(static_cast<raft::node_id>(from.value()), msg);
}

void node_rpc::on_app_message(broker_id from, std::string_view payload) {
  if (payload.empty() || stopped_) return;
  if (payload[0] == request_mark) {
    asio::co_spawn(io_, serve_frame(from, std::string(payload.substr(1))), asio::detached);
    return;
  }
  if (payload[0] != response_mark || payload.size() < 1 + protocol::frame_size_prefix + 4) return;
  const auto* data = reinterpret_cast<const uint8_t*>(payload.data()) + 1;
  const int32_t size = be::load<int32_t>(data);
  if (size < 4 || static_cast<size_t>(size) != payload.size() - 1 - protocol::frame_size_prefix) return;
  const int32_t corr = be::load<int32_t>(data + protocol::frame_size_prefix);
  auto it = calls_.find(corr);
  if (it == calls_.end()) return;  // timed out already
  it->second->reply = bytes(data + protocol::frame_size_prefix + 4, data + (payload.size() - 1));
  it->second->timer->cancel();
}

}  // namespace samsa::cluster
