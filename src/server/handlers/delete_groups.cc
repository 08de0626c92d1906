// DeleteGroups (42), v0-1. Only empty groups: NON_EMPTY_GROUP(68) while members remain, GROUP_ID_NOT_FOUND(69)
// for unknown ones. Tombstones for the group and every offset are fsynced before the answer.
#include "handlers.h"
#include "samsa/group/await.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_delete_groups(request_context& ctx) {
  protocol::DeleteGroupsRequest req;
  if (!ctx.decode(req)) co_return;
  auto& co = ctx.s.groups;
  const std::vector<std::string> ids = req.groups_names;
  std::vector<protocol::kafka_errc> errors = co_await group::await_callback<std::vector<protocol::kafka_errc>>(
      ctx.s.executor, [&](std::function<void(std::vector<protocol::kafka_errc>)> cb) { co.delete_groups(ids, cb); });
  protocol::DeleteGroupsResponse resp;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto& r = resp.results.emplace_back();
    r.group_id = ids[i];
    r.error_code = errors[i];
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
