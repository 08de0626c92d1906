// ApiVersions (18): advertises exactly the handler table. v3 requests name the client software, which Kafka
// validates ([a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?) and answers INVALID_REQUEST(42) when it does not match.
#include "handlers.h"

namespace samsa::server {
namespace {

bool valid_software_token(const std::string& s) {
  if (s.empty()) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '.') return false;
  return true;
}

}  // namespace

boost::asio::awaitable<void> handle_api_versions(request_context& ctx) {
  protocol::ApiVersionsRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::ApiVersionsResponse resp;
  if (ctx.version() >= 3 &&
      (!valid_software_token(req.client_software_name) || !valid_software_token(req.client_software_version))) {
    resp.error_code = kafka_error::invalid_request;
  }
  for (const auto& h : api_handlers()) {
    auto& k = resp.api_keys.emplace_back();
    k.api_key = h.key;
    k.min_version = h.min_version;
    k.max_version = h.max_version;
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
