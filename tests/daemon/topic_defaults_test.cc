// Topic configs as the broker applies them over the daemon's broker config: what a topic without an override gets
// (its broker synonym's value, else the topic key's default) and how overrides combine into a log config.
#include <gtest/gtest.h>

#include "broker_properties.h"
#include "samsa/config/topic_table.h"
#include "samsa/server/topic_config.h"

namespace samsa::server {
namespace {

broker_config broker(const daemon::properties& p) {
  std::string err;
  auto c = daemon::build_broker_config(p, err);
  EXPECT_TRUE(c) << err;
  return c ? *c : broker_config{};
}

TEST(TopicDefaults, ASynonymSetAtStartUpIsTheTopicDefault) {
  const broker_config b = broker({{"log.retention.ms", "1000"}});
  const topic_default retention = topic_config_default(b, config::topic_key("retention.ms"));
  EXPECT_EQ(retention.value, "1000");
  EXPECT_TRUE(retention.broker_set);
  const topic_default segment = topic_config_default(b, config::topic_key("segment.bytes"));
  EXPECT_EQ(segment.value, "1073741824");
  EXPECT_FALSE(segment.broker_set);
  // Aliases reach the topic default through their finer key.
  EXPECT_EQ(topic_config_default(broker({{"log.roll.hours", "2"}}), config::topic_key("segment.ms")).value,
            "7200000");
}

TEST(TopicDefaults, WithoutASamsaBrokerKeyTheTopicKeysDefaultApplies) {
  const broker_config b = broker({});
  EXPECT_EQ(topic_config_default(b, config::topic_key("cleanup.policy")).value, "delete");
  EXPECT_EQ(topic_config_default(b, config::topic_key("min.cleanable.dirty.ratio")).value, "0.5");
  EXPECT_EQ(topic_config_default(b, config::topic_key("leader.replication.throttled.replicas")).value, "");
}

TEST(TopicDefaults, OverridesCombineWithTheBrokerDefaults) {
  const broker_config b = broker({{"log.segment.bytes", "1048576"}, {"message.max.bytes", "1000"}});
  const auto c = effective_log_config(b, {{"retention.ms", "5"}, {"cleanup.policy", "compact"},
                                          {"message.timestamp.type", "LogAppendTime"},
                                          {"min.cleanable.dirty.ratio", "0.25"}});
  EXPECT_EQ(c.retention_ms, 5);
  EXPECT_EQ(c.segment_bytes, 1048576u);
  EXPECT_TRUE(c.compact);
  EXPECT_FALSE(c.delete_);
  EXPECT_TRUE(c.log_append_time);
  EXPECT_EQ(c.min_cleanable_dirty_ratio, 0.25);
  EXPECT_EQ(effective_max_message_bytes(b, {}), 1000);
  EXPECT_EQ(effective_max_message_bytes(b, {{"max.message.bytes", "2000"}}), 2000);
  EXPECT_EQ(effective_min_insync_replicas(b, {{"min.insync.replicas", "2"}}), 2);
  EXPECT_EQ(effective_min_insync_replicas(b, {{"min.insync.replicas", "0"}}), 1);  // never trusted below 1
}

}  // namespace
}  // namespace samsa::server
