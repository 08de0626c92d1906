// LeaveGroup (13), v0-3. v0-2: one member id, its error is the top-level error. v3: a batch of members (by
// member id and/or group instance id), one error each; the top-level error is for group-level problems only.
#include "handlers.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_leave_group(request_context& ctx) {
  protocol::LeaveGroupRequest req;
  if (!ctx.decode(req)) co_return;
  const bool batched = ctx.version() >= 3;
  std::vector<group::leave_member> members;
  if (batched) {
    for (const auto& m : req.members) members.push_back({m.member_id, m.group_instance_id});
  } else {
    members.push_back({req.member_id, std::nullopt});
  }
  auto [top, errors] = ctx.s.groups.leave(req.group_id, members);
  protocol::LeaveGroupResponse resp;
  resp.error_code = top;
  if (batched) {
    if (top == kafka_error::none)
      for (size_t i = 0; i < members.size(); ++i) {
        auto& r = resp.members.emplace_back();
        r.member_id = members[i].member_id;
        r.group_instance_id = members[i].group_instance_id;
        r.error_code = errors[i];
      }
  } else if (top == kafka_error::none && !errors.empty()) {
    resp.error_code = errors.front();
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
