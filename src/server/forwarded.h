#pragma once
#include <boost/asio/awaitable.hpp>
#include <string>

#include "samsa/server/services.h"

namespace samsa::server {

// Runs a request frame (header + body) forwarded from another node and returns the response frame (with its size
// prefix); empty when the request is not one that may be forwarded or is malformed.
boost::asio::awaitable<std::string> serve_forwarded(services& b, std::string frame);

}  // namespace samsa::server
