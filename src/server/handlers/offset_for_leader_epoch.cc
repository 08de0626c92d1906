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
      int16_t part_error = kafka_error::none;
      auto part = ctx.b.leader_partition(t.topic, p.partition, part_error);
      if (!part) {
        rp.error_code = part_error;
        continue;
      }
      if (int16_t e = check_leader_epoch(*part, p.current_leader_epoch)) {
        rp.error_code = e;
        continue;
      }
      auto [epoch, end] = part->log->end_offset_for_epoch(p.leader_epoch);
      // The leader's current epoch has no batch yet when nothing was produced since it was elected: it ends at the
      // log end like the latest epoch does.
      if (p.leader_epoch >= part->leader_epoch && epoch < part->leader_epoch) {
        epoch = part->leader_epoch;
        end = part->log->log_end_offset();
      }
      rp.leader_epoch = epoch;
      rp.end_offset = end;
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
