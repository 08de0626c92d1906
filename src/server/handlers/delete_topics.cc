// DeleteTopics (20), v0-3: by name.
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_delete_topics(request_context& ctx) {
  protocol::DeleteTopicsRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::DeleteTopicsResponse resp;
  for (const auto& name : req.topic_names) {
    auto& r = resp.responses.emplace_back();
    r.name = name;
    r.error_code = ctx.b.delete_topic(name);
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
