#pragma once
// Everything a handler needs for one request: the decoded header, the body bytes (a view into the frame
// buffer, which the context keeps alive and which produce may rewrite in place) and where the response goes.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "outbound.h"
#include "samsa/protocol/header.h"
#include "samsa/server/services.h"

namespace samsa::server {

struct request_context {
  services& s;
  protocol::request_header header;
  std::shared_ptr<std::vector<uint8_t>> frame;  // header + body bytes
  std::span<uint8_t> body;
  std::string peer;                             // "host:port" of the client, for logs
  std::shared_ptr<outbound> out;

  int16_t version() const noexcept { return header.api_version; }

  // Encodes a whole response (size prefix, response header, body) as the only part.
  template <typename Response>
  void respond(const Response& r) {
    out->parts.emplace_back(protocol::encode_response_frame(header.correlation_id, header.api_version, r));
  }

  // Decodes the body as Request; on failure marks the connection for closing and returns false.
  template <typename Request>
  bool decode(Request& req) {
    auto m = protocol::decode_message<Request>(body, header.api_version);
    if (!m) {
      out->close_after = true;
      return false;
    }
    req = std::move(*m);
    return true;
  }
};

using handler_fn = boost::asio::awaitable<void> (*)(request_context&);

struct api_handler {
  int16_t key;
  int16_t min_version;
  int16_t max_version;
  handler_fn fn;
};

// The one table of implemented APIs: the dispatcher routes by it and ApiVersions advertises exactly it.
std::span<const api_handler> api_handlers() noexcept;
const api_handler* find_handler(int16_t key) noexcept;

}  // namespace samsa::server
