// OffsetFetch (9), v0-5. A partition without a commit: offset -1, metadata "", no error. v2+: null topics =
// every committed partition, and group-level errors (COORDINATOR_LOAD_IN_PROGRESS) in the top-level error code.
// v5 returns the committed leader epoch. (v0 was ZooKeeper-backed in Kafka; here it reads the same offsets.)
#include "handlers.h"
#include "samsa/group/coordinator.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_offset_fetch(request_context& ctx) {
  protocol::OffsetFetchRequest req;
  if (!ctx.decode(req)) co_return;
  const int16_t v = ctx.version();
  std::optional<std::vector<std::pair<std::string, std::vector<partition_index>>>> topics;
  if (req.topics || v < 2) {
    topics.emplace();
    if (req.topics)
      for (const auto& t : *req.topics) topics->emplace_back(t.name, t.partition_indexes);
  }
  std::vector<std::pair<std::string, std::vector<group::fetched_offset>>> out;
  const auto err = ctx.s.groups.fetch_offsets(req.group_id, topics, out);
  protocol::OffsetFetchResponse resp;
  if (v >= 2) resp.error_code = err;
  for (auto& [name, parts] : out) {
    auto& rt = resp.topics.emplace_back();
    rt.name = name;
    for (auto& f : parts) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = f.partition;
      rp.committed_offset = f.offset;
      rp.committed_leader_epoch = f.leader_epoch;
      rp.metadata = f.metadata;
      rp.error_code = f.error;
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
