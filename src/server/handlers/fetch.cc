// Fetch (1), v4-11. Long-polls until min_bytes are available or max_wait_ms passes, woken by appends. Record
// bytes are never copied: the response is encoded with "holes" where each partition's records go, and the
// writer fills them from the segment files with sendfile(2). Byte limits follow KIP-74: partition_max_bytes per
// partition, max_bytes per response, and the first batch of the response is returned whole even when larger.
// Without transactions, last_stable_offset = high watermark and aborted_transactions is empty.
//
// Consumers read below the high watermark; a follower (replica_id >= 0) reads up to the log end, and its fetch
// offset tells the leader how far its log reaches (replica::partition::on_follower_fetch: ISR, high watermark).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "samsa/base/steady_clock.h"
#include "samsa/replica/delayed.h"
#include "samsa/replica/isr_sender.h"
#include "handlers.h"
#include "samsa/storage/errc.h"

namespace samsa::server {
namespace {

struct partition_read {
  std::vector<storage::file_slice> slices;
  size_t bytes = 0;
};

void set_no_data(protocol::FetchResponse::FetchableTopicResponse::PartitionData& rp, protocol::kafka_errc error) {
  rp.error_code = error;
  rp.high_watermark = rp.last_stable_offset = rp.log_start_offset = -1;
  rp.records = protocol::records_view{};
}

// Fills resp (records as holes) and the slices that go in those holes, in encoding order. On the first pass a
// follower's fetch offsets are recorded (ISR, high watermark) and the partitions to wait on are collected.
size_t gather(services& s, const protocol::FetchRequest& req, int16_t version, protocol::FetchResponse& resp,
              std::vector<partition_read>& reads, std::vector<const replica::partition*>* watch) {
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
      auto [part, part_error] = s.partitions.leader(t.topic, p.partition);
      if (!part) {
        set_no_data(rp, part_error);
        continue;
      }
      if (const auto e = part->check_leader_epoch(p.current_leader_epoch); e != kafka_error::none) {
        set_no_data(rp, e);
        continue;
      }
      if (watch != nullptr) {
        watch->push_back(part.get());
        if (from_follower) {
          if (part->on_follower_fetch(req.replica_id, p.fetch_offset, steady_ms())) s.partitions.notify(*part);
          s.isr.check(part);  // the ISR change this progress may call for is the ISR sender's to send
        }
      }
      // Each partition gets the smaller of its own limit and what is left of the response's (v3+), the first
      // partition included; only the response's first batch may exceed them (read returns it whole).
      size_t limit = p.partition_max_bytes > 0 ? static_cast<size_t>(p.partition_max_bytes) : 0;
      if (version >= 3) limit = std::min(limit, response_max > total ? response_max - total : 0);
      // leader.replication.throttled.rate: an out-of-sync follower of a throttled replica waits while it is spent.
      const bool throttled = from_follower && s.partitions.throttled(*part, req.replica_id, true);
      if (throttled && s.partitions.leader_quota().exceeded(steady_ms())) limit = 0;
      auto r = part->read(p.fetch_offset, limit, from_follower);
      rp.error_code = r.error;
      rp.high_watermark = r.high_watermark;
      rp.last_stable_offset = r.high_watermark;
      rp.log_start_offset = r.log_start_offset;
      if (req.isolation_level == 1) rp.aborted_transactions.emplace();
      partition_read pr;
      // Only the response's first batch may exceed the limits.
      if (r.records.total_bytes > 0 && (total == 0 || r.records.total_bytes <= limit)) {
        pr.slices = std::move(r.records.slices);
        pr.bytes = r.records.total_bytes;
      }
      if (throttled && pr.bytes > 0) s.partitions.leader_quota().record(static_cast<int64_t>(pr.bytes), steady_ms());
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
  std::vector<const replica::partition*> watched;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, req.max_wait_ms));
  size_t total = gather(ctx.s, req, v, resp, reads, &watched);
  while (total < static_cast<size_t>(std::max(1, req.min_bytes)) && std::chrono::steady_clock::now() < deadline) {
    bool any_error = false;
    for (const auto& t : resp.responses)
      for (const auto& p : t.partitions) any_error |= p.error_code != kafka_error::none;
    if (any_error) break;
    // Woken by a change to one of these partitions only (purgatory.h).
    co_await replica::wait_for_change(ctx.s.partitions.waiters(), watched, deadline);
    total = gather(ctx.s, req, v, resp, reads, nullptr);
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
    for (auto& sl : reads[i].slices) ctx.out->parts.emplace_back(std::move(sl));
    from = holes[i];
  }
  if (from == 0) {
    ctx.out->parts.emplace_back(std::move(buf));
  } else {
    ctx.out->parts.emplace_back(std::vector<uint8_t>(buf.begin() + from, buf.end()));
  }
}

}  // namespace samsa::server
