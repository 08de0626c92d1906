// Invariants of the key tables that the compiler does not already check (sortedness is a static_assert).
#include <gtest/gtest.h>

#include "samsa/config/broker_table.h"
#include "samsa/config/topic_table.h"
#include "samsa/config/validate.h"

namespace samsa::config {
namespace {

TEST(ConfigTables, EveryDefaultIsAValidValue) {
  for (auto table : {broker_table, topic_table})
    for (const key_def& k : table)
      if (!k.default_value.empty()) {
        EXPECT_EQ(validate(k, k.default_value), std::nullopt) << k.name;
      }
}

TEST(ConfigTables, EveryKeyIsDocumentedAndCustomChecksSayWhatTheyAccept) {
  for (auto table : {broker_table, topic_table})
    for (const key_def& k : table) {
      EXPECT_FALSE(k.doc.empty()) << k.name;
      EXPECT_EQ(k.doc.find('\n'), std::string_view::npos) << k.name;
      if (k.valid.k == check::kind::custom) {
        EXPECT_FALSE(k.valid.custom_doc.empty()) << k.name;
      }
    }
}

TEST(ConfigTables, TopicKeysAreDynamicAndBrokerKeysAreNotTopicScoped) {
  for (const key_def& k : topic_table) {
    EXPECT_EQ(k.mode, update_mode::dynamic) << k.name;
    EXPECT_EQ(k.where, section::topic) << k.name;
  }
  for (const key_def& k : broker_table) EXPECT_NE(k.where, section::topic) << k.name;
}

// As in Kafka, a broker default accepts exactly what its topic key accepts, and both default alike, so a topic
// without an override behaves the same whichever of the two DescribeConfigs shows.
TEST(ConfigTables, ABrokerSynonymAcceptsWhatItsTopicKeyAccepts) {
  int synonyms = 0;
  for (const key_def& t : topic_table) {
    const key_def* b = find_broker_key(t.synonym);
    if (b == nullptr || b->mode == update_mode::dynamic_only) continue;
    ++synonyms;
    EXPECT_EQ(b->type, t.type) << t.name;
    EXPECT_EQ(b->default_value, t.default_value) << t.name;
    EXPECT_EQ(b->valid.k, t.valid.k) << t.name;
    EXPECT_EQ(b->valid.lo, t.valid.lo) << t.name;
    EXPECT_EQ(b->valid.hi, t.valid.hi) << t.name;
    EXPECT_EQ(b->valid.allowed.data(), t.valid.allowed.data()) << t.name;
  }
  EXPECT_EQ(synonyms, 12);
}

TEST(ConfigTables, AliasesPointAtAnIntegerKey) {
  int aliases = 0;
  for (const key_def& a : broker_table) {
    if (a.alias.key.empty()) continue;
    ++aliases;
    const key_def* target = find_broker_key(a.alias.key);
    ASSERT_NE(target, nullptr) << a.name;
    EXPECT_EQ(target->type, value_type::int64) << a.name;
    EXPECT_TRUE(target->alias.key.empty()) << a.name;
    EXPECT_GT(a.alias.factor, 0) << a.name;
  }
  EXPECT_EQ(aliases, 3);
}

TEST(ConfigTables, LookupFindsDeclaredKeysOnly) {
  EXPECT_EQ(find_topic_key("retention.ms"), &topic_key("retention.ms"));
  EXPECT_EQ(find_broker_key("log.retention.ms"), &broker_key("log.retention.ms"));
  EXPECT_EQ(find_topic_key("log.retention.ms"), nullptr);
  EXPECT_EQ(find_broker_key("no.such.key"), nullptr);
}

}  // namespace
}  // namespace samsa::config
