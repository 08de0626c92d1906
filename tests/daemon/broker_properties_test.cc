// The broker key table as samsad applies it at start-up: aliases, ranges, keys it does not read, checks between
// keys, and the settings DescribeConfigs reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>

#include "broker_properties.h"
#include "properties.h"
#include "samsa/config/broker_table.h"
#include "samsa/config/kafka_keys.h"

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

TEST(BrokerProperties, KafkaKeysWithoutEffectAreAcceptedAndNamed) {
  std::string err;
  // num.io.threads is only stored by the controller; listener.security.protocol.map is Kafka's, not implemented.
  auto c = build_broker_config({{"num.io.threads", "8"}, {"listener.security.protocol.map", "PLAINTEXT:PLAINTEXT"}},
                               err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->keys_without_effect, (std::vector<std::string>{"listener.security.protocol.map", "num.io.threads"}));
}

TEST(BrokerProperties, KafkasKeyListIsSortedForLookup) {
  const auto keys = config::kafka_broker_keys();
  EXPECT_GT(keys.size(), 300u);
  EXPECT_TRUE(std::adjacent_find(keys.begin(), keys.end(), std::greater_equal<>()) == keys.end());
  EXPECT_TRUE(config::is_kafka_broker_key("num.network.threads"));
  EXPECT_TRUE(config::is_kafka_broker_key("listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"));
  EXPECT_FALSE(config::is_kafka_broker_key("num.network.thread"));
}

TEST(BrokerProperties, KeysNeitherDefinesAreRefusedWithTheNearestKnownKey) {
  EXPECT_EQ(error_of({{"log.retension.hours", "1"}}),
            "unknown configuration key 'log.retension.hours' (did you mean 'log.retention.hours'?)");
  EXPECT_EQ(error_of({{"num.network.thread", "3"}}),
            "unknown configuration key 'num.network.thread' (did you mean 'num.network.threads'?)");
  EXPECT_EQ(error_of({{"retention.ms", "1"}}),
            "unknown configuration key 'retention.ms' (did you mean 'log.retention.ms'?)");  // a topic key
  EXPECT_EQ(error_of({{"completely.different.thing", "1"}}), "unknown configuration key 'completely.different.thing'");
}

TEST(BrokerProperties, KafkasOwnKraftExampleStarts) {
  std::ifstream in(SAMSA_FIXTURES_DIR "/kafka_kraft_server.properties");
  ASSERT_TRUE(in) << "fixture missing";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto props = parse_properties(text);
  ASSERT_TRUE(props);
  std::string err;
  auto c = build_broker_config(*props, err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->keys_without_effect,
            (std::vector<std::string>{"inter.broker.listener.name", "listener.security.protocol.map",
                                      "num.io.threads", "num.network.threads", "num.recovery.threads.per.data.dir",
                                      "transaction.state.log.min.isr", "transaction.state.log.replication.factor"}));
  EXPECT_EQ(c->socket_send_buffer_bytes, 102400);  // these take effect (server.cc)
  EXPECT_EQ(c->socket_receive_buffer_bytes, 102400);
  EXPECT_EQ(c->log_defaults.retention_ms, 168LL * 3600 * 1000);
  EXPECT_EQ(c->log_dirs.front(), "/tmp/kraft-combined-logs");
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
