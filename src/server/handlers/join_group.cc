// JoinGroup (11), v0-5. v0 has no rebalance timeout (the session timeout is used); v4+ new members get
// MEMBER_ID_REQUIRED(79) with their id first (never below v4); v5 static membership (group.instance.id).
// The answer waits for the rebalance to complete (src/group/group.cc).
#include "handlers.h"
#include "samsa/group/await.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {
namespace {

// Kafka reports client hosts as "/<ip>".
std::string client_host(const std::string& peer) {
  auto colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace

boost::asio::awaitable<void> handle_join_group(request_context& ctx) {
  protocol::JoinGroupRequest req;
  if (!ctx.decode(req)) co_return;
  const int16_t v = ctx.version();
  group::join_request jr;
  jr.member_id = req.member_id;
  if (v >= 5) jr.group_instance_id = req.group_instance_id;
  jr.client_id = ctx.header.client_id ? std::string(*ctx.header.client_id) : std::string();
  jr.client_host = client_host(ctx.peer);
  jr.session_timeout_ms = req.session_timeout_ms;
  jr.rebalance_timeout_ms = v >= 1 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  jr.protocol_type = req.protocol_type;
  for (auto& p : req.protocols) jr.protocols.push_back({p.name, std::move(p.metadata)});
  jr.require_known_member_id = v >= 4;
  auto& co = ctx.s.groups;
  const std::string group_id = req.group_id;
  group::join_result r = co_await group::await_callback<group::join_result>(
      ctx.s.executor, [&](std::function<void(group::join_result)> cb) { co.join(group_id, std::move(jr), cb); });

  protocol::JoinGroupResponse resp;
  resp.error_code = r.error;
  const bool failed = r.error != kafka_error::none;
  resp.generation_id = failed ? -1 : r.generation;
  resp.protocol_name = failed ? std::string() : r.protocol_name.value_or("");
  resp.leader = failed ? std::string() : r.leader;
  resp.member_id = r.member_id;
  for (auto& m : r.members) {
    auto& rm = resp.members.emplace_back();
    rm.member_id = std::move(m.member_id);
    rm.group_instance_id = std::move(m.group_instance_id);
    rm.metadata = std::move(m.metadata);
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
