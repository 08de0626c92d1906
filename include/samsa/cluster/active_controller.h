#pragma once
// active_controller: what this node does while it is the active controller (controller_node.h). A periodic loop
// bootstraps the cluster id, fences brokers whose sessions expired and runs preferred-leader rebalancing; and it
// serves the brokers' RPCs (node_rpc.h) by executing the controller's rules as commands: BrokerRegistration,
// BrokerHeartbeat, AllocateProducerIds and AlterPartition. A node that is not active answers NOT_CONTROLLER.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "samsa/cluster/types.h"

namespace samsa::cluster {

class controller_node;
class node_rpc;

class active_controller {
 public:
  active_controller(boost::asio::io_context& io, controller_node& node, node_rpc& rpc);
  ~active_controller();
  void start();
  void stop();
  // The node became the active controller (its term's first entry is applied) / stopped being it.
  void on_activated() {}
  void on_deactivated() { bootstrap_pending_ = false; }

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> bootstrap();
  boost::asio::awaitable<void> rebalance(int64_t now);
  void serve_rpcs();

  boost::asio::io_context& io_;
  controller_node& node_;
  node_rpc& rpc_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool bootstrap_pending_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// NOT_CONTROLLER, naming the node (what a node that is not the active controller answers).
api_error not_active_error(broker_id self);

}  // namespace samsa::cluster
