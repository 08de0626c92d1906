#pragma once
// A deterministic simulation of partition replication (the Raft simulator's approach, tests/raft/simulator.h,
// applied to the data plane). One seed fixes everything: 3-5 brokers replicating one partition, a controller running
// the real cluster::controller rules over a metadata_image, clients producing with acks=all, and faults (message
// drop/delay/reorder/duplication, broker crashes and restarts, pauses, network partitions). Brokers lead with the
// real cluster::partition_leader and truncate with the real follower_truncation_point. Invariants are checked as
// the state changes; the first violation stops the run and is reported with the seed, which replays the run:
//  1. no acknowledged write lost: the current leader holds every acknowledged write when it takes up leadership
//     and never writes over one; no ISR member truncates one; the final leader holds them all;
//  2. offsets dense in every log (an append must land at the log end);
//  3. replicas agree below their high watermarks (checked against the first copy seen below any HWM), and no
//     replica truncates below its own high watermark;
//  4. the leader's high watermark never moves back within a leader epoch;
//  5. at most one broker takes up the leadership of a leader epoch;
// then, after a quiet phase without faults: one leader, full ISR, every log identical to the leader's, HWM = LEO.
#include <cstdint>
#include <string>

namespace samsa::cluster::sim {

// Deliberately wrong variants of the replication rules, to prove the invariants catch them. They live here, in the
// simulation, never in the production code.
struct planted_bugs {
  bool follower_never_truncates = false;   // a new follower keeps a divergent suffix (no KIP-101 truncation)
  bool follower_truncates_to_hwm = false;  // pre-KIP-101: a new follower cuts its log at its own high watermark
  bool ack_before_hwm = false;             // acks=all answered at append, without waiting for the high watermark
  bool unclean_election = false;           // the controller may elect a replica outside the ISR
  bool hwm_over_committed_isr = false;     // the leader's HWM ignores the ISR change in flight (not the maximal ISR)
};

struct options {
  uint64_t seed = 1;
  planted_bugs bugs{};
  // Two gaps the simulator found in the production truncation (follower_truncation_point over the answers of
  // storage::leader_epoch_cache::end_offset_for) keep a divergent suffix on a follower:
  //  (a) the follower's cache lacks the epoch the leader answered with: the rule then trusts the follower's log end,
  //      where Kafka cuts at the end of the follower's largest epoch below the answered one and asks again (KIP-279);
  //  (b) the answered epoch is below the follower's earliest epoch: the cache answers (-1, -1) and the rule again
  //      trusts the log end, where Kafka's cache answers (epoch, start of the earliest epoch) and the log is cut there.
  // On, the simulated follower also applies Kafka's rule and cuts at the lower of the two answers, so that the
  // many-seeds run checks everything else; off, the production rule alone (ReplicationSimTest shows it failing).
  bool kafka_truncation_rule = true;
  // A gap the simulator found in the ISR-change handling (replication.cc send_isr_change + partition_leader): an
  // AlterPartition whose outcome is unknown (no answer in time: controller_node answers not_controller; or an
  // INVALID_UPDATE_VERSION because an earlier attempt was applied) is reported with on_isr_change_failed, which drops
  // the expansion from the maximal ISR. If the controller did commit it, the leader advances the high watermark
  // without the new member, acknowledges writes it lacks, and the controller may elect it: acknowledged writes are
  // lost. Kafka (KIP-841) keeps the change in flight, retrying, until the controller or the metadata tells the
  // outcome. On, the simulated leader does that; off, the production behaviour (ReplicationSimTest shows it failing).
  bool keep_isr_change_of_unknown_outcome = true;
  int64_t duration = 5000;  // simulated ms of faults, followed by a quiet phase in which everyone must converge
  // Crashes of followers are power losses: a follower loses part of what it appended since its last periodic flush
  // (the leader fsyncs before answering acks=all). Off by default: like Kafka without KIP-966, the ISR then may
  // hold a member that silently lost acknowledged writes (ReplicationSimTest shows it).
  bool follower_power_loss = false;
  bool trace = false;       // record a human-readable event log (used to explain a failing seed)
};

struct outcome {
  bool ok = true;
  std::string failure;  // the violated invariant, with the seed and the simulated time
  std::string trace;    // the event log when options.trace
  uint64_t events = 0;
  uint64_t acked = 0;          // acks=all writes acknowledged
  uint64_t leader_epochs = 0;  // leaderships taken up by brokers
};

outcome run(const options& opt);

}  // namespace samsa::cluster::sim
