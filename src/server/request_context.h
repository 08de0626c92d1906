#pragma once
// Everything a handler needs for one request: the decoded header, the body bytes (a view into the frame
// buffer, which the context keeps alive and which produce may rewrite in place) and where the response goes.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "outbound.h"
#include "samsa/protocol/header.h"
#include "samsa/server/services.h"

namespace samsa::server {

// Allocates like std::allocator but default-initialises elements, so a frame buffer sized for the socket read that
// fills it is not zero-filled first (that memset was 1.5-6 % of the produce path's CPU, docs/architecture.md).
template <typename T>
struct uninitialized_allocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = uninitialized_allocator<U>;
  };
  using std::allocator<T>::allocator;
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// A request's bytes (header + body), as read from the socket.
using frame_buffer = std::vector<uint8_t, uninitialized_allocator<uint8_t>>;

struct request_context {
  services& s;
  protocol::request_header header;
  std::shared_ptr<frame_buffer> frame;          // header + body bytes
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
