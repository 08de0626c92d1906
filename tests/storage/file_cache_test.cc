// Bounded file descriptors: the file_cache (lazy opening, CLOCK eviction, pinning, readers keep descriptors alive)
// and partition logs / the log manager running with many more segments than open descriptors allowed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "samsa/storage/file_cache.h"
#include "samsa/records/compression.h"
#include "samsa/storage/log_manager.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
const quiet_logs quiet;

size_t open_fds() {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

bool fd_valid(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// Lowers the soft RLIMIT_NOFILE for the scope of a test and restores it afterwards.
struct fd_limit {
  rlimit old{};
  explicit fd_limit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &old);
    rlimit l = old;
    l.rlim_cur = std::min<rlim_t>(soft, old.rlim_max);
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &l), 0);
  }
  ~fd_limit() { ::setrlimit(RLIMIT_NOFILE, &old); }
};

struct files : ::testing::Test {
  temp_dir tmp;
  std::vector<fs::path> make_files(int n) {
    std::vector<fs::path> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(tmp.path / ("f" + std::to_string(i)));
      write_file(out.back(), std::vector<uint8_t>(16, static_cast<uint8_t>(i)));
    }
    return out;
  }
};

TEST_F(files, OpensLazilyAndKeepsAtMostTheBound) {
  auto paths = make_files(20);
  auto cache = std::make_shared<file_cache>(5);
  std::vector<std::unique_ptr<cached_file>> fs_;
  for (const auto& p : paths) fs_.push_back(std::make_unique<cached_file>(cache, p));
  EXPECT_EQ(cache->open_count(), 0u);
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < fs_.size(); ++i) {
      auto f = fs_[i]->get();
      ASSERT_TRUE(f) << f.error().message();
      uint8_t b = 0;
      ASSERT_TRUE((*f)->pread_full(3, std::span<uint8_t>(&b, 1)));
      EXPECT_EQ(b, static_cast<uint8_t>(i));
      EXPECT_LE(cache->open_count(), 5u);
    }
  }
  EXPECT_GE(cache->evictions(), 55u);
  fs_.clear();
  EXPECT_EQ(cache->open_count(), 0u);
}

TEST_F(files, PinnedFilesAreNeverClosedAndDoNotBlockEviction) {
  auto paths = make_files(10);
  auto cache = std::make_shared<file_cache>(3);
  std::vector<std::unique_ptr<cached_file>> fs_;
  for (const auto& p : paths) fs_.push_back(std::make_unique<cached_file>(cache, p));
  fs_[0]->set_pinned(true);
  fs_[1]->set_pinned(true);
  ASSERT_TRUE(fs_[0]->get());
  ASSERT_TRUE(fs_[1]->get());
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 2; i < fs_.size(); ++i) {
      ASSERT_TRUE(fs_[i]->get());
      EXPECT_TRUE(fs_[0]->is_open());
      EXPECT_TRUE(fs_[1]->is_open());
      EXPECT_LE(cache->open_count(), 3u);
    }
  }
  EXPECT_EQ(cache->pinned_count(), 2u);
  // Unpinning puts them back under the bound.
  fs_[0]->set_pinned(false);
  fs_[1]->set_pinned(false);
  EXPECT_EQ(cache->pinned_count(), 0u);
  EXPECT_LE(cache->open_count(), 3u);
  // More pinned files than the bound: all stay open; nothing else does.
  for (auto& f : fs_) f->set_pinned(true);
  for (auto& f : fs_) ASSERT_TRUE(f->get());
  EXPECT_EQ(cache->open_count(), 10u);
  for (auto& f : fs_) EXPECT_TRUE(f->is_open());
}

TEST_F(files, EvictionNeverClosesADescriptorAReaderHolds) {
  auto paths = make_files(4);
  auto cache = std::make_shared<file_cache>(1);
  cached_file a(cache, paths[0]), b(cache, paths[1]);
  auto held = a.get();
  ASSERT_TRUE(held);
  const int fd = (*held)->fd();
  ASSERT_TRUE(b.get());  // evicts a
  EXPECT_FALSE(a.is_open());
  EXPECT_TRUE(fd_valid(fd));
  uint8_t x = 0xff;
  ASSERT_TRUE((*held)->pread_full(0, std::span<uint8_t>(&x, 1)));
  EXPECT_EQ(x, 0);
  held = make_error_code(errc::io_error);  // the reader lets go: now the descriptor closes
  EXPECT_FALSE(fd_valid(fd));
}

TEST_F(files, ConcurrentReadersWithATinyBound) {
  auto paths = make_files(16);
  auto cache = std::make_shared<file_cache>(4);
  std::vector<std::unique_ptr<cached_file>> fs_;
  for (const auto& p : paths) fs_.push_back(std::make_unique<cached_file>(cache, p));
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < 5000; ++i) {
        size_t k = rng() % fs_.size();
        auto f = fs_[k]->get();
        uint8_t x = 0;
        if (!f || !(*f)->pread_full(5, std::span<uint8_t>(&x, 1)) || x != static_cast<uint8_t>(k)) ++bad;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(cache->open_count(), 4u);
}

// ---------------------------------------------------------------------------------------------------------------
// Logs with many segments
// ---------------------------------------------------------------------------------------------------------------

log_config tiny_segments() {
  log_config c = small_config();
  c.segment_bytes = 4096;  // ~3 batches of ~1.1 KiB per segment
  c.index_interval_bytes = 1024;
  return c;
}

constexpr int kPartitions = 10;
constexpr size_t kBound = 24;

TEST(many_segments, ThreeHundredSegmentsUnderALowFdLimit) {
  temp_dir tmp;
  std::vector<fs::path> dirs{tmp.path / "d1", tmp.path / "d2"};
  const size_t base_fds = open_fds();
  // Far fewer descriptors than segments: without the cache, opening (or recovering) the logs fails with EMFILE.
  fd_limit limit(base_fds + 80);
  manager_options o;
  o.max_open_segment_files = kBound;
  o.recovery_threads = 2;
  std::map<int, std::vector<std::vector<uint8_t>>> written;
  // Generous slack for transient descriptors (directory fsyncs, index writes, checkpoints) and reads in flight.
  const size_t ceiling = base_fds + kBound + kPartitions + 12;
  size_t peak = 0;
  {
    auto m = log_manager::open(dirs, tiny_segments(), o);
    ASSERT_TRUE(m) << m.error().message();
    for (int round = 0; round < 95; ++round) {
      for (int p = 0; p < kPartitions; ++p) {
        auto l = (*m)->get_or_create("t", p);
        ASSERT_TRUE(l) << l.error().message();
        auto b = make_batch(1, 1000, 1000 + round, static_cast<uint64_t>(round * 100 + p));
        auto r = (*l)->append(b, 1);
        ASSERT_TRUE(r) << r.error().message();
        written[p].push_back(b);
      }
      peak = std::max(peak, open_fds());
    }
    size_t segments = 0;
    for (int p = 0; p < kPartitions; ++p) segments += (*m)->get("t", p)->segment_count();
    EXPECT_GE(segments, 300u);
    // Let the background flushes of rolled segments finish (they unpin them).
    for (int p = 0; p < kPartitions; ++p) ASSERT_FALSE((*m)->get("t", p)->flush_sync());
    // Read everything back, twice, interleaving partitions so the cache keeps cycling.
    for (int pass = 0; pass < 2; ++pass) {
      for (int p = 0; p < kPartitions; ++p) {
        auto got = read_all(*(*m)->get("t", p));
        ASSERT_EQ(got.size(), written[p].size());
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i].size(), written[p][i].size());
          EXPECT_TRUE(std::equal(got[i].begin() + 12, got[i].end(), written[p][i].begin() + 12));
        }
        peak = std::max(peak, open_fds());
      }
    }
    EXPECT_LE((*m)->files()->open_count(), kBound + kPartitions);
    EXPECT_GT((*m)->files()->evictions(), 0u);
    EXPECT_LE(peak, ceiling);
    ASSERT_FALSE((*m)->close());
  }
  // Start-up loads all 300+ segments under the same limit; then read a few offsets from everywhere.
  {
    auto m = log_manager::open(dirs, tiny_segments(), o);
    ASSERT_TRUE(m) << m.error().message();
    peak = std::max(peak, open_fds());
    for (int p = 0; p < kPartitions; ++p) {
      auto l = (*m)->get("t", p);
      ASSERT_TRUE(l);
      EXPECT_EQ(l->log_end_offset(), static_cast<int64_t>(written[p].size()));
      for (int64_t off = 0; off < l->log_end_offset(); off += 7) {
        auto r = l->read(off, 1, INT64_MAX);
        ASSERT_TRUE(r) << r.error().message();
        auto bytes = r->copy_bytes();
        ASSERT_TRUE(bytes);
        EXPECT_EQ(base_of(*bytes), off);
      }
      peak = std::max(peak, open_fds());
    }
    EXPECT_LE(peak, ceiling);
    // Slices keep descriptors alive after the cache closed them: hold slices of every segment of partition 0.
    auto l = (*m)->get("t", 0);
    std::vector<read_result> held;
    for (int64_t off = 0; off < l->log_end_offset(); off += 3) {
      auto r = l->read(off, 1, INT64_MAX);
      ASSERT_TRUE(r);
      held.push_back(std::move(*r));
    }
    for (int p = 1; p < kPartitions; ++p) (void)read_all(*(*m)->get("t", p));  // cycles the cache
    for (const auto& r : held) {
      ASSERT_EQ(r.slices.size(), 1u);
      EXPECT_TRUE(fd_valid(r.slices[0].fd()));
      auto bytes = r.copy_bytes();
      ASSERT_TRUE(bytes);
    }
  }
}

TEST(many_segments, RetentionTruncationAndDeleteRecordsWithClosedSegments) {
  temp_dir tmp;
  auto cache = std::make_shared<file_cache>(2);
  open_options oo;
  oo.files = cache;
  auto c = tiny_segments();
  auto log = partition_log::open(tmp.path / "t-0", c, oo);
  ASSERT_TRUE(log) << log.error().message();
  auto& l = **log;
  for (int i = 0; i < 60; ++i) {
    auto b = make_batch(1, 1000, 1000 + i, static_cast<uint64_t>(i));
    ASSERT_TRUE(l.append(b, 1));
  }
  ASSERT_FALSE(l.flush_sync());
  ASSERT_GE(l.segment_count(), 20u);
  EXPECT_LE(cache->open_count(), 3u);  // 2 + the active one

  // Truncation into a sealed (closed) segment: it becomes the active one again and takes appends.
  auto bases = l.segment_base_offsets();
  const int64_t cut = bases[bases.size() / 2] + 1;
  auto t = l.truncate_to(cut);
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(*t, cut);
  auto b = make_batch(1, 1000, 5000, 99);
  auto r = l.append(b, 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->base_offset, cut);
  auto got = read_all(l);
  ASSERT_EQ(got.size(), static_cast<size_t>(cut + 1));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(base_of(got[i]), static_cast<int64_t>(i));

  // DeleteRecords and retention by size delete closed segments.
  auto ls = l.delete_records_before(10);
  ASSERT_TRUE(ls);
  EXPECT_EQ(l.log_start_offset(), 10);
  auto c2 = c;
  c2.retention_bytes = 8 * 1024;
  l.set_config(c2);
  EXPECT_GT(l.apply_retention(0), 0u);
  EXPECT_LE(l.size_bytes(), 8 * 1024u + 4096u);
  got = read_all(l);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(base_of(got.back()), cut);
  EXPECT_LE(cache->open_count(), 3u);
  // Only segments still in the log remain on disk.
  size_t logs_on_disk = 0;
  for (const auto& e : fs::directory_iterator(tmp.path / "t-0"))
    if (e.path().extension() == ".log") ++logs_on_disk;
  EXPECT_EQ(logs_on_disk, l.segment_count());
  ASSERT_FALSE(l.close());
}

TEST(many_segments, CompactionWithClosedSegments) {
  temp_dir tmp;
  auto cache = std::make_shared<file_cache>(2);
  open_options oo;
  oo.files = cache;
  auto c = tiny_segments();
  c.compact = true;
  c.min_cleanable_dirty_ratio = 0;
  auto log = partition_log::open(tmp.path / "c-0", c, oo);
  ASSERT_TRUE(log);
  auto& l = **log;
  // 8 keys, overwritten again and again across ~20 segments.
  for (int i = 0; i < 64; ++i) {
    records::batch_builder bb;
    bb.add(1000 + i, "key-" + std::to_string(i % 8), std::string(1000, static_cast<char>('a' + i % 26)));
    auto b = bb.build();
    ASSERT_TRUE(b);
    ASSERT_TRUE(l.append(*b, 1));
  }
  ASSERT_FALSE(l.flush_sync());
  ASSERT_GE(l.segment_count(), 15u);
  const uint64_t before = l.size_bytes();
  auto n = l.compact(2000);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_GT(*n, 0u);
  EXPECT_LT(l.size_bytes(), before / 2);
  EXPECT_LE(cache->open_count(), 3u);
  // Every key's latest value is still there, and only those (apart from the active segment's records).
  std::map<std::string, int64_t> latest;
  for (const auto& bytes : read_all(l)) {
    auto bv = records::batch_view::parse(bytes);
    ASSERT_TRUE(bv);
    std::vector<uint8_t> scratch;
    ASSERT_FALSE(records::for_each_record(*bv, scratch, records::default_max_decompressed,
                                          [&](const records::record_view& rv) {
                                            std::string k(reinterpret_cast<const char*>(rv.key->data()), rv.key->size());
                                            latest[k] = bv->base_offset() + rv.offset_delta;
                                          }));
  }
  ASSERT_EQ(latest.size(), 8u);
  for (int k = 0; k < 8; ++k) EXPECT_EQ(latest["key-" + std::to_string(k)], 56 + k);
  ASSERT_FALSE(l.close());
  // Reopens cleanly.
  log->reset();
  auto again = partition_log::open(tmp.path / "c-0", c, oo);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ((*again)->log_end_offset(), 64);
}

}  // namespace
}  // namespace samsa::storage
