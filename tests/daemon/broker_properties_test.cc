// The broker key table as samsad applies it at start-up: aliases, ranges, keys it does not read, checks between
// keys, and the settings DescribeConfigs reports.
#include <gtest/gtest.h>

#include "broker_properties.h"
#include "samsa/config/broker_table.h"

namespace samsa::daemon {
namespace {

std::string error_of(const properties& p) {
  std::string err;
  return build_broker_config(p, err) ? "ok" : err;
}

TEST(BrokerProperties, CoarserAliasesFollowKafkasPrecedence) {
  std::string err;
  auto c = build_broker_config({{"log.retention.hours", "2"}, {"log.retention.minutes", "3"}}, err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->log_defaults.retention_ms, 3 * 60000);  // the finer alias wins
  c = build_broker_config({{"log.retention.hours", "2"}, {"log.retention.ms", "5"}}, err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->log_defaults.retention_ms, 5);  // the key itself wins
  c = build_broker_config({{"log.retention.hours", "-1"}, {"log.roll.hours", "1"}}, err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->log_defaults.retention_ms, -1);  // negative: unlimited, as in Kafka
  EXPECT_EQ(c->log_defaults.segment_ms, 3600000);
  EXPECT_EQ(c->settings.at("log.retention.ms"), "-1");
}

TEST(BrokerProperties, RangesComeFromTheKeyTable) {
  EXPECT_EQ(error_of({{"min.insync.replicas", "0"}}),
            "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1");
  EXPECT_EQ(error_of({{"log.segment.bytes", "13"}}),
            "Invalid value 13 for configuration log.segment.bytes: Value must be at least 14");
  EXPECT_EQ(error_of({{"leader.imbalance.per.broker.percentage", "101"}}),
            "Invalid value 101 for configuration leader.imbalance.per.broker.percentage: Value must be between 0 "
            "and 100");
  EXPECT_EQ(error_of({{"process.roles", ""}}),
            "Invalid value  for configuration process.roles: process.roles must not be empty");
  EXPECT_EQ(error_of({{"auto.create.topics.enable", "FALSE"}}), "ok");  // Kafka's booleans ignore case
}

TEST(BrokerProperties, KeysOnlyTheControllerStoresAreNotReadAtStartUp) {
  EXPECT_NE(error_of({{"num.io.threads", "8"}}).find("num.io.threads"), std::string::npos);
  EXPECT_NE(error_of({{"retention.ms", "1"}}).find("unknown configuration key 'retention.ms'"), std::string::npos);
}

TEST(BrokerProperties, ChecksBetweenKeysNameThem) {
  EXPECT_EQ(error_of({{"broker.session.timeout.ms", "1000"}}),
            "broker.session.timeout.ms must be larger than broker.heartbeat.interval.ms");
  EXPECT_EQ(error_of({{"group.min.session.timeout.ms", "7000"}, {"group.max.session.timeout.ms", "6500"}}),
            "group.max.session.timeout.ms must be at least group.min.session.timeout.ms");
  EXPECT_NE(error_of({{"controller.quorum.voters", "2@127.0.0.1:9093"}}).find("does not name this node"),
            std::string::npos);
  EXPECT_EQ(error_of({{"log.dirs", " , "}}), "log.dirs is empty");
}

TEST(BrokerProperties, SettingsHoldEveryStartUpKeyForDescribeConfigs) {
  std::string err;
  auto c = build_broker_config({{"num.partitions", "3"}}, err);
  ASSERT_TRUE(c) << err;
  size_t start_up_keys = 0;
  for (const auto& k : config::broker_table) {
    if (k.mode == config::update_mode::dynamic_only) {
      EXPECT_EQ(c->settings.count(std::string(k.name)), 0u) << k.name;
    } else {
      ++start_up_keys;
    }
  }
  EXPECT_EQ(c->settings.size(), start_up_keys);
  EXPECT_EQ(c->settings.at("num.partitions"), "3");
  EXPECT_EQ(c->settings.at("message.max.bytes"), "1048588");
  EXPECT_EQ(c->explicitly_set, (std::set<std::string>{"num.partitions"}));
}

TEST(BrokerProperties, ListenersAndVotersBind) {
  std::string err;
  auto c = build_broker_config({{"listeners", "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"},
                                {"controller.quorum.voters", "1@127.0.0.1:19093,2@127.0.0.1:29093"},
                                {"advertised.listeners", "PLAINTEXT://broker.example:19092"}},
                               err);
  ASSERT_TRUE(c) << err;
  ASSERT_EQ(c->listeners.size(), 1u);
  ASSERT_EQ(c->controller_listeners.size(), 1u);
  EXPECT_EQ(c->controller_listeners[0].port, 19093);
  ASSERT_EQ(c->advertised_listeners.size(), 1u);
  EXPECT_EQ(c->advertised_listeners[0].host, "broker.example");
  ASSERT_EQ(c->quorum.voters.size(), 2u);
  EXPECT_EQ(c->quorum.voters.at(2).port, 29093);
}

}  // namespace
}  // namespace samsa::daemon
