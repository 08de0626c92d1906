#include "samsa/cluster/controller.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace samsa::cluster {
namespace {

using testing::harness;

harness three_brokers(controller_config cfg = {}) {
  harness h(cfg);
  h.commit(h.ctl.bootstrap(h.image));
  for (int32_t b = 1; b <= 3; ++b) h.add_broker(b);
  return h;
}

// ---- bootstrap and brokers ---------------------------------------------------------------------------------------

TEST(ControllerTest, BootstrapHappensOnce) {
  harness h;
  const std::string id = h.commit(h.ctl.bootstrap(h.image));
  EXPECT_EQ(id.size(), 22u);
  EXPECT_EQ(h.image.cluster_id(), id);
  auto again = h.ctl.bootstrap(h.image, "other");
  EXPECT_EQ(again.response, id);
  EXPECT_TRUE(again.records.empty());
}

TEST(ControllerTest, NewBrokersStartFencedAndAreUnfencedByACaughtUpHeartbeat) {
  harness h;
  auto reg = h.commit(h.ctl.register_broker(h.image, {1, {1, 1}, {}, {}}, h.now));
  ASSERT_TRUE(reg.error.ok());
  EXPECT_EQ(reg.broker_epoch, 1);
  EXPECT_TRUE(h.image.broker(1)->fenced);
  auto behind = h.commit(h.ctl.heartbeat(h.image, {1, 1, -1, false, false}, h.now));
  EXPECT_FALSE(behind.is_caught_up);
  EXPECT_TRUE(behind.is_fenced);
  EXPECT_TRUE(h.image.broker(1)->fenced);
  auto caught_up = h.commit(h.ctl.heartbeat(h.image, {1, 1, h.image.version().offset, false, false}, h.now));
  EXPECT_TRUE(caught_up.is_caught_up);
  EXPECT_FALSE(caught_up.is_fenced);
  EXPECT_FALSE(h.image.broker(1)->fenced);
}

TEST(ControllerTest, HeartbeatsAreCheckedAgainstTheBrokerEpoch) {
  harness h = three_brokers();
  auto unknown = h.ctl.heartbeat(h.image, {9, 1, 0, false, false}, h.now);
  EXPECT_EQ(unknown.response.error.code, err::broker_id_not_registered);
  auto stale = h.ctl.heartbeat(h.image, {1, 0, 0, false, false}, h.now);
  EXPECT_EQ(stale.response.error.code, err::stale_broker_epoch);
  EXPECT_TRUE(stale.records.empty());
}

TEST(ControllerTest, HeartbeatIsNotARecord) {
  harness h = three_brokers();
  const auto before = h.log.size();
  h.now += 1000;
  auto r = h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, h.image.version().offset, false, false}, h.now);
  EXPECT_TRUE(r.response.error.ok());
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(h.log.size(), before);
}

TEST(ControllerTest, SilentBrokerIsFencedAfterTheSessionTimeoutAndLosesLeadership) {
  harness h = three_brokers();
  h.commit(h.ctl.create_topics(h.image, {{"t", 3, 3, {{0, {1, 2, 3}}, {1, {2, 3, 1}}, {2, {3, 1, 2}}}, {}}}));
  // (manual assignment needs -1/-1)
  ASSERT_EQ(h.image.topic("t"), nullptr);
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2, 3}}, {1, {2, 3, 1}}, {2, {3, 1, 2}}}, {}}}));
  ASSERT_NE(h.image.topic("t"), nullptr);
  // Brokers 2 and 3 heartbeat; broker 1 goes silent.
  for (int i = 0; i < 5; ++i) {
    h.now += 2000;
    for (broker_id b : {2, 3})
      h.commit(h.ctl.heartbeat(h.image, {b, h.image.broker(b)->broker_epoch, h.image.version().offset, false, false}, h.now));
    auto fenced = h.commit(h.ctl.tick(h.image, h.now));
    if (h.now - 1000 <= 9000) {
      EXPECT_TRUE(fenced.empty()) << h.now;
    }
  }
  EXPECT_TRUE(h.image.broker(1)->fenced);
  EXPECT_FALSE(h.image.broker(2)->fenced);
  const auto& p0 = h.part("t", 0);
  EXPECT_EQ(p0.leader, 2);
  EXPECT_EQ(p0.isr, (std::vector<broker_id>{2, 3}));
  EXPECT_EQ(p0.leader_epoch, 1);
  EXPECT_EQ(p0.partition_epoch, 1);
  const auto& p1 = h.part("t", 1);
  EXPECT_EQ(p1.leader, 2);  // unchanged leader, ISR shrunk, leader epoch unchanged
  EXPECT_EQ(p1.isr, (std::vector<broker_id>{2, 3}));
  EXPECT_EQ(p1.leader_epoch, 0);
  EXPECT_EQ(p1.partition_epoch, 1);
}

TEST(ControllerTest, SessionTimeoutIsNineSecondsByDefault) {
  harness h = three_brokers();
  EXPECT_EQ(h.ctl.config().broker_session_timeout_ms, 9000);
  const int64_t start = h.now;
  EXPECT_TRUE(h.commit(h.ctl.tick(h.image, start + 9000)).empty());
  EXPECT_EQ(h.commit(h.ctl.tick(h.image, start + 9001)).size(), 3u);
}

TEST(ControllerTest, OnlyIsrMemberFencedLeavesPartitionLeaderlessUntilItReturns) {
  harness h = three_brokers();
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1}}}, {}}}));
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, 0, true, false}, h.now));  // want_fence
  EXPECT_EQ(h.part("t", 0).leader, no_leader);
  EXPECT_EQ(h.part("t", 0).isr, (std::vector<broker_id>{1}));
  EXPECT_EQ(h.part("t", 0).leader_epoch, 1);
  // It comes back: clean election of the last ISR member.
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, h.image.version().offset, false, false}, h.now));
  EXPECT_EQ(h.part("t", 0).leader, 1);
  EXPECT_EQ(h.part("t", 0).leader_epoch, 2);
}

TEST(ControllerTest, UncleanElectionOnlyWhenEnabledForTheTopic) {
  harness h = three_brokers();
  h.commit(h.ctl.create_topics(h.image, {{"clean", -1, -1, {{0, {1, 2}}}, {}},
                                         {"dirty", -1, -1, {{0, {1, 2}}}, {{"unclean.leader.election.enable", "true"}}}}));
  // Shrink both ISRs to {1}.
  for (const char* t : {"clean", "dirty"}) {
    const auto& s = h.part(t, 0);
    auto r = h.commit(h.ctl.alter_partition(h.image, {1, h.image.broker(1)->broker_epoch, h.image.topic(t)->id, 0,
                                                      s.leader_epoch, s.partition_epoch, {1}}));
    ASSERT_TRUE(r.error.ok()) << r.error.message;
  }
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, 0, true, false}, h.now));
  EXPECT_EQ(h.part("clean", 0).leader, no_leader);
  EXPECT_EQ(h.part("dirty", 0).leader, 2);
  EXPECT_EQ(h.part("dirty", 0).isr, (std::vector<broker_id>{2}));
  // Enabling unclean election later elects the leaderless partition at once.
  auto res = h.commit(h.ctl.incremental_alter_configs(
      h.image, {{resource_type::topic, "clean", {{"unclean.leader.election.enable", alter_op::set, "true"}}}}));
  ASSERT_TRUE(res[0].error.ok());
  EXPECT_EQ(h.part("clean", 0).leader, 2);
}

TEST(ControllerTest, ReRegistrationWithANewIncarnationFencesTheOldOne) {
  harness h = three_brokers();
  h.create("t", 3, 3);
  // Within the session: duplicate registration.
  auto dup = h.ctl.register_broker(h.image, {1, {5, 5}, {}, {}}, h.now);
  EXPECT_EQ(dup.response.error.code, err::duplicate_broker_registration);
  // Same incarnation: idempotent.
  auto same = h.ctl.register_broker(h.image, {1, {1, 77}, {}, {}}, h.now);
  EXPECT_TRUE(same.response.error.ok());
  EXPECT_TRUE(same.records.empty());
  EXPECT_EQ(same.response.broker_epoch, h.image.broker(1)->broker_epoch);
  // After the session expired: new epoch, fenced, and out of every ISR.
  h.now += 10000;
  auto again = h.commit(h.ctl.register_broker(h.image, {1, {5, 5}, {}, {}}, h.now));
  ASSERT_TRUE(again.error.ok()) << again.error.message;
  EXPECT_EQ(again.broker_epoch, 2);
  EXPECT_TRUE(h.image.broker(1)->fenced);
  for (const auto& [p, s] : h.image.topic("t")->partitions) {
    EXPECT_NE(s.leader, 1);
    EXPECT_EQ(std::count(s.isr.begin(), s.isr.end(), 1), 0);
  }
}

TEST(ControllerTest, ExpiredSessionAllowsImmediateReRegistration) {
  // The controller's own process restarted: its broker's old incarnation is known to be dead.
  harness h = three_brokers();
  auto dup = h.ctl.register_broker(h.image, {2, {9, 9}, {}, {}}, h.now);
  EXPECT_EQ(dup.response.error.code, err::duplicate_broker_registration);
  h.ctl.expire_session(2);
  auto again = h.commit(h.ctl.register_broker(h.image, {2, {9, 9}, {}, {}}, h.now));
  ASSERT_TRUE(again.error.ok()) << again.error.message;
  EXPECT_EQ(again.broker_epoch, 2);
  EXPECT_TRUE(h.image.broker(2)->fenced);  // unfenced by its next heartbeat once caught up
}

TEST(ControllerTest, ControlledShutdownMovesLeadershipAway) {
  harness h = three_brokers();
  h.create("t", 6, 2);
  auto r = h.commit(h.ctl.heartbeat(h.image, {2, h.image.broker(2)->broker_epoch, 0, false, true}, h.now));
  EXPECT_TRUE(r.should_shutdown);
  EXPECT_TRUE(r.is_fenced);
  for (const auto& [p, s] : h.image.topic("t")->partitions) EXPECT_NE(s.leader, 2);
}

TEST(ControllerTest, NewActiveControllerGivesEveryBrokerAFreshSession) {
  harness h = three_brokers();
  controller other(h.ctl.config());
  other.reset_sessions(h.image, h.now + 100000);
  EXPECT_TRUE(other.tick(h.image, h.now + 100000 + 9000).records.empty());
  EXPECT_EQ(other.tick(h.image, h.now + 100000 + 9001).response.size(), 3u);
}

// ---- topics ------------------------------------------------------------------------------------------------------

TEST(ControllerTest, CreateTopicPlacesReplicasOnLiveBrokers) {
  harness h = three_brokers();
  const uuid id = h.create("orders", 6, 2, {{"retention.ms", "1000"}});
  const topic_image* t = h.image.topic("orders");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, id);
  ASSERT_EQ(t->partitions.size(), 6u);
  std::map<broker_id, int> leaders;
  for (const auto& [p, s] : t->partitions) {
    EXPECT_EQ(s.replicas.size(), 2u);
    EXPECT_EQ(s.isr, s.replicas);
    EXPECT_EQ(s.leader, s.replicas[0]);
    EXPECT_EQ(s.leader_epoch, 0);
    EXPECT_EQ(s.partition_epoch, 0);
    leaders[s.leader]++;
  }
  for (int32_t b = 1; b <= 3; ++b) EXPECT_EQ(leaders[b], 2);
  EXPECT_EQ(h.image.config(resource_type::topic, "orders", "retention.ms"), "1000");
}

TEST(ControllerTest, CreateTopicValidation) {
  controller_config cfg;
  cfg.default_num_partitions = 3;
  cfg.default_replication_factor = 2;
  harness h = three_brokers(cfg);
  h.create("exists", 1, 1);
  h.create("a.b", 1, 1);
  h.commit(h.ctl.heartbeat(h.image, {3, h.image.broker(3)->broker_epoch, 0, true, false}, h.now));  // 2 live
  struct tc {
    create_topic_request req;
    protocol::kafka_errc code;
  };
  const tc cases[] = {
      {{"bad name"}, err::invalid_topic_exception},
      {{""}, err::invalid_topic_exception},
      {{"exists"}, err::topic_already_exists},
      {{"a_b"}, err::invalid_topic_exception},  // collides with a.b
      {{"p0", 0, 1}, err::invalid_partitions},
      {{"p-2", -2, 1}, err::invalid_partitions},
      {{"rf0", 1, 0}, err::invalid_replication_factor},
      {{"rf3", 1, 3}, err::invalid_replication_factor},  // only 2 unfenced brokers
      {{"cfg", 1, 1, {}, {{"retention.ms", "never"}}}, err::invalid_config},
      {{"cfg2", 1, 1, {}, {{"bogus.key", "1"}}}, err::invalid_config},
      {{"cfg3", 1, 1, {}, {{"retention.ms", std::nullopt}}}, err::invalid_config},
      {{"cfg4", 1, 1, {}, {{"retention.ms", "1"}, {"retention.ms", "2"}}}, err::invalid_request},
      {{"man", 1, -1, {{0, {1}}}}, err::invalid_request},
      {{"man2", -1, -1, {{0, {1, 1}}}}, err::invalid_replica_assignment},
      {{"man3", -1, -1, {{0, {9}}}}, err::invalid_replica_assignment},
      {{"man4", -1, -1, {{1, {1}}}}, err::invalid_replica_assignment},
      {{"man5", -1, -1, {{0, {3}}}}, err::invalid_replica_assignment},  // only fenced brokers
  };
  for (const auto& c : cases) {
    auto r = h.ctl.create_topics(h.image, {c.req});
    ASSERT_EQ(r.response.size(), 1u);
    EXPECT_EQ(r.response[0].error.code, c.code) << c.req.name << ": " << r.response[0].error.message;
    EXPECT_FALSE(r.response[0].error.message.empty()) << c.req.name;
    EXPECT_TRUE(r.records.empty()) << c.req.name;
  }
  // Defaults.
  auto d = h.commit(h.ctl.create_topics(h.image, {{"defaults"}}));
  ASSERT_TRUE(d[0].error.ok()) << d[0].error.message;
  EXPECT_EQ(d[0].num_partitions, 3);
  EXPECT_EQ(d[0].replication_factor, 2);
}

TEST(ControllerTest, PartitionCountIsBounded) {
  controller_config cfg;
  cfg.max_partitions_per_topic = 10;
  harness h = three_brokers(cfg);
  EXPECT_EQ(h.ctl.create_topics(h.image, {{"big", 11, 1}}).response[0].error.code, err::invalid_partitions);
  h.create("t", 10, 1);
  EXPECT_EQ(h.ctl.create_partitions(h.image, {{"t", 11}}).response[0].error.code, err::invalid_partitions);
}

TEST(ControllerTest, CreateTopicsRequestIsPerTopic) {
  harness h = three_brokers();
  auto r = h.commit(h.ctl.create_topics(h.image, {{"ok", 1, 1}, {"dup", 1, 1}, {"dup", 1, 1}, {"x.y", 1, 1}, {"x_y", 1, 1}}));
  EXPECT_TRUE(r[0].error.ok());
  EXPECT_EQ(r[1].error.code, err::invalid_request);
  EXPECT_EQ(r[2].error.code, err::invalid_request);
  EXPECT_TRUE(r[3].error.ok());
  EXPECT_EQ(r[4].error.code, err::invalid_topic_exception);  // collides with x.y created just before
  EXPECT_NE(h.image.topic("ok"), nullptr);
  EXPECT_EQ(h.image.topic("dup"), nullptr);
}

TEST(ControllerTest, ValidateOnlyWritesNothing) {
  harness h = three_brokers();
  auto r = h.ctl.create_topics(h.image, {{"v", 2, 2}}, true);
  EXPECT_TRUE(r.response[0].error.ok());
  EXPECT_EQ(r.response[0].num_partitions, 2);
  EXPECT_TRUE(r.records.empty());
}

TEST(ControllerTest, RackAwarePlacementWhenRacksAreSet) {
  harness h;
  h.add_broker(1, "a");
  h.add_broker(2, "a");
  h.add_broker(3, "b");
  h.add_broker(4, "b");
  h.create("t", 8, 2);
  for (const auto& [p, s] : h.image.topic("t")->partitions)
    EXPECT_NE(h.image.broker(s.replicas[0])->rack, h.image.broker(s.replicas[1])->rack) << p;
}

TEST(ControllerTest, CreatePartitionsMustGrow) {
  harness h = three_brokers();
  h.create("t", 2, 2);
  auto shrink = h.ctl.create_partitions(h.image, {{"t", 1}});
  EXPECT_EQ(shrink.response[0].error.code, err::invalid_partitions);
  auto same = h.ctl.create_partitions(h.image, {{"t", 2}});
  EXPECT_EQ(same.response[0].error.code, err::invalid_partitions);
  auto unknown = h.ctl.create_partitions(h.image, {{"nope", 3}});
  EXPECT_EQ(unknown.response[0].error.code, err::unknown_topic_or_partition);
  auto bad_assign = h.ctl.create_partitions(h.image, {{"t", 3, {{1}}}});
  EXPECT_EQ(bad_assign.response[0].error.code, err::invalid_replica_assignment);
  auto grow = h.commit(h.ctl.create_partitions(h.image, {{"t", 5}}));
  ASSERT_TRUE(grow[0].error.ok()) << grow[0].error.message;
  ASSERT_EQ(h.image.topic("t")->partitions.size(), 5u);
  for (const auto& [p, s] : h.image.topic("t")->partitions) EXPECT_EQ(s.replicas.size(), 2u);
  auto manual = h.commit(h.ctl.create_partitions(h.image, {{"t", 6, {{3, 1}}}}));
  ASSERT_TRUE(manual[0].error.ok()) << manual[0].error.message;
  EXPECT_EQ(h.part("t", 5).replicas, (std::vector<broker_id>{3, 1}));
  // Not enough live brokers for the topic's replication factor.
  h.create("rf3", 1, 3);
  h.commit(h.ctl.heartbeat(h.image, {3, h.image.broker(3)->broker_epoch, 0, true, false}, h.now));
  auto rf = h.ctl.create_partitions(h.image, {{"rf3", 2}});
  EXPECT_EQ(rf.response[0].error.code, err::invalid_replication_factor);
}

TEST(ControllerTest, DeleteTopicsByNameOrId) {
  harness h = three_brokers();
  const uuid a = h.create("a", 1, 1);
  h.create("b", 1, 1);
  auto r = h.commit(h.ctl.delete_topics(h.image, {{"", a}, {"b"}, {"c"}, {"", uuid{9, 9}}}));
  EXPECT_TRUE(r[0].error.ok());
  EXPECT_EQ(r[0].name, "a");
  EXPECT_TRUE(r[1].error.ok());
  EXPECT_EQ(r[2].error.code, err::unknown_topic_or_partition);
  EXPECT_EQ(r[3].error.code, err::unknown_topic_id);
  EXPECT_TRUE(h.image.topics().empty());
  controller_config off;
  off.delete_topic_enable = false;
  harness h2 = three_brokers(off);
  h2.create("a", 1, 1);
  EXPECT_EQ(h2.ctl.delete_topics(h2.image, {{"a"}}).response[0].error.code, err::topic_deletion_disabled);
}

// ---- configs -----------------------------------------------------------------------------------------------------

TEST(ControllerTest, IncrementalAlterConfigs) {
  harness h = three_brokers();
  h.create("t", 1, 1, {{"retention.ms", "100"}});
  auto r = h.commit(h.ctl.incremental_alter_configs(
      h.image, {{resource_type::topic,
                 "t",
                 {{"retention.ms", alter_op::remove, {}},
                  {"segment.ms", alter_op::set, "5000"},
                  {"cleanup.policy", alter_op::append, "compact"}}}}));
  ASSERT_TRUE(r[0].error.ok()) << r[0].error.message;
  EXPECT_EQ(h.image.config(resource_type::topic, "t", "retention.ms"), std::nullopt);
  EXPECT_EQ(h.image.config(resource_type::topic, "t", "segment.ms"), "5000");
  EXPECT_EQ(h.image.config(resource_type::topic, "t", "cleanup.policy"), "delete,compact");
  h.commit(h.ctl.incremental_alter_configs(
      h.image, {{resource_type::topic, "t", {{"cleanup.policy", alter_op::subtract, "delete"}}}}));
  EXPECT_EQ(h.image.config(resource_type::topic, "t", "cleanup.policy"), "compact");
  // Subtracting the last policy leaves an invalid (empty) list.
  auto empty = h.ctl.incremental_alter_configs(
      h.image, {{resource_type::topic, "t", {{"cleanup.policy", alter_op::subtract, "compact"}}}});
  EXPECT_EQ(empty.response[0].error.code, err::invalid_config);
}

TEST(ControllerTest, AlterConfigsErrorsAreAtomicPerResource) {
  harness h = three_brokers();
  h.create("t", 1, 1);
  h.create("u", 1, 1);
  auto r = h.commit(h.ctl.incremental_alter_configs(
      h.image, {{resource_type::topic, "t", {{"segment.ms", alter_op::set, "5000"}, {"retention.ms", alter_op::set, "x"}}},
                {resource_type::topic, "u", {{"segment.ms", alter_op::set, "6000"}}},
                {resource_type::topic, "nope", {{"segment.ms", alter_op::set, "1"}}},
                {resource_type::broker, "", {{"log.retention.ms", alter_op::set, "10"}}},
                {resource_type::broker, "x", {{"log.retention.ms", alter_op::set, "10"}}},
                {resource_type::broker, "1", {{"no.such", alter_op::set, "10"}}}}));
  EXPECT_EQ(r[0].error.code, err::invalid_config);
  EXPECT_EQ(h.image.config(resource_type::topic, "t", "segment.ms"), std::nullopt);
  EXPECT_TRUE(r[1].error.ok());
  EXPECT_EQ(h.image.config(resource_type::topic, "u", "segment.ms"), "6000");
  EXPECT_EQ(r[2].error.code, err::unknown_topic_or_partition);
  EXPECT_TRUE(r[3].error.ok());
  EXPECT_EQ(h.image.config(resource_type::broker, "", "log.retention.ms"), "10");
  EXPECT_EQ(r[4].error.code, err::invalid_request);
  EXPECT_EQ(r[5].error.code, err::invalid_config);
  auto bad_op = h.ctl.incremental_alter_configs(
      h.image, {{resource_type::topic, "t", {{"segment.ms", static_cast<alter_op>(9), "1"}}}});
  EXPECT_EQ(bad_op.response[0].error.code, err::invalid_request);
  auto append_scalar = h.ctl.incremental_alter_configs(
      h.image, {{resource_type::topic, "t", {{"segment.ms", alter_op::append, "1"}}}});
  EXPECT_EQ(append_scalar.response[0].error.code, err::invalid_config);
}

TEST(ControllerTest, LegacyAlterConfigsReplacesTheWholeSet) {
  harness h = three_brokers();
  h.create("t", 1, 1, {{"retention.ms", "100"}, {"segment.ms", "200"}});
  auto r = h.commit(h.ctl.legacy_alter_configs(h.image, {{resource_type::topic, "t", {{"segment.ms", "300"}}}}));
  ASSERT_TRUE(r[0].error.ok());
  EXPECT_EQ(*h.image.configs(resource_type::topic, "t"), (config_map{{"segment.ms", "300"}}));
  auto bad = h.ctl.legacy_alter_configs(h.image, {{resource_type::topic, "t", {{"segment.ms", "0"}}}});
  EXPECT_EQ(bad.response[0].error.code, err::invalid_config);
  EXPECT_TRUE(bad.records.empty());
  auto v = h.ctl.legacy_alter_configs(h.image, {{resource_type::topic, "t", {}}}, true);
  EXPECT_TRUE(v.response[0].error.ok());
  EXPECT_TRUE(v.records.empty());
}

// ---- AlterPartition and elections --------------------------------------------------------------------------------

TEST(ControllerTest, AlterPartitionIsValidatedByEpochs) {
  harness h = three_brokers();
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2, 3}}}, {}}}));
  const uuid id = h.image.topic("t")->id;
  const int64_t e1 = h.image.broker(1)->broker_epoch;
  auto ok = h.commit(h.ctl.alter_partition(h.image, {1, e1, id, 0, 0, 0, {1, 2}}));
  ASSERT_TRUE(ok.error.ok()) << ok.error.message;
  EXPECT_EQ(ok.state.isr, (std::vector<broker_id>{1, 2}));
  EXPECT_EQ(ok.state.partition_epoch, 1);
  EXPECT_EQ(h.part("t", 0).partition_epoch, 1);
  EXPECT_EQ(h.part("t", 0).leader_epoch, 0);
  struct tc {
    alter_partition_request req;
    protocol::kafka_errc code;
  };
  const tc cases[] = {
      {{1, e1, id, 0, 0, 0, {1}}, err::invalid_update_version},  // stale partition epoch
      {{1, e1, id, 0, -1, 1, {1}}, err::fenced_leader_epoch},
      {{1, e1, id, 0, 1, 1, {1}}, err::unknown_leader_epoch},
      {{2, h.image.broker(2)->broker_epoch, id, 0, 0, 1, {2}}, err::invalid_request},  // not the leader
      {{1, e1 + 5, id, 0, 0, 1, {1}}, err::stale_broker_epoch},
      {{9, 1, id, 0, 0, 1, {1}}, err::broker_id_not_registered},
      {{1, e1, uuid{4, 4}, 0, 0, 1, {1}}, err::unknown_topic_id},
      {{1, e1, id, 7, 0, 1, {1}}, err::unknown_topic_or_partition},
      {{1, e1, id, 0, 0, 1, {2, 3}}, err::invalid_request},     // leader missing from ISR
      {{1, e1, id, 0, 0, 1, {1, 4}}, err::invalid_request},     // not a replica
      {{1, e1, id, 0, 0, 1, {1, 1}}, err::invalid_request},     // duplicate
  };
  for (const auto& c : cases) {
    auto r = h.ctl.alter_partition(h.image, c.req);
    EXPECT_EQ(r.response.error.code, c.code) << r.response.error.message;
    EXPECT_TRUE(r.records.empty());
  }
  // A fenced broker cannot join the ISR.
  h.commit(h.ctl.heartbeat(h.image, {3, h.image.broker(3)->broker_epoch, 0, true, false}, h.now));
  const auto& s = h.part("t", 0);
  auto inel = h.ctl.alter_partition(h.image, {1, e1, id, 0, s.leader_epoch, s.partition_epoch, {1, 2, 3}});
  EXPECT_EQ(inel.response.error.code, err::ineligible_replica);
  // Unchanged ISR: success without a record.
  auto same = h.ctl.alter_partition(h.image, {1, e1, id, 0, s.leader_epoch, s.partition_epoch, s.isr});
  EXPECT_TRUE(same.response.error.ok());
  EXPECT_TRUE(same.records.empty());
}

TEST(ControllerTest, PreferredLeaderElection) {
  harness h = three_brokers();
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2}}, {1, {2, 3}}}, {}}}));
  auto not_needed = h.ctl.elect_leaders(h.image, election_type::preferred, std::vector<topic_partition>{{"t", 0}});
  EXPECT_EQ(not_needed.response[0].error.code, err::election_not_needed);
  // Broker 1 is fenced then comes back: partition 0 is led by 2 and 1 is not in the ISR yet.
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, 0, true, false}, h.now));
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, h.image.version().offset, false, false}, h.now));
  EXPECT_EQ(h.part("t", 0).leader, 2);
  auto unavailable = h.ctl.elect_leaders(h.image, election_type::preferred, std::vector<topic_partition>{{"t", 0}});
  EXPECT_EQ(unavailable.response[0].error.code, err::preferred_leader_not_available);
  // The leader adds 1 back to the ISR; now the preferred leader can be elected.
  const auto& s = h.part("t", 0);
  h.commit(h.ctl.alter_partition(h.image, {2, h.image.broker(2)->broker_epoch, h.image.topic("t")->id, 0,
                                           s.leader_epoch, s.partition_epoch, {2, 1}}));
  auto all = h.commit(h.ctl.elect_leaders(h.image, election_type::preferred, std::nullopt));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].tp, (topic_partition{"t", 0}));
  EXPECT_EQ(h.part("t", 0).leader, 1);
  EXPECT_EQ(h.part("t", 0).leader_epoch, 2);
  auto unknown = h.ctl.elect_leaders(h.image, election_type::preferred, std::vector<topic_partition>{{"t", 9}});
  EXPECT_EQ(unknown.response[0].error.code, err::unknown_topic_or_partition);
}

TEST(ControllerTest, UncleanElectionRequest) {
  harness h = three_brokers();
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2}}}, {}}}));
  auto& s0 = h.part("t", 0);
  h.commit(h.ctl.alter_partition(h.image, {1, h.image.broker(1)->broker_epoch, h.image.topic("t")->id, 0,
                                           s0.leader_epoch, s0.partition_epoch, {1}}));
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, 0, true, false}, h.now));
  EXPECT_EQ(h.part("t", 0).leader, no_leader);
  auto r = h.commit(h.ctl.elect_leaders(h.image, election_type::unclean, std::vector<topic_partition>{{"t", 0}}));
  EXPECT_TRUE(r[0].error.ok());
  EXPECT_EQ(h.part("t", 0).leader, 2);
  EXPECT_EQ(h.part("t", 0).isr, (std::vector<broker_id>{2}));
  auto again = h.ctl.elect_leaders(h.image, election_type::unclean, std::vector<topic_partition>{{"t", 0}});
  EXPECT_EQ(again.response[0].error.code, err::election_not_needed);
}

TEST(ControllerTest, ElectAllReportsEverythingButElectionNotNeeded) {
  harness h = three_brokers();
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2}}, {1, {2, 3}}}, {}}}));
  // Broker 1 is fenced and comes back out of the ISR: t-0 cannot go back to it, t-1 needs nothing.
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, 0, true, false}, h.now));
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, h.image.version().offset, false, false}, h.now));
  auto all = h.ctl.elect_leaders(h.image, election_type::preferred, std::nullopt);
  ASSERT_EQ(all.response.size(), 1u);
  EXPECT_EQ(all.response[0].tp, (topic_partition{"t", 0}));
  EXPECT_EQ(all.response[0].error.code, err::preferred_leader_not_available);
  EXPECT_TRUE(all.records.empty());
}

// ---- preferred-leader rebalancing -----------------------------------------------------------------------------------

namespace {
// Three brokers; broker 1 is the preferred replica of t-0 and t-1, broker 2 of t-2, broker 3 of t-3.
harness rebalance_cluster(controller_config cfg = {}) {
  harness h = three_brokers(cfg);
  h.commit(h.ctl.create_topics(h.image, {{"t", -1, -1, {{0, {1, 2, 3}}, {1, {1, 3, 2}}, {2, {2, 3, 1}}, {3, {3, 1, 2}}}, {}}}));
  return h;
}
// Broker `b` is fenced (its leaderships move, it leaves every ISR) and comes back unfenced.
void bounce(harness& h, broker_id b) {
  h.commit(h.ctl.heartbeat(h.image, {b, h.image.broker(b)->broker_epoch, 0, true, false}, h.now));
  h.commit(h.ctl.heartbeat(h.image, {b, h.image.broker(b)->broker_epoch, h.image.version().offset, false, false}, h.now));
}
// The leader of t-p lets `b` back into the ISR (what replication does once `b` has caught up).
void rejoin_isr(harness& h, partition_id p, broker_id b) {
  const partition_state s = h.part("t", p);
  std::vector<broker_id> isr = s.isr;
  isr.push_back(b);
  auto r = h.commit(h.ctl.alter_partition(h.image, {s.leader, h.image.broker(s.leader)->broker_epoch,
                                                    h.image.topic("t")->id, p, s.leader_epoch, s.partition_epoch, isr}));
  ASSERT_TRUE(r.error.ok()) << r.error.message;
}
}  // namespace

TEST(ControllerTest, LeaderImbalanceIsComputedPerPreferredBroker) {
  harness h = rebalance_cluster();
  auto balanced = compute_leader_imbalance(h.image, 10);
  ASSERT_EQ(balanced.brokers.size(), 3u);
  EXPECT_EQ(balanced.brokers[0], (broker_leader_imbalance{1, 2, 0, false}));
  EXPECT_EQ(balanced.brokers[1], (broker_leader_imbalance{2, 1, 0, false}));
  EXPECT_EQ(balanced.brokers[2], (broker_leader_imbalance{3, 1, 0, false}));
  EXPECT_TRUE(balanced.candidates.empty());

  bounce(h, 1);
  EXPECT_EQ(h.part("t", 0).leader, 2);
  EXPECT_EQ(h.part("t", 1).leader, 3);
  // Broker 1 leads none of its 2 preferred partitions, but it is in no ISR: nothing can move yet.
  auto out_of_isr = compute_leader_imbalance(h.image, 10);
  EXPECT_EQ(out_of_isr.brokers[0], (broker_leader_imbalance{1, 2, 2, true}));
  EXPECT_TRUE(out_of_isr.candidates.empty());

  rejoin_isr(h, 0, 1);
  auto one = compute_leader_imbalance(h.image, 10);
  EXPECT_EQ(one.candidates, (std::vector<topic_partition>{{"t", 0}}));
  rejoin_isr(h, 1, 1);
  auto both = compute_leader_imbalance(h.image, 10);
  EXPECT_EQ(both.candidates, (std::vector<topic_partition>{{"t", 0}, {"t", 1}}));
  // The threshold is strict: 2 of 2 not led is 100 %, which is not above 100.
  EXPECT_FALSE(compute_leader_imbalance(h.image, 100).brokers[0].over_threshold);
  EXPECT_TRUE(compute_leader_imbalance(h.image, 100).candidates.empty());
  EXPECT_TRUE(compute_leader_imbalance(h.image, 99).brokers[0].over_threshold);

  // Move t-0 back: 1 of 2 not led is 50 %.
  h.commit(h.ctl.elect_leaders(h.image, election_type::preferred, std::vector<topic_partition>{{"t", 0}}));
  EXPECT_EQ(h.part("t", 0).leader, 1);
  EXPECT_EQ(compute_leader_imbalance(h.image, 50).brokers[0], (broker_leader_imbalance{1, 2, 1, false}));
  EXPECT_TRUE(compute_leader_imbalance(h.image, 50).candidates.empty());
  EXPECT_EQ(compute_leader_imbalance(h.image, 49).candidates, (std::vector<topic_partition>{{"t", 1}}));

  // A fenced preferred replica is never a candidate.
  h.commit(h.ctl.heartbeat(h.image, {1, h.image.broker(1)->broker_epoch, 0, true, false}, h.now));
  auto fenced = compute_leader_imbalance(h.image, 0);
  EXPECT_EQ(fenced.brokers[0], (broker_leader_imbalance{1, 2, 2, true}));
  EXPECT_TRUE(fenced.candidates.empty());
}

TEST(ControllerTest, RebalanceRunsEveryCheckIntervalAndMovesLeadershipBack) {
  controller_config cfg;
  cfg.leader_imbalance_check_interval_ms = 10000;
  harness h = rebalance_cluster(cfg);
  h.ctl.reset_sessions(h.image, h.now);  // becomes the active controller: first check one interval later
  bounce(h, 1);
  rejoin_isr(h, 0, 1);
  rejoin_isr(h, 1, 1);
  h.now += 9999;
  auto early = h.ctl.rebalance_leaders(h.image, h.now);
  EXPECT_FALSE(early.response.checked);
  EXPECT_TRUE(early.records.empty());
  h.now += 1;
  auto r = h.commit(h.ctl.rebalance_leaders(h.image, h.now));
  ASSERT_TRUE(r.checked);
  EXPECT_EQ(r.imbalance.brokers[0], (broker_leader_imbalance{1, 2, 2, true}));
  ASSERT_EQ(r.elections.size(), 2u);
  EXPECT_TRUE(r.elections[0].error.ok());
  EXPECT_TRUE(r.elections[1].error.ok());
  EXPECT_EQ(h.part("t", 0).leader, 1);
  EXPECT_EQ(h.part("t", 1).leader, 1);
  // Balanced now; the next check is one interval after this one.
  bounce(h, 1);
  rejoin_isr(h, 0, 1);
  h.now += 5000;
  EXPECT_FALSE(h.ctl.rebalance_leaders(h.image, h.now).response.checked);
  h.now += 5000;
  auto again = h.commit(h.ctl.rebalance_leaders(h.image, h.now));
  ASSERT_TRUE(again.checked);
  ASSERT_EQ(again.elections.size(), 1u);  // t-1's ISR does not hold broker 1 yet
  EXPECT_EQ(again.elections[0].tp, (topic_partition{"t", 0}));
  EXPECT_EQ(h.part("t", 0).leader, 1);
  EXPECT_EQ(h.part("t", 1).leader, 3);
  // A check with nothing to move proposes nothing.
  h.now += 10000;
  auto idle = h.ctl.rebalance_leaders(h.image, h.now);
  EXPECT_TRUE(idle.response.checked);
  EXPECT_TRUE(idle.response.elections.empty());
  EXPECT_TRUE(idle.records.empty());
}

TEST(ControllerTest, RebalanceBelowThresholdOrDisabledDoesNothing) {
  controller_config cfg;
  cfg.leader_imbalance_check_interval_ms = 1000;
  cfg.leader_imbalance_per_broker_percentage = 50;
  harness h = rebalance_cluster(cfg);
  h.ctl.reset_sessions(h.image, h.now);
  bounce(h, 1);
  rejoin_isr(h, 0, 1);
  rejoin_isr(h, 1, 1);
  h.commit(h.ctl.elect_leaders(h.image, election_type::preferred, std::vector<topic_partition>{{"t", 0}}));
  h.now += 1000;
  auto r = h.ctl.rebalance_leaders(h.image, h.now);  // 1 of 2 = 50 %: not above 50 %
  EXPECT_TRUE(r.response.checked);
  EXPECT_TRUE(r.records.empty());

  cfg.auto_leader_rebalance_enable = false;
  harness off = rebalance_cluster(cfg);
  off.ctl.reset_sessions(off.image, off.now);
  bounce(off, 1);
  rejoin_isr(off, 0, 1);
  for (int i = 0; i < 5; ++i) {
    off.now += 1000;
    auto o = off.ctl.rebalance_leaders(off.image, off.now);
    EXPECT_FALSE(o.response.checked);
    EXPECT_TRUE(o.records.empty());
  }
}

TEST(ControllerTest, ProducerIdBlocksAreConsecutive) {
  harness h = three_brokers();
  auto a = h.commit(h.ctl.allocate_producer_ids(h.image, 1, h.image.broker(1)->broker_epoch));
  auto b = h.commit(h.ctl.allocate_producer_ids(h.image, 2, h.image.broker(2)->broker_epoch));
  EXPECT_EQ(a.first_producer_id, 0);
  EXPECT_EQ(a.count, 1000);
  EXPECT_EQ(b.first_producer_id, 1000);
  EXPECT_EQ(h.image.next_producer_id(), 2000);
  EXPECT_EQ(h.ctl.allocate_producer_ids(h.image, 1, 99).response.error.code, err::stale_broker_epoch);
  EXPECT_EQ(h.ctl.allocate_producer_ids(h.image, 9, 1).response.error.code, err::broker_id_not_registered);
}

}  // namespace
}  // namespace samsa::cluster
