#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <memory>

#include "samsa/server/services.h"

namespace samsa::server {

// Serves one client connection until it closes or misbehaves, on the socket's own executor (its reactor shard);
// request handlers run on shard 0 (`b.executor`).
boost::asio::awaitable<void> serve_connection(services& b, boost::asio::ip::tcp::socket socket,
                                              std::shared_ptr<std::atomic<size_t>> open_connections);

}  // namespace samsa::server
