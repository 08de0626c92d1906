// SyncGroup (14), v0-3. The leader brings every member's assignment; followers wait for it. v3 adds the
// group instance id (static membership).
#include "handlers.h"
#include "samsa/group/await.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_sync_group(request_context& ctx) {
  protocol::SyncGroupRequest req;
  if (!ctx.decode(req)) co_return;
  group::sync_request sr;
  sr.member_id = req.member_id;
  sr.generation = req.generation_id;
  if (ctx.version() >= 3) sr.group_instance_id = req.group_instance_id;
  for (auto& a : req.assignments) sr.assignments.emplace_back(a.member_id, std::move(a.assignment));
  auto& co = ctx.s.groups;
  const std::string group_id = req.group_id;
  group::sync_result r = co_await group::await_callback<group::sync_result>(
      ctx.s.executor, [&](std::function<void(group::sync_result)> cb) { co.sync(group_id, std::move(sr), cb); });
  protocol::SyncGroupResponse resp;
  resp.error_code = r.error;
  if (r.error == kafka_error::none) resp.assignment = std::move(r.assignment);
  ctx.respond(resp);
}

}  // namespace samsa::server
