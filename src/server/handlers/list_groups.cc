// ListGroups (16), v0-2: the groups of the __consumer_offsets partitions this broker leads (protocol type "" for
// commit-only groups); clients ask every broker. COORDINATOR_LOAD_IN_PROGRESS while one of those partitions is
// still loading (with the groups loaded so far).
#include "handlers.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_list_groups(request_context& ctx) {
  protocol::ListGroupsRequest req;
  if (!ctx.decode(req)) co_return;
  std::vector<group::listed_group> groups;
  protocol::ListGroupsResponse resp;
  resp.error_code = ctx.s.groups.list(groups);
  for (auto& g : groups) {
    auto& rg = resp.groups.emplace_back();
    rg.group_id = std::move(g.group_id);
    rg.protocol_type = std::move(g.protocol_type);
    rg.group_state = std::move(g.state);
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
