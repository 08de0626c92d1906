// Simulated power loss through the file_ops seam (sim_disk): random appends with interleaved flush() completions,
// the power cut at a random system call (in the appender, in the flusher, or during recovery), then a reboot from
// what the disk held. Every batch whose flush completed must come back, byte for byte, with dense offsets and
// nothing partial after it; the log must accept appends again.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "samsa/storage/file_ops.h"
#include "samsa/storage/partition_log.h"
#include "sim_disk.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
const quiet_logs quiet;

struct history {
  std::vector<std::vector<uint8_t>> batches;  // every batch whose append returned, in offset order
  int64_t next = 0;                           // offset after the last of them
  std::atomic<int64_t> acked{0};              // offsets below this had their flush() complete without error
};

// Checks the reopened log against the history and forgets batches that did not survive.
void verify_and_trim(const partition_log& log, history& h, const std::string& ctx) {
  auto got = read_all(log);
  ASSERT_LE(got.size(), h.batches.size()) << ctx << ": the log holds batches that were never appended";
  int64_t expect_base = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(base_of(got[i]), expect_base) << ctx << ": offsets not dense at batch " << i;
    ASSERT_EQ(got[i], h.batches[i]) << ctx << ": batch " << i << " differs from what was appended";
    auto bv = records::batch_view::parse(got[i]);
    ASSERT_TRUE(bv);
    expect_base = bv->next_offset();
  }
  EXPECT_EQ(log.log_start_offset(), 0) << ctx;
  EXPECT_EQ(log.log_end_offset(), expect_base) << ctx << ": log end offset disagrees with the batches read";
  ASSERT_GE(expect_base, h.acked.load()) << ctx << ": lost a batch whose flush had completed (recovered up to "
                                         << expect_base << ", acknowledged up to " << h.acked.load() << ")";
  h.batches.resize(got.size());
  h.next = expect_base;
  h.acked = expect_base;  // everything recovered is durable now (recovery fsyncs what it accepts)
}

int iterations() {
  const char* e = std::getenv("SAMSA_POWER_LOSS_ITERATIONS");
  return e ? std::atoi(e) : 300;
}

struct counts {
  int crashed_in_recovery = 0, crashed_in_run = 0, mode_counts[3] = {0, 0, 0};
  int64_t acked_batches_checked = 0;
};

void run_power_loss(uint64_t seed, log_config cfg, counts& c) {
  temp_dir tmp{sim_temp_root()};
  const fs::path dir = tmp.path / "powerloss-0";
  fs::create_directories(dir);
  history h;
  std::mt19937_64 rng(seed);
  const int n = iterations();
  for (int iter = 0; iter < n; ++iter) {
    const std::string ctx = "seed " + std::to_string(seed) + " iteration " + std::to_string(iter);
    if (iter % 25 == 0) {
      // A fresh log now and then keeps the directory small (every iteration snapshots and restores all of it).
      fs::remove_all(dir);
      fs::create_directories(dir);
      h.batches.clear();
      h.next = 0;
      h.acked = 0;
    }
    auto m = static_cast<sim_disk::mode>(rng() % 2);  // power_loss or torn
    ++c.mode_counts[static_cast<int>(m)];
    sim_disk disk(dir, rng());
    disk.crash_at(1 + rng() % 400, m);
    cfg.recovery_point_checkpoint_ms = rng() % 3 == 0 ? 1000 : 0;
    {
      scoped_file_ops seam(&disk);
      auto sched = std::make_shared<flush_scheduler>(1);
      auto opened = partition_log::open(dir, cfg, open_options{sched, {}, nullptr});
      if (!opened || disk.crashed()) {
        ASSERT_TRUE(disk.crashed()) << ctx << ": open failed without a crash: " << opened.error().message();
        ++c.crashed_in_recovery;
        if (opened) opened->reset();
      } else {
        auto& log = **opened;
        verify_and_trim(log, h, ctx);
        if (::testing::Test::HasFatalFailure()) return;
        c.acked_batches_checked += static_cast<int64_t>(h.batches.size());
        const int appends = 20 + static_cast<int>(rng() % 150);
        for (int i = 0; i < appends && !disk.crashed(); ++i) {
          auto b = make_batch(1 + static_cast<int>(rng() % 4), 10 + rng() % 400, 1'700'000'000'000 + iter, rng());
          auto r = log.append(b, 1 + iter / 10);
          if (!r) break;  // the disk died under us
          ASSERT_EQ(r->base_offset, h.next) << ctx;
          h.next = r->last_offset + 1;
          h.batches.push_back(std::move(b));  // append stamped offset and epoch in place: these are the disk bytes
          if (rng() % 4 == 0) {
            const int64_t upto = h.next;
            log.flush([&h, upto](std::error_code ec) {
              if (ec) return;
              int64_t cur = h.acked.load();
              while (cur < upto && !h.acked.compare_exchange_weak(cur, upto)) {
              }
            });
          }
          if (rng() % 64 == 0) std::this_thread::yield();
        }
        if (!disk.crashed()) disk.crash_now(m);
        ++c.crashed_in_run;
        opened->reset();  // close() fails against the dead disk; waits for flush callbacks
      }
    }
    sim_disk::restore(dir, disk.image());
  }
  // Final reboot on the real OS.
  auto log = partition_log::open(dir, cfg);
  ASSERT_TRUE(log) << log.error().message();
  verify_and_trim(**log, h, "final");
  auto b = make_batch(2, 50, 1'700'000'000'000, 1);
  auto r = (*log)->append(b, 99);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->base_offset, h.next);
  EXPECT_FALSE((*log)->flush_sync());
}

TEST(power_loss, EveryFlushedBatchSurvivesAndNothingPartialFollows) {
  log_config cfg = small_config();
  cfg.segment_bytes = 8 * 1024;  // many rolls: creates, renames and directory fsyncs are on the line too
  cfg.index_interval_bytes = 512;
  counts c;
  run_power_loss(0x5eed, cfg, c);
  std::printf("power loss: %d crashes during appends/flushes, %d during recovery; %d drop-unsynced, %d torn; "
              "%lld surviving batches verified\n",
              c.crashed_in_run, c.crashed_in_recovery, c.mode_counts[0], c.mode_counts[1],
              static_cast<long long>(c.acked_batches_checked));
  EXPECT_GT(c.crashed_in_run, 0);
  EXPECT_GT(c.crashed_in_recovery, 0);
}

TEST(power_loss, FlushMessagesAndBigSegments) {
  log_config cfg = small_config();
  cfg.segment_bytes = 1 << 20;
  cfg.flush_messages = 7;  // background flushes without waiters race with the explicit ones
  counts c;
  run_power_loss(0xfeed, cfg, c);
  EXPECT_GT(c.crashed_in_run, 0);
}

// The double itself: unsynced data and directory entries go, synced ones stay.
TEST(power_loss, SimDiskDropsExactlyWhatWasNotSynced) {
  temp_dir tmp{sim_temp_root()};
  fs::path dir = tmp.path / "d";
  fs::create_directories(dir);
  write_file(dir / "old", {1, 2, 3});
  sim_disk disk(dir, 1);
  {
    scoped_file_ops seam(&disk);
    int a = os().open((dir / "a").c_str(), O_RDWR | O_CREAT, 0644);
    uint8_t x[4] = {9, 9, 9, 9};
    struct iovec iov{x, 4};
    ASSERT_EQ(os().pwritev(a, &iov, 1, 0), 4);
    ASSERT_EQ(os().fdatasync(a), 0);
    ASSERT_EQ(os().pwritev(a, &iov, 1, 4), 4);  // unsynced
    ASSERT_EQ(os().fsync_dir(dir.c_str()), 0);
    int b = os().open((dir / "b").c_str(), O_RDWR | O_CREAT, 0644);  // entry never synced
    ASSERT_EQ(os().pwritev(b, &iov, 1, 0), 4);
    ASSERT_EQ(os().fdatasync(b), 0);
    ASSERT_EQ(os().unlink((dir / "old").c_str()), 0);  // unlink never synced
    disk.crash_now(sim_disk::mode::power_loss);
    EXPECT_NE(os().fdatasync(a), 0);
    os().close(a);
    os().close(b);
  }
  sim_disk::restore(dir, disk.image());
  EXPECT_EQ(read_file(dir / "a"), (std::vector<uint8_t>{9, 9, 9, 9}));
  EXPECT_FALSE(fs::exists(dir / "b"));
  EXPECT_EQ(read_file(dir / "old"), (std::vector<uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace samsa::storage
