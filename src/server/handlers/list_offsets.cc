// ListOffsets (2), v1-5: -2 earliest, -1 latest (high watermark), otherwise the first offset whose batch has a
// timestamp >= the one asked (-1/-1 when there is none).
#include "handlers.h"
#include "samsa/records/compression.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {
namespace {

// The timestamp of the record at `offset` (Kafka answers with the found record's own timestamp), or -1.
int64_t record_timestamp(const storage::partition_log& log, int64_t offset) {
  auto r = log.read(offset, 1, log.log_end_offset());
  if (!r) return -1;
  auto bytes = r->copy_bytes();
  if (!bytes) return -1;
  auto batch = records::batch_view::parse(*bytes);
  if (!batch) return -1;
  if (batch->timestamp_type_log_append()) return batch->max_timestamp();
  int64_t found = -1;
  std::vector<uint8_t> scratch;
  (void)records::for_each_record(*batch, scratch, records::default_max_decompressed, [&](const records::record_view& rec) {
    if (batch->base_offset() + rec.offset_delta != offset) return true;
    found = batch->base_timestamp() + rec.timestamp_delta;
    return false;
  });
  return found;
}

}  // namespace

boost::asio::awaitable<void> handle_list_offsets(request_context& ctx) {
  protocol::ListOffsetsRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::ListOffsetsResponse resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      auto [part, part_error] = ctx.s.partitions.leader(t.name, p.partition_index);
      if (!part) {
        rp.error_code = part_error;
        continue;
      }
      if (const auto e = part->check_leader_epoch(p.current_leader_epoch); e != kafka_error::none) {
        rp.error_code = e;
        continue;
      }
      const auto& log = part->log();
      // Consumers see offsets below the high watermark only: "latest" is the high watermark.
      const int64_t hwm = part->high_watermark();
      rp.leader_epoch = part->leader_epoch();
      if (p.timestamp == -2) {
        rp.offset = log.log_start_offset();
        rp.timestamp = -1;
      } else if (p.timestamp == -1) {
        rp.offset = hwm;
        rp.timestamp = -1;
      } else if (p.timestamp == -3) {
        auto [ts, off] = log.max_timestamp_and_offset();
        rp.timestamp = off < hwm ? ts : -1;
        rp.offset = off < hwm ? off : -1;
      } else {
        auto off = log.offset_for_timestamp(p.timestamp);
        if (off && *off >= hwm) off.reset();
        rp.offset = off ? *off : -1;
        rp.timestamp = off ? record_timestamp(log, *off) : -1;
      }
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
