// partition_log::read against a naive model: whole batches from the one holding the offset, up to max_bytes (the
// first whole even when larger), none starting at or after upper_bound, across segments -- with batch sizes on
// both sides of index.interval.bytes (the lookup uses the index entry at/after the offset or scans from the one
// below; larger fetches jump over indexed batch boundaries).
#include <gtest/gtest.h>

#include <random>

#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
const quiet_logs quiet;

struct stored {
  int64_t base, last;
  size_t size;
};

std::vector<stored> expected_read(const std::vector<stored>& all, int64_t offset, size_t max_bytes, int64_t upper) {
  std::vector<stored> out;
  size_t total = 0;
  for (const auto& b : all) {
    if (b.last < offset) continue;
    if (b.base >= upper || (total > 0 && total + b.size > max_bytes)) break;
    out.push_back(b);
    total += b.size;
    if (total >= max_bytes) break;
  }
  return out;
}

void check_reads(partition_log& log, const std::vector<stored>& all, uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  const int64_t leo = log.log_end_offset();
  const size_t sizes[] = {1, 100, 5000, 20000, 65536, 300000, 1 << 20};
  for (int i = 0; i < n; ++i) {
    const int64_t off = static_cast<int64_t>(rng() % static_cast<uint64_t>(leo));
    const size_t max_bytes = sizes[rng() % std::size(sizes)];
    const int64_t upper = rng() % 3 == 0 ? off + static_cast<int64_t>(rng() % 400) : INT64_MAX;
    auto want = expected_read(all, off, max_bytes, upper);
    auto r = log.read(off, max_bytes, upper);
    ASSERT_TRUE(r) << r.error().message();
    auto bytes = r->copy_bytes();
    ASSERT_TRUE(bytes);
    std::vector<stored> got;
    std::span<const uint8_t> sp(*bytes);
    ASSERT_FALSE(records::for_each_batch(sp, [&](const records::batch_view& b) {
      EXPECT_FALSE(b.verify_crc());
      got.push_back({b.base_offset(), b.last_offset(), b.data().size()});
    }));
    ASSERT_EQ(got.size(), want.size()) << "offset " << off << " max_bytes " << max_bytes << " upper " << upper;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].base, want[k].base);
      EXPECT_EQ(got[k].size, want[k].size);
    }
  }
}

TEST(read_path, MatchesTheModelForMixedBatchSizesAcrossSegments) {
  temp_dir tmp;
  log_config c = small_config();
  c.segment_bytes = 512 * 1024;
  c.index_interval_bytes = 4096;
  auto log = partition_log::open(tmp.path / "r-0", c);
  ASSERT_TRUE(log);
  std::vector<stored> all;
  std::mt19937_64 rng(3);
  int64_t next = 0;
  for (int i = 0; i < 600; ++i) {
    // Runs of small batches (several per index interval) and of big ones (one index entry each).
    const bool big = (i / 40) % 2 == 1;
    const int records = big ? 1 + static_cast<int>(rng() % 20) : 1 + static_cast<int>(rng() % 4);
    const size_t value = big ? 1000 : 40;
    auto b = make_batch(records, value, 1000 + i, static_cast<uint64_t>(i));
    auto r = (*log)->append(b, 1);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->base_offset, next);
    all.push_back({r->base_offset, r->last_offset, b.size()});
    next = r->last_offset + 1;
  }
  ASSERT_GT((*log)->segment_count(), 3u);
  check_reads(**log, all, 1, 3000);
  // After reopening (indexes loaded from their files) the same holds.
  ASSERT_FALSE((*log)->close());
  log->reset();
  auto again = partition_log::open(tmp.path / "r-0", c);
  ASSERT_TRUE(again);
  check_reads(**again, all, 2, 2000);
}

TEST(read_path, DamagedIndexEntriesAreDetectedAndScannedAround) {
  temp_dir tmp;
  log_config c = small_config();
  c.index_interval_bytes = 1024;
  auto dir = tmp.path / "d-0";
  std::vector<stored> all;
  {
    auto log = partition_log::open(dir, c);
    ASSERT_TRUE(log);
    for (int i = 0; i < 40; ++i) {
      auto b = make_batch(3, 500, 1000 + i, static_cast<uint64_t>(i));
      auto r = (*log)->append(b, 1);
      ASSERT_TRUE(r);
      all.push_back({r->base_offset, r->last_offset, b.size()});
    }
    ASSERT_FALSE((*log)->close());
  }
  // Shift a middle entry's position by a few bytes: still structurally valid (increasing), but wrong.
  auto ix = dir / segment_file_name(0, ".index");
  auto bytes = read_file(ix);
  ASSERT_GE(bytes.size(), 8u * 5);
  bytes[8 * 2 + 7] = static_cast<uint8_t>(bytes[8 * 2 + 7] + 3);
  write_file(ix, bytes);
  auto log = partition_log::open(dir, c);
  ASSERT_TRUE(log);
  check_reads(**log, all, 9, 1500);
}

}  // namespace
}  // namespace samsa::storage
