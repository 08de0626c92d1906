#include "admin_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "samsa/base/endian.h"
#include "samsa/client/connection.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/config/topic_table.h"
#include "samsa/group/offsets_format.h"
#include "samsa/protocol/header.h"
#include "samsa/protocol/messages/create_topics.h"
#include "samsa/server/kafka_error.h"

namespace samsa::server {

namespace {

// The CreateTopics request (v4, header v1) that carries the broker's own creations to a remote controller.
std::vector<uint8_t> create_topics_frame(const std::vector<cluster::create_topic_request>& reqs, int32_t node_id) {
  protocol::CreateTopicsRequest req;
  req.timeout_ms = 30000;
  for (const auto& q : reqs) {
    auto& t = req.topics.emplace_back();
    t.name = q.name;
    t.num_partitions = q.num_partitions;
    t.replication_factor = q.replication_factor;
    for (const auto& [k, v] : q.configs) {
      auto& c = t.configs.emplace_back();
      c.name = k;
      c.value = v;
    }
  }
  protocol::request_header h;
  h.api_key = protocol::CreateTopicsRequest::api_key;
  h.api_version = 4;
  const std::string client_id = "samsad-" + std::to_string(node_id);
  h.client_id = client_id;
  auto frame = protocol::encode_request_frame(h, req);
  frame.erase(frame.begin(), frame.begin() + protocol::frame_size_prefix);
  return frame;
}

boost::asio::awaitable<void> create_in_background(admin_client& a, cluster::create_topic_request req) {
  std::vector<cluster::create_topic_request> reqs;
  reqs.push_back(std::move(req));
  auto r = co_await a.create_topics(std::move(reqs));
  for (const auto& t : r) {
    if (!t.error.ok() && t.error.code != kafka_error::topic_already_exists)
      spdlog::warn("creating topic {} failed: {}", t.name, t.error.message);
  }
}

}  // namespace

// __consumer_offsets as Kafka creates it: compacted, offsets.topic.* partitions, replicas and segment size. The
// replication factor is capped at the number of unfenced registered brokers (Kafka refuses to create the topic
// until offsets.topic.replication.factor brokers are alive; Samsa creates it with fewer replicas, so the default
// of 3 works on a single node).
cluster::create_topic_request admin_client::offsets_topic_request() const {
  const auto& img = controller_.image();
  cluster::create_topic_request req;
  req.name = group::offsets_topic;
  req.num_partitions = config_.group.offsets_topic_num_partitions;
  const auto live = std::count_if(img.brokers().begin(), img.brokers().end(),
                                  [](const auto& b) { return !b.second.fenced; });
  req.replication_factor = static_cast<int16_t>(
      std::max<int64_t>(1, std::min<int64_t>(config_.group.offsets_topic_replication_factor, live)));
  req.configs = {{std::string(config::topic_key("cleanup.policy").name), std::optional<std::string>("compact")},
                 {std::string(config::topic_key("segment.bytes").name),
                  std::optional<std::string>(std::to_string(config_.group.offsets_topic_segment_bytes))}};
  return req;
}

boost::asio::awaitable<std::vector<cluster::create_topic_result>> admin_client::create_topics(
    std::vector<cluster::create_topic_request> reqs) {
  std::vector<cluster::create_topic_result> out;
  if (!controller_.is_active()) {
    const auto request = create_topics_frame(reqs, config_.node_id);
    auto resp_frame = co_await forward_to_controller(request);
    if (resp_frame && resp_frame->size() >= protocol::frame_size_prefix + 4) {
      std::span<const uint8_t> body(resp_frame->data() + protocol::frame_size_prefix + 4,
                                    resp_frame->size() - protocol::frame_size_prefix - 4);
      if (auto resp = protocol::decode_message<protocol::CreateTopicsResponse>(body, 4)) {
        for (const auto& t : resp->topics) {
          auto& r = out.emplace_back();
          r.name = t.name;
          r.error = {t.error_code, t.error_message.value_or("")};
        }
        co_return out;
      }
    }
  }
  if (controller_.is_active()) {  // this node, or it became the active controller while we waited for one
    cluster::command<std::vector<cluster::create_topic_result>> cmd =
        [reqs](cluster::controller& c, const cluster::metadata_image& img) { return c.create_topics(img, reqs); };
    auto r = co_await controller_.execute(std::move(cmd));
    if (r.error == cluster::command_error::none) co_return r.response;
  }
  for (const auto& q : reqs) out.push_back({q.name, {kafka_error::not_controller, "no active controller"}});
  co_return out;
}

boost::asio::awaitable<void> admin_client::ensure_offsets_topic() {
  if (controller_.image().topic(group::offsets_topic) != nullptr) co_return;
  std::vector<cluster::create_topic_request> reqs;
  reqs.push_back(offsets_topic_request());
  auto r = co_await create_topics(std::move(reqs));
  for (const auto& t : r) {
    if (!t.error.ok() && t.error.code != kafka_error::topic_already_exists)
      spdlog::warn("creating {} failed: {}", t.name, t.error.message);
  }
}

void admin_client::request_topic_creation(cluster::create_topic_request req) {
  boost::asio::co_spawn(ex_, create_in_background(*this, std::move(req)), boost::asio::detached);
}

boost::asio::awaitable<std::optional<std::vector<uint8_t>>> admin_client::forward_to_controller(
    std::span<const uint8_t> frame) {
  // While the quorum elects a new leader (or the one we knew is gone) there is no one to forward to: wait for
  // one, as Kafka's forwarding manager queues requests until the controller is known, rather than answering
  // NOT_CONTROLLER at once to clients that may not retry.
  const auto deadline = std::chrono::steady_clock::now() + forward_deadline;
  while (!controller_.is_active()) {
    if (auto resp = co_await forward_once(frame, deadline)) co_return resp;
    if (std::chrono::steady_clock::now() + forward_retry_pause >= deadline) break;
    boost::asio::steady_timer pause(ex_, forward_retry_pause);
    boost::system::error_code ec;
    co_await pause.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  co_return std::nullopt;  // this node became the active controller, or none answered in time
}

boost::asio::awaitable<std::optional<std::vector<uint8_t>>> admin_client::forward_once(
    std::span<const uint8_t> frame, std::chrono::steady_clock::time_point deadline) {
  // The active controller is the quorum leader; it serves clients on its broker listener like any broker.
  const cluster::broker_id leader = controller_.leader_id();
  const auto* reg = leader >= 0 && leader != config_.node_id ? controller_.image().broker(leader) : nullptr;
  if (reg == nullptr || reg->endpoints.empty()) co_return std::nullopt;
  protocol::reader r(frame);
  auto header = protocol::decode_request_header(r);
  if (!header) co_return std::nullopt;
  const std::span<const uint8_t> body(r.position(), r.remaining());
  // Re-framed under our own correlation id and a client id that tells the controller not to forward it again.
  protocol::request_header h = *header;
  h.correlation_id = 1;
  const std::string client_id = std::string(forwarded_client_prefix) + std::to_string(config_.node_id);
  h.client_id = client_id;
  const int16_t hv = protocol::request_header_version(h.api_key, h.api_version);
  std::vector<uint8_t> out(protocol::frame_size_prefix + protocol::request_header_size(h, hv) + body.size());
  protocol::writer w(out.data(), out.size());
  w.write_int<int32_t>(static_cast<int32_t>(out.size() - protocol::frame_size_prefix));
  protocol::encode_request_header(w, h, hv);
  w.write_raw(body.data(), body.size());

  client::options o;
  o.client_id = client_id;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  o.connect_timeout = std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(2000));
  client::connection conn(ex_, o);
  const auto& ep = reg->endpoints.front();
  if (co_await conn.connect(ep.host, ep.port)) co_return std::nullopt;
  // Once the controller has the request it may take the request's own timeout (up to 30 s) to answer.
  auto resp = co_await conn.round_trip(std::move(out), h.correlation_id, std::chrono::seconds(35));
  if (!resp) co_return std::nullopt;
  // The whole response frame for our client: its size prefix, its correlation id, the controller's answer.
  const auto& answer = **resp;  // correlation id, then the rest of the header and the body
  std::vector<uint8_t> frame_out(protocol::frame_size_prefix + answer.size());
  be::store<int32_t>(frame_out.data(), static_cast<int32_t>(answer.size()));
  be::store<int32_t>(frame_out.data() + protocol::frame_size_prefix, header->correlation_id);
  std::copy(answer.begin() + 4, answer.end(), frame_out.begin() + protocol::frame_size_prefix + 4);
  co_return frame_out;
}

}  // namespace samsa::server
