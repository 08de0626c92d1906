// The `cluster health` verdict and the profile file's TOML subset, without a broker.
#include <gtest/gtest.h>

#include "health.h"
#include "profile.h"
#include "samsa/cli/output.h"

namespace samsa::cli {

TEST(Health, HealthyWhenEveryPartitionHasALeaderAndAFullIsr) {
  auto r = evaluate_health({1, 2}, 1, {{"a", 0, 1, {1, 2}, {1, 2}}, {"a", 1, 2, {2, 1}, {2, 1}}});
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.partitions, 2);
  EXPECT_EQ(r.topics, 1);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.to_json()["under_replicated_partitions"], 0);
}

TEST(Health, DownBrokerLeaderlessAndUnderReplicated) {
  // broker 3 is named as a replica but absent; b/0 lost its leader, a/1 is short of an ISR member.
  auto r = evaluate_health({2, 1}, 1,
                           {{"a", 0, 1, {1, 2}, {1, 2}}, {"a", 1, 1, {1, 3}, {1}}, {"b", 0, -1, {3}, {}}});
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.brokers, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(r.down_brokers, (std::vector<int32_t>{3}));
  EXPECT_EQ(r.leaderless, 1);
  EXPECT_EQ(r.under_replicated, 2);  // a/1 and the leaderless b/0 (ISR 0 of 1)
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].p.topic, "a");
  EXPECT_EQ(r.problems[0].problem, "under-replicated");
  EXPECT_EQ(r.problems[1].problem, "no leader");
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"brokers down: 3", "1 partition(s) without a leader",
                                                 "2 under-replicated partition(s)"}));
  std::string table = r.render();
  EXPECT_NE(table.find("HEALTHY:                      no\n"), std::string::npos);
  EXPECT_NE(table.find("TOPIC  PARTITION  LEADER  REPLICAS  ISR  PROBLEM\n"
                       "a      1          1       1,3       1    under-replicated\n"
                       "b      0          -       3         -    no leader\n"),
            std::string::npos);
}

TEST(Health, LeaderOnADeadBrokerAndNoController) {
  auto r = evaluate_health({1}, -1, {{"a", 0, 2, {1, 2}, {1, 2}}});
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.leaderless, 1);
  EXPECT_EQ(r.reasons.front(), "no controller is known");
  EXPECT_TRUE(r.to_json()["controller_id"].is_null());
}

TEST(Profile, ParsesTheSubset) {
  auto kv = parse_toml_subset(
      "# comment\n"
      "brokers = \"a:1,b:2\"  # trailing\n"
      "timeout = 2.5\n"
      "flag = true\n"
      "big = 1_000\n"
      "\n"
      "[properties]\n"
      "security.protocol = 'SASL_SSL'\n"
      "\"sasl.mechanism\" = \"PLAIN\"\n"
      "esc = \"q\\\"uote\\\\ \\u00e9 # not a comment\"\n",
      "t.toml");
  EXPECT_EQ(kv.at("brokers"), "a:1,b:2");
  EXPECT_EQ(kv.at("timeout"), "2.5");
  EXPECT_EQ(kv.at("flag"), "true");
  EXPECT_EQ(kv.at("big"), "1000");
  EXPECT_EQ(kv.at("properties.security.protocol"), "SASL_SSL");
  EXPECT_EQ(kv.at("properties.sasl.mechanism"), "PLAIN");
  EXPECT_EQ(kv.at("properties.esc"), "q\"uote\\ \xC3\xA9 # not a comment");
}

TEST(Profile, RejectsWhatItDoesNotSupportWithFileAndLine) {
  auto err = [](const std::string& text) {
    try {
      parse_toml_subset(text, "p.toml");
    } catch (const CliError& e) {
      EXPECT_EQ(e.exit_code(), kUsage);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err("a = 1\nb = [1, 2]\n"), "p.toml:2: arrays and inline tables are not supported; use a comma-separated string");
  EXPECT_EQ(err("brokers = localhost:9092\n"),
            "p.toml:1: expected a string, number or boolean; quote text values: \"localhost:9092\"");
  EXPECT_EQ(err("a = \"x\"\na = \"y\"\n"), "p.toml:2: key 'a' is defined twice");
  EXPECT_EQ(err("[[t]]\n"), "p.toml:1: arrays of tables ([[...]]) are not supported");
  EXPECT_EQ(err("a = \"open\n"), "p.toml:1: expected '\"'");
}

TEST(Profile, KnownKeysAndWarnings) {
  Profile p = profile_from_text("brokers = \"h:9\"\ntimeout = 3\nformat = \"yaml\"\ncolour = \"red\"\n"
                                "[properties]\nclient.id = \"me\"\n",
                                "x.toml");
  EXPECT_EQ(p.brokers, "h:9");
  EXPECT_EQ(p.timeout_s, 3.0);
  EXPECT_EQ(p.format, "yaml");
  ASSERT_EQ(p.properties.size(), 1u);
  EXPECT_EQ(p.properties[0], (std::pair<std::string, std::string>{"client.id", "me"}));
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("unknown key 'colour'"), std::string::npos);
  EXPECT_THROW(profile_from_text("format = \"xml\"\n", "x.toml"), CliError);
  EXPECT_THROW(profile_from_text("timeout = -1\n", "x.toml"), CliError);
}

}  // namespace samsa::cli
