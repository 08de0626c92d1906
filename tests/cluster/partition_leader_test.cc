// The leader's view of its followers (partition_leader): high watermark over the maximal ISR, caught-up tracking,
// ISR shrink after replica.lag.time.max.ms, expansion at the high watermark and the epoch start.
#include "samsa/cluster/partition_leader.h"

#include <gtest/gtest.h>

namespace samsa::cluster {
namespace {

partition_state three(std::vector<broker_id> isr) {
  partition_state s;
  s.replicas = {1, 2, 3};
  s.isr = std::move(isr);
  s.leader = 1;
  s.leader_epoch = 5;
  s.partition_epoch = 7;
  return s;
}

constexpr int64_t lag = 30000;

TEST(PartitionLeader, SingleReplicaHighWatermarkFollowsTheLog) {
  partition_state s;
  s.replicas = {1};
  s.isr = {1};
  s.leader = 1;
  partition_leader l(1, s, 0, 10, 0);
  EXPECT_EQ(l.high_watermark(), 10);
  EXPECT_TRUE(l.on_leader_append(15));
  EXPECT_EQ(l.high_watermark(), 15);
  EXPECT_FALSE(l.on_leader_append(15));
}

TEST(PartitionLeader, HighWatermarkWaitsForEveryIsrMember) {
  partition_leader l(1, three({1, 2, 3}), 0, 0, 0);
  EXPECT_TRUE(!l.on_leader_append(10));
  EXPECT_EQ(l.high_watermark(), 0);
  EXPECT_FALSE(l.on_follower_fetch(2, 10, 10, 1));  // 3 not heard from yet
  EXPECT_EQ(l.high_watermark(), 0);
  EXPECT_TRUE(l.on_follower_fetch(3, 4, 10, 2));
  EXPECT_EQ(l.high_watermark(), 4);
  EXPECT_TRUE(l.on_follower_fetch(3, 10, 10, 3));
  EXPECT_EQ(l.high_watermark(), 10);
}

TEST(PartitionLeader, HighWatermarkNeverMovesBack) {
  partition_leader l(1, three({1, 2}), 8, 10, 0);
  EXPECT_EQ(l.high_watermark(), 8);  // what this broker knew as a follower
  EXPECT_FALSE(l.on_follower_fetch(2, 5, 10, 1));  // a follower behind it does not lower it
  EXPECT_EQ(l.high_watermark(), 8);
  EXPECT_TRUE(l.on_follower_fetch(2, 10, 10, 2));
  EXPECT_EQ(l.high_watermark(), 10);
}

TEST(PartitionLeader, HighWatermarkIsCappedAtTheLeadersLog) {
  partition_leader l(1, three({1, 2}), 50, 10, 0);
  EXPECT_EQ(l.high_watermark(), 10);
}

TEST(PartitionLeader, NonIsrReplicasDoNotHoldTheHighWatermark) {
  partition_leader l(1, three({1, 2}), 0, 10, 0);
  EXPECT_TRUE(l.on_follower_fetch(2, 10, 10, 1));
  EXPECT_EQ(l.high_watermark(), 10);
  EXPECT_FALSE(l.on_follower_fetch(3, 0, 10, 1));
  EXPECT_EQ(l.high_watermark(), 10);
}

TEST(PartitionLeader, LaggingMemberIsDroppedAfterTheLagTime) {
  partition_leader l(1, three({1, 2, 3}), 0, 10, 0);
  l.on_follower_fetch(2, 10, 10, 1000);
  l.on_follower_fetch(3, 2, 10, 1000);
  EXPECT_FALSE(l.wanted_isr(lag, lag).has_value());  // 3 was caught up at leadership start: exactly lag
  for (int64_t t = 2000; t <= lag + 1000; t += 1000) l.on_follower_fetch(2, 10, 10, t);
  auto want = l.wanted_isr(lag + 1, lag);
  ASSERT_TRUE(want.has_value());
  EXPECT_EQ(*want, (std::vector<broker_id>{1, 2}));
}

TEST(PartitionLeader, FollowerCaughtUpAtItsPreviousFetchStaysInSync) {
  // Kafka's rule: reaching the leader's end as of the previous fetch counts as caught up at that fetch's time.
  partition_leader l(1, three({1, 2}), 0, 10, 0);
  l.on_follower_fetch(2, 10, 10, 100);    // caught up at 100
  l.on_follower_fetch(2, 10, 20, 20000);  // leader moved on: not caught up now, but was at its previous fetch
  l.on_follower_fetch(2, 20, 30, 40000);  // reached what the leader had at 20000: caught up as of 20000
  EXPECT_FALSE(l.wanted_isr(40000 + 5000, lag).has_value());
  auto want = l.wanted_isr(20000 + lag + 1, lag);
  ASSERT_TRUE(want.has_value());
  EXPECT_EQ(*want, (std::vector<broker_id>{1}));
}

TEST(PartitionLeader, ShrinkCountsForTheHighWatermarkOnlyOnceCommitted) {
  partition_leader l(1, three({1, 2, 3}), 0, 10, 0);
  l.on_follower_fetch(2, 10, 10, 1);
  l.on_follower_fetch(3, 5, 10, 1);
  EXPECT_EQ(l.high_watermark(), 5);
  l.on_isr_change_sent({1, 2});
  EXPECT_FALSE(l.on_leader_append(10));
  EXPECT_EQ(l.high_watermark(), 5);  // 3 may still be elected until the controller commits the shrink
  auto committed = three({1, 2});
  committed.partition_epoch = 8;
  EXPECT_TRUE(l.update_state(committed, 10));
  EXPECT_EQ(l.high_watermark(), 10);
  EXPECT_FALSE(l.change_in_flight());
}

TEST(PartitionLeader, ExpansionCountsForTheHighWatermarkAtOnce) {
  partition_leader l(1, three({1, 2}), 0, 10, 0);
  l.on_follower_fetch(2, 10, 10, 1);
  EXPECT_EQ(l.high_watermark(), 10);
  l.on_follower_fetch(3, 10, 10, 2);  // at the HWM, the epoch start and the log end: may join
  auto want = l.wanted_isr(2, lag);
  ASSERT_TRUE(want.has_value());
  EXPECT_EQ(*want, (std::vector<broker_id>{1, 2, 3}));
  l.on_isr_change_sent(*want);
  l.on_leader_append(20);
  l.on_follower_fetch(2, 20, 20, 3);
  EXPECT_EQ(l.high_watermark(), 10);  // 3 (maximal ISR) is at 10
  l.on_follower_fetch(3, 20, 20, 4);
  EXPECT_EQ(l.high_watermark(), 20);
}

TEST(PartitionLeader, NoExpansionBelowTheEpochStartOrTheHighWatermark) {
  partition_leader l(1, three({1, 2}), 0, 10, 0);  // this epoch starts at 10
  l.on_follower_fetch(2, 10, 10, 1);
  l.on_follower_fetch(3, 9, 10, 1);
  EXPECT_FALSE(l.wanted_isr(1, lag).has_value());
  l.on_follower_fetch(3, 10, 10, 2);
  EXPECT_TRUE(l.wanted_isr(2, lag).has_value());
}

TEST(PartitionLeader, DroppedReplicaDoesNotFlapBackWithoutFetching) {
  partition_leader l(1, three({1, 2, 3}), 0, 10, 0);
  l.on_follower_fetch(2, 10, 10, 100);
  l.on_follower_fetch(3, 10, 10, 100);  // then 3 dies, caught up to the end
  l.on_follower_fetch(2, 10, 10, lag + 200);
  auto shrink = l.wanted_isr(lag + 200, lag);
  ASSERT_TRUE(shrink.has_value());
  EXPECT_EQ(*shrink, (std::vector<broker_id>{1, 2}));
  l.on_isr_change_sent(*shrink);
  auto committed = three({1, 2});
  committed.partition_epoch = 8;
  l.update_state(committed, 10);
  EXPECT_FALSE(l.wanted_isr(lag + 300, lag).has_value());  // 3 stays out
  l.on_follower_fetch(3, 10, 10, lag + 400);                    // it is back and caught up
  auto grow = l.wanted_isr(lag + 400, lag);
  ASSERT_TRUE(grow.has_value());
  EXPECT_EQ(*grow, (std::vector<broker_id>{1, 2, 3}));
}

TEST(PartitionLeader, OneChangeInFlightAndBackoffAfterFailure) {
  partition_leader l(1, three({1, 2}), 0, 10, 0);
  l.on_follower_fetch(2, 10, 10, 1);
  l.on_follower_fetch(3, 10, 10, 1);
  auto want = l.wanted_isr(1, lag);
  ASSERT_TRUE(want.has_value());
  l.on_isr_change_sent(*want);
  EXPECT_FALSE(l.wanted_isr(2, lag).has_value());
  l.on_isr_change_failed(2, 1000);
  EXPECT_FALSE(l.wanted_isr(500, lag).has_value());
  EXPECT_TRUE(l.wanted_isr(1002, lag).has_value());
}

TEST(PartitionLeader, StaleImageDoesNotClearTheChangeInFlight) {
  partition_leader l(1, three({1, 2}), 0, 10, 0);
  l.on_follower_fetch(3, 10, 10, 1);
  l.on_isr_change_sent({1, 2, 3});
  l.update_state(three({1, 2}), 10);  // same partition epoch: an unrelated image
  EXPECT_TRUE(l.change_in_flight());
}

}  // namespace
}  // namespace samsa::cluster

namespace samsa::cluster {
namespace {

TEST(FollowerTruncation, SameEpochCutsAtTheLowerEnd) {
  // Leader: our epoch 3 ends at 12; ours ends at 15 (an unreplicated tail).
  auto t = follower_truncation_point(15, 10, 3, 12, {3, 15});
  EXPECT_EQ(t.offset, 12);
  EXPECT_TRUE(t.complete);
}

TEST(FollowerTruncation, UnknownEpochCutsAtOurEarlierEpochAndAsksAgain) {
  // We hold epochs {0@0, 8@7}, log end 10; the leader answers "epoch 7 ends at 10". Our largest epoch <= 7 is 0,
  // ending at 7: everything from 7 is epoch 8, which the leader never had.
  auto t = follower_truncation_point(10, 5, 7, 10, {0, 7});
  EXPECT_EQ(t.offset, 7);
  EXPECT_FALSE(t.complete);
}

TEST(FollowerTruncation, EpochBelowOursCutsWhereOurEarliestStarts) {
  // Our log starts at epoch 1; the leader answers "epoch 0 ends at 7"; our cache says epoch 0 ends at 0.
  auto t = follower_truncation_point(9, 0, 0, 7, {0, 0});
  EXPECT_EQ(t.offset, 0);
  EXPECT_TRUE(t.complete);
}

TEST(FollowerTruncation, LeaderWithoutOurEpochsKeepsTheCommittedPart) {
  auto t = follower_truncation_point(20, 14, -1, -1, {5, 20});
  EXPECT_EQ(t.offset, 14);
  EXPECT_TRUE(t.complete);
}

TEST(FollowerTruncation, NothingToCutNeverLoops) {
  auto t = follower_truncation_point(10, 10, 2, 30, {1, 10});
  EXPECT_EQ(t.offset, 10);
  EXPECT_TRUE(t.complete);
}

}  // namespace
}  // namespace samsa::cluster
