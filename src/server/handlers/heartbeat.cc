// Heartbeat (12), v0-3 (v3: group instance id).
#include "handlers.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_heartbeat(request_context& ctx) {
  protocol::HeartbeatRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::HeartbeatResponse resp;
  resp.error_code = ctx.s.groups.heartbeat(req.group_id, req.member_id,
                                             ctx.version() >= 3 ? req.group_instance_id : std::nullopt,
                                             req.generation_id);
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
