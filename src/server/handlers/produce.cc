// Produce (0), v3-7. One v2 batch per partition, validated (size, magic, CRC, counts, codec) before it is
// appended; the log rewrites baseOffset and partitionLeaderEpoch in place in the request buffer, so the
// batch is written to disk without a copy. acks=-1 is answered only once the batch is fsynced on the leader (group
// commit) AND the high watermark has passed it, i.e. every in-sync replica has it (docs/replication.md);
// NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas before the append, _AFTER_APPEND when it
// shrank below while waiting, REQUEST_TIMED_OUT after timeout_ms. acks=0 gets no response at all.
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "handlers.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/errc.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {
namespace {

namespace asio = boost::asio;

// Waits (without blocking the thread) until everything appended to `log` so far is durable.
asio::awaitable<std::error_code> flushed(storage::partition_log& log, asio::any_io_executor ex) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::error_code)>(
      [&log, ex](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(ex);
        log.flush([h, ex, work](std::error_code ec) {
          asio::post(ex, [h, ec, work]() mutable { (*h)(ec); });
        });
      },
      asio::use_awaitable);
}

int16_t validate_batch(const protocol::records_view& records, int16_t version, int32_t max_message_bytes,
                       records::batch_view& out) {
  if (records.size() == 0) return kafka_error::corrupt_message;
  auto bv = records::batch_view::parse(records.span());
  if (!bv) return kafka_error::corrupt_message;
  if (bv->size_bytes() != records.size())  // exactly one batch per partition
    return version >= 8 ? kafka_error::invalid_record : kafka_error::corrupt_message;
  if (records.size() > static_cast<size_t>(max_message_bytes)) return kafka_error::message_too_large;
  if (auto ec = bv->validate()) {
    if (ec == records::errc::unsupported_compression) return kafka_error::unsupported_compression_type;
    return kafka_error::corrupt_message;
  }
  if (bv->is_control()) return kafka_error::invalid_record;
  // Transactions do not exist yet; an idempotent batch must carry a sequence.
  if (bv->is_transactional() || (bv->producer_id() >= 0 && bv->base_sequence() < 0))
    return version >= 8 ? kafka_error::invalid_record : kafka_error::corrupt_message;
  if (bv->compression() == records::compression::zstd && version < 7) return kafka_error::unsupported_compression_type;
  if (bv->record_count() == 0) return kafka_error::corrupt_message;
  out = *bv;
  return kafka_error::none;
}

}  // namespace

asio::awaitable<void> handle_produce(request_context& ctx) {
  protocol::ProduceRequest req;
  if (!ctx.decode(req)) co_return;
  broker& b = ctx.b;
  const int16_t v = ctx.version();
  ctx.out->no_response = req.acks == 0;
  const bool valid_acks = req.acks == 0 || req.acks == 1 || req.acks == -1;

  protocol::ProduceResponse resp;
  std::vector<std::pair<size_t, size_t>> flush_targets;  // (topic index, partition index) in resp
  std::vector<std::shared_ptr<partition>> flush_parts;
  struct replication_wait {
    int32_t leader_epoch;
    int64_t end;  // the high watermark must reach this
    int32_t min_isr;
  };
  std::vector<replication_wait> waits;  // parallel to flush_parts
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, req.timeout_ms));
  bool appended = false;
  resp.responses.reserve(req.topic_data.size());
  for (const auto& t : req.topic_data) {
    auto& rt = resp.responses.emplace_back();
    rt.name = t.name;
    rt.partition_responses.reserve(t.partition_data.size());
    for (const auto& pd : t.partition_data) {
      auto& rp = rt.partition_responses.emplace_back();
      rp.index = pd.index;
      rp.base_offset = -1;
      if (!valid_acks) {
        rp.error_code = kafka_error::invalid_required_acks;
        continue;
      }
      int16_t part_error = kafka_error::none;
      auto part = b.leader_partition(t.name, pd.index, part_error);
      if (!part) {
        rp.error_code = part_error;
        continue;
      }
      records::batch_view bv;
      const topic* tp = b.find_topic(t.name);
      rp.error_code = validate_batch(pd.records.value_or(protocol::records_view{}), v, tp->max_message_bytes, bv);
      if (rp.error_code != kafka_error::none) continue;
      const int64_t last_seq = static_cast<int64_t>(bv.base_sequence()) + bv.last_offset_delta();
      const batch_identity id{bv.producer_id(), bv.producer_epoch(), bv.base_sequence(),
                              static_cast<int32_t>(last_seq > INT32_MAX ? last_seq - INT32_MAX - 1 : last_seq)};
      const auto check = part->producers.check_append(id);
      if (check.error != kafka_error::none) {
        rp.error_code = check.error;
        continue;
      }
      if (check.duplicate_of) {  // a retry of a batch already in the log: answer as the first time
        rp.base_offset = *check.duplicate_of;
        rp.log_start_offset = part->log->log_start_offset();
        if (req.acks == -1) {  // the first attempt may still be waiting for its fsync and its replication
          flush_targets.emplace_back(resp.responses.size() - 1, rt.partition_responses.size() - 1);
          flush_parts.push_back(part);
          waits.push_back({part->leader_epoch, *check.duplicate_of + 1, tp->min_insync_replicas});
        }
        continue;
      }
      if (req.acks == -1 && part->leader_state &&
          static_cast<int32_t>(part->leader_state->isr().size()) < tp->min_insync_replicas) {
        rp.error_code = kafka_error::not_enough_replicas;
        continue;
      }
      // The frame buffer belongs to this request: the log may rewrite the batch header in it.
      std::span<uint8_t> batch(const_cast<uint8_t*>(pd.records->data()), pd.records->size());
      auto r = part->log->append(batch, part->leader_epoch);
      if (!r) {
        spdlog::error("[{}-{}] append failed: {}", t.name, pd.index, r.error().message());
        rp.error_code = kafka_error::kafka_storage_error;
        continue;
      }
      part->producers.on_append(id, r->base_offset, r->last_offset);
      b.on_leader_append(*part);
      appended = true;
      rp.base_offset = r->base_offset;
      rp.log_append_time_ms = r->log_append_time;
      rp.log_start_offset = part->log->log_start_offset();
      if (req.acks == -1) {
        flush_targets.emplace_back(resp.responses.size() - 1, rt.partition_responses.size() - 1);
        flush_parts.push_back(part);
        waits.push_back({part->leader_epoch, r->last_offset + 1, tp->min_insync_replicas});
      }
    }
  }
  if (appended) b.notify_append();
  for (size_t i = 0; i < flush_parts.size(); ++i) {
    const std::error_code ec = co_await flushed(*flush_parts[i]->log, b.executor());
    if (ec) {
      auto& rp = resp.responses[flush_targets[i].first].partition_responses[flush_targets[i].second];
      spdlog::error("[{}-{}] flush failed: {}", flush_parts[i]->topic, flush_parts[i]->index, ec.message());
      rp.error_code = kafka_error::kafka_storage_error;
      rp.base_offset = -1;
      continue;
    }
    int16_t rerr = co_await b.await_high_watermark(flush_parts[i], waits[i].leader_epoch, waits[i].end, deadline);
    if (rerr == kafka_error::none && flush_parts[i]->leader_state &&
        static_cast<int32_t>(flush_parts[i]->leader_state->isr().size()) < waits[i].min_isr)
      rerr = kafka_error::not_enough_replicas_after_append;
    if (rerr != kafka_error::none) {
      auto& rp = resp.responses[flush_targets[i].first].partition_responses[flush_targets[i].second];
      rp.error_code = rerr;
      if (rerr != kafka_error::not_enough_replicas_after_append) rp.base_offset = -1;
    }
  }
  if (!ctx.out->no_response) ctx.respond(resp);
}

}  // namespace samsa::server
