// Log compaction: latest value per key, offsets preserved, tombstone expiry, crash-safe swap.
#include <gtest/gtest.h>

#include <map>

#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
namespace rec = samsa::records;
const quiet_logs quiet;

struct rec_t {
  int64_t offset;
  std::string key;
  std::optional<std::string> value;
  bool operator==(const rec_t&) const = default;
};

std::vector<rec_t> records_of(const partition_log& log) {
  std::vector<rec_t> out;
  std::vector<uint8_t> scratch;
  for (auto& b : read_all(log)) {
    auto bv = rec::batch_view::parse(b);
    EXPECT_TRUE(bv);
    EXPECT_FALSE(bv->verify_crc());
    auto ec = rec::for_each_record(*bv, scratch, 1 << 26, [&](const rec::record_view& r) {
      rec_t x{bv->base_offset() + r.offset_delta, std::string(r.key->begin(), r.key->end()), std::nullopt};
      if (r.value) x.value = std::string(r.value->begin(), r.value->end());
      out.push_back(x);
    });
    EXPECT_FALSE(ec);
  }
  return out;
}

std::vector<uint8_t> keyed_batch(const std::vector<std::pair<std::string, std::optional<std::string>>>& kvs, int64_t ts,
                                 rec::compression codec = rec::compression::none) {
  rec::batch_options o;
  o.codec = codec;
  rec::batch_builder b(o);
  for (auto& [k, v] : kvs) b.add(ts, k, v);
  return *b.build();
}

struct compaction : ::testing::Test {
  temp_dir tmp;
  fs::path dir = tmp.path / "compacted-0";
  log_config cfg = [] {
    auto c = small_config();
    c.compact = true;
    c.delete_ = false;
    c.segment_bytes = 1500;
    c.min_cleanable_dirty_ratio = 0.0;
    c.delete_retention_ms = 1000;
    return c;
  }();
  // 60 batches over 8 keys; every 7th record is a tombstone. Returns the expected latest per key.
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> fill(partition_log& log, int64_t ts) {
    std::map<std::string, std::pair<int64_t, std::optional<std::string>>> model;
    int n = 0;
    for (int i = 0; i < 60; ++i) {
      std::vector<std::pair<std::string, std::optional<std::string>>> kvs;
      for (int j = 0; j < 3; ++j, ++n) {
        std::string k = "key" + std::to_string((n * 5) % 8);
        std::optional<std::string> v;
        if (n % 7 != 3) v = "value-" + std::to_string(n) + std::string(20, 'x');
        kvs.emplace_back(k, v);
      }
      auto b = keyed_batch(kvs, ts + i, i % 3 == 0 ? rec::compression::zstd : rec::compression::none);
      auto r = log.append(b, 1);
      EXPECT_TRUE(r);
      for (int j = 0; j < 3; ++j) model[kvs[j].first] = {r->base_offset + j, kvs[j].second};
    }
    EXPECT_FALSE(log.flush_sync());
    return model;
  }
};

TEST_F(compaction, KeepsOnlyLatestRecordPerKeyWithOriginalOffsets) {
  auto log = std::move(partition_log::open(dir, cfg).value());
  const int64_t now = 1'700'000'000'000;
  auto model = fill(*log, now);
  auto before = records_of(*log);
  size_t segs = log->segment_count();
  ASSERT_GT(segs, 4u);
  auto active_base = log->segment_base_offsets().back();
  auto n = log->compact(now);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, segs - 1);
  auto after = records_of(*log);
  EXPECT_LT(after.size(), before.size());
  // Every surviving record is an original one (same offset, key, value).
  std::map<int64_t, rec_t> orig;
  for (auto& r : before) orig[r.offset] = r;
  for (auto& r : after) EXPECT_EQ(orig[r.offset], r);
  // In the cleaned part each key appears at most once and is the latest version (within that part or later).
  std::map<std::string, int> seen;
  for (auto& r : after)
    if (r.offset < active_base) {
      EXPECT_EQ(++seen[r.key], 1) << r.key;
    }
  // Reading the whole log still yields the latest value of every key.
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> got;
  for (auto& r : after) got[r.key] = {r.offset, r.value};
  EXPECT_EQ(got, model);
  EXPECT_EQ(log->log_end_offset(), 180);
  // Appends continue; a reopen (gaps allowed for compacted logs) sees the same records.
  auto b = keyed_batch({{"key1", "new"}}, now);
  EXPECT_EQ(log->append(b, 1)->base_offset, 180);
  log.reset();
  auto again = std::move(partition_log::open(dir, cfg).value());
  auto reread = records_of(*again);
  after.push_back({180, "key1", "new"});
  EXPECT_EQ(reread, after);
  for (const auto& e : fs::directory_iterator(dir)) {
    auto f = e.path().filename().string();
    EXPECT_EQ(f.find(".cleaned"), std::string::npos) << f;
    EXPECT_EQ(f.find(".swap"), std::string::npos) << f;
    EXPECT_EQ(f.find(".deleted"), std::string::npos) << f;
  }
}

TEST_F(compaction, TombstonesSurviveUntilDeleteRetentionThenGo) {
  auto log = std::move(partition_log::open(dir, cfg).value());
  const int64_t ts = 1'700'000'000'000;
  auto model = fill(*log, ts);
  auto active_base = log->segment_base_offsets().back();
  ASSERT_TRUE(log->compact(ts + 10));  // tombstones are 10 ms old: kept
  bool tomb = false;
  for (auto& r : records_of(*log))
    if (r.offset < active_base && !r.value) tomb = true;
  EXPECT_TRUE(tomb);
  // Force another pass much later: old tombstones in the cleaned part disappear.
  auto c = cfg;
  log->set_config(c);
  // Make something dirty: enough new data to roll, so a cleanable segment holds uncleaned records.
  size_t segs = log->segment_count();
  while (log->segment_count() == segs) {
    auto b = keyed_batch({{"other", std::string(200, 'y')}}, ts);
    ASSERT_TRUE(log->append(b, 1));
  }
  ASSERT_FALSE(log->flush_sync());
  ASSERT_TRUE(log->compact(ts + 1'000'000));
  for (auto& r : records_of(*log))
    if (r.offset < active_base) {
      EXPECT_TRUE(r.value.has_value()) << "tombstone at " << r.offset;
    }
}

TEST_F(compaction, DoesNothingForDeletePolicyOrCleanLogs) {
  auto c = cfg;
  c.compact = false;
  auto log = std::move(partition_log::open(dir, c).value());
  fill(*log, 0);
  EXPECT_EQ(*log->compact(0), 0u);
  log->set_config(cfg);
  EXPECT_GT(*log->compact(0), 0u);
  auto c2 = cfg;
  c2.min_cleanable_dirty_ratio = 0.5;
  log->set_config(c2);
  EXPECT_EQ(*log->compact(0), 0u);  // everything already clean
}

// Crash images of an interrupted compaction: .cleaned output (not committed) is discarded; .swap output
// (committed) replaces the segments it covers.
TEST_F(compaction, InterruptedCompactionRecoversToBeforeOrAfterState) {
  const int64_t now = 1'700'000'000'000;
  std::vector<rec_t> before, after;
  std::vector<int64_t> out_bases;
  fs::path pre = tmp.path / "pre" / "compacted-0";
  {
    auto log = std::move(partition_log::open(dir, cfg).value());
    fill(*log, now);
    before = records_of(*log);
    ASSERT_FALSE(log->close());
  }
  fs::create_directories(pre.parent_path());
  fs::copy(dir, pre, fs::copy_options::recursive);
  {
    auto log = std::move(partition_log::open(dir, cfg).value());
    ASSERT_GT(*log->compact(now), 0u);
    after = records_of(*log);
    auto bases = log->segment_base_offsets();
    out_bases.assign(bases.begin(), bases.end() - 1);
  }
  ASSERT_NE(before, after);
  for (std::string suffix : {".cleaned", ".swap"}) {
    fs::path img = tmp.path / ("img" + suffix) / "compacted-0";
    fs::create_directories(img.parent_path());
    fs::copy(pre, img, fs::copy_options::recursive);
    for (int64_t b : out_bases)
      for (auto ext : {".log", ".index", ".timeindex"})
        fs::copy_file(dir / segment_file_name(b, ext), img / segment_file_name(b, std::string(ext) + suffix));
    auto log = partition_log::open(img, cfg);
    ASSERT_TRUE(log) << suffix << ": " << log.error().message();
    EXPECT_EQ(records_of(**log), suffix == ".swap" ? after : before) << suffix;
    if (suffix == ".swap") {
      EXPECT_EQ((*log)->segment_base_offsets().size(), out_bases.size() + 1);
    }
    for (const auto& e : fs::directory_iterator(img)) EXPECT_EQ(e.path().filename().string().find(suffix), std::string::npos);
  }
}

}  // namespace
}  // namespace samsa::storage
