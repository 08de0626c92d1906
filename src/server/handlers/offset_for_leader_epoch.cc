// OffsetForLeaderEpoch (23), v0-4: the end offset of a leader epoch from the partition's epoch cache (the first
// offset of the next higher epoch, or the log end offset for the latest epoch), used by clients (and later
// followers, replica_fetcher.cc) to detect log divergence after a leader change.
#include "handlers.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_offset_for_leader_epoch(request_context& ctx) {
  protocol::OffsetForLeaderEpochRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::OffsetForLeaderEpochResponse resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.topic = t.topic;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      auto [part, part_error] = ctx.s.partitions.leader(t.topic, p.partition);
      if (!part) {
        rp.error_code = part_error;
        continue;
      }
      if (const auto e = part->check_leader_epoch(p.current_leader_epoch); e != kafka_error::none) {
        rp.error_code = e;
        continue;
      }
      const auto end = part->end_offset_for_epoch(p.leader_epoch);
      rp.leader_epoch = end.epoch;
      rp.end_offset = end.end_offset;
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
