#pragma once
// The broker's own metadata changes (topic auto-creation, __consumer_offsets) and the forwarding of clients'
// admin requests: both go to the active controller, run locally when this node is it.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "samsa/cluster/controller.h"
#include "samsa/server/config.h"

namespace samsa::cluster {
class controller_node;
}

namespace samsa::server {

// The client id prefix of a forwarded request: its receiver runs it and never forwards it again.
inline constexpr std::string_view forwarded_client_prefix = "samsad-forwarded-by-";

class admin_client {
 public:
  admin_client(boost::asio::any_io_executor ex, const broker_config& config, cluster::controller_node& controller)
      : ex_(std::move(ex)), config_(config), controller_(controller) {}

  // Creates topics through the active controller: locally when this node is it, else by forwarding a
  // CreateTopics request to it. NOT_CONTROLLER results when no controller answered.
  boost::asio::awaitable<std::vector<cluster::create_topic_result>> create_topics(
      std::vector<cluster::create_topic_request> reqs);
  // Creates __consumer_offsets when it does not exist yet, and waits for the outcome.
  boost::asio::awaitable<void> ensure_offsets_topic();
  // Fire-and-forget creation (logged on failure): callers learn the outcome from the next images.
  void request_topic_creation(cluster::create_topic_request req);

  // Forwards the request in `frame` (header + body, no size prefix) to the active controller's broker listener
  // (client::connection) and returns the whole response frame for our client (size prefix, the client's
  // correlation id, the answer). While no controller is known or reachable it retries for up to
  // forward_deadline; nullopt when none answered by then or this node became the active controller.
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> forward_to_controller(std::span<const uint8_t> frame);

  static constexpr std::chrono::milliseconds forward_deadline{5000};
  static constexpr std::chrono::milliseconds forward_retry_pause{100};

  // __consumer_offsets as Kafka creates it (see admin_client.cc).
  cluster::create_topic_request offsets_topic_request() const;

 private:
  // One attempt at the leader the quorum names now; nullopt when there is none or it did not answer.
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> forward_once(
      std::span<const uint8_t> frame, std::chrono::steady_clock::time_point deadline);

  boost::asio::any_io_executor ex_;
  const broker_config& config_;
  cluster::controller_node& controller_;
};

}  // namespace samsa::server
