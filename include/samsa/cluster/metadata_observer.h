#pragma once
// metadata_observer: how a broker-only node (process.roles=broker, a KRaft-style observer) follows the committed
// metadata log, and how voters answer it. The observer asks a voter for the entries after the last one it applied
// (MetadataLogFetch, node_rpc.h) and applies them to its image in order; only the quorum leader answers with data
// (a snapshot first when the entries were compacted away, then at most 500 committed entries), others say who
// leads. A silent voter makes the observer try the next.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "samsa/cluster/types.h"
#include "samsa/protocol/messages/metadata_log_fetch.h"

namespace samsa::cluster {

class controller_node;
class node_rpc;

class metadata_observer {
 public:
  metadata_observer(boost::asio::io_context& io, controller_node& node, node_rpc& rpc);
  ~metadata_observer();
  // Observers: starts following the log.
  void start();
  void stop();
  // The quorum leader as the last answer said (-1: unknown).
  broker_id observed_leader() const noexcept { return observed_leader_; }

 private:
  boost::asio::awaitable<void> loop();
  // Applies an answer; true when more committed entries are waiting.
  bool apply(broker_id target, const protocol::MetadataLogFetchResponse& r);
  std::optional<protocol::MetadataLogFetchResponse> serve(broker_id from, const protocol::MetadataLogFetchRequest& q);

  boost::asio::io_context& io_;
  controller_node& node_;
  node_rpc& rpc_;
  broker_id observed_leader_ = -1;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace samsa::cluster
