// Kafka's parsing of config values, and the address-valued keys.
#include <gtest/gtest.h>

#include "samsa/config/endpoints.h"
#include "samsa/config/value.h"

namespace samsa::config {
namespace {

TEST(ConfigValue, BooleansAreCaseInsensitiveAndTrimmed) {
  EXPECT_EQ(parse_bool("TRUE"), true);
  EXPECT_EQ(parse_bool(" false "), false);
  EXPECT_EQ(parse_bool("yes"), std::nullopt);
  EXPECT_EQ(parse_bool(""), std::nullopt);
}

TEST(ConfigValue, IntegersMustFitTheirType) {
  EXPECT_EQ(parse_int<int32_t>(" +42 "), 42);
  EXPECT_EQ(parse_int<int32_t>("-1"), -1);
  EXPECT_EQ(parse_int<int32_t>("4294967296"), std::nullopt);
  EXPECT_EQ(parse_int<int64_t>("4294967296"), 4294967296LL);
  EXPECT_EQ(parse_int<int64_t>("1.5"), std::nullopt);
  EXPECT_EQ(parse_int<int64_t>(""), std::nullopt);
  EXPECT_EQ(parse_int<uint16_t>("65536"), std::nullopt);
}

TEST(ConfigValue, DoublesAreFinite) {
  EXPECT_EQ(parse_double("0.25"), 0.25);
  EXPECT_EQ(parse_double("x"), std::nullopt);
  EXPECT_EQ(parse_double("inf"), std::nullopt);
}

TEST(ConfigValue, ListsSplitOnCommasAndKeepEmptyItems) {
  EXPECT_TRUE(split_list("  ").empty());
  EXPECT_EQ(split_list("a, b"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(split_list("a,,b"), (std::vector<std::string_view>{"a", "", "b"}));
}

TEST(ConfigEndpoints, ListenersParseNamesHostsAndPorts) {
  auto l = parse_listeners("PLAINTEXT://127.0.0.1:9092, CONTROLLER://[::1]:9093,");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].name, "PLAINTEXT");
  EXPECT_EQ((*l)[0].host, "127.0.0.1");
  EXPECT_EQ((*l)[0].port, 9092);
  EXPECT_EQ((*l)[1].host, "::1");
  EXPECT_FALSE(parse_listeners("127.0.0.1:9092"));
  EXPECT_FALSE(parse_listeners("PLAINTEXT://host:99999"));
  EXPECT_TRUE(parse_listeners("")->empty());
}

TEST(ConfigEndpoints, VotersParseIdsHostsAndPorts) {
  auto v = parse_voters("1@a:9093,2@b:9093");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[1].id, 2);
  EXPECT_EQ((*v)[1].host, "b");
  EXPECT_FALSE(parse_voters("-1@a:9093"));
  EXPECT_FALSE(parse_voters("a:9093"));
  EXPECT_EQ(check_voters("1@a:9093"), std::nullopt);
  EXPECT_NE(check_listeners("nope"), std::nullopt);
}

}  // namespace
}  // namespace samsa::config
