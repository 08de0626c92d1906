#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "broker_properties.h"
#include "samsa/config/broker_table.h"

namespace samsa::daemon {
namespace {

TEST(Config, DefaultsGiveASingleNodeBrokerOnLoopback) {
  std::string err;
  auto c = build_broker_config({}, err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->node_id, 1);
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].host, "127.0.0.1");
  EXPECT_EQ(c->listeners[0].port, 9092);
  EXPECT_EQ(c->socket_request_max_bytes, 104857600);
  EXPECT_EQ(c->message_max_bytes, 1048588);
  EXPECT_EQ(c->log_defaults.segment_bytes, 1073741824u);
  EXPECT_EQ(c->log_defaults.retention_ms, 604800000);
}

TEST(Config, OverridesAndAliasesApply) {
  std::string err;
  auto c = build_broker_config({{"listeners", "PLAINTEXT://0.0.0.0:19092"}, {"log.retention.hours", "2"},
                                {"log.dirs", "/tmp/a,/tmp/b"}, {"num.partitions", "3"}},
                               err);
  ASSERT_TRUE(c) << err;
  EXPECT_EQ(c->listeners[0].port, 19092);
  EXPECT_EQ(c->log_defaults.retention_ms, 2 * 3600000);
  ASSERT_EQ(c->log_dirs.size(), 2u);
  EXPECT_EQ(c->num_partitions, 3);
}

TEST(Config, UnknownKeysAndBadValuesAreErrorsNamingTheKey) {
  std::string err;
  EXPECT_FALSE(build_broker_config({{"no.such.key", "1"}}, err));
  EXPECT_NE(err.find("no.such.key"), std::string::npos);
  EXPECT_FALSE(build_broker_config({{"num.partitions", "many"}}, err));
  EXPECT_NE(err.find("num.partitions"), std::string::npos);
  EXPECT_FALSE(build_broker_config({{"listeners", "127.0.0.1:9092"}}, err));
  EXPECT_FALSE(build_broker_config({{"auto.create.topics.enable", "yes"}}, err));
}

TEST(Config, PropertiesParserHandlesCommentsAndSeparators) {
  auto p = parse_properties("# comment\n! other\nnode.id = 7\nlog.dirs: /data\n\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->at("node.id"), "7");
  EXPECT_EQ(p->at("log.dirs"), "/data");
}

TEST(Config, EveryKeyIsDocumentedWithItsDefault) {
  std::ifstream in(SAMSA_DOCS_DIR "/configuration.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  ASSERT_FALSE(doc.empty());
  for (const auto& k : config::broker_table) {
    const std::string row = "| `" + std::string(k.name) + "` | " +
                            (k.default_value.empty() ? std::string("(empty)") : "`" + std::string(k.default_value) + "`");
    EXPECT_NE(doc.find(row), std::string::npos) << k.name << " is not documented with its default";
  }
}

}  // namespace
}  // namespace samsa::daemon
