// AlterConfigs (33), v0-1: replaces the whole override set of a topic (keys not listed go back to the broker
// default). Broker configs are static: changing them answers INVALID_REQUEST.
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_alter_configs(request_context& ctx) {
  protocol::AlterConfigsRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::AlterConfigsResponse resp;
  for (const auto& res : req.resources) {
    auto& r = resp.responses.emplace_back();
    r.resource_type = res.resource_type;
    r.resource_name = res.resource_name;
    if (res.resource_type != 2) {
      r.error_code = kafka_error::invalid_request;
      r.error_message = "only topic configs can be altered; broker configs are static";
      continue;
    }
    config_map overrides;
    for (const auto& c : res.configs)
      if (c.value) overrides[c.name] = *c.value;
    std::string message;
    r.error_code = ctx.b.set_topic_configs(res.resource_name, overrides, req.validate_only, message);
    if (r.error_code != kafka_error::none) r.error_message = message;
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
