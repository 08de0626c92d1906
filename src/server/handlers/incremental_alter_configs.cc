// IncrementalAlterConfigs (44), v0-1: SET (0), DELETE (1), APPEND (2) and SUBTRACT (3, list-valued keys such as
// cleanup.policy) per key of a topic's overrides, on the active controller (forwarded there from any other node).
// Broker configs are static here: INVALID_REQUEST.
#include "controller_forward.h"
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_incremental_alter_configs(request_context& ctx) {
  protocol::IncrementalAlterConfigsRequest req;
  if (!ctx.decode(req)) co_return;
  if (co_await forwarded_to_controller(ctx)) co_return;
  std::vector<cluster::incremental_alter_request> reqs;
  std::vector<size_t> topic_index;
  protocol::IncrementalAlterConfigsResponse resp;
  for (const auto& res : req.resources) {
    auto& r = resp.responses.emplace_back();
    r.resource_type = res.resource_type;
    r.resource_name = res.resource_name;
    if (res.resource_type != static_cast<int8_t>(cluster::resource_type::topic)) {
      r.error_code = kafka_error::invalid_request;
      r.error_message = "only topic configs can be altered; broker configs are static";
      continue;
    }
    auto& q = reqs.emplace_back();
    q.type = cluster::resource_type::topic;
    q.name = res.resource_name;
    for (const auto& c : res.configs)
      q.ops.push_back({c.name, static_cast<cluster::alter_op>(c.config_operation), c.value});
    topic_index.push_back(resp.responses.size() - 1);
  }
  if (!reqs.empty()) {
    const bool validate_only = req.validate_only;
    cluster::command<std::vector<cluster::resource_result>> r_cmd = [&reqs, validate_only](cluster::controller& c, const cluster::metadata_image& img) {
          return c.incremental_alter_configs(img, reqs, validate_only);
        };
    auto r = co_await ctx.s.controller.execute(std::move(r_cmd));
    for (size_t i = 0; i < topic_index.size(); ++i) {
      auto& out = resp.responses[topic_index[i]];
      const cluster::api_error e = (r.error != cluster::command_error::none || i >= r.response.size())
                                       ? command_failure(r.error)
                                       : r.response[i].error;
      out.error_code = e.code;
      if (!e.message.empty()) out.error_message = e.message;
    }
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
