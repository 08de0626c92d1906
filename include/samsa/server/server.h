#pragma once
// The Kafka listener: accepts connections on each configured endpoint (on shard 0) and serves each with coroutines
// on one reactor shard, round robin (reactors.h).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <memory>
#include <system_error>
#include <vector>

#include "samsa/server/reactors.h"
#include "samsa/server/services.h"

namespace samsa::server {

class server {
 public:
  explicit server(services& b);
  // Joins the reactor threads (after shard 0 has stopped running).
  ~server();
  // Binds every listener and starts the reactor shards; errors (port in use, bad address) are returned.
  std::error_code start();
  // Stops accepting; connections are served on until shutdown().
  void stop();
  // Stops the reactor shards (their connections are dropped); call once shard 0 no longer runs handlers.
  void shutdown();
  // The bound port of the first listener (useful with port 0).
  uint16_t bound_port() const;

 private:
  services& b_;
  reactors shards_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::shared_ptr<std::atomic<size_t>> connections_ = std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace samsa::server
