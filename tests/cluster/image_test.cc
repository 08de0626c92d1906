#include "samsa/cluster/image.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace samsa::cluster {
namespace {

using testing::harness;

metadata_image build(const std::vector<std::vector<metadata_record>>& batches) {
  metadata_image img;
  int64_t i = 0;
  for (const auto& b : batches) {
    auto next = apply_batch(img, b, {++i, 1});
    EXPECT_TRUE(next) << next.error().message();
    img = *next;
  }
  return img;
}

const uuid t1{1, 1};

TEST(ImageTest, EmptyImageHasNoVersion) {
  metadata_image img;
  EXPECT_EQ(img.version(), (provenance{-1, -1}));
  EXPECT_TRUE(img.brokers().empty());
  EXPECT_TRUE(img.topics().empty());
  EXPECT_EQ(img.next_producer_id(), 0);
}

TEST(ImageTest, AppliesRecordsInOrder) {
  auto img = build({{bootstrap_record{"c1", 1}},
                    {register_broker_record{1, {9, 9}, 1, {}, "r1", true}, broker_fence_record{1, 1, false}},
                    {topic_record{"a", t1, {{"retention.ms", "5"}}}, partition_record{t1, 0, {1}, {1}, 1, 0, 0}},
                    {partition_change_record{t1, 0, no_leader, {1}, 1, 1}},
                    {config_record{resource_type::topic, "a", "segment.ms", "10"}},
                    {producer_ids_record{1, 1, 1000}}});
  EXPECT_EQ(img.version(), (provenance{6, 1}));
  EXPECT_EQ(img.cluster_id(), "c1");
  ASSERT_NE(img.broker(1), nullptr);
  EXPECT_FALSE(img.broker(1)->fenced);
  EXPECT_EQ(img.broker(1)->rack, "r1");
  ASSERT_NE(img.topic("a"), nullptr);
  EXPECT_EQ(img.topic("a")->id, t1);
  const partition_state* p = img.partition(t1, 0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->leader, no_leader);
  EXPECT_EQ(p->leader_epoch, 1);
  EXPECT_EQ(p->partition_epoch, 1);
  EXPECT_EQ(img.config(resource_type::topic, "a", "retention.ms"), "5");
  EXPECT_EQ(img.config(resource_type::topic, "a", "segment.ms"), "10");
  EXPECT_EQ(img.next_producer_id(), 1000);
}

TEST(ImageTest, RemovingATopicRemovesItsPartitionsAndConfigs) {
  auto img = build({{topic_record{"a", t1, {{"retention.ms", "5"}}}, partition_record{t1, 0, {1}, {1}, 1, 0, 0}},
                    {remove_topic_record{t1}}});
  EXPECT_EQ(img.topic("a"), nullptr);
  EXPECT_EQ(img.topic(t1), nullptr);
  EXPECT_EQ(img.configs(resource_type::topic, "a"), nullptr);
  // The name can be reused, with no configs left over.
  auto again = apply_batch(img, {topic_record{"a", uuid{2, 2}, {}}}, {3, 1});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->configs(resource_type::topic, "a"), nullptr);
}

TEST(ImageTest, ConfigDeleteReturnsToDefault) {
  auto img = build({{topic_record{"a", t1, {{"retention.ms", "5"}}}},
                    {config_record{resource_type::topic, "a", "retention.ms", std::nullopt}}});
  EXPECT_EQ(img.config(resource_type::topic, "a", "retention.ms"), std::nullopt);
  EXPECT_EQ(img.configs(resource_type::topic, "a"), nullptr);
}

TEST(ImageTest, InconsistentRecordsAreRejectedAndChangeNothing) {
  auto base = build({{register_broker_record{1, {9, 9}, 2, {}, {}, false}},
                     {topic_record{"a", t1, {}}, partition_record{t1, 0, {1}, {1}, 1, 3, 5}}});
  const std::vector<metadata_record> bad = {
      broker_fence_record{2, 1, true},                      // unknown broker
      broker_fence_record{1, 1, true},                      // stale broker epoch
      register_broker_record{1, {9, 9}, 2, {}, {}, true},   // broker epoch not newer
      topic_record{"a", uuid{5, 5}, {}},                    // name taken
      topic_record{"b", t1, {}},                            // id taken
      remove_topic_record{uuid{5, 5}},                      // unknown topic
      partition_record{uuid{5, 5}, 0, {1}, {1}, 1, 0, 0},   // unknown topic
      partition_record{t1, 0, {1}, {1}, 1, 0, 0},           // partition exists
      partition_change_record{t1, 1, 1, {1}, 3, 6},         // unknown partition
      partition_change_record{t1, 0, 1, {1}, 3, 5},         // partition epoch not newer
      partition_change_record{t1, 0, 1, {1}, 2, 6},         // leader epoch goes back
      config_record{resource_type::topic, "zz", "k", "v"},  // unknown topic
      bootstrap_record{"", 1},                              // empty cluster id
      producer_ids_record{1, 2, 0},                         // producer ids go back
  };
  for (const auto& r : bad) {
    auto out = apply_batch(base, {r}, {9, 9});
    ASSERT_FALSE(out) << describe(r);
    EXPECT_EQ(out.error(), make_error_code(errc::inconsistent_record)) << describe(r);
  }
  // A batch with a bad record in the middle applies nothing.
  auto out = apply_entry(base, 3, 2, encode_batch({topic_record{"c", uuid{7, 7}, {}}, remove_topic_record{uuid{5, 5}}}));
  EXPECT_TRUE(out.error);
  EXPECT_EQ(out.image.topic("c"), nullptr);
  EXPECT_EQ(out.image.version(), (provenance{3, 2}));
}

TEST(ImageTest, UndecodableEntryOnlyAdvancesTheVersion) {
  metadata_image img;
  auto out = apply_entry(img, 1, 1, "garbage");
  EXPECT_TRUE(out.error);
  EXPECT_EQ(out.image.version(), (provenance{1, 1}));
  auto noop = apply_entry(out.image, 2, 2, "");
  EXPECT_FALSE(noop.error);
  EXPECT_EQ(noop.image.version(), (provenance{2, 2}));
}

TEST(ImageTest, OldImagesAreNeverModified) {
  auto a = build({{topic_record{"a", t1, {}}, partition_record{t1, 0, {1, 2}, {1, 2}, 1, 0, 0}}});
  const metadata_image snapshot_of_a = a;
  metadata_delta d(a);
  ASSERT_FALSE(d.apply(partition_change_record{t1, 0, 2, {2}, 1, 1}));
  auto b = d.build({2, 1});
  // The delta may keep going after build() without touching b.
  ASSERT_FALSE(d.apply(partition_change_record{t1, 0, 1, {1}, 2, 2}));
  auto c = d.build({3, 1});
  EXPECT_EQ(a, snapshot_of_a);
  EXPECT_EQ(a.partition(t1, 0)->leader, 1);
  EXPECT_EQ(b.partition(t1, 0)->leader, 2);
  EXPECT_EQ(b.partition(t1, 0)->partition_epoch, 1);
  EXPECT_EQ(c.partition(t1, 0)->leader, 1);
  EXPECT_EQ(c.partition(t1, 0)->partition_epoch, 2);
}

TEST(ImageTest, UnchangedSubImagesAreShared) {
  const uuid t2{2, 2};
  auto a = build({{register_broker_record{1, {9, 9}, 1, {}, {}, false}},
                  {topic_record{"a", t1, {}}, partition_record{t1, 0, {1}, {1}, 1, 0, 0}},
                  {topic_record{"b", t2, {}}, partition_record{t2, 0, {1}, {1}, 1, 0, 0}}});
  auto b = *apply_batch(a, {partition_change_record{t1, 0, no_leader, {1}, 1, 1}}, {4, 1});
  EXPECT_EQ(a.brokers_identity(), b.brokers_identity());
  EXPECT_EQ(a.configs_identity(), b.configs_identity());
  EXPECT_NE(a.topics_identity(), b.topics_identity());
  // The untouched topic is the same object in both images; the changed one is a copy.
  EXPECT_EQ(a.topics().at(t2).get(), b.topics().at(t2).get());
  EXPECT_NE(a.topics().at(t1).get(), b.topics().at(t1).get());
}

TEST(ImageTest, DeltaReportsWhatChanged) {
  const uuid t2{2, 2};
  auto a = build({{topic_record{"a", t1, {}}, partition_record{t1, 0, {1}, {1}, 1, 0, 0}},
                  {topic_record{"b", t2, {}}}});
  metadata_delta d(a);
  ASSERT_FALSE(d.apply(partition_change_record{t1, 0, no_leader, {1}, 1, 1}));
  ASSERT_FALSE(d.apply(remove_topic_record{t2}));
  ASSERT_FALSE(d.apply(register_broker_record{4, {1, 1}, 1, {}, {}, true}));
  EXPECT_EQ(d.changed_topics(), (std::set<uuid>{t1}));
  EXPECT_EQ(d.deleted_topics(), (std::set<uuid>{t2}));
  EXPECT_EQ(d.changed_brokers(), (std::set<broker_id>{4}));
}

TEST(SnapshotTest, EmptyImageRoundTrips) {
  metadata_image img;
  auto back = parse_snapshot(serialize_snapshot(img));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, img);
}

TEST(SnapshotTest, ParseOfSerializeEqualsImageBuiltFromTheLog) {
  harness h;
  h.commit(h.ctl.bootstrap(h.image));
  h.add_broker(1, "r1");
  h.add_broker(2, "r2");
  h.add_broker(3, "r1");
  h.create("orders", 6, 3, {{"cleanup.policy", "compact"}});
  h.create("logs", 2, 2);
  h.commit(h.ctl.incremental_alter_configs(h.image, {{resource_type::broker, "", {{"log.retention.ms", alter_op::set, "100"}}}}));
  h.commit(h.ctl.allocate_producer_ids(h.image, 1, h.image.broker(1)->broker_epoch));
  h.commit(h.ctl.delete_topics(h.image, {{"logs"}}));
  h.now += 20000;
  h.commit(h.ctl.tick(h.image, h.now));  // fences everyone: partitions lose leaders
  // Replaying the log from scratch gives the same image...
  metadata_image replay;
  for (const auto& e : h.log) replay = apply_entry(replay, e.index, e.term, e.data).image;
  EXPECT_EQ(replay, h.image);
  // ...and so does a snapshot of it.
  const std::string bytes = serialize_snapshot(h.image);
  auto back = parse_snapshot(bytes);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, h.image);
  EXPECT_EQ(serialize_snapshot(*back), bytes);
}

TEST(SnapshotTest, CorruptSnapshotsAreRejected) {
  harness h;
  h.add_broker(1);
  h.create("a", 2, 1);
  const std::string bytes = serialize_snapshot(h.image);
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(parse_snapshot(bytes.substr(0, n))) << n;
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_FALSE(parse_snapshot(bad));
  bad = bytes;
  bad[4] = 3;  // snapshot version
  auto r = parse_snapshot(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::unsupported_version));
}

}  // namespace
}  // namespace samsa::cluster
