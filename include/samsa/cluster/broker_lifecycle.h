#pragma once
// broker_lifecycle: the local broker's side of its session with the active controller (wherever that is), over the
// node-to-node RPCs (node_rpc.h): registration, heartbeats (quickly until unfenced, then every
// broker.heartbeat.interval.ms), the fencing lease, controlled shutdown, and the broker's other requests to the
// controller: producer-id blocks and AlterPartition. Requests go to the quorum leader as this node knows it and are
// retried while none is known or it is not (yet) active.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "samsa/cluster/controller.h"

namespace samsa::cluster {

class controller_node;
class node_rpc;

class broker_lifecycle {
 public:
  broker_lifecycle(boost::asio::io_context& io, controller_node& node, node_rpc& rpc);
  ~broker_lifecycle();

  // Registers the broker and keeps its session alive with heartbeats until stop() or shutdown().
  void run(broker_registration_request reg);
  void stop();
  int64_t broker_epoch() const noexcept { return broker_epoch_; }
  // Whether this broker's session with the controller is surely still alive: an unfenced heartbeat reply arrived
  // for a heartbeat sent less than broker.session.timeout.ms ago. A broker cut off from the controller stops
  // acting as a partition leader once it expires (the controller has fenced it and elected others by then, or is
  // about to), so clients go looking for the new leader instead of writing to a deposed one.
  bool lease_valid() const;
  // Controlled shutdown: asks the active controller to fence this broker now (moving its leaderships away and
  // letting a restart register at once) instead of waiting for its session to expire. Best effort, bounded wait.
  boost::asio::awaitable<void> shutdown(broker_id id);

  // A block of producer ids from the active controller. The error says why not.
  boost::asio::awaitable<producer_ids_response> allocate_producer_ids();
  // AlterPartition: a partition leader asks the active controller to change the ISR. The response carries the
  // resulting state (or the current one with the error); NOT_CONTROLLER when no active controller answered.
  boost::asio::awaitable<alter_partition_response> alter_partition(alter_partition_request req);

 private:
  boost::asio::awaitable<void> loop(broker_registration_request reg);
  boost::asio::awaitable<void> register_once(const broker_registration_request& reg);
  boost::asio::awaitable<void> heartbeat_once(broker_id id, bool& fenced);
  // Sends to the active controller and retries (no leader known, or NOT_CONTROLLER) until `deadline_ms` passes.
  template <typename Response, typename Request>
  boost::asio::awaitable<std::optional<Response>> call_controller(const Request& req, int16_t version,
                                                                  int64_t deadline_ms = 5000);

  boost::asio::io_context& io_;
  controller_node& node_;
  node_rpc& rpc_;
  int64_t broker_epoch_ = -1;  // -1: not registered; -2: shutting down
  int64_t lease_from_ms_ = -1;  // send time of the latest heartbeat answered "unfenced"
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace samsa::cluster
