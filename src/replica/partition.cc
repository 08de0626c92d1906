#include "samsa/replica/partition.h"

#include <spdlog/spdlog.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>

#include "samsa/protocol/kafka_error.h"
#include "samsa/storage/errc.h"

namespace samsa::replica {

namespace ke = protocol::kafka_error;

bool isr_change_outcome_unknown(protocol::kafka_errc code) noexcept {
  return code == ke::not_controller || code == ke::request_timed_out || code == ke::unknown_server_error ||
         code == ke::invalid_update_version || code == ke::fenced_leader_epoch || code == ke::unknown_leader_epoch;
}

namespace {
// Record timestamps are wall-clock milliseconds since the epoch.
int64_t wall_clock_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

batch_identity identity_of(const records::batch_view& bv) noexcept {
  const int64_t last = static_cast<int64_t>(bv.base_sequence()) + bv.last_offset_delta();
  return {bv.producer_id(), bv.producer_epoch(), bv.base_sequence(),
          static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last)};
}

partition::partition(std::string topic, partition_index index, std::shared_ptr<storage::partition_log> log, broker_id self)
    : topic_(std::move(topic)), index_(index), self_(self), log_(std::move(log)) {
  rebuild_producer_state();
}

// ---- role ----

bool partition::apply_state(const cluster::partition_state& s, bool new_leadership, int64_t now_ms) {
  const int64_t leo = log_->log_end_offset();
  leader_id_ = s.leader;
  leader_epoch_ = s.leader_epoch;
  is_leader_ = s.leader == self_;
  if (!is_leader_) {
    leader_.reset();
    return true;  // produce requests waiting on this partition learn it is no longer theirs
  }
  if (new_leadership || !leader_) {
    leader_.emplace(self_, s, hwm_, leo, now_ms);
    hwm_ = leader_->high_watermark();
    return true;
  }
  if (!leader_->update_state(s, leo)) return false;
  hwm_ = leader_->high_watermark();
  return true;
}

void partition::on_removed() {
  is_leader_ = false;
  leader_.reset();
}

protocol::kafka_errc partition::check_leader_epoch(samsa::leader_epoch requested) const noexcept {
  if (requested < 0 || requested == leader_epoch_) return ke::none;
  return requested < leader_epoch_ ? ke::fenced_leader_epoch : ke::unknown_leader_epoch;
}

// ---- leader side ----

bool partition::adopt_leader_hwm() {
  if (!leader_ || leader_->high_watermark() == hwm_) return false;
  hwm_ = leader_->high_watermark();
  return true;
}

bool partition::on_log_grown() {
  if (!leader_) return false;
  return leader_->on_leader_append(log_->log_end_offset()) && adopt_leader_hwm();
}

append_outcome partition::append(std::span<uint8_t> batch, const records::batch_view& bv, bool acks_all) {
  append_outcome out;
  if (!is_leader_) {
    out.error = ke::not_leader_or_follower;
    return out;
  }
  // Before the producer's sequence is checked, as Kafka does: while the ISR is too small every acks=all batch gets
  // NOT_ENOUGH_REPLICAS, so the batches an idempotent producer pipelined behind a refused one are refused alike
  // (and retried in order) instead of getting OUT_OF_ORDER_SEQUENCE_NUMBER, which librdkafka treats as fatal.
  if (acks_all && leader_ && static_cast<int32_t>(leader_->isr().size()) < limits_.min_insync_replicas) {
    out.error = ke::not_enough_replicas;
    return out;
  }
  // Each record, where the topic's rules or the batch's compression call for it (Kafka's LogValidator).
  if (needs_record_walk(bv, limits_.records)) {
    thread_local std::vector<uint8_t> scratch;
    auto check = check_records(bv, limits_.records, wall_clock_ms(), fmt::format("{}-{}", topic_, index_), scratch);
    if (scratch.capacity() > (4u << 20)) std::vector<uint8_t>().swap(scratch);  // keep no large buffer around
    if (check.error != ke::none) {
      out.error = check.error;
      out.error_message = std::move(check.message);
      out.record_errors = std::move(check.record_errors);
      return out;
    }
  }
  const batch_identity id = identity_of(bv);
  const auto check = producers_.check_append(id);
  if (check.error != ke::none) {
    out.error = check.error;
    return out;
  }
  if (check.duplicate_of) {  // a retry of a batch already in the log: answered as the first time
    out.duplicate = true;
    out.base_offset = out.last_offset = *check.duplicate_of;
    return out;
  }
  auto r = log_->append(batch, leader_epoch_.value());
  if (!r) {
    spdlog::error("[{}-{}] append failed: {}", topic_, index_, r.error().message());
    out.error = ke::kafka_storage_error;
    return out;
  }
  producers_.on_append(id, r->base_offset, r->last_offset);
  out.base_offset = r->base_offset;
  out.last_offset = r->last_offset;
  out.log_append_time = r->log_append_time;
  out.hwm_advanced = on_log_grown();
  return out;
}

append_outcome partition::append_internal(std::span<uint8_t> batch, samsa::leader_epoch epoch) {
  append_outcome out;
  if (!is_leader_ || epoch != leader_epoch_) {
    out.error = ke::not_leader_or_follower;
    return out;
  }
  auto r = log_->append(batch, leader_epoch_.value());
  if (!r) {
    spdlog::error("[{}-{}] append failed: {}", topic_, index_, r.error().message());
    out.error = ke::kafka_storage_error;
    return out;
  }
  out.base_offset = r->base_offset;
  out.last_offset = r->last_offset;
  out.hwm_advanced = on_log_grown();
  return out;
}

std::optional<protocol::kafka_errc> partition::replication_outcome(samsa::leader_epoch epoch, int64_t end) const {
  if (!is_leader_ || leader_epoch_ != epoch || !leader_) return ke::not_leader_or_follower;
  if (hwm_ < end) return std::nullopt;
  if (static_cast<int32_t>(leader_->isr().size()) < limits_.min_insync_replicas)
    return ke::not_enough_replicas_after_append;
  return ke::none;
}

bool partition::on_follower_fetch(broker_id replica, int64_t fetch_offset, int64_t now_ms) {
  if (!leader_) return false;
  const int64_t leo = log_->log_end_offset();
  if (fetch_offset < 0 || fetch_offset > leo) return false;
  return leader_->on_follower_fetch(replica, fetch_offset, leo, now_ms) && adopt_leader_hwm();
}

fetch_read partition::read(int64_t offset, size_t max_bytes, bool from_follower) const {
  fetch_read out;
  out.log_end_offset = log_->log_end_offset();
  out.high_watermark = hwm_;
  out.log_start_offset = log_->log_start_offset();
  // Between the high watermark and the log end a consumer simply gets nothing yet (Kafka does the same).
  if (offset < out.log_start_offset || offset > out.log_end_offset) {
    out.error = ke::offset_out_of_range;
    return out;
  }
  const int64_t upper = from_follower ? out.log_end_offset : hwm_;
  if (offset >= upper || max_bytes == 0) return out;
  auto r = log_->read(offset, max_bytes, upper);
  if (!r) {
    out.error = r.error() == storage::errc::out_of_range ? ke::offset_out_of_range : ke::kafka_storage_error;
    return out;
  }
  out.records = std::move(*r);
  return out;
}

epoch_end partition::end_offset_for_epoch(samsa::leader_epoch epoch) const {
  epoch_end out;
  auto [e, end] = log_->end_offset_for_epoch(epoch.value());
  out.epoch = e;
  out.end_offset = end;
  // The leader's current epoch has no batch yet when nothing was produced since it was elected: it ends at the
  // log end like the latest epoch does.
  if (epoch >= leader_epoch_ && out.epoch < leader_epoch_) {
    out.epoch = leader_epoch_;
    out.end_offset = log_->log_end_offset();
  }
  return out;
}

// ---- ISR changes ----

std::optional<cluster::alter_partition_request> partition::next_isr_change(int64_t now_ms, int64_t lag_max_ms,
                                                                           int64_t broker_epoch) {
  if (!leader_) return std::nullopt;
  auto want = leader_->wanted_isr(now_ms, lag_max_ms);
  if (!want) return std::nullopt;
  spdlog::info("[{}-{}] asking the controller to change the ISR from [{}] to [{}]", topic_, index_,
               fmt::join(leader_->isr(), ","), fmt::join(*want, ","));
  leader_->on_isr_change_sent(*want);
  cluster::alter_partition_request req;
  req.broker = self_;
  req.broker_epoch = broker_epoch;
  req.topic_id = topic_id_;
  req.partition = index_;
  req.leader_epoch = leader_->state().leader_epoch;
  req.partition_epoch = leader_->state().partition_epoch;
  req.new_isr = std::move(*want);
  return req;
}

bool partition::isr_change_pending(const cluster::alter_partition_request& req) const {
  return leader_ && leader_epoch_ == req.leader_epoch && leader_->change_in_flight() &&
         leader_->state().partition_epoch == req.partition_epoch;
}

isr_change_next partition::on_isr_change_response(const cluster::alter_partition_request& req,
                                                  const cluster::alter_partition_response& resp, int64_t now_ms,
                                                  bool& hwm_advanced) {
  hwm_advanced = false;
  if (!isr_change_pending(req)) return isr_change_next::done;  // leadership moved, or the image settled it
  if (!resp.error.ok()) {
    if (isr_change_outcome_unknown(resp.error.code)) {
      spdlog::info("[{}-{}] ISR change to [{}]: outcome unknown ({}); kept in flight, retrying", topic_, index_,
                   fmt::join(req.new_isr, ","), resp.error.message);
      return isr_change_next::retry;
    }
    spdlog::warn("[{}-{}] ISR change to [{}] refused: {} ({})", topic_, index_, fmt::join(req.new_isr, ","),
                 resp.error.message, resp.error.code);
    leader_->on_isr_change_failed(now_ms);
    return isr_change_next::done;
  }
  spdlog::info("[{}-{}] ISR now [{}] (partition epoch {})", topic_, index_, fmt::join(resp.state.isr, ","),
               resp.state.partition_epoch);
  // The change is committed: adopt it now rather than when the image arrives (the image then changes nothing).
  if (resp.state.leader_epoch == leader_epoch_ && resp.state.partition_epoch > leader_->state().partition_epoch &&
      leader_->update_state(resp.state, log_->log_end_offset()))
    hwm_advanced = adopt_leader_hwm();
  return isr_change_next::done;
}

// ---- follower side ----

bool partition::truncate_to_leader(samsa::leader_epoch epoch, int64_t leader_end_offset) {
  const int64_t leo = log_->log_end_offset();
  const auto t = cluster::follower_truncation_point(leo, hwm_, epoch.value(), leader_end_offset,
                                                    log_->end_offset_for_epoch(epoch.value()));
  if (t.offset < leo) {
    auto r = log_->truncate_to(t.offset);
    if (!r) {
      spdlog::error("[{}-{}] truncation to {} failed: {}", topic_, index_, t.offset, r.error().message());
      return false;
    }
    spdlog::info("[{}-{}] truncated from {} to {} to match the leader (its epoch {} ends at {})", topic_, index_,
                 leo, *r, epoch, leader_end_offset);
    hwm_ = std::min(hwm_, *r);
    rebuild_producer_state();
  }
  return t.complete;
}

fetched partition::append_fetched(std::span<const uint8_t> records, int64_t leader_hwm) {
  std::vector<std::span<uint8_t>> batches;
  std::vector<records::batch_view> views;
  fetched out = fetched::appended;
  for (std::span<const uint8_t> rest = records; !rest.empty();) {
    auto bv = records::batch_view::parse(rest);
    if (!bv) break;  // a partial batch at the end of a size-limited response
    if (auto ec = bv->verify_crc()) {
      spdlog::error("[{}-{}] batch at offset {} from the leader fails its CRC: not appended", topic_, index_,
                    bv->base_offset());
      batches.clear();
      out = fetched::failed;
      break;
    }
    // The response buffer is the caller's: append_replicated does not modify it.
    batches.emplace_back(const_cast<uint8_t*>(rest.data()), bv->size_bytes());
    views.push_back(*bv);
    rest = rest.subspan(bv->size_bytes());
  }
  if (!batches.empty()) {
    auto r = log_->append_replicated(batches);
    if (!r && r.error() == storage::errc::invalid_argument) return fetched::diverged;
    if (!r) {
      spdlog::error("[{}-{}] replicated append failed: {}", topic_, index_, r.error().message());
      out = fetched::failed;
    } else {
      for (const auto& bv : views) record_producer(bv);
    }
  }
  hwm_ = std::max(hwm_, std::min(leader_hwm, log_->log_end_offset()));
  return out;
}

void partition::record_producer(const records::batch_view& bv) {
  if (bv.producer_id() < 0 || bv.base_sequence() < 0) return;
  producers_.on_append(identity_of(bv), bv.base_offset(), bv.last_offset());
}

void partition::rebuild_producer_state() {
  producers_.clear();
  int64_t offset = log_->log_start_offset();
  const int64_t end = log_->log_end_offset();
  while (offset < end) {
    auto r = log_->read(offset, 4u << 20, end);
    if (!r || r->total_bytes == 0) break;
    auto bytes = r->copy_bytes();
    if (!bytes) break;
    int64_t next = offset;
    for (std::span<const uint8_t> rest(*bytes); !rest.empty();) {
      auto b = records::batch_view::parse(rest);
      if (!b) break;
      record_producer(*b);
      next = b->last_offset() + 1;
      rest = rest.subspan(b->size_bytes());
    }
    if (next <= offset) break;  // no progress: stop rather than loop
    offset = next;
  }
}

}  // namespace samsa::replica
