// DescribeQuorum (55), v0-1: the metadata quorum's state for partition __cluster_metadata-0 — leader, epoch (raft
// term), high watermark (commit index) and each voter's log end offset as the leader sees it. Only the quorum
// leader knows the voters' progress, so other nodes forward the request to the active controller.
//
// Offsets: raft indexes start at 1; Kafka's offsets at 0. Index i is offset i-1, so a log whose last index is i
// has log end offset i, and a commit index c is high watermark c.
#include "controller_forward.h"
#include "handlers.h"
#include "samsa/raft/core.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_describe_quorum(request_context& ctx) {
  protocol::DescribeQuorumRequest req;
  if (!ctx.decode(req)) co_return;
  const raft::core& core = ctx.s.controller.raft();
  if (core.role() != raft::role_kind::leader && co_await forwarded_to_controller(ctx)) co_return;
  protocol::DescribeQuorumResponse resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.topic_name = t.topic_name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (t.topic_name != "__cluster_metadata" || p.partition_index != 0) {
        rp.error_code = kafka_error::unknown_topic_or_partition;
        continue;
      }
      if (core.role() != raft::role_kind::leader) {
        rp.error_code = kafka_error::not_leader_or_follower;
        rp.leader_id = ctx.s.controller.leader_id();
        rp.leader_epoch = static_cast<int32_t>(core.term());
        continue;
      }
      rp.leader_id = static_cast<int32_t>(core.id());
      rp.leader_epoch = static_cast<int32_t>(core.term());
      rp.high_watermark = static_cast<int64_t>(core.commit());
      const auto& lead = std::get<raft::leader_role>(core.role_data());
      for (raft::node_id voter : core.cfg().voters) {
        auto& v = rp.current_voters.emplace_back();
        v.replica_id = static_cast<int32_t>(voter);
        auto it = lead.peers.find(voter);
        v.log_end_offset = voter == core.id()     ? static_cast<int64_t>(core.log().last_index())
                           : it != lead.peers.end() ? static_cast<int64_t>(it->second.match)
                                                    : -1;
      }
    }
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
