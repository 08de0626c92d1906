// ListPartitionReassignments (46), v0: the reassignments in progress, from this node's metadata image (null
// topics: all of them).
#include "handlers.h"
#include "samsa/cluster/controller.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_list_partition_reassignments(request_context& ctx) {
  protocol::ListPartitionReassignmentsRequest req;
  if (!ctx.decode(req)) co_return;
  std::optional<std::vector<cluster::topic_partition>> filter;
  if (req.topics) {
    filter.emplace();
    for (const auto& t : *req.topics)
      for (partition_index p : t.partition_indexes) filter->push_back({t.name, p});
  }
  protocol::ListPartitionReassignmentsResponse resp;
  for (const auto& o : cluster::list_reassignments(ctx.s.image(), filter)) {
    if (resp.topics.empty() || resp.topics.back().name != o.tp.topic) resp.topics.emplace_back().name = o.tp.topic;
    auto& rp = resp.topics.back().partitions.emplace_back();
    rp.partition_index = o.tp.partition;
    rp.replicas = o.replicas;
    rp.adding_replicas = o.adding;
    rp.removing_replicas = o.removing;
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
