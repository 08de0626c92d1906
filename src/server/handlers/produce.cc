// Produce (0), v3-9. One v2 batch per partition, validated (size, magic, CRC, counts, codec) before it is
// appended, and its records checked by the partition where the topic's rules or the codec call for it
// (replica/record_checks.h: keys on compacted topics, timestamp bounds, decodable compressed records; refused
// records are listed in record_errors from v8); the log rewrites baseOffset and partitionLeaderEpoch in place in the request buffer, so the
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
#include "samsa/replica/delayed.h"
#include "samsa/storage/errc.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {
namespace {

namespace asio = boost::asio;

// Waits (without blocking the thread) until everything appended to `p` so far is durable.
asio::awaitable<std::error_code> flushed(replica::partition& p, asio::any_io_executor ex) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::error_code)>(
      [&p, ex](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto work = std::make_shared<asio::executor_work_guard<asio::any_io_executor>>(ex);
        p.flush([h, ex, work](std::error_code ec) {
          asio::post(ex, [h, ec, work]() mutable { (*h)(ec); });
        });
      },
      asio::use_awaitable);
}

protocol::kafka_errc validate_batch(const protocol::records_view& records, int16_t version, int32_t max_message_bytes,
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
  services& s = ctx.s;
  const int16_t v = ctx.version();
  ctx.out->no_response = req.acks == 0;
  const bool valid_acks = req.acks == 0 || req.acks == 1 || req.acks == -1;

  protocol::ProduceResponse resp;
  struct replication_wait {
    size_t topic, partition;  // indexes in resp
    std::shared_ptr<replica::partition> p;
    samsa::leader_epoch leader_epoch;
    int64_t end;  // the high watermark must reach this
  };
  std::vector<replication_wait> waits;
  std::vector<const replica::partition*> appended;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, req.timeout_ms));
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
      auto [part, part_error] = s.partitions.leader(t.name, pd.index);
      if (!part) {
        rp.error_code = part_error;
        continue;
      }
      records::batch_view bv;
      rp.error_code =
          validate_batch(pd.records.value_or(protocol::records_view{}), v, part->limits().max_message_bytes, bv);
      if (rp.error_code != kafka_error::none) continue;
      // The frame buffer belongs to this request: the log may rewrite the batch header in it.
      std::span<uint8_t> batch(const_cast<uint8_t*>(pd.records->data()), pd.records->size());
      auto out = part->append(batch, bv, req.acks == -1);
      rp.error_code = out.error;
      if (out.error != kafka_error::none) {
        if (!out.error_message.empty()) rp.error_message = std::move(out.error_message);
        for (auto& e : out.record_errors) {
          auto& re = rp.record_errors.emplace_back();
          re.batch_index = e.batch_index;
          re.batch_index_error_message = std::move(e.message);
        }
        continue;
      }
      // A retry of a batch already in the log is answered as the first time (which may still be waiting).
      if (!out.duplicate) appended.push_back(part.get());
      rp.base_offset = out.base_offset;
      rp.log_append_time_ms = out.log_append_time;
      rp.log_start_offset = part->log_start_offset();
      if (req.acks == -1)
        waits.push_back({resp.responses.size() - 1, rt.partition_responses.size() - 1, part, part->leader_epoch(),
                         out.last_offset + 1});
    }
  }
  // Parked fetches (followers, consumers) and acks=all waiters of these partitions only.
  for (const auto* p : appended) s.partitions.notify(*p);
  for (auto& w : waits) {
    auto& rp = resp.responses[w.topic].partition_responses[w.partition];
    const std::error_code ec = co_await flushed(*w.p, s.executor);
    if (ec) {
      spdlog::error("[{}-{}] flush failed: {}", w.p->topic(), w.p->index(), ec.message());
      rp.error_code = kafka_error::kafka_storage_error;
      rp.base_offset = -1;
      continue;
    }
    const auto rerr = co_await replica::await_replication(s.partitions.waiters(), w.p, w.leader_epoch, w.end,
                                                             deadline);
    if (rerr != kafka_error::none) {
      rp.error_code = rerr;
      if (rerr != kafka_error::not_enough_replicas_after_append) rp.base_offset = -1;
    }
  }
  if (!ctx.out->no_response) ctx.respond(resp);
}

}  // namespace samsa::server
