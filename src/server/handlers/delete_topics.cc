// DeleteTopics (20), v0-3: by name, on the active controller (forwarded there from any other node). Each broker
// removes its replicas' data when it applies the removal from the metadata log.
#include "controller_forward.h"
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_delete_topics(request_context& ctx) {
  protocol::DeleteTopicsRequest req;
  if (!ctx.decode(req)) co_return;
  if (co_await forwarded_to_controller(ctx)) co_return;
  std::vector<cluster::delete_topic_request> reqs;
  for (const auto& name : req.topic_names) reqs.push_back({name, {}});
  cluster::command<std::vector<cluster::topic_result>> r_cmd = [&reqs](cluster::controller& c, const cluster::metadata_image& img) { return c.delete_topics(img, reqs); };
  auto r = co_await ctx.s.controller.execute(std::move(r_cmd));
  protocol::DeleteTopicsResponse resp;
  for (size_t i = 0; i < req.topic_names.size(); ++i) {
    auto& out = resp.responses.emplace_back();
    out.name = req.topic_names[i];
    if (r.error != cluster::command_error::none || i >= r.response.size()) {
      out.error_code = command_failure(r.error).code;
      continue;
    }
    out.error_code = r.response[i].error.code;
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
