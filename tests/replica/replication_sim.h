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
  // Two gaps this simulator found in production code, fixed since; off, each is back as a planted bug:
  //  * kafka_truncation_rule = false: the follower truncation rule before the fix — one round, trusting the
  //    follower's log end when its cache lacks the epoch the leader answered with (Kafka cuts at the end of the
  //    follower's largest epoch below it and asks again, KIP-279; follower_truncation_point does now);
  //  * keep_isr_change_of_unknown_outcome = false: an AlterPartition whose outcome is unknown (no answer in time, or
  //    INVALID_UPDATE_VERSION because an earlier attempt was applied) reported as failed, which drops the expansion
  //    from the maximal ISR: if the controller did commit it, the leader acknowledges writes the new member lacks
  //    and the controller may elect that member. replication.cc now keeps the change in flight and retries, as
  //    Kafka does (KIP-841).
  bool kafka_truncation_rule = true;
  bool keep_isr_change_of_unknown_outcome = true;
  int64_t duration = 5000;  // simulated ms of faults, followed by a quiet phase in which everyone must converge
  // Crashes of followers are power losses: a follower loses part of what it appended since its last periodic flush
  // (the leader fsyncs before answering acks=all). Off by default: like Kafka without KIP-966, the ISR then may
  // hold a member that silently lost acknowledged writes (ReplicationSimTest shows it).
  bool follower_power_loss = false;
  // Probability that the controller's answer to an AlterPartition it committed is lost (the leader must treat the
  // outcome as unknown); < 0: drawn per seed between 0 and 0.3.
  double alter_answer_loss = -1;
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
