// OffsetForLeaderEpoch (23), v0-4: the end offset of a leader epoch from the partition's epoch cache (the first
// offset of the next higher epoch, or the log end offset for the latest epoch), used by clients (and later
// followers) to detect log divergence after a leader change.
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
      constexpr int32_t current_epoch = 0;  // a single node stays leader of every partition in epoch 0
      if (p.current_leader_epoch > current_epoch) {
        rp.error_code = 75;  // UNKNOWN_LEADER_EPOCH
        continue;
      }
      if (p.current_leader_epoch >= 0 && p.current_leader_epoch < current_epoch) {
        rp.error_code = 74;  // FENCED_LEADER_EPOCH
        continue;
      }
      auto [epoch, end] = part->log->end_offset_for_epoch(p.leader_epoch);
      rp.leader_epoch = epoch;
      rp.end_offset = end;
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
