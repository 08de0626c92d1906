// DeleteRecords (21), v0-1: raises a partition's log start offset. -1 means the high watermark; an offset
// above it is OFFSET_OUT_OF_RANGE. Answers the new low watermark.
#include "handlers.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_delete_records(request_context& ctx) {
  protocol::DeleteRecordsRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::DeleteRecordsResponse resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      rp.low_watermark = -1;
      auto [part, part_error] = ctx.s.partitions.leader(t.name, p.partition_index);
      if (!part) {
        rp.error_code = part_error;
        continue;
      }
      const int64_t hwm = part->high_watermark();  // Kafka: records may be deleted up to the high watermark
      const int64_t target = p.offset == -1 ? hwm : p.offset;
      if (target < 0 || target > hwm) {
        rp.error_code = kafka_error::offset_out_of_range;
        continue;
      }
      auto r = part->log_for_maintenance().delete_records_before(target);
      if (!r) {
        rp.error_code = kafka_error::kafka_storage_error;
        continue;
      }
      rp.low_watermark = *r;
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
