// Disk-full and fsync-failure behaviour.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <future>

#include "samsa/storage/partition_log.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
const quiet_logs quiet;

class small_tmpfs : public ::testing::Test {
 protected:
  temp_dir tmp;
  fs::path mnt = tmp.path / "mnt";
  bool mounted = false;
  void SetUp() override {
    fs::create_directories(mnt);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
      GTEST_SKIP() << "cannot mount a 1 MiB tmpfs at " << mnt << " (" << std::strerror(errno)
                   << "); needs root / CAP_SYS_ADMIN -- ENOSPC test skipped";
    }
    mounted = true;
  }
  void TearDown() override {
    if (mounted) ::umount2(mnt.c_str(), MNT_DETACH);
  }
};

TEST_F(small_tmpfs, AppendOnFullDiskFailsWithDiskFullAndLogStaysReadableAndRecoverable) {
  auto c = small_config();
  c.segment_bytes = 8 << 20;  // no rolling: fill the one segment
  fs::path dir = mnt / "t-0";
  // Leave a filler file we can delete later to free space.
  {
    std::vector<uint8_t> filler(200 * 1024, 0xaa);
    write_file(mnt / "filler", filler);
  }
  std::vector<std::vector<uint8_t>> ok;
  {
    auto log = partition_log::open(dir, c);
    ASSERT_TRUE(log) << log.error().message();
    std::error_code failure;
    for (int i = 0; i < 200; ++i) {
      auto b = make_batch(16, 1000, 1000 + i, i);  // ~16 KiB
      auto r = (*log)->append(b, 0);
      if (!r) {
        failure = r.error();
        break;
      }
      ok.push_back(b);
    }
    ASSERT_EQ(failure, make_error_code(errc::disk_full)) << "expected ENOSPC within 200 x 16 KiB on a 1 MiB tmpfs";
    ASSERT_GT(ok.size(), 10u);
    const int64_t end = (*log)->log_end_offset();
    EXPECT_EQ(end, static_cast<int64_t>(ok.size()) * 16);
    // Nothing partial was left behind: the file ends at the last complete batch.
    size_t bytes = 0;
    for (auto& b : ok) bytes += b.size();
    EXPECT_EQ(fs::file_size(dir / "00000000000000000000.log"), bytes);
    // Still readable and flushable.
    auto all = read_all(**log);
    ASSERT_EQ(all.size(), ok.size());
    EXPECT_EQ(all.back(), ok.back());
    EXPECT_FALSE((*log)->failure());
    // Repeated attempts keep failing cleanly.
    auto again = make_batch(16, 1000, 1, 1);
    EXPECT_EQ((*log)->append(again, 0).error(), make_error_code(errc::disk_full));
    EXPECT_EQ((*log)->log_end_offset(), end);
    // Free space: appends work again at the right offset.
    fs::remove(mnt / "filler");
    auto more = make_batch(4, 100, 5000, 5);
    auto r = (*log)->append(more, 0);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->base_offset, end);
    ok.push_back(more);
    EXPECT_FALSE((*log)->flush_sync());
  }
  auto log = partition_log::open(dir, c);
  ASSERT_TRUE(log) << log.error().message();
  auto all = read_all(**log);
  ASSERT_EQ(all.size(), ok.size());
  for (size_t i = 0; i < ok.size(); ++i) EXPECT_EQ(all[i], ok[i]);
}

TEST_F(small_tmpfs, RollingOnFullDiskFailsCleanly) {
  auto c = small_config();
  c.segment_bytes = 64 * 1024;
  fs::path dir = mnt / "t-1";
  auto log = partition_log::open(dir, c);
  ASSERT_TRUE(log);
  size_t n = 0;
  std::error_code failure;
  for (int i = 0; i < 400; ++i) {
    auto b = make_batch(8, 1000, 1000 + i, i);
    auto r = (*log)->append(b, 0);
    if (!r) {
      failure = r.error();
      break;
    }
    ++n;
  }
  ASSERT_EQ(failure, make_error_code(errc::disk_full));
  EXPECT_GT((*log)->segment_count(), 3u);
  EXPECT_EQ(read_all(**log).size(), n);
  EXPECT_FALSE((*log)->failure());
}

TEST(fsync_failure, FailedFsyncPoisonsTheLogForWritesButNotReads) {
  temp_dir tmp;
  auto log = partition_log::open(tmp.path / "t-0", small_config());
  ASSERT_TRUE(log);
  auto b = make_batch(3, 10, 1000);
  ASSERT_TRUE((*log)->append(b, 0));
  ASSERT_FALSE((*log)->flush_sync());
  auto before = read_all(**log);
  // Swap the segment's descriptor for /dev/null behind the log's back: fdatasync then fails with EINVAL.
  auto r = (*log)->read(0, 100, INT64_MAX);
  ASSERT_TRUE(r);
  int fd = r->slices[0].fd();
  int dn = ::open("/dev/null", O_RDWR);
  ASSERT_GE(dn, 0);
  // Keep a copy of the real file to restore the descriptor afterwards (so the test can clean up).
  int saved = ::dup(fd);
  ASSERT_EQ(::dup2(dn, fd), fd);
  ::close(dn);
  auto b2 = make_batch(3, 10, 2000);
  ASSERT_TRUE((*log)->append(b2, 0));  // the write "succeeds" into /dev/null
  std::error_code ec = (*log)->flush_sync();
  EXPECT_EQ(ec, make_error_code(errc::log_failed));
  EXPECT_TRUE((*log)->failure());
  // Never retried-and-ignored: later flushes and appends keep failing.
  EXPECT_EQ((*log)->flush_sync(), make_error_code(errc::log_failed));
  auto b3 = make_batch(1, 10, 3000);
  EXPECT_EQ((*log)->append(b3, 0).error(), make_error_code(errc::log_failed));
  EXPECT_EQ((*log)->truncate_to(0).error(), make_error_code(errc::log_failed));
  EXPECT_LT((*log)->durable_offset(), (*log)->log_end_offset());
  ASSERT_EQ(::dup2(saved, fd), fd);
  ::close(saved);
  // Reads still work (the fsynced prefix).
  auto r2 = (*log)->read(0, 100, INT64_MAX);
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2->copy_bytes(), before[0]);
  log->reset();
  // Reopening re-runs recovery: the un-fsynced tail (which never reached the file) is simply absent.
  auto reopened = partition_log::open(tmp.path / "t-0", small_config());
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->log_end_offset(), 3);
}

}  // namespace
}  // namespace samsa::storage
