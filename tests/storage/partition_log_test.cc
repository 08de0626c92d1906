// partition_log: append/read/flush/roll/limits/timestamps/truncate/delete-records/retention/concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
namespace rec = samsa::records;
const quiet_logs quiet;

struct partition_log_test : ::testing::Test {
  temp_dir tmp;
  fs::path dir = tmp.path / "topic-0";
  int64_t clock_ms = 1'700'000'000'000;
  open_options opts() {
    open_options o;
    o.clock = [this] { return clock_ms; };
    return o;
  }
  std::unique_ptr<partition_log> open_log(const log_config& c = small_config()) {
    auto r = partition_log::open(dir, c, opts());
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? std::move(*r) : nullptr;
  }
};

TEST_F(partition_log_test, OpenCreatesDirectoryAndEmptyLog) {
  auto log = open_log();
  EXPECT_TRUE(fs::exists(dir / "00000000000000000000.log"));
  EXPECT_TRUE(fs::exists(dir / "00000000000000000000.index"));
  EXPECT_TRUE(fs::exists(dir / "00000000000000000000.timeindex"));
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->name(), "topic-0");
  EXPECT_EQ(log->topic(), "topic");
  EXPECT_EQ(log->partition(), 0);
}

TEST_F(partition_log_test, OpenRejectsDirectoryNotNamedTopicDashPartition) {
  auto r = partition_log::open(tmp.path / "nopartition", small_config());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::invalid_argument));
}

TEST_F(partition_log_test, AppendAssignsConsecutiveOffsetsAndRewritesHeaderInPlace) {
  auto log = open_log();
  auto b1 = make_batch(3, 10, 1000);
  auto b2 = make_batch(5, 10, 2000);
  auto r1 = log->append(b1, 7);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->base_offset, 0);
  EXPECT_EQ(r1->last_offset, 2);
  EXPECT_EQ(r1->log_append_time, -1);
  auto r2 = log->append(b2, 7);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->base_offset, 3);
  EXPECT_EQ(r2->last_offset, 7);
  EXPECT_EQ(log->log_end_offset(), 8);
  auto v = rec::batch_view::parse(b2);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->base_offset(), 3);
  EXPECT_EQ(v->partition_leader_epoch(), 7);
  EXPECT_FALSE(v->verify_crc());  // the rewritten fields are outside the CRC
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], b1);
  EXPECT_EQ(all[1], b2);
}

TEST_F(partition_log_test, AppendRejectsIncompleteBatch) {
  auto log = open_log();
  auto b = make_batch(3, 10, 1000);
  b.pop_back();
  auto r = log->append(b, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::invalid_batch));
  std::vector<uint8_t> tiny(20);
  EXPECT_EQ(log->append(tiny, 0).error(), make_error_code(errc::invalid_batch));
  EXPECT_EQ(log->log_end_offset(), 0);
}

TEST_F(partition_log_test, GatherAppendWritesManyBatchesWithConsecutiveOffsets) {
  auto log = open_log();
  std::vector<std::vector<uint8_t>> bs;
  for (int i = 0; i < 10; ++i) bs.push_back(make_batch(i + 1, 50, 1000 + i, i));
  std::vector<std::span<uint8_t>> spans(bs.begin(), bs.end());
  auto r = log->append_batches(spans, 3);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->base_offset, 0);
  EXPECT_EQ(r->last_offset, 54);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 10u);
  for (size_t i = 0; i < bs.size(); ++i) EXPECT_EQ(all[i], bs[i]);
}

TEST_F(partition_log_test, LogAppendTimeStampsMaxTimestampAndKeepsCrcValid) {
  auto c = small_config();
  c.log_append_time = true;
  auto log = open_log(c);
  auto b = make_batch(3, 10, 5);
  auto r = log->append(b, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->log_append_time, clock_ms);
  auto v = rec::batch_view::parse(b);
  EXPECT_TRUE(v->timestamp_type_log_append());
  EXPECT_EQ(v->max_timestamp(), clock_ms);
  EXPECT_FALSE(v->verify_crc());
  EXPECT_EQ(log->offset_for_timestamp(clock_ms), 0);
}

TEST_F(partition_log_test, ReadReturnsBatchContainingOffsetWhole) {
  auto log = open_log();
  auto b1 = make_batch(10, 10, 1000);
  auto b2 = make_batch(10, 10, 2000);
  ASSERT_TRUE(log->append(b1, 0));
  ASSERT_TRUE(log->append(b2, 0));
  auto r = log->read(15, 1 << 20, INT64_MAX);
  ASSERT_TRUE(r);
  auto bytes = r->copy_bytes();
  EXPECT_EQ(*bytes, b2);
  EXPECT_EQ(r->slices.size(), 1u);
  EXPECT_GE(r->slices[0].fd(), 0);
}

TEST_F(partition_log_test, ReadFirstBatchIsReturnedWholeEvenWhenLargerThanMaxBytes) {
  auto log = open_log();
  auto big = make_batch(10, 500, 1000);
  auto small = make_batch(1, 5, 2000);
  ASSERT_TRUE(log->append(big, 0));
  ASSERT_TRUE(log->append(small, 0));
  auto r = log->read(0, 10, INT64_MAX);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->total_bytes, big.size());
  EXPECT_EQ(*r->copy_bytes(), big);
}

TEST_F(partition_log_test, ReadStopsBeforeBatchThatWouldExceedMaxBytes) {
  auto log = open_log();
  std::vector<std::vector<uint8_t>> bs;
  for (int i = 0; i < 5; ++i) {
    bs.push_back(make_batch(2, 100, 1000 + i, i));
    ASSERT_TRUE(log->append(bs.back(), 0));
  }
  size_t two = bs[0].size() + bs[1].size();
  auto r = log->read(0, two + bs[2].size() - 1, INT64_MAX);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->total_bytes, two);
}

TEST_F(partition_log_test, ReadNeverIncludesBatchesAtOrAboveUpperBound) {
  auto log = open_log();
  for (int i = 0; i < 5; ++i) {
    auto b = make_batch(2, 10, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
  }
  auto r = log->read(0, 1 << 20, 4);  // batches start at 0,2,4,6,8
  ASSERT_TRUE(r);
  std::vector<int64_t> bases;
  auto bytes = *r->copy_bytes();
  ASSERT_FALSE(rec::for_each_batch(std::span<const uint8_t>(bytes), [&](const rec::batch_view& b) { bases.push_back(b.base_offset()); }));
  EXPECT_EQ(bases, (std::vector<int64_t>{0, 2}));
  auto none = log->read(4, 1 << 20, 4);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->total_bytes, 0u);
  // An upper bound inside a batch still returns the batch that starts below it.
  auto mid = log->read(0, 1 << 20, 5);
  EXPECT_EQ(mid->total_bytes, 3 * make_batch(2, 10, 1000).size());
}

TEST_F(partition_log_test, ReadOutsideLogStartAndEndIsOutOfRange) {
  auto log = open_log();
  auto b = make_batch(3, 10, 1000);
  ASSERT_TRUE(log->append(b, 0));
  EXPECT_EQ(log->read(4, 100, INT64_MAX).error(), make_error_code(errc::out_of_range));
  EXPECT_EQ(log->read(-1, 100, INT64_MAX).error(), make_error_code(errc::out_of_range));
  auto at_end = log->read(3, 100, INT64_MAX);
  ASSERT_TRUE(at_end);
  EXPECT_EQ(at_end->total_bytes, 0u);
}

TEST_F(partition_log_test, RollsWhenSegmentBytesWouldBeExceeded) {
  auto c = small_config();
  c.segment_bytes = 4096;
  auto log = open_log(c);
  std::vector<std::vector<uint8_t>> bs;
  for (int i = 0; i < 20; ++i) {
    bs.push_back(make_batch(2, 400, 1000 + i, i));
    ASSERT_TRUE(log->append(bs.back(), 0));
  }
  EXPECT_GT(log->segment_count(), 4u);
  for (int64_t base : log->segment_base_offsets()) {
    auto p = dir / segment_file_name(base, ".log");
    EXPECT_LE(fs::file_size(p), 4096u);
    EXPECT_TRUE(fs::exists(dir / segment_file_name(base, ".index")));
  }
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), bs.size());
  for (size_t i = 0; i < bs.size(); ++i) EXPECT_EQ(all[i], bs[i]);
}

TEST_F(partition_log_test, RollsWhenSegmentIsOlderThanSegmentMs) {
  auto c = small_config();
  c.segment_ms = 1000;
  auto log = open_log(c);
  auto b = make_batch(1, 10, 1);
  ASSERT_TRUE(log->append(b, 0));
  clock_ms += 500;
  b = make_batch(1, 10, 2);
  ASSERT_TRUE(log->append(b, 0));
  EXPECT_EQ(log->segment_count(), 1u);
  clock_ms += 1000;
  b = make_batch(1, 10, 3);
  ASSERT_TRUE(log->append(b, 0));
  EXPECT_EQ(log->segment_base_offsets(), (std::vector<int64_t>{0, 2}));
}

TEST_F(partition_log_test, RollsWhenIndexIsFull) {
  auto c = small_config();
  c.index_interval_bytes = 1;
  c.segment_index_bytes = 8 * 4;  // four offset entries (two time entries + the final one)
  auto log = open_log(c);
  for (int i = 0; i < 12; ++i) {
    auto b = make_batch(1, 10, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
  }
  EXPECT_GT(log->segment_count(), 2u);
  EXPECT_EQ(read_all(*log).size(), 12u);
}

TEST_F(partition_log_test, SparseIndexHasEntryEveryIndexIntervalBytes) {
  auto c = small_config();
  c.index_interval_bytes = 4096;
  c.segment_bytes = 1 << 20;
  auto log = open_log(c);
  size_t total = 0;
  for (int i = 0; i < 100; ++i) {
    auto b = make_batch(4, 250, 1000 + i, i);
    total += b.size();
    ASSERT_TRUE(log->append(b, 0));
  }
  ASSERT_FALSE(log->close());
  auto idx = read_file(dir / "00000000000000000000.index");
  ASSERT_EQ(idx.size() % 8, 0u);
  size_t entries = idx.size() / 8;
  EXPECT_GE(entries, total / (4096 + 1100) - 1);
  EXPECT_LE(entries, total / 4096 + 1);
  // Entries point at batch starts whose last offset is the entry's offset.
  auto log2 = open_log(c);
  auto data = read_file(dir / "00000000000000000000.log");
  for (size_t i = 0; i < entries; ++i) {
    int32_t rel = be::load<int32_t>(idx.data() + i * 8);
    uint32_t pos = be::load<uint32_t>(idx.data() + i * 8 + 4);
    auto v = rec::batch_view::parse(std::span<const uint8_t>(data).subspan(pos));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->last_offset(), rel);
  }
}

TEST_F(partition_log_test, RandomBatchesReadBackAtRandomOffsets) {
  auto c = small_config();
  c.segment_bytes = 16 * 1024;
  c.index_interval_bytes = 512;
  auto log = open_log(c);
  std::mt19937_64 rng(12345);
  std::vector<std::vector<uint8_t>> bs;
  std::vector<int64_t> bases;
  for (int i = 0; i < 300; ++i) {
    int n = 1 + static_cast<int>(rng() % 20);
    size_t vs = rng() % 300;
    auto codec = (rng() % 4 == 0) ? rec::compression::zstd : rec::compression::none;
    bs.push_back(make_batch(n, vs, 1000 + i * 10, rng(), codec));
    auto r = log->append(bs.back(), 1);
    ASSERT_TRUE(r);
    bases.push_back(r->base_offset);
  }
  const int64_t end = log->log_end_offset();
  for (int k = 0; k < 500; ++k) {
    int64_t off = static_cast<int64_t>(rng() % static_cast<uint64_t>(end));
    size_t max_bytes = 1 + rng() % 20000;
    int64_t ub = (rng() % 3 == 0) ? static_cast<int64_t>(rng() % static_cast<uint64_t>(end + 1)) : INT64_MAX;
    auto r = log->read(off, max_bytes, ub);
    ASSERT_TRUE(r);
    // Expected: the batch containing off, then following ones while they fit and start below ub.
    size_t i = static_cast<size_t>(std::upper_bound(bases.begin(), bases.end(), off) - bases.begin() - 1);
    std::vector<uint8_t> expect;
    for (; i < bs.size(); ++i) {
      if (bases[i] >= ub) break;
      if (!expect.empty() && expect.size() + bs[i].size() > max_bytes) break;
      expect.insert(expect.end(), bs[i].begin(), bs[i].end());
      if (expect.size() >= max_bytes) break;
    }
    ASSERT_EQ(*r->copy_bytes(), expect) << "offset " << off << " max " << max_bytes << " ub " << ub;
  }
}

TEST_F(partition_log_test, OffsetForTimestampFindsFirstRecordAtOrAfterTimestamp) {
  auto c = small_config();
  c.segment_bytes = 4096;
  c.index_interval_bytes = 256;
  auto log = open_log(c);
  // 50 batches of 10 records; batch i has timestamps 10000 + 100*i + j.
  for (int i = 0; i < 50; ++i) {
    auto b = make_batch(10, 100, 10000 + 100 * i, i, i % 2 ? rec::compression::lz4 : rec::compression::none);
    ASSERT_TRUE(log->append(b, 0));
  }
  ASSERT_GT(log->segment_count(), 3u);
  EXPECT_EQ(log->offset_for_timestamp(0), 0);
  EXPECT_EQ(log->offset_for_timestamp(10000), 0);
  EXPECT_EQ(log->offset_for_timestamp(10005), 5);
  EXPECT_EQ(log->offset_for_timestamp(10009), 9);
  EXPECT_EQ(log->offset_for_timestamp(10010), 10);  // gap between batches: first record of the next batch
  EXPECT_EQ(log->offset_for_timestamp(12305), 10 * 23 + 5);
  EXPECT_EQ(log->offset_for_timestamp(12345), 10 * 24);
  EXPECT_EQ(log->offset_for_timestamp(10000 + 100 * 49 + 9), 499);
  EXPECT_EQ(log->offset_for_timestamp(10000 + 100 * 49 + 10), std::nullopt);
  auto found = log->lookup_timestamp(10011);  // between batches: the next record, with its own timestamp
  ASSERT_TRUE(found);
  EXPECT_EQ(found->timestamp, 10100);
  EXPECT_EQ(found->offset, 10);
  auto [ts, off] = log->max_timestamp_and_offset();
  EXPECT_EQ(ts, 10000 + 100 * 49 + 9);
  EXPECT_EQ(off, 499);
}

TEST_F(partition_log_test, OffsetForTimestampWithOutOfOrderTimestamps) {
  auto log = open_log();
  std::vector<int64_t> stamps = {500, 100, 900, 300, 700};
  std::vector<int64_t> first_batch_ts;
  for (size_t i = 0; i < stamps.size(); ++i) {
    auto b = make_batch(2, 1500, stamps[i], i);
    ASSERT_TRUE(log->append(b, 0));
  }
  EXPECT_EQ(log->offset_for_timestamp(200), 0);
  EXPECT_EQ(log->offset_for_timestamp(600), 4);
  EXPECT_EQ(log->offset_for_timestamp(800), 4);
  EXPECT_EQ(log->offset_for_timestamp(901), 5);
  EXPECT_EQ(log->offset_for_timestamp(902), std::nullopt);
  auto [ts, off] = log->max_timestamp_and_offset();
  EXPECT_EQ(ts, 901);
  EXPECT_EQ(off, 5);
}

TEST_F(partition_log_test, MaxTimestampOfEmptyLogIsUnknown) {
  auto log = open_log();
  EXPECT_EQ(log->max_timestamp_and_offset(), (std::pair<int64_t, int64_t>(-1, -1)));
  EXPECT_EQ(log->offset_for_timestamp(0), std::nullopt);
}

TEST_F(partition_log_test, FlushCallsBackAfterFsyncAndAdvancesDurableOffset) {
  auto log = open_log();
  auto b = make_batch(5, 10, 1000);
  ASSERT_TRUE(log->append(b, 0));
  EXPECT_EQ(log->durable_offset(), 0);
  std::promise<std::error_code> p;
  log->flush([&](std::error_code ec) { p.set_value(ec); });
  EXPECT_FALSE(p.get_future().get());
  EXPECT_EQ(log->durable_offset(), 5);
  // The checkpoint is written right after the callbacks ran.
  for (int i = 0; i < 200 && log->recovery_point() < 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(log->recovery_point(), 5);
  auto cp = read_offset_checkpoint(dir / recovery_point_file);
  ASSERT_TRUE(cp);
  EXPECT_EQ(**cp, 5);
}

TEST_F(partition_log_test, GroupCommitCoversConcurrentAppenders) {
  auto log = open_log();
  constexpr int kThreads = 8, kPer = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        auto b = make_batch(2, 20, 1000 + i, t * 1000 + i);
        auto r = log->append(b, 0);
        if (!r) { ++failures; continue; }
        std::promise<std::error_code> p;
        log->flush([&](std::error_code ec) { p.set_value(ec); });
        if (p.get_future().get() || log->durable_offset() <= r->last_offset) ++failures;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(log->log_end_offset(), kThreads * kPer * 2);
  EXPECT_EQ(read_all(*log).size(), static_cast<size_t>(kThreads * kPer));
}

TEST_F(partition_log_test, FlushCallbackMayCallBackIntoTheLog) {
  auto log = open_log();
  auto b = make_batch(4, 10, 1000);
  ASSERT_TRUE(log->append(b, 0));
  std::promise<int64_t> p;
  log->flush([&](std::error_code ec) {
    EXPECT_FALSE(ec);
    auto r = log->truncate_to(2);  // takes the maintenance and flush locks: must not deadlock
    p.set_value(r ? *r : -1);
  });
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(f.get(), 0);  // the batch containing offset 2 starts at 0
}

TEST_F(partition_log_test, FlushMessagesTriggersBackgroundFlush) {
  auto c = small_config();
  c.flush_messages = 10;
  auto log = open_log(c);
  for (int i = 0; i < 4; ++i) {
    auto b = make_batch(3, 10, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
  }
  for (int i = 0; i < 200 && log->durable_offset() < 9; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(log->durable_offset(), 9);
}

TEST_F(partition_log_test, MaybeFlushHonoursFlushMs) {
  auto c = small_config();
  c.flush_ms = 1000;
  auto log = open_log(c);
  auto b = make_batch(3, 10, 1000);
  ASSERT_TRUE(log->append(b, 0));
  log->maybe_flush(clock_ms + 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(log->durable_offset(), 0);
  log->maybe_flush(clock_ms + 2000);
  for (int i = 0; i < 200 && log->durable_offset() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(log->durable_offset(), 3);
}

TEST_F(partition_log_test, ConcurrentReadersSeeOnlyCompleteBatches) {
  auto c = small_config();
  c.segment_bytes = 8192;
  auto log = open_log(c);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done) {
      int64_t end = log->log_end_offset();
      if (end == 0) continue;
      auto r = log->read(0, 1 << 20, INT64_MAX);
      if (!r) { ++bad; continue; }
      auto bytes = r->copy_bytes();
      if (!bytes) continue;  // a segment may be deleted meanwhile (not here)
      auto ec = rec::for_each_batch(std::span<const uint8_t>(*bytes), [&](const rec::batch_view& b) {
        if (b.verify_crc()) ++bad;
      });
      if (ec) ++bad;
    }
  });
  for (int i = 0; i < 400; ++i) {
    auto b = make_batch(3, 100, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
    if (i % 50 == 0) log->flush(nullptr);
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(partition_log_test, TruncateToRemovesEverythingFromOffsetAcrossSegments) {
  auto c = small_config();
  c.segment_bytes = 2048;
  auto log = open_log(c);
  std::vector<std::vector<uint8_t>> bs;
  for (int i = 0; i < 30; ++i) {
    bs.push_back(make_batch(2, 200, 1000 + i, i));
    ASSERT_TRUE(log->append(bs.back(), 4));
  }
  ASSERT_FALSE(log->flush_sync());
  size_t segs = log->segment_count();
  auto r = log->truncate_to(21);  // inside batch 10 (offsets 20,21): the whole batch goes
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 20);
  EXPECT_EQ(log->log_end_offset(), 20);
  EXPECT_LE(log->durable_offset(), 20);
  EXPECT_LT(log->segment_count(), segs);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(all[i], bs[i]);
  for (int64_t base : log->segment_base_offsets()) EXPECT_LT(base, 20);
  // Appends continue at the new end, and a reopen agrees.
  auto b = make_batch(1, 10, 5000);
  auto a = log->append(b, 5);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->base_offset, 20);
  log.reset();
  auto again = open_log(c);
  EXPECT_EQ(again->log_end_offset(), 21);
  EXPECT_EQ(read_all(*again).size(), 11u);
  EXPECT_EQ(again->end_offset_for_epoch(4), std::make_pair(4, int64_t{20}));
}

TEST_F(partition_log_test, TruncateToLogEndOrBeyondIsNoop) {
  auto log = open_log();
  auto b = make_batch(3, 10, 1000);
  ASSERT_TRUE(log->append(b, 0));
  EXPECT_EQ(*log->truncate_to(3), 3);
  EXPECT_EQ(*log->truncate_to(100), 3);
  EXPECT_EQ(read_all(*log).size(), 1u);
}

TEST_F(partition_log_test, TruncateBelowLogStartRestartsLogThere) {
  auto log = open_log();
  for (int i = 0; i < 5; ++i) {
    auto b = make_batch(2, 10, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
  }
  ASSERT_TRUE(log->delete_records_before(6));
  auto r = log->truncate_to(3);
  ASSERT_TRUE(r);
  EXPECT_EQ(log->log_start_offset(), 3);
  EXPECT_EQ(log->log_end_offset(), 3);
  auto b = make_batch(1, 10, 1);
  EXPECT_EQ(log->append(b, 0)->base_offset, 3);
  EXPECT_EQ(log->segment_base_offsets(), (std::vector<int64_t>{3}));
}

TEST_F(partition_log_test, DeleteRecordsBeforeRaisesLogStartAndDropsWholeSegments) {
  auto c = small_config();
  c.segment_bytes = 2048;
  auto log = open_log(c);
  for (int i = 0; i < 30; ++i) {
    auto b = make_batch(2, 200, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
  }
  auto bases = log->segment_base_offsets();
  ASSERT_GT(bases.size(), 3u);
  int64_t target = bases[2] + 1;
  auto r = log->delete_records_before(target);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, target);
  EXPECT_EQ(log->log_start_offset(), target);
  EXPECT_EQ(log->segment_base_offsets().front(), bases[2]);
  EXPECT_FALSE(fs::exists(dir / segment_file_name(bases[0], ".log")));
  EXPECT_EQ(log->read(target - 1, 100, INT64_MAX).error(), make_error_code(errc::out_of_range));
  auto rd = log->read(target, 100, INT64_MAX);
  ASSERT_TRUE(rd);
  EXPECT_GT(rd->total_bytes, 0u);
  EXPECT_EQ(log->delete_records_before(log->log_end_offset() + 1).error(), make_error_code(errc::out_of_range));
  EXPECT_EQ(*log->delete_records_before(0), target);  // never lowers
  log.reset();
  auto again = open_log(c);
  EXPECT_EQ(again->log_start_offset(), target);
}

TEST_F(partition_log_test, RetentionByTimeDeletesOldSegmentsButNeverTheActiveOne) {
  auto c = small_config();
  c.segment_bytes = 2048;
  c.retention_ms = 10'000;
  auto log = open_log(c);
  for (int i = 0; i < 30; ++i) {
    auto b = make_batch(2, 200, clock_ms + i * 1000, i);  // timestamps 1s apart
    ASSERT_TRUE(log->append(b, 0));
  }
  size_t before = log->segment_count();
  EXPECT_EQ(log->apply_retention(clock_ms), 0u);
  size_t n = log->apply_retention(clock_ms + 20'000);  // keeps segments with max ts > now - 10 s
  EXPECT_GT(n, 0u);
  EXPECT_EQ(log->segment_count(), before - n);
  EXPECT_EQ(log->log_start_offset(), log->segment_base_offsets().front());
  // Way later everything but the active segment goes.
  log->apply_retention(clock_ms + 10'000'000);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(read_all(*log).size(), read_all(*log).size());
  EXPECT_GT(log->log_end_offset(), log->log_start_offset());
}

TEST_F(partition_log_test, RetentionBySizeKeepsAtMostRetentionBytes) {
  auto c = small_config();
  c.segment_bytes = 2048;
  c.retention_ms = -1;
  c.retention_bytes = 5000;
  auto log = open_log(c);
  for (int i = 0; i < 40; ++i) {
    auto b = make_batch(2, 200, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
  }
  EXPECT_GT(log->size_bytes(), 5000u);
  EXPECT_GT(log->apply_retention(clock_ms), 0u);
  // Kafka semantics: a segment goes only if the rest still holds >= retention.bytes, so the log keeps at least
  // retention.bytes and less than retention.bytes + one segment.
  EXPECT_GE(log->size_bytes(), 5000u);
  EXPECT_LT(log->size_bytes(), 5000u + 2048);
  auto first = fs::file_size(dir / segment_file_name(log->segment_base_offsets().front(), ".log"));
  EXPECT_LT(log->size_bytes() - first, 5000u);
}

TEST_F(partition_log_test, RetentionDisabledWithoutDeletePolicy) {
  auto c = small_config();
  c.segment_bytes = 2048;
  c.retention_bytes = 1;
  c.delete_ = false;
  auto log = open_log(c);
  for (int i = 0; i < 20; ++i) {
    auto b = make_batch(2, 200, 1000 + i, i);
    ASSERT_TRUE(log->append(b, 0));
  }
  EXPECT_EQ(log->apply_retention(clock_ms + 1'000'000'000), 0u);
}

TEST_F(partition_log_test, ReaderKeepsDeletedSegmentReadableThroughItsSlice) {
  auto c = small_config();
  c.segment_bytes = 2048;
  auto log = open_log(c);
  std::vector<std::vector<uint8_t>> bs;
  for (int i = 0; i < 20; ++i) {
    bs.push_back(make_batch(2, 200, 1000 + i, i));
    ASSERT_TRUE(log->append(bs.back(), 0));
  }
  auto r = log->read(0, 100, INT64_MAX);
  ASSERT_TRUE(r);
  ASSERT_TRUE(log->delete_records_before(log->log_end_offset()));
  EXPECT_FALSE(fs::exists(dir / "00000000000000000000.log"));
  EXPECT_EQ(*r->copy_bytes(), bs[0]);
}

TEST_F(partition_log_test, LeaderEpochCacheTracksEpochStartsAndIsCheckpointed) {
  auto log = open_log();
  for (int epoch : {1, 1, 3, 3, 3, 7}) {
    auto b = make_batch(2, 10, 1000);
    ASSERT_TRUE(log->append(b, epoch));
  }
  EXPECT_EQ(log->latest_epoch(), 7);
  EXPECT_EQ(log->epoch_entries(), (std::vector<epoch_entry>{{1, 0}, {3, 4}, {7, 10}}));
  EXPECT_EQ(log->end_offset_for_epoch(1), std::make_pair(1, int64_t{4}));
  EXPECT_EQ(log->end_offset_for_epoch(2), std::make_pair(1, int64_t{4}));
  EXPECT_EQ(log->end_offset_for_epoch(7), std::make_pair(7, int64_t{12}));
  ASSERT_FALSE(log->close());
  auto text = read_file(dir / leader_epoch_file);
  EXPECT_EQ(std::string(text.begin(), text.end()), "0\n3\n1 0\n3 4\n7 10\n");
}

TEST_F(partition_log_test, CleanShutdownMarkerIsWrittenOnCloseAndRemovedOnOpen) {
  auto c = small_config();
  c.segment_bytes = 4096;
  std::vector<std::vector<uint8_t>> bs;
  {
    auto log = open_log(c);
    for (int i = 0; i < 30; ++i) {
      bs.push_back(make_batch(3, 150, 1000 + i, i));
      ASSERT_TRUE(log->append(bs.back(), 2));
    }
    EXPECT_FALSE(fs::exists(dir / clean_shutdown_file));
    ASSERT_FALSE(log->close());
    EXPECT_TRUE(fs::exists(dir / clean_shutdown_file));
  }
  // A clean reopen trusts the data; a lost index of the active segment is still rebuilt.
  auto log = open_log(c);
  EXPECT_FALSE(fs::exists(dir / clean_shutdown_file));
  ASSERT_EQ(read_all(*log).size(), bs.size());
  auto last_base = log->segment_base_offsets().back();
  ASSERT_FALSE(log->close());
  log.reset();
  fs::remove(dir / segment_file_name(last_base, ".index"));
  auto again = open_log(c);
  auto all = read_all(*again);
  ASSERT_EQ(all.size(), bs.size());
  for (size_t i = 0; i < bs.size(); ++i) EXPECT_EQ(all[i], bs[i]);
  auto b = make_batch(1, 10, 1);
  EXPECT_EQ(again->append(b, 2)->base_offset, 90);
}

TEST_F(partition_log_test, ClosedLogRefusesAppends) {
  auto log = open_log();
  ASSERT_FALSE(log->close());
  auto b = make_batch(1, 10, 1);
  EXPECT_EQ(log->append(b, 0).error(), make_error_code(errc::closed));
}

TEST_F(partition_log_test, ReopenAfterCleanCloseKeepsEverything) {
  auto c = small_config();
  c.segment_bytes = 4096;
  std::vector<std::vector<uint8_t>> bs;
  {
    auto log = open_log(c);
    for (int i = 0; i < 40; ++i) {
      bs.push_back(make_batch(3, 150, 1000 + i, i));
      ASSERT_TRUE(log->append(bs.back(), 2));
    }
  }
  auto log = open_log(c);
  EXPECT_EQ(log->log_end_offset(), 120);
  EXPECT_EQ(log->recovery_point(), 120);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), bs.size());
  for (size_t i = 0; i < bs.size(); ++i) EXPECT_EQ(all[i], bs[i]);
  EXPECT_EQ(log->offset_for_timestamp(1000 + 20), 18 * 3 + 2);  // batch 18 holds 1018..1020
  auto b = make_batch(1, 10, 1);
  EXPECT_EQ(log->append(b, 2)->base_offset, 120);
}

}  // namespace
}  // namespace samsa::storage

namespace samsa::storage {
namespace {

// Property test: random appends (single and gathered), truncations, delete-records, retention, flushes and
// reopenings, checked against a simple model after every step.
class partition_log_property : public ::testing::TestWithParam<uint64_t> {};

TEST_P(partition_log_property, RandomOperationsMatchModel) {
  temp_dir tmp;
  auto dir = tmp.path / "model-0";
  auto c = small_config();
  c.segment_bytes = 3000;
  c.index_interval_bytes = 300;
  c.retention_ms = -1;
  std::mt19937_64 rng(GetParam());
  std::vector<std::vector<uint8_t>> model;  // batches in log order
  int64_t log_start = 0;
  auto end_of = [&]() -> int64_t {
    if (model.empty()) return log_start;
    auto v = records::batch_view::parse(model.back());
    return v->last_offset() + 1;
  };
  auto log = std::move(partition_log::open(dir, c).value());
  for (int step = 0; step < 400; ++step) {
    int op = static_cast<int>(rng() % 100);
    if (op < 55) {
      auto b = make_batch(1 + static_cast<int>(rng() % 5), rng() % 200, 1000 + step, rng());
      ASSERT_TRUE(log->append(b, 1));
      model.push_back(b);
    } else if (op < 65) {
      std::vector<std::vector<uint8_t>> bs;
      for (int i = 0; i < 1 + static_cast<int>(rng() % 4); ++i) bs.push_back(make_batch(2, rng() % 100, 1000 + step, rng()));
      std::vector<std::span<uint8_t>> spans(bs.begin(), bs.end());
      ASSERT_TRUE(log->append(spans, 1));
      for (auto& b : bs) model.push_back(b);
    } else if (op < 72 && !model.empty()) {
      int64_t end = end_of();
      int64_t to = log_start + static_cast<int64_t>(rng() % static_cast<uint64_t>(end - log_start + 1));
      const int64_t leo_before = log->log_end_offset();
      auto r = log->truncate_to(to);
      ASSERT_TRUE(r);
      // Model: drop batches whose last offset >= to.
      while (!model.empty() && records::batch_view::parse(model.back())->last_offset() >= to) model.pop_back();
      if (to <= log_start && model.empty()) log_start = std::min(log_start, to);
      ASSERT_EQ(*r, end_of()) << "step " << step << " to " << to << " log_start " << log_start << " segs " << ::testing::PrintToString(log->segment_base_offsets()) << " leo before " << leo_before << " model " << model.size();
    } else if (op < 78 && !model.empty()) {
      int64_t end = end_of();
      int64_t to = log_start + static_cast<int64_t>(rng() % static_cast<uint64_t>(end - log_start + 1));
      auto r = log->delete_records_before(to);
      ASSERT_TRUE(r);
      log_start = std::max(log_start, to);
      while (!model.empty() && records::batch_view::parse(model.front())->last_offset() < log_start) model.erase(model.begin());
    } else if (op < 85) {
      ASSERT_FALSE(log->flush_sync());
      EXPECT_EQ(log->durable_offset(), log->log_end_offset());
    } else if (op < 92) {
      log.reset();
      log = std::move(partition_log::open(dir, c).value());
    } else {
      log->apply_retention(0);
    }
    ASSERT_EQ(log->log_end_offset(), end_of()) << "step " << step << " op " << op;
    ASSERT_EQ(log->log_start_offset(), log_start) << "step " << step << " op " << op;
    auto all = read_all(*log);
    // The log may still hold (whole) batches that begin below log start; compare from the first one ending at
    // or after log start.
    std::vector<std::vector<uint8_t>> visible;
    for (auto& b : all)
      if (records::batch_view::parse(b)->last_offset() >= log_start) visible.push_back(b);
    ASSERT_EQ(visible.size(), model.size()) << "step " << step << " op " << op;
    for (size_t i = 0; i < model.size(); ++i) ASSERT_EQ(visible[i], model[i]) << "step " << step << " batch " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(seeds, partition_log_property, ::testing::Values(2024u, 7u, 99u, 12345u, 4242u, 31337u));

}  // namespace
}  // namespace samsa::storage
