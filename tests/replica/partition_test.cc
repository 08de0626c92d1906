// replica::partition on a real log: leader appends and the high watermark, acks=all outcomes, follower fetches and
// the ISR changes they call for, AlterPartition answers, and the follower side (truncation, fetched appends).
#include "samsa/replica/partition.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "samsa/protocol/kafka_error.h"
#include "samsa/records/record_batch.h"

namespace samsa::replica {
namespace {

namespace fs = std::filesystem;
namespace ke = protocol::kafka_error;

struct scratch {
  fs::path dir;
  scratch() {
    static std::atomic<int> n{0};
    dir = fs::temp_directory_path() / ("samsa-partition-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::shared_ptr<storage::partition_log> open(const std::string& name = "t-0") {
    auto l = storage::partition_log::open(dir / name, {});
    EXPECT_TRUE(l);
    return std::shared_ptr<storage::partition_log>(std::move(*l));
  }
};

std::vector<uint8_t> batch(int records = 1, int64_t producer_id = -1, int32_t seq = -1) {
  records::batch_options o;
  o.producer_id = producer_id;
  o.producer_epoch = producer_id >= 0 ? 0 : -1;
  o.base_sequence = seq;
  records::batch_builder b(o);
  for (int i = 0; i < records; ++i) b.add(1000 + i, std::nullopt, std::string_view("value"));
  auto r = b.build();
  EXPECT_TRUE(r);
  return std::move(*r);
}

cluster::partition_state state(std::vector<broker_id> replicas, std::vector<broker_id> isr, broker_id leader,
                               int32_t epoch, int32_t partition_epoch = 0) {
  cluster::partition_state s;
  s.replicas = std::move(replicas);
  s.isr = std::move(isr);
  s.leader = leader;
  s.leader_epoch = epoch;
  s.partition_epoch = partition_epoch;
  return s;
}

append_outcome append(partition& p, std::vector<uint8_t> bytes, bool acks_all = false) {
  auto bv = records::batch_view::parse(bytes);
  EXPECT_TRUE(bv);
  return p.append(std::span<uint8_t>(bytes), *bv, acks_all);
}

TEST(Partition, ALoneLeaderCommitsAtOnce) {
  scratch s;
  partition p("t", 0, s.open(), 1);
  EXPECT_TRUE(p.apply_state(state({1}, {1}, 1, 0), true, 0));
  ASSERT_TRUE(p.is_leader());
  auto out = append(p, batch(3));
  EXPECT_EQ(out.error, ke::none);
  EXPECT_EQ(out.base_offset, 0);
  EXPECT_EQ(out.last_offset, 2);
  EXPECT_TRUE(out.hwm_advanced);
  EXPECT_EQ(p.high_watermark(), 3);
  EXPECT_EQ(p.replication_outcome(0, 3), std::optional<protocol::kafka_errc>(ke::none));
}

TEST(Partition, AcksAllWaitsForTheFollowersAndChecksMinIsr) {
  scratch s;
  partition p("t", 0, s.open(), 1);
  p.set_limits({1 << 20, 2, {}});
  p.apply_state(state({1, 2}, {1, 2}, 1, 0), true, 0);
  auto out = append(p, batch(2), true);
  ASSERT_EQ(out.error, ke::none);
  EXPECT_FALSE(out.hwm_advanced);  // follower 2 has not fetched yet
  EXPECT_FALSE(p.replication_outcome(0, 2).has_value());
  EXPECT_TRUE(p.on_follower_fetch(2, 1, 10));  // has offset 0 only: HWM 1
  EXPECT_EQ(p.high_watermark(), 1);
  EXPECT_TRUE(p.on_follower_fetch(2, 2, 20));
  EXPECT_EQ(p.high_watermark(), 2);
  EXPECT_EQ(p.replication_outcome(0, 2), std::optional<protocol::kafka_errc>(ke::none));
  // Another leader epoch: the waiter's leadership is gone.
  EXPECT_EQ(p.replication_outcome(7, 2), std::optional<protocol::kafka_errc>(ke::not_leader_or_follower));
  // The ISR shrinks below min.insync.replicas: refused before the append.
  p.apply_state(state({1, 2}, {1}, 1, 0, 1), false, 30);
  EXPECT_EQ(append(p, batch(), true).error, ke::not_enough_replicas);
  EXPECT_EQ(append(p, batch(), false).error, ke::none);  // acks=1 does not care
}

TEST(Partition, RetriedIdempotentBatchIsAnsweredAsTheFirst) {
  scratch s;
  partition p("t", 0, s.open(), 1);
  p.apply_state(state({1}, {1}, 1, 0), true, 0);
  auto first = append(p, batch(2, 42, 0));
  ASSERT_EQ(first.error, ke::none);
  auto again = append(p, batch(2, 42, 0));
  EXPECT_EQ(again.error, ke::none);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.base_offset, first.base_offset);
  EXPECT_EQ(p.log_end_offset(), 2);
  EXPECT_EQ(append(p, batch(1, 42, 5)).error, ke::out_of_order_sequence_number);
}

// Kafka checks min.insync.replicas before the producer's sequence: the batches an idempotent producer pipelined
// behind a refused one must be refused the same way (retriable), not as OUT_OF_ORDER_SEQUENCE_NUMBER (fatal to
// librdkafka), and once the ISR is back the retries go in in order.
TEST(Partition, ShortIsrRefusesPipelinedIdempotentBatchesAlike) {
  scratch s;
  partition p("t", 0, s.open(), 1);
  p.set_limits({1 << 20, 2, {}});
  p.apply_state(state({1, 2}, {1}, 1, 0), true, 0);
  ASSERT_EQ(append(p, batch(1, 42, 0), true).error, ke::not_enough_replicas);
  EXPECT_EQ(append(p, batch(1, 42, 1), true).error, ke::not_enough_replicas);
  EXPECT_EQ(append(p, batch(1, 42, 2), true).error, ke::not_enough_replicas);
  p.apply_state(state({1, 2}, {1, 2}, 1, 0, 1), false, 10);
  EXPECT_EQ(append(p, batch(1, 42, 0), true).error, ke::none);
  EXPECT_EQ(append(p, batch(1, 42, 1), true).error, ke::none);
  EXPECT_EQ(p.log_end_offset(), 2);
}

TEST(Partition, FollowersAndNonLeadersAreRefused) {
  scratch s;
  partition p("t", 0, s.open(), 2);
  p.apply_state(state({1, 2}, {1, 2}, 1, 3), true, 0);
  EXPECT_FALSE(p.is_leader());
  EXPECT_EQ(append(p, batch()).error, ke::not_leader_or_follower);
  EXPECT_EQ(p.check_leader_epoch(2), ke::fenced_leader_epoch);
  EXPECT_EQ(p.check_leader_epoch(4), ke::unknown_leader_epoch);
  EXPECT_EQ(p.check_leader_epoch(3), ke::none);
  EXPECT_EQ(p.check_leader_epoch(-1), ke::none);
}

TEST(Partition, FollowerCatchingUpIsAskedIntoTheIsr) {
  scratch s;
  partition p("t", 0, s.open(), 1);
  cluster::uuid id{1, 2};
  p.set_topic_id(id);
  p.apply_state(state({1, 2}, {1}, 1, 0, 4), true, 0);
  append(p, batch(2));
  EXPECT_FALSE(p.next_isr_change(10, 30000, 5).has_value());  // 2 has not fetched
  p.on_follower_fetch(2, 2, 20);
  auto req = p.next_isr_change(20, 30000, 5);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->new_isr, (std::vector<broker_id>{1, 2}));
  EXPECT_EQ(req->broker, 1);
  EXPECT_EQ(req->broker_epoch, 5);
  EXPECT_EQ(req->topic_id, id);
  EXPECT_EQ(req->partition_epoch, 4);
  EXPECT_TRUE(p.isr_change_pending(*req));
  EXPECT_FALSE(p.next_isr_change(21, 30000, 5).has_value());  // one in flight at a time

  bool advanced = false;
  // No answer in time: the outcome is unknown, the change stays in flight (KIP-841).
  cluster::alter_partition_response timeout{{ke::request_timed_out, "no answer"}, {}};
  EXPECT_EQ(p.on_isr_change_response(*req, timeout, 30, advanced), isr_change_next::retry);
  EXPECT_TRUE(p.isr_change_pending(*req));
  // Committed: adopted at once.
  cluster::alter_partition_response ok{{}, state({1, 2}, {1, 2}, 1, 0, 5)};
  EXPECT_EQ(p.on_isr_change_response(*req, ok, 40, advanced), isr_change_next::done);
  EXPECT_FALSE(p.isr_change_pending(*req));
  EXPECT_EQ(p.leader_state()->isr(), (std::vector<broker_id>{1, 2}));
}

TEST(Partition, RefusedIsrChangeBacksOff) {
  scratch s;
  partition p("t", 0, s.open(), 1);
  p.apply_state(state({1, 2}, {1}, 1, 0), true, 0);
  p.on_follower_fetch(2, 0, 10);
  auto req = p.next_isr_change(10, 30000, 1);
  ASSERT_TRUE(req);
  bool advanced = false;
  cluster::alter_partition_response refused{{ke::invalid_request, "no"}, {}};
  EXPECT_EQ(p.on_isr_change_response(*req, refused, 20, advanced), isr_change_next::done);
  EXPECT_FALSE(p.isr_change_pending(*req));
  EXPECT_FALSE(p.next_isr_change(21, 30000, 1).has_value());  // backing off
  EXPECT_TRUE(p.next_isr_change(2000, 30000, 1).has_value());
}

TEST(Partition, OutcomeUnknownCodesAreKafkas) {
  for (protocol::kafka_errc c : {ke::not_controller, ke::request_timed_out, ke::unknown_server_error, ke::invalid_update_version,
                    ke::fenced_leader_epoch, ke::unknown_leader_epoch})
    EXPECT_TRUE(isr_change_outcome_unknown(c)) << c;
  for (protocol::kafka_errc c : {ke::none, ke::invalid_request, ke::not_leader_or_follower, ke::stale_broker_epoch})
    EXPECT_FALSE(isr_change_outcome_unknown(c)) << c;
}

TEST(Partition, FollowerAppendsFetchedBatchesAndTruncatesByEpoch) {
  scratch s;
  auto leader_log = s.open("t-0");
  partition leader("t", 0, leader_log, 1);
  leader.apply_state(state({1, 2}, {1, 2}, 1, 1), true, 0);
  append(leader, batch(2));
  append(leader, batch(1));

  scratch s2;
  partition follower("t", 0, s2.open("t-0"), 2);
  follower.apply_state(state({1, 2}, {1, 2}, 1, 1), true, 0);
  auto r = leader.read(0, 1 << 20, true);
  ASSERT_EQ(r.error, ke::none);
  auto bytes = r.records.copy_bytes();
  ASSERT_TRUE(bytes);
  EXPECT_EQ(follower.append_fetched(*bytes, 2), fetched::appended);
  EXPECT_EQ(follower.log_end_offset(), 3);
  EXPECT_EQ(follower.high_watermark(), 2);  // the leader's
  // The same batches again do not start at our log end.
  EXPECT_EQ(follower.append_fetched(*bytes, 3), fetched::diverged);

  // The leader's epoch 1 ends at 2 (a new leader cut our last batch): truncate there.
  EXPECT_TRUE(follower.truncate_to_leader(1, 2));
  EXPECT_EQ(follower.log_end_offset(), 2);
  // A consumer reads below the high watermark only; a follower up to the log end.
  EXPECT_EQ(leader.read(2, 1 << 20, false).records.total_bytes, 0u);
  EXPECT_EQ(leader.read(9, 1 << 20, true).error, ke::offset_out_of_range);
}

TEST(Partition, CurrentEpochEndsAtTheLogEnd) {
  scratch s;
  partition p("t", 0, s.open(), 1);
  p.apply_state(state({1}, {1}, 1, 0), true, 0);
  append(p, batch(2));
  p.apply_state(state({1}, {1}, 1, 3), true, 10);  // re-elected, nothing produced since
  const auto e = p.end_offset_for_epoch(3);
  EXPECT_EQ(e.epoch, 3);
  EXPECT_EQ(e.end_offset, 2);
  const auto old = p.end_offset_for_epoch(0);
  EXPECT_EQ(old.epoch, 0);
  EXPECT_EQ(old.end_offset, 2);
}

}  // namespace
}  // namespace samsa::replica
