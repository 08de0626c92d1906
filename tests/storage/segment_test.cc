// Unit tests: segment files, header reader, recovery scan and index load.
#include <gtest/gtest.h>

#include <shared_mutex>

#include "samsa/storage/segment.h"
#include "samsa/storage/segment_set.h"
#include "samsa/records/record_batch.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
namespace rec = samsa::records;
const quiet_logs quiet;

struct seg : ::testing::Test {
  temp_dir tmp;
  std::vector<std::vector<uint8_t>> batches;
  std::unique_ptr<segment> make(int64_t base, int n, uint32_t interval = 200) {
    auto s = segment::create(tmp.path, base, 0);
    EXPECT_TRUE(s);
    int64_t off = base;
    for (int i = 0; i < n; ++i) {
      auto b = make_batch(1 + i % 3, 100, 1000 + i * 10, i);
      rec::set_base_offset(b, off);
      auto v = rec::batch_view::parse(b);
      batch_info bi{off, v->last_offset(), v->max_timestamp(), static_cast<uint32_t>(b.size()), 0};
      struct iovec iov{b.data(), b.size()};
      bool unrec = false;
      EXPECT_FALSE((*s)->append(&iov, 1, std::span<const batch_info>(&bi, 1), interval, &unrec));
      off = bi.last_offset + 1;
      batches.push_back(b);
    }
    return std::move(*s);
  }
};

TEST(segment_names, TwentyDigitZeroPaddedBaseOffsets) {
  EXPECT_EQ(segment_file_name(0, ".log"), "00000000000000000000.log");
  EXPECT_EQ(segment_file_name(1234567, ".timeindex"), "00000000000001234567.timeindex");
  EXPECT_EQ(parse_segment_base("00000000000001234567"), 1234567);
  EXPECT_FALSE(parse_segment_base("1234567"));
  EXPECT_FALSE(parse_segment_base("0000000000000123456x"));
}

TEST_F(seg, AppendTracksSizeNextOffsetMaxTimestampAndSparseIndex) {
  auto s = make(100, 20);
  size_t total = 0;
  for (auto& b : batches) total += b.size();
  EXPECT_EQ(s->size(), total);
  EXPECT_EQ(fs::file_size(s->log_path()), total);
  EXPECT_GT(s->index().size(), 3u);
  EXPECT_EQ(s->max_timestamp(), 1000 + 19 * 10 + 19 % 3);
  for (const auto& e : s->index().entries()) {
    header_reader hr(**s->log_file(), s->size());
    auto b = hr.at(e.position);
    ASSERT_TRUE(b && *b);
    EXPECT_EQ((*b)->last_offset, 100 + e.relative_offset);
  }
}

TEST_F(seg, RecoverRebuildsIdenticalIndexesFromTheLog) {
  auto s = make(0, 30);
  auto oi = s->index().entries();
  auto ti = s->tindex().entries();
  int64_t next = s->next_offset();
  auto r = s->recover(200, 0, nullptr, false);
  EXPECT_FALSE(r.bad);
  EXPECT_EQ(r.next_offset, next);
  ASSERT_EQ(s->index().size(), oi.size());
  for (size_t i = 0; i < oi.size(); ++i) {
    EXPECT_EQ(s->index().entries()[i].position, oi[i].position);
    EXPECT_EQ(s->index().entries()[i].relative_offset, oi[i].relative_offset);
  }
  EXPECT_EQ(s->tindex().size(), ti.size());
}

TEST_F(seg, RecoverStopsAtTornTail) {
  auto s = make(0, 10);
  uint64_t full = s->size();
  ASSERT_FALSE((*s->log_file())->truncate(full - 7));
  auto r = s->recover(200, 0, nullptr, false);
  EXPECT_TRUE(r.bad);
  EXPECT_EQ(r.valid_bytes, full - batches.back().size());
}

TEST_F(seg, LoadAcceptsWrittenIndexesAndRejectsIncompleteOnes) {
  auto s = make(0, 40);
  s->on_roll();
  ASSERT_FALSE(s->write_indexes());
  auto next = s->next_offset();
  auto again = segment::open(tmp.path, 0, 0);
  ASSERT_TRUE(again);
  EXPECT_FALSE((*again)->load(next, 200));
  EXPECT_EQ((*again)->next_offset(), next);
  EXPECT_EQ((*again)->max_timestamp(), s->max_timestamp());
  // Drop the last two offset entries: the tail walk notices entries are missing.
  auto idx = read_file(s->index_path());
  idx.resize(idx.size() - 16);
  write_file(s->index_path(), idx);
  EXPECT_TRUE((*again)->load(next, 200));
  // A time index that lost its final entry is also caught.
  ASSERT_FALSE(s->write_indexes());
  auto t = read_file(s->timeindex_path());
  t.resize(t.size() - 12);
  write_file(s->timeindex_path(), t);
  EXPECT_TRUE((*again)->load(next, 200));
}

TEST_F(seg, TruncateToPositionRebuildsState) {
  auto s = make(0, 20);
  auto pos = s->position_of(10);
  ASSERT_TRUE(pos);
  ASSERT_FALSE(s->truncate_to_position(*pos, 200));
  EXPECT_EQ(s->size(), *pos);
  EXPECT_LE(s->next_offset(), 10);
  for (const auto& e : s->index().entries()) EXPECT_LT(e.position, *pos);
}

TEST_F(seg, HeaderReaderRejectsImplausibleHeaders) {
  auto s = make(0, 3);
  auto data = read_file(s->log_path());
  data[16] = 1;  // magic
  write_file(s->log_path(), data);
  header_reader hr(**s->log_file(), data.size());
  EXPECT_FALSE(hr.at(0));
  header_reader past(**s->log_file(), data.size());
  auto end = past.at(data.size());
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
}

// segment::read the way partition_log::read calls it: a snapshot under the lock, then the read without it.
result<segment_read> read_segment(const segment& s, int64_t offset, size_t max_bytes, int64_t upper_bound, bool locate,
                                  read_result& out) {
  std::shared_mutex mu;
  segment_snapshot snap;
  {
    std::shared_lock lk(mu);
    auto taken = s.snapshot(offset, locate, 200);
    if (!taken) return taken.error();
    snap = std::move(*taken);
  }
  return s.read(snap, offset, max_bytes, upper_bound, mu, out);
}

std::vector<uint8_t> joined(const std::vector<std::vector<uint8_t>>& batches, size_t from, size_t to) {
  std::vector<uint8_t> out;
  for (size_t i = from; i < to; ++i) out.insert(out.end(), batches[i].begin(), batches[i].end());
  return out;
}

TEST_F(seg, ReadReturnsWholeBatchesFromTheOneHoldingTheOffsetInOneSlice) {
  auto s = make(100, 30);
  for (size_t k : {size_t{0}, size_t{7}, size_t{29}}) {
    auto v = rec::batch_view::parse(batches[k]);
    for (int64_t off : {v->base_offset(), v->last_offset()}) {
      read_result out;
      auto r = read_segment(*s, off, 1 << 20, INT64_MAX, true, out);
      ASSERT_TRUE(r) << r.error().message();
      EXPECT_FALSE(r->done);
      EXPECT_EQ(r->next_offset, s->next_offset());
      EXPECT_EQ(out.slices.size(), 1u);  // adjacent batches share a slice
      EXPECT_EQ(*out.copy_bytes(), joined(batches, k, batches.size())) << "offset " << off;
    }
  }
}

TEST_F(seg, ReadGivesTheFirstBatchWholeOnlyToAnEmptyResult) {
  auto s = make(0, 10);
  read_result out;
  auto r = read_segment(*s, 0, 1, INT64_MAX, true, out);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->done);
  EXPECT_EQ(*out.copy_bytes(), batches[0]);
  // Continuing a result that already holds data: the next batch does not fit in one more byte.
  const size_t before = out.total_bytes;
  auto v = rec::batch_view::parse(batches[0]);
  auto r2 = read_segment(*s, v->last_offset() + 1, before + 1, INT64_MAX, true, out);
  ASSERT_TRUE(r2);
  EXPECT_TRUE(r2->done);
  EXPECT_EQ(out.total_bytes, before);
  // max_bytes is honoured exactly: three batches fit in their size, two in one byte less.
  const size_t three = batches[0].size() + batches[1].size() + batches[2].size();
  read_result exact, short_by_one;
  ASSERT_TRUE(read_segment(*s, 0, three, INT64_MAX, true, exact));
  EXPECT_EQ(*exact.copy_bytes(), joined(batches, 0, 3));
  ASSERT_TRUE(read_segment(*s, 0, three - 1, INT64_MAX, true, short_by_one));
  EXPECT_EQ(*short_by_one.copy_bytes(), joined(batches, 0, 2));
}

TEST_F(seg, ReadStopsBeforeTheUpperBound) {
  auto s = make(0, 10);
  const int64_t bound = base_of(batches[5]);
  read_result out;
  auto r = read_segment(*s, 0, 1 << 20, bound, true, out);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->done);
  EXPECT_EQ(*out.copy_bytes(), joined(batches, 0, 5));
}

TEST_F(seg, ReadOfALaterSegmentStartsAtItsBeginning) {
  auto s = make(100, 10);
  read_result out;
  auto r = read_segment(*s, 42, 1 << 20, INT64_MAX, false, out);  // the offset the previous segment ended at
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->done);
  EXPECT_EQ(*out.copy_bytes(), joined(batches, 0, batches.size()));
}

TEST_F(seg, LargeReadsJumpingOverIndexedBatchesStillEndOnTheRightBatch) {
  auto s = make(0, 300);
  ASSERT_GT(s->index().size(), 50u);
  for (size_t max_bytes : {size_t{3000}, size_t{20000}, size_t{45678}}) {
    size_t n = 0, total = 0;
    while (n < batches.size() && total + batches[n].size() <= max_bytes) total += batches[n++].size();
    read_result out;
    auto r = read_segment(*s, 0, max_bytes, INT64_MAX, true, out);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->done);
    EXPECT_EQ(*out.copy_bytes(), joined(batches, 0, n)) << "max_bytes " << max_bytes;
  }
}

TEST(segment_set, FloorHigherAndSize) {
  temp_dir tmp;
  segment_set set;
  for (int64_t b : {0, 100, 250}) set.add(segment_set::ptr(std::move(segment::create(tmp.path, b, 0).value())));
  EXPECT_EQ(set.floor(99)->base_offset(), 0);
  EXPECT_EQ(set.floor(100)->base_offset(), 100);
  EXPECT_EQ(set.floor(1000)->base_offset(), 250);
  EXPECT_EQ(set.higher(100)->base_offset(), 250);
  EXPECT_EQ(set.higher(250), nullptr);
  EXPECT_EQ(set.active()->base_offset(), 250);
  EXPECT_EQ(set.count(), 3u);
  set.remove(100);
  EXPECT_EQ(set.higher(0)->base_offset(), 250);
}

}  // namespace
}  // namespace samsa::storage
