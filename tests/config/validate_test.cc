// Validation against a key_def, with Kafka's messages (the controller answers them as INVALID_CONFIG and samsad
// prints them at start-up).
#include <gtest/gtest.h>

#include "samsa/config/broker_table.h"
#include "samsa/config/topic_table.h"
#include "samsa/config/validate.h"

namespace samsa::config {
namespace {

std::string why(const key_def& k, std::string_view v) { return validate(k, v).value_or("ok"); }

TEST(ConfigValidate, TypeErrorsNameKeyAndValue) {
  EXPECT_EQ(why(topic_key("retention.ms"), "soon"),
            "Invalid value soon for configuration retention.ms: Expected value to be a 64-bit integer");
  EXPECT_EQ(why(topic_key("segment.bytes"), "4294967296"),
            "Invalid value 4294967296 for configuration segment.bytes: Expected value to be a 32-bit integer");
  EXPECT_EQ(why(topic_key("preallocate"), "yes"),
            "Invalid value yes for configuration preallocate: Expected value to be either true or false");
  EXPECT_EQ(why(topic_key("min.cleanable.dirty.ratio"), "x"),
            "Invalid value x for configuration min.cleanable.dirty.ratio: Expected value to be a double");
  EXPECT_EQ(why(broker_key("default.replication.factor"), "40000"),
            "Invalid value 40000 for configuration default.replication.factor: Expected value to be a 16-bit integer");
}

TEST(ConfigValidate, RangesAndAllowedValues) {
  EXPECT_EQ(why(topic_key("retention.ms"), "-2"),
            "Invalid value -2 for configuration retention.ms: Value must be at least -1");
  EXPECT_EQ(why(topic_key("retention.ms"), "-1"), "ok");
  EXPECT_EQ(why(topic_key("min.cleanable.dirty.ratio"), "1.5"),
            "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be between 0 and 1");
  EXPECT_EQ(why(topic_key("min.cleanable.dirty.ratio"), "1"), "ok");
  EXPECT_EQ(why(broker_key("leader.imbalance.per.broker.percentage"), "101"),
            "Invalid value 101 for configuration leader.imbalance.per.broker.percentage: Value must be between 0 "
            "and 100");
  EXPECT_EQ(why(topic_key("message.timestamp.type"), "createtime"),
            "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, "
            "LogAppendTime");
  EXPECT_EQ(why(topic_key("cleanup.policy"), "compact, delete"), "ok");
  EXPECT_EQ(why(topic_key("cleanup.policy"), "delete,shred"),
            "Invalid value delete,shred for configuration cleanup.policy: String must be one of: delete, compact");
  EXPECT_EQ(why(topic_key("cleanup.policy"), ""),
            "Invalid value  for configuration cleanup.policy: cleanup.policy must not be empty");
  EXPECT_EQ(why(broker_key("process.roles"), "broker,voter"),
            "Invalid value broker,voter for configuration process.roles: String must be one of: broker, controller");
}

TEST(ConfigValidate, CustomChecks) {
  EXPECT_EQ(why(topic_key("leader.replication.throttled.replicas"), "0:1, 1:2"), "ok");
  EXPECT_EQ(why(topic_key("leader.replication.throttled.replicas"), "*"), "ok");
  EXPECT_EQ(why(topic_key("leader.replication.throttled.replicas"), "x"),
            "Invalid value x for configuration leader.replication.throttled.replicas: Expected \"*\" or a list of "
            "partition:broker pairs");
  EXPECT_EQ(why(broker_key("listeners"), ""), "Invalid value  for configuration listeners: listeners must not be empty");
  EXPECT_EQ(why(broker_key("advertised.listeners"), ""), "ok");
  EXPECT_NE(why(broker_key("controller.quorum.voters"), "1@nohostport"), "ok");
}

TEST(ConfigValidate, DescribeSaysWhatIsAccepted) {
  EXPECT_EQ(describe(topic_key("retention.ms").valid), "at least -1");
  EXPECT_EQ(describe(topic_key("min.cleanable.dirty.ratio").valid), "0 to 1");
  EXPECT_EQ(describe(topic_key("cleanup.policy").valid), "`delete`, `compact` (not empty)");
  EXPECT_EQ(describe(topic_key("retention.bytes").valid), "");
  EXPECT_EQ(type_name(topic_key("segment.bytes").type), "int");
}

}  // namespace
}  // namespace samsa::config
