// The active controller's side of admin forwarding: a request frame forwarded by another node runs through the
// same handler as if a client had sent it here, and the whole response frame goes back. Only the metadata-changing
// APIs (and DescribeQuorum) are accepted; anything else gets no answer (the sender times out and reports
// NOT_CONTROLLER).
#include "forwarded.h"

#include <spdlog/spdlog.h>

#include "request_context.h"
#include "samsa/protocol/wire.h"

namespace samsa::server {

namespace {
bool forwardable(int16_t key) {
  switch (key) {
    case 19:  // CreateTopics
    case 20:  // DeleteTopics
    case 33:  // AlterConfigs
    case 37:  // CreatePartitions
    case 43:  // ElectLeaders
    case 44:  // IncrementalAlterConfigs
    case 45:  // AlterPartitionReassignments
    case 55:  // DescribeQuorum
      return true;
    default:
      return false;
  }
}
}  // namespace

boost::asio::awaitable<std::string> serve_forwarded(services& b, std::string bytes) {
  auto frame = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  protocol::reader r(*frame);
  auto header = protocol::decode_request_header(r);
  if (!header || !forwardable(header->api_key)) co_return std::string{};
  const api_handler* h = find_handler(header->api_key);
  if (h == nullptr || header->api_version < h->min_version || header->api_version > h->max_version)
    co_return std::string{};
  const size_t header_bytes = frame->size() - r.remaining();
  auto out = std::make_shared<outbound>();
  request_context ctx{b, *header, frame, std::span<uint8_t>(frame->data() + header_bytes, r.remaining()),
                      "forwarded", out};
  try {
    co_await h->fn(ctx);
  } catch (const std::exception& e) {
    spdlog::error("forwarded api {} v{} failed: {}", header->api_key, header->api_version, e.what());
    co_return std::string{};
  }
  std::string response;
  for (const auto& part : out->parts) {
    if (const auto* mem = std::get_if<std::vector<uint8_t>>(&part)) response.append(mem->begin(), mem->end());
  }
  co_return response;
}

}  // namespace samsa::server
