#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "samsa/server/services.h"

namespace samsa::server {

// Serves one client connection until it closes or misbehaves.
boost::asio::awaitable<void> serve_connection(services& b, boost::asio::ip::tcp::socket socket,
                                              std::shared_ptr<size_t> open_connections);

}  // namespace samsa::server
