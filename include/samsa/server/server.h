#pragma once
// The Kafka listener: accepts connections on each configured endpoint and serves them with coroutines on the
// broker's io_context.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <system_error>
#include <vector>

#include "samsa/server/services.h"

namespace samsa::server {

class server {
 public:
  explicit server(services& b);
  // Binds every listener; errors (port in use, bad address) are returned, nothing is thrown.
  std::error_code start();
  void stop();
  // The bound port of the first listener (useful with port 0).
  uint16_t bound_port() const;

 private:
  services& b_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::shared_ptr<size_t> connections_ = std::make_shared<size_t>(0);
};

}  // namespace samsa::server
