// Fetch (1), v4-11. Long-polls until min_bytes are available or max_wait_ms passes, woken by appends. Record
// bytes are never copied: the response is encoded with "holes" where each partition's records go, and the
// writer fills them from the segment files with sendfile(2). Byte limits follow KIP-74: partition_max_bytes per
// partition, max_bytes per response, and the first batch of the response is returned whole even when larger.
// Without transactions, last_stable_offset = high watermark and aborted_transactions is empty.
//
// Consumers read below the high watermark; a follower (replica_id >= 0) reads up to the log end, and its fetch
// offset tells the leader how far its log reaches (broker::on_follower_fetch: ISR, high watermark).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "../steady_clock.h"
#include "handlers.h"
#include "samsa/storage/errc.h"

namespace samsa::server {
namespace {

struct partition_read {
  std::vector<storage::file_slice> slices;
  size_t bytes = 0;
};

// Fills resp (records as holes) and the slices that go in those holes, in encoding order.
size_t gather(broker& b, const protocol::FetchRequest& req, int16_t version, protocol::FetchResponse& resp,
              std::vector<partition_read>& reads, bool first_pass) {
  const bool from_follower = req.replica_id >= 0;
  resp = {};
  reads.clear();
  size_t total = 0;
  const size_t response_max = req.max_bytes > 0 ? static_cast<size_t>(req.max_bytes) : 0;
  for (const auto& t : req.topics) {
    auto& rt = resp.responses.emplace_back();
    rt.topic = t.topic;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition;
      int16_t part_error = kafka_error::none;
      auto part = b.leader_partition(t.topic, p.partition, part_error);
      if (!part) {
        rp.error_code = part_error;
        rp.high_watermark = rp.last_stable_offset = rp.log_start_offset = -1;
        rp.records = protocol::records_view{};
        continue;
      }
      if (int16_t e = check_leader_epoch(*part, p.current_leader_epoch)) {
        rp.error_code = e;
        rp.high_watermark = rp.last_stable_offset = rp.log_start_offset = -1;
        rp.records = protocol::records_view{};
        continue;
      }
      const int64_t offset = p.fetch_offset;
      const int64_t leo = part->log->log_end_offset();
      if (from_follower && first_pass && offset >= 0 && offset <= leo) b.on_follower_fetch(part, req.replica_id, offset);
      const int64_t hwm = part->high_watermark;
      const int64_t upper = from_follower ? leo : hwm;
      rp.high_watermark = hwm;
      rp.last_stable_offset = hwm;
      rp.log_start_offset = part->log->log_start_offset();
      if (req.isolation_level == 1) rp.aborted_transactions.emplace();
      // Between the high watermark and the log end a consumer simply gets nothing yet (Kafka does the same).
      if (offset < rp.log_start_offset || offset > leo) {
        rp.error_code = kafka_error::offset_out_of_range;
        rp.records = protocol::records_view{};
        continue;
      }
      size_t limit = p.partition_max_bytes > 0 ? static_cast<size_t>(p.partition_max_bytes) : 0;
      if (version >= 3 && total > 0) limit = std::min(limit, response_max > total ? response_max - total : 0);
      // leader.replication.throttled.rate: an out-of-sync follower of a throttled replica waits while it is spent.
      const bool throttled = from_follower && b.throttled(*part, req.replica_id, true);
      if (throttled && b.leader_quota().exceeded(steady_ms())) limit = 0;
      partition_read pr;
      if (offset < upper && limit > 0) {
        auto r = part->log->read(offset, limit, upper);
        if (!r) {
          rp.error_code = r.error() == storage::errc::out_of_range ? kafka_error::offset_out_of_range
                                                                   : kafka_error::kafka_storage_error;
        } else if (total == 0 || r->total_bytes <= limit) {
          // Only the response's first batch may exceed the limits.
          pr.slices = std::move(r->slices);
          pr.bytes = r->total_bytes;
        }
      }
      if (throttled && pr.bytes > 0) b.leader_quota().record(static_cast<int64_t>(pr.bytes), steady_ms());
      total += pr.bytes;
      rp.records = protocol::records_view{nullptr, pr.bytes};
      if (pr.bytes > 0) reads.push_back(std::move(pr));
    }
  }
  return total;
}

}  // namespace

boost::asio::awaitable<void> handle_fetch(request_context& ctx) {
  protocol::FetchRequest req;
  if (!ctx.decode(req)) co_return;
  const int16_t v = ctx.version();
  protocol::FetchResponse resp;
  std::vector<partition_read> reads;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, req.max_wait_ms));
  size_t total = gather(ctx.b, req, v, resp, reads, true);
  boost::asio::steady_timer timer(ctx.b.executor());
  while (total < static_cast<size_t>(std::max(1, req.min_bytes)) && std::chrono::steady_clock::now() < deadline) {
    bool any_error = false;
    for (const auto& t : resp.responses)
      for (const auto& p : t.partitions) any_error |= p.error_code != 0;
    if (any_error) break;
    timer.expires_at(deadline);
    ctx.b.park_fetch(&timer);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    ctx.b.unpark_fetch(&timer);
    total = gather(ctx.b, req, v, resp, reads, false);
  }

  // Encode with holes, then splice the file slices in.
  const int16_t hv = protocol::response_header_version(ctx.header.api_key, v);
  const size_t body = protocol::response_header_size(hv) + resp.size(v);
  std::vector<uint8_t> buf(4 + body - total);
  std::vector<size_t> holes;
  protocol::writer w(buf.data(), buf.size());
  w.set_hole_sink(&holes);
  w.write_int<int32_t>(static_cast<int32_t>(body));
  protocol::encode_response_header(w, ctx.header.correlation_id, hv);
  resp.encode(w, v);
  size_t from = 0;
  for (size_t i = 0; i < holes.size(); ++i) {
    ctx.out->parts.emplace_back(std::vector<uint8_t>(buf.begin() + from, buf.begin() + holes[i]));
    for (auto& s : reads[i].slices) ctx.out->parts.emplace_back(std::move(s));
    from = holes[i];
  }
  if (from == 0) {
    ctx.out->parts.emplace_back(std::move(buf));
  } else {
    ctx.out->parts.emplace_back(std::vector<uint8_t>(buf.begin() + from, buf.end()));
  }
}

}  // namespace samsa::server
