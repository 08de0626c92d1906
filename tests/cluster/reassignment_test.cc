// Partition reassignment in the controller's rules (KIP-455): start, progress through ISR changes, completion,
// cancellation, validation; and the records survive a snapshot.
#include <gtest/gtest.h>

#include "harness.h"
#include "samsa/cluster/partition_rules.h"

namespace samsa::cluster {
namespace {
using testing::harness;

harness three_brokers_with(const std::vector<broker_id>& replicas) {
  harness h;
  h.commit(h.ctl.bootstrap(h.image));
  for (int32_t b = 1; b <= 3; ++b) h.add_broker(b);
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, replicas}}, {}}}));
  return h;
}

alter_partition_request isr_change(harness& h, std::vector<broker_id> isr) {
  const auto& s = h.part("t", 0);
  return {s.leader, h.image.broker(s.leader)->broker_epoch, h.image.topic("t")->id, 0, s.leader_epoch,
          s.partition_epoch, std::move(isr)};
}

TEST(ReassignmentTest, MovesAPartitionToNewReplicasOnceTheyCaughtUp) {
  harness h = three_brokers_with({1});
  auto r = h.commit(h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::vector<broker_id>{2, 3}}}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].error.ok()) << r[0].error.message;
  auto s = h.part("t", 0);
  EXPECT_EQ(s.replicas, (std::vector<broker_id>{2, 3, 1}));  // target first, then those being removed
  EXPECT_EQ(s.adding, (std::vector<broker_id>{2, 3}));
  EXPECT_EQ(s.removing, (std::vector<broker_id>{1}));
  EXPECT_EQ(s.leader, 1);
  EXPECT_EQ(list_reassignments(h.image, std::nullopt).size(), 1u);
  // Broker 2 catches up: not done yet (3 is missing).
  auto a = h.commit(h.ctl.alter_partition(h.image, isr_change(h, {1, 2})));
  ASSERT_TRUE(a.error.ok()) << a.error.message;
  EXPECT_EQ(h.part("t", 0).replicas.size(), 3u);
  // Broker 3 catches up: the reassignment completes, 1 leaves, and a target replica leads.
  a = h.commit(h.ctl.alter_partition(h.image, isr_change(h, {1, 2, 3})));
  ASSERT_TRUE(a.error.ok()) << a.error.message;
  s = h.part("t", 0);
  EXPECT_EQ(s.replicas, (std::vector<broker_id>{2, 3}));
  EXPECT_EQ(s.isr, (std::vector<broker_id>{2, 3}));
  EXPECT_EQ(s.leader, 2);
  EXPECT_EQ(s.leader_epoch, 1);
  EXPECT_TRUE(s.adding.empty() && s.removing.empty());
  EXPECT_TRUE(list_reassignments(h.image, std::nullopt).empty());
  EXPECT_FALSE(check_partition_invariants(s).has_value());
}

TEST(ReassignmentTest, RemovalOnlyCompletesAtOnce) {
  harness h = three_brokers_with({1, 2, 3});
  h.commit(h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::vector<broker_id>{2, 3}}}));
  const auto& s = h.part("t", 0);
  EXPECT_EQ(s.replicas, (std::vector<broker_id>{2, 3}));
  EXPECT_EQ(s.leader, 2);
  EXPECT_TRUE(s.adding.empty());
}

TEST(ReassignmentTest, CancelGoesBackToTheOriginalReplicas) {
  harness h = three_brokers_with({1});
  h.commit(h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::vector<broker_id>{2}}}));
  auto r = h.commit(h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::nullopt}}));
  EXPECT_TRUE(r[0].error.ok()) << r[0].error.message;
  const auto& s = h.part("t", 0);
  EXPECT_EQ(s.replicas, (std::vector<broker_id>{1}));
  EXPECT_EQ(s.isr, (std::vector<broker_id>{1}));
  EXPECT_TRUE(s.adding.empty() && s.removing.empty());
  auto again = h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::nullopt}});
  EXPECT_EQ(again.response[0].error.code, err::no_reassignment_in_progress);
}

TEST(ReassignmentTest, Validation) {
  harness h = three_brokers_with({1});
  auto r = h.ctl.alter_partition_reassignments(
      h.image, {{"t", 0, std::vector<broker_id>{}}, {"nope", 0, std::vector<broker_id>{1}},
                {"t", 5, std::vector<broker_id>{1}}});
  EXPECT_EQ(r.response[0].error.code, err::invalid_replica_assignment);
  EXPECT_EQ(r.response[1].error.code, err::unknown_topic_or_partition);
  EXPECT_EQ(r.response[2].error.code, err::unknown_topic_or_partition);
  r = h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::vector<broker_id>{2, 2}}});
  EXPECT_EQ(r.response[0].error.code, err::invalid_replica_assignment);
  r = h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::vector<broker_id>{9}}});
  EXPECT_EQ(r.response[0].error.code, err::invalid_replica_assignment);
  r = h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::vector<broker_id>{1}}});
  EXPECT_TRUE(r.response[0].error.ok());
  EXPECT_TRUE(r.records.empty());  // already there
}

TEST(ReassignmentTest, OngoingReassignmentSurvivesASnapshot) {
  harness h = three_brokers_with({1});
  h.commit(h.ctl.alter_partition_reassignments(h.image, {{"t", 0, std::vector<broker_id>{2, 3}}}));
  auto rebuilt = apply_batch(metadata_image{}, image_records(h.image), h.image.version());
  ASSERT_TRUE(rebuilt.has_value());
  EXPECT_EQ(rebuilt->partition(h.image.topic("t")->id, 0)->adding, (std::vector<broker_id>{2, 3}));
  EXPECT_TRUE(*rebuilt == h.image);
}

}  // namespace
}  // namespace samsa::cluster
