#include "samsa/cluster/local_changes.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace samsa::cluster {
namespace {

using kind = local_replica_change::kind;
using testing::harness;

TEST(LocalChangesTest, NewPartitionsMakeLeadersAndFollowers) {
  harness h;
  for (int32_t b = 1; b <= 2; ++b) h.add_broker(b);
  const metadata_image before = h.image;
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2}}, {1, {2, 1}}}, {}}}));
  auto c = local_changes(before, h.image, 1);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].what, kind::become_leader);
  EXPECT_EQ(c[0].partition, 0);
  EXPECT_EQ(c[1].what, kind::become_follower);
  EXPECT_EQ(c[1].partition, 1);
  EXPECT_EQ(c[1].state.leader, 2);
  EXPECT_TRUE(local_changes(before, h.image, 3).empty());  // not a replica anywhere
}

TEST(LocalChangesTest, IsrOnlyChangesNeedNothingLeaderChangesDo) {
  harness h;
  for (int32_t b = 1; b <= 3; ++b) h.add_broker(b);
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2, 3}}}, {}}}));
  metadata_image before = h.image;
  const auto& s = h.part("t", 0);
  h.commit(h.ctl.alter_partition(h.image, {1, h.image.broker(1)->broker_epoch, h.image.topic("t")->id, 0,
                                           s.leader_epoch, s.partition_epoch, {1, 2}}));
  EXPECT_TRUE(local_changes(before, h.image, 1).empty());
  EXPECT_TRUE(local_changes(before, h.image, 3).empty());
  before = h.image;
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, 0, true, false}, h.now));  // fence 1
  auto on2 = local_changes(before, h.image, 2);
  ASSERT_EQ(on2.size(), 1u);
  EXPECT_EQ(on2[0].what, kind::become_leader);
  EXPECT_EQ(on2[0].state.leader_epoch, 1);
  auto on3 = local_changes(before, h.image, 3);
  ASSERT_EQ(on3.size(), 1u);
  EXPECT_EQ(on3[0].what, kind::become_follower);  // new leader epoch: follow broker 2
  EXPECT_EQ(on3[0].state.leader, 2);
  auto on1 = local_changes(before, h.image, 1);
  ASSERT_EQ(on1.size(), 1u);
  EXPECT_EQ(on1[0].what, kind::become_follower);
}

TEST(LocalChangesTest, DeletedTopicsAreRemoved) {
  harness h;
  h.add_broker(1);
  h.create("t", 2, 1);
  const metadata_image before = h.image;
  h.commit(h.ctl.delete_topics(h.image, {{"t"}}));
  auto c = local_changes(before, h.image, 1);
  ASSERT_EQ(c.size(), 2u);
  for (const auto& ch : c) {
    EXPECT_EQ(ch.what, kind::remove);
    EXPECT_EQ(ch.topic, "t");
  }
}

TEST(LocalChangesTest, SnapshotRestoreWithSameContentNeedsNothing) {
  harness h;
  h.add_broker(1);
  h.create("t", 3, 1);
  auto restored = parse_snapshot(serialize_snapshot(h.image));
  ASSERT_TRUE(restored);
  EXPECT_TRUE(local_changes(h.image, *restored, 1).empty());
}

}  // namespace
}  // namespace samsa::cluster
