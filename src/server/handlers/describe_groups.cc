// DescribeGroups (15), v0-4. Unknown groups are reported as Dead with error 0, as Kafka does. Member metadata
// and assignments (and the protocol name) only while the group is Stable. v3 authorized operations (no ACLs
// yet: everything a group supports — READ, DELETE, DESCRIBE), v4 group instance ids.
#include "handlers.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_describe_groups(request_context& ctx) {
  protocol::DescribeGroupsRequest req;
  if (!ctx.decode(req)) co_return;
  constexpr int32_t kGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);  // READ, DELETE, DESCRIBE (AclOperation)
  protocol::DescribeGroupsResponse resp;
  for (const auto& id : req.groups) {
    auto d = ctx.s.groups.describe(id);
    auto& g = resp.groups.emplace_back();
    g.error_code = d.error;
    g.group_id = id;
    g.group_state = d.state;
    g.protocol_type = d.protocol_type;
    g.protocol_data = d.protocol_data;
    for (auto& m : d.members) {
      auto& rm = g.members.emplace_back();
      rm.member_id = std::move(m.member_id);
      rm.group_instance_id = std::move(m.group_instance_id);
      rm.client_id = std::move(m.client_id);
      rm.client_host = std::move(m.client_host);
      rm.member_metadata = std::move(m.metadata);
      rm.member_assignment = std::move(m.assignment);
    }
    g.authorized_operations = req.include_authorized_operations ? kGroupOperations : INT32_MIN;
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
