// replica::check_records: the per-record rules a leader applies to a produced batch (Kafka's LogValidator).
#include "samsa/replica/record_checks.h"

#include <gtest/gtest.h>

#include <limits>

#include "samsa/records/compression.h"

namespace samsa::replica {
namespace {

namespace ke = protocol::kafka_error;
constexpr int64_t now = 1'700'000'000'000;

struct built {
  std::vector<uint8_t> bytes;
  records::batch_view view;
};

built batch(const std::vector<std::pair<int64_t, std::optional<std::string>>>& recs,
            records::compression codec = records::compression::none) {
  records::batch_options o;
  o.codec = codec;
  records::batch_builder b(o);
  for (const auto& [ts, key] : recs)
    b.add(ts, key ? std::optional<std::string_view>(*key) : std::nullopt, std::string_view("v"));
  built out;
  out.bytes = b.build().value();
  out.view = records::batch_view::parse(out.bytes).value();
  return out;
}

TEST(RecordChecks, PlainTopicWithoutBoundsNeedsNoWalk) {
  auto b = batch({{now, std::nullopt}});
  EXPECT_FALSE(needs_record_walk(b.view, record_rules{}));
  record_rules compacted;
  compacted.compacted = true;
  EXPECT_TRUE(needs_record_walk(b.view, compacted));
  record_rules bounded;
  bounded.timestamp_after_max_ms = 1000;
  EXPECT_TRUE(needs_record_walk(b.view, bounded));
  bounded.create_time = false;  // LogAppendTime topics stamp their own time: nothing to check
  EXPECT_FALSE(needs_record_walk(b.view, bounded));
  auto z = batch({{now, std::string("k")}}, records::compression::lz4);
  EXPECT_TRUE(needs_record_walk(z.view, record_rules{}));  // compressed records must decode
}

TEST(RecordChecks, CompactedTopicRefusesExactlyTheKeylessRecords) {
  record_rules r;
  r.compacted = true;
  std::vector<uint8_t> scratch;
  auto b = batch({{now, std::string("a")}, {now, std::nullopt}, {now, std::string("c")}, {now, std::nullopt}});
  const auto c = check_records(b.view, r, now, "t-0", scratch);
  EXPECT_EQ(c.error, ke::invalid_record);
  ASSERT_EQ(c.record_errors.size(), 2u);
  EXPECT_EQ(c.record_errors[0].batch_index, 1);
  EXPECT_EQ(c.record_errors[1].batch_index, 3);
  EXPECT_EQ(c.record_errors[0].message, "Compacted topic cannot accept message without key in topic partition t-0.");
  EXPECT_NE(c.message.find("2 record errors"), std::string::npos) << c.message;

  auto keyed = batch({{now, std::string("a")}, {now, std::string("")}});  // an empty key is a key
  EXPECT_EQ(check_records(keyed.view, r, now, "t-0", scratch).error, ke::none);
}

TEST(RecordChecks, CompactedTopicChecksKeysInsideCompressedBatches) {
  record_rules r;
  r.compacted = true;
  std::vector<uint8_t> scratch;
  auto b = batch({{now, std::string("a")}, {now, std::nullopt}}, records::compression::zstd);
  const auto c = check_records(b.view, r, now, "t-1", scratch);
  EXPECT_EQ(c.error, ke::invalid_record);
  ASSERT_EQ(c.record_errors.size(), 1u);
  EXPECT_EQ(c.record_errors[0].batch_index, 1);
}

TEST(RecordChecks, TimestampsOutsideTheBoundsAreInvalidTimestamp) {
  record_rules r;
  r.timestamp_before_max_ms = 60'000;
  r.timestamp_after_max_ms = 1'000;
  std::vector<uint8_t> scratch;
  auto ok = batch({{now - 60'000, std::nullopt}, {now + 1'000, std::nullopt}});
  EXPECT_EQ(check_records(ok.view, r, now, "t-0", scratch).error, ke::none);
  auto bad = batch({{now, std::nullopt}, {now - 60'001, std::nullopt}, {now + 1'001, std::nullopt}});
  const auto c = check_records(bad.view, r, now, "t-0", scratch);
  EXPECT_EQ(c.error, ke::invalid_timestamp);
  ASSERT_EQ(c.record_errors.size(), 2u);
  EXPECT_EQ(c.record_errors[0].batch_index, 1);
  EXPECT_EQ(c.record_errors[1].batch_index, 2);
  EXPECT_NE(c.record_errors[0].message.find("is out of range"), std::string::npos);
}

TEST(RecordChecks, UnboundedSideNeverOverflows) {
  record_rules r;
  r.timestamp_before_max_ms = 10;  // after stays unbounded
  std::vector<uint8_t> scratch;
  auto far_future = batch({{std::numeric_limits<int64_t>::max() / 2, std::nullopt}});
  EXPECT_EQ(check_records(far_future.view, r, now, "t-0", scratch).error, ke::none);
  auto old = batch({{0, std::nullopt}});
  EXPECT_EQ(check_records(old.view, r, now, "t-0", scratch).error, ke::invalid_timestamp);
}

TEST(RecordChecks, UndecodableCompressedRecordsRefuseTheWholeBatch) {
  auto b = batch({{now, std::string("a")}, {now, std::string("b")}}, records::compression::gzip);
  // Corrupt the compressed payload (and fix the CRC so only the inner records are wrong).
  b.bytes[b.bytes.size() - 6] ^= 0xff;
  b.bytes[b.bytes.size() - 7] ^= 0xff;
  records::batch_view v = records::batch_view::parse(b.bytes).value();
  const uint32_t crc = v.compute_crc();
  for (int i = 0; i < 4; ++i) b.bytes[17 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  v = records::batch_view::parse(b.bytes).value();
  ASSERT_FALSE(v.verify_crc());
  std::vector<uint8_t> scratch;
  const auto c = check_records(v, record_rules{}, now, "t-0", scratch);
  EXPECT_EQ(c.error, ke::invalid_record);
  EXPECT_TRUE(c.record_errors.empty());
}

}  // namespace
}  // namespace samsa::replica
