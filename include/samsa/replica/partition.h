#pragma once
// replica::partition: this broker's replica of one partition, and the one owner of its state: the log, the
// idempotent-producer state, the role (leader or follower, at which leader epoch), the leader's view of its
// followers (cluster::partition_leader) and the high watermark. Nothing else writes any of them.
//
// The class does no I/O of its own besides the log's and has no clock: time is an argument. Its callers are the
// request handlers (produce, fetch, ...), the partition manager (metadata images), the replica fetcher (follower
// side) and the ISR-change sender; the replication simulator (tests/cluster/replication_sim*) drives this very
// class. Every method runs on the thread that owns the partition.
//
// Rules (Kafka's Partition + ReplicaManager, see docs/replication.md):
//  * the leader's high watermark is partition_leader's: the minimum log end offset over the maximal ISR, never
//    moving back; a follower's is the leader's (from fetch responses), capped at its own log end offset;
//  * acks=all waits until the high watermark passes the batch, then checks min.insync.replicas again;
//  * a follower truncates by leader epoch (KIP-101/279, cluster::follower_truncation_point) before fetching;
//  * an AlterPartition whose outcome is unknown stays in flight and is retried (KIP-841).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "samsa/cluster/controller.h"
#include "samsa/cluster/partition_leader.h"
#include "samsa/records/record_batch.h"
#include "samsa/replica/producer_state.h"
#include "samsa/replica/record_checks.h"
#include "samsa/storage/partition_log.h"

namespace samsa::replica {

using cluster::broker_id;
using samsa::partition_index;

// Topic-level settings a partition enforces (topic override or broker default).
struct partition_limits {
  int32_t max_message_bytes = 1048588;  // max.message.bytes
  int32_t min_insync_replicas = 1;      // min.insync.replicas
  record_rules records;                 // what each produced record must satisfy (record_checks.h)
};

// The outcome of a leader append.
struct append_outcome {
  protocol::kafka_errc error = protocol::kafka_errc::none;
  int64_t base_offset = -1;
  int64_t last_offset = -1;
  int64_t log_append_time = -1;
  bool duplicate = false;      // a retry of a batch already in the log (base/last are the original's)
  bool hwm_advanced = false;
  std::string error_message;                // with INVALID_RECORD / INVALID_TIMESTAMP (Produce v8+)
  std::vector<record_error> record_errors;  // the refused records by index in the batch (Produce v8+)
};

// What a read for a fetching follower or consumer found.
struct fetch_read {
  protocol::kafka_errc error = protocol::kafka_errc::none;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
  int64_t log_end_offset = -1;
  storage::read_result records;  // empty when nothing (or an error)
};

// The leader's answer to OffsetForLeaderEpoch.
struct epoch_end {
  protocol::kafka_errc error = protocol::kafka_errc::none;
  samsa::leader_epoch epoch = -1;
  int64_t end_offset = -1;
};

// What to do after an AlterPartition answer (see on_isr_change_response).
enum class isr_change_next {
  done,    // committed and adopted, refused (backing off), or no longer this change's to settle
  retry,   // outcome unknown: the change stays in flight; send the same request again after a pause
};

// Whether an AlterPartition error leaves the outcome open: no controller answered in time, or a stale epoch that an
// earlier attempt of this very change may have caused (KIP-841).
bool isr_change_outcome_unknown(protocol::kafka_errc code) noexcept;

// Follower side: the result of appending what the leader sent.
enum class fetched { appended, diverged, failed };

class partition {
 public:
  partition(std::string topic, partition_index index, std::shared_ptr<storage::partition_log> log, broker_id self);

  // --- identity and state (read-only) ---
  const std::string& topic() const noexcept { return topic_; }
  partition_index index() const noexcept { return index_; }
  const cluster::uuid& topic_id() const noexcept { return topic_id_; }
  void set_topic_id(const cluster::uuid& id) noexcept { topic_id_ = id; }
  const storage::partition_log& log() const noexcept { return *log_; }
  // Maintenance that does not change what replicas agree on (configs, retention, compaction, DeleteRecords).
  storage::partition_log& log_for_maintenance() noexcept { return *log_; }
  const std::shared_ptr<storage::partition_log>& shared_log() const noexcept { return log_; }
  bool is_leader() const noexcept { return is_leader_; }
  samsa::leader_epoch leader_epoch() const noexcept { return leader_epoch_; }
  broker_id leader_id() const noexcept { return leader_id_; }
  int64_t high_watermark() const noexcept { return hwm_; }
  int64_t log_start_offset() const { return log_->log_start_offset(); }
  int64_t log_end_offset() const { return log_->log_end_offset(); }
  // While this broker leads the partition.
  const cluster::partition_leader* leader_state() const noexcept { return leader_ ? &*leader_ : nullptr; }
  const partition_limits& limits() const noexcept { return limits_; }
  void set_limits(const partition_limits& l) noexcept { limits_ = l; }
  const producer_state& producers() const noexcept { return producers_; }

  // --- role (the partition manager, from metadata images) ---
  // A state of the partition from the metadata image. `new_leadership`: the leader or leader epoch changed
  // (cluster::local_changes); otherwise only the ISR or partition epoch may have. Returns whether waiters should
  // re-check (role, epoch or high watermark changed).
  bool apply_state(const cluster::partition_state& s, bool new_leadership, int64_t now_ms);
  // The replica is being removed (topic deleted, reassigned away): waiters learn it is no longer theirs.
  void on_removed();

  // KIP-320: FENCED_LEADER_EPOCH when the client's epoch is older, UNKNOWN_LEADER_EPOCH when newer, none when
  // equal or not sent (-1).
  protocol::kafka_errc check_leader_epoch(samsa::leader_epoch requested) const noexcept;

  // --- leader side ---
  // Appends one validated client batch (acks=all also checks min.insync.replicas first). `batch` is rewritten in
  // place (offsets, leader epoch).
  append_outcome append(std::span<uint8_t> batch, const records::batch_view& bv, bool acks_all);
  // Group commit: `done` runs (on a flusher thread) once everything appended so far is durable.
  void flush(std::function<void(std::error_code)> done) { log_->flush(std::move(done)); }
  // Records written by this broker's own group coordinator (__consumer_offsets) at `leader_epoch`, which must be
  // the current one.
  append_outcome append_internal(std::span<uint8_t> batch, samsa::leader_epoch epoch);
  // acks=all: nullopt while the high watermark is below `end`, else the answer (none, NOT_LEADER_OR_FOLLOWER when
  // the leadership moved, NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas).
  std::optional<protocol::kafka_errc> replication_outcome(samsa::leader_epoch epoch, int64_t end) const;
  // Follower `replica` fetched at `fetch_offset` (its log end offset): its progress, the ISR and the high
  // watermark. True when the high watermark advanced. Never sends anything: an ISR change it makes wanted is the
  // ISR-change sender's to send (next_isr_change).
  bool on_follower_fetch(broker_id replica, int64_t fetch_offset, int64_t now_ms);
  // Whole batches from `offset`, up to max_bytes (the first whole even when larger), below the high watermark for
  // a consumer and below the log end for a follower; OFFSET_OUT_OF_RANGE outside [log start, log end].
  fetch_read read(int64_t offset, size_t max_bytes, bool from_follower) const;
  // OffsetForLeaderEpoch as leader: the end offset of `epoch` (the current epoch ends at the log end).
  epoch_end end_offset_for_epoch(samsa::leader_epoch epoch) const;

  // --- ISR changes (the leader asks the controller) ---
  // The AlterPartition request wanted now, marked in flight; nullopt when none is needed (or one is in flight).
  std::optional<cluster::alter_partition_request> next_isr_change(int64_t now_ms, int64_t lag_max_ms,
                                                                  int64_t broker_epoch);
  // Whether `req` is still this partition's to settle: same leadership, the state it was computed from, and a
  // change in flight.
  bool isr_change_pending(const cluster::alter_partition_request& req) const;
  // The controller's answer (or a synthesized REQUEST_TIMED_OUT when none came). `hwm_advanced` is set when
  // adopting the committed state moved the high watermark.
  isr_change_next on_isr_change_response(const cluster::alter_partition_request& req,
                                         const cluster::alter_partition_response& resp, int64_t now_ms,
                                         bool& hwm_advanced);

  // --- follower side ---
  // KIP-279: truncates where this log and the leader's agree, from the leader's end offset of our latest epoch.
  // Returns false when another round is needed (our log held epochs the leader does not have) or on failure.
  bool truncate_to_leader(samsa::leader_epoch epoch, int64_t leader_end_offset);
  // Appends the batches the leader sent (CRC-checked; a partial batch at the end is ignored) and adopts the
  // leader's high watermark. diverged: they do not start at our log end (truncate again).
  fetched append_fetched(std::span<const uint8_t> records, int64_t leader_hwm);

  // Replays the log's batch headers into the producer state (start-up, truncation).
  void rebuild_producer_state();

 private:
  bool adopt_leader_hwm();
  bool on_log_grown();
  void record_producer(const records::batch_view& bv);

  const std::string topic_;
  const partition_index index_;
  const broker_id self_;
  cluster::uuid topic_id_{};
  std::shared_ptr<storage::partition_log> log_;
  producer_state producers_;
  partition_limits limits_;
  bool is_leader_ = false;
  samsa::leader_epoch leader_epoch_ = -1;
  broker_id leader_id_ = cluster::no_leader;
  // Offsets below it are on every in-sync replica. In memory only: after a restart it starts at 0 and catches up
  // with the first fetches (it must never be too high; nothing depends on it being exact).
  int64_t hwm_ = 0;
  std::optional<cluster::partition_leader> leader_;
};

// The identity of one batch for the producer-state rules (sequence range with int32 wrap).
batch_identity identity_of(const records::batch_view& bv) noexcept;

}  // namespace samsa::replica
