// Topic config validation, partition leader/ISR/epoch rules and replica placement.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "samsa/cluster/config_rules.h"
#include "samsa/cluster/controller.h"
#include "samsa/cluster/partition_rules.h"
#include "samsa/cluster/topic_name.h"
#include "samsa/config/broker_table.h"
#include "samsa/config/topic_table.h"

namespace samsa::cluster {
namespace {

TEST(TopicConfigTest, KnownKeysAndValidValuesAreAccepted) {
  const std::pair<const char*, const char*> ok[] = {
      {"cleanup.policy", "delete"},         {"cleanup.policy", "compact,delete"},
      {"retention.ms", "-1"},               {"retention.ms", "86400000"},
      {"retention.bytes", "-1"},            {"segment.bytes", "1048576"},
      {"segment.ms", "1"},                  {"max.message.bytes", "0"},
      {"message.timestamp.type", "LogAppendTime"}, {"min.insync.replicas", "2"},
      {"flush.messages", "1"},              {"flush.ms", "0"},
      {"delete.retention.ms", "0"},         {"min.cleanable.dirty.ratio", "0.01"},
      {"unclean.leader.election.enable", "TRUE"}, {"unclean.leader.election.enable", " false "},
      {"compression.type", "zstd"},         {"preallocate", "true"},
      {"leader.replication.throttled.replicas", "0:1,1:2"}, {"follower.replication.throttled.replicas", "*"},
  };
  for (auto [k, v] : ok) EXPECT_TRUE(validate_topic_config(k, v).ok()) << k << "=" << v;
}

TEST(TopicConfigTest, BadValuesAreInvalidConfig) {
  const std::pair<const char*, const char*> bad[] = {
      {"cleanup.policy", "shred"},     {"cleanup.policy", ""},          {"retention.ms", "-2"},
      {"retention.ms", "soon"},        {"retention.bytes", "1.5"},      {"segment.bytes", "13"},
      {"segment.bytes", "4294967296"}, {"segment.ms", "0"},             {"max.message.bytes", "-1"},
      {"message.timestamp.type", "createtime"}, {"min.insync.replicas", "0"}, {"flush.messages", "0"},
      {"flush.ms", "-1"},              {"delete.retention.ms", "-5"},   {"min.cleanable.dirty.ratio", "1.5"},
      {"min.cleanable.dirty.ratio", "x"}, {"unclean.leader.election.enable", "yes"},
      {"compression.type", "brotli"},  {"no.such.key", "1"},            {"leader.replication.throttled.replicas", "x"},
  };
  for (auto [k, v] : bad) {
    auto e = validate_topic_config(k, v);
    EXPECT_EQ(e.code, err::invalid_config) << k << "=" << v;
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(TopicConfigTest, KeysAreSortedForLookup) {
  auto keys = config::topic_table;
  for (size_t i = 1; i < keys.size(); ++i) EXPECT_LT(keys[i - 1].name, keys[i].name);
  auto bkeys = config::broker_table;
  for (size_t i = 1; i < bkeys.size(); ++i) EXPECT_LT(bkeys[i - 1].name, bkeys[i].name);
  // Every default is itself valid.
  for (const auto& k : keys) {
    if (!k.default_value.empty()) {
      EXPECT_TRUE(validate_topic_config(k.name, k.default_value).ok()) << k.name;
    }
  }
}

TEST(TopicConfigTest, TopicNameRules) {
  EXPECT_TRUE(validate_topic_name("orders.v1_x-2").ok());
  EXPECT_TRUE(validate_topic_name(std::string(249, 'a')).ok());
  for (std::string bad : {std::string(), std::string("."), std::string(".."), std::string(250, 'a'),
                          std::string("a b"), std::string("a/b"), std::string("é")})
    EXPECT_EQ(validate_topic_name(bad).code, err::invalid_topic_exception) << bad;
  EXPECT_EQ(collision_key("a.b_c"), collision_key("a_b.c"));
}

bool all_live(broker_id) { return true; }

TEST(PartitionRulesTest, ChangeBumpsEpochsOnlyAsNeeded) {
  const uuid t{1, 1};
  partition_state s{{1, 2, 3}, {1, 2, 3}, 1, 4, 10};
  EXPECT_FALSE(make_partition_change(t, 0, s, 1, {1, 2, 3}));
  auto isr_only = make_partition_change(t, 0, s, 1, {1, 2});
  ASSERT_TRUE(isr_only);
  EXPECT_EQ(isr_only->leader_epoch, 4);
  EXPECT_EQ(isr_only->partition_epoch, 11);
  auto leader = make_partition_change(t, 0, s, 2, {2, 3});
  ASSERT_TRUE(leader);
  EXPECT_EQ(leader->leader_epoch, 5);
  EXPECT_EQ(leader->partition_epoch, 11);
}

TEST(PartitionRulesTest, FencedLeaderIsReplacedByTheNextIsrMemberInReplicaOrder) {
  partition_state s{{1, 2, 3}, {3, 2, 1}, 1, 0, 0};
  auto e = on_broker_fenced(s, 1, all_live, false);
  EXPECT_EQ(e.leader, 2);  // replica order, not ISR order
  EXPECT_EQ(e.isr, (std::vector<broker_id>{3, 2}));
  EXPECT_FALSE(e.unclean);
}

TEST(PartitionRulesTest, FencedFollowerLeavesTheIsrOnly) {
  partition_state s{{1, 2, 3}, {1, 2, 3}, 1, 0, 0};
  auto e = on_broker_fenced(s, 3, all_live, false);
  EXPECT_EQ(e.leader, 1);
  EXPECT_EQ(e.isr, (std::vector<broker_id>{1, 2}));
}

TEST(PartitionRulesTest, LastIsrMemberStaysWithoutLeaderUnlessUncleanIsAllowed) {
  partition_state s{{1, 2, 3}, {1}, 1, 0, 0};
  auto live_23 = [](broker_id b) { return b == 2 || b == 3; };
  auto clean = on_broker_fenced(s, 1, live_23, false);
  EXPECT_EQ(clean.leader, no_leader);
  EXPECT_EQ(clean.isr, (std::vector<broker_id>{1}));
  auto unclean = on_broker_fenced(s, 1, live_23, true);
  EXPECT_EQ(unclean.leader, 2);
  EXPECT_EQ(unclean.isr, (std::vector<broker_id>{2}));
  EXPECT_TRUE(unclean.unclean);
}

TEST(PartitionRulesTest, IsrMemberThatComesBackLeadsALeaderlessPartition) {
  partition_state s{{1, 2, 3}, {1}, no_leader, 3, 7};
  auto nobody = [](broker_id) { return false; };
  auto back1 = on_broker_unfenced(s, 1, nobody, false);
  EXPECT_EQ(back1.leader, 1);
  auto back2 = on_broker_unfenced(s, 2, nobody, false);
  EXPECT_EQ(back2.leader, no_leader);  // not in the ISR: waits for 1 (clean)
  auto back2_unclean = on_broker_unfenced(s, 2, nobody, true);
  EXPECT_EQ(back2_unclean.leader, 2);
  EXPECT_EQ(back2_unclean.isr, (std::vector<broker_id>{2}));
}

TEST(PartitionRulesTest, InvariantChecks) {
  EXPECT_FALSE(check_partition_invariants({{1, 2}, {1, 2}, 1, 0, 0}));
  EXPECT_FALSE(check_partition_invariants({{1, 2}, {1}, no_leader, 0, 0}));
  EXPECT_TRUE(check_partition_invariants({{1, 2}, {1}, 2, 0, 0}));        // leader not in ISR
  EXPECT_TRUE(check_partition_invariants({{1, 2}, {1, 3}, 1, 0, 0}));     // ISR not in replicas
  EXPECT_TRUE(check_partition_invariants({{1, 2}, {}, no_leader, 0, 0}));  // empty ISR
  EXPECT_TRUE(check_partition_invariants({{1, 1}, {1}, 1, 0, 0}));        // duplicate replicas
}

TEST(PlacementTest, RoundRobinSpreadsLeadersAndReplicasEvenly) {
  std::vector<placement_broker> brokers{{1}, {2}, {3}, {4}};
  auto a = place_replicas(brokers, 0, 8, 3, 42);
  ASSERT_EQ(a.size(), 8u);
  std::map<broker_id, int> leaders, replicas;
  for (const auto& r : a) {
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(std::set<broker_id>(r.begin(), r.end()).size(), 3u);
    leaders[r[0]]++;
    for (broker_id b : r) replicas[b]++;
  }
  for (int32_t b = 1; b <= 4; ++b) {
    EXPECT_EQ(leaders[b], 2) << b;
    EXPECT_EQ(replicas[b], 6) << b;
  }
}

TEST(PlacementTest, SeedChoosesTheStartAndIsDeterministic) {
  std::vector<placement_broker> brokers{{1}, {2}, {3}, {4}, {5}};
  EXPECT_EQ(place_replicas(brokers, 0, 5, 2, 7), place_replicas(brokers, 0, 5, 2, 7));
  std::set<broker_id> first_leaders;
  for (uint64_t seed = 0; seed < 50; ++seed) first_leaders.insert(place_replicas(brokers, 0, 1, 1, seed)[0][0]);
  EXPECT_GT(first_leaders.size(), 1u);
}

TEST(PlacementTest, RackAwarePutsReplicasOnDistinctRacks) {
  std::vector<placement_broker> brokers{{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}, {5, "c"}, {6, "c"}};
  std::map<std::string, std::string> rack_of = {{"1", "a"}, {"2", "a"}, {"3", "b"},
                                                {"4", "b"}, {"5", "c"}, {"6", "c"}};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto a = place_replicas(brokers, 0, 12, 3, seed);
    for (const auto& r : a) {
      std::set<std::string> racks;
      for (broker_id b : r) racks.insert(rack_of[samsa::to_string(b)]);
      EXPECT_EQ(racks.size(), 3u);
    }
  }
  // More replicas than racks: every rack used, no broker twice.
  auto a = place_replicas({{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}}, 0, 4, 3, 1);
  for (const auto& r : a) EXPECT_EQ(std::set<broker_id>(r.begin(), r.end()).size(), 3u);
}

}  // namespace
}  // namespace samsa::cluster
