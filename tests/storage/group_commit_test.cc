// group_commit against a fake log: what a round answers, when it syncs, checkpoints and poisons.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "samsa/storage/group_commit.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
const quiet_logs quiet;

struct fake_log final : group_commit::log_hooks {
  commit_round next;  // what every round covers
  int begun = 0, ended = 0;
  std::error_code poisoned;
  bool due = false;

  commit_round begin_round_locked() override {
    ++begun;
    return next;
  }
  void poison_locked(std::error_code ec) override {
    poisoned = ec;
    next = commit_round{};
    next.answer = make_error_code(errc::log_failed);
  }
  void end_round() override { ++ended; }
  bool flush_due_locked(int64_t) const override { return due; }
};

struct group_commit_test : ::testing::Test {
  temp_dir tmp;
  std::shared_mutex mu;
  fake_log log;
  group_commit commit{log, mu, tmp.path, "t-0", std::make_shared<flush_scheduler>(1)};

  segment_set::ptr active() {
    auto s = segment::create(tmp.path, 0, 0);
    EXPECT_TRUE(s);
    return segment_set::ptr(std::move(*s));
  }
};

TEST_F(group_commit_test, AClosedLogAnswersWithoutSyncingOrCheckpointing) {
  log.next.answer = make_error_code(errc::closed);
  EXPECT_EQ(commit.flush_sync(), make_error_code(errc::closed));
  commit.wait_idle();  // the round's end (checkpoints) comes after its callbacks
  EXPECT_EQ(log.begun, 1);
  EXPECT_EQ(commit.rounds(), 0u);
  EXPECT_EQ(log.ended, 0);
}

TEST_F(group_commit_test, ARoundSyncsAdvancesTheDurableOffsetThenCheckpoints) {
  log.next.open = true;
  log.next.target = 7;
  log.next.active = active();
  log.next.dir_dirty = true;
  EXPECT_FALSE(commit.flush_sync());
  EXPECT_EQ(commit.durable(), 7);  // before the waiters hear of it
  commit.wait_idle();              // the round's end (checkpoints) comes after its callbacks
  EXPECT_EQ(commit.rounds(), 1u);
  EXPECT_EQ(log.ended, 1);
  // Nothing new: no fsync, but the checkpoints still get their chance.
  log.next.dir_dirty = false;
  EXPECT_FALSE(commit.flush_sync());
  commit.wait_idle();
  EXPECT_EQ(commit.rounds(), 1u);
  EXPECT_EQ(log.ended, 2);
}

TEST_F(group_commit_test, AFailedSyncPoisonsTheLogAndIsNeverRetried) {
  auto seg = active();
  auto file = seg->log_file();
  ASSERT_TRUE(file);
  // fdatasync of /dev/null fails (EINVAL): swap it in behind the segment's back.
  const int fd = (*file)->fd();
  const int saved = ::dup(fd);
  const int dn = ::open("/dev/null", O_RDWR);
  ASSERT_GE(dn, 0);
  ASSERT_EQ(::dup2(dn, fd), fd);
  ::close(dn);
  log.next.open = true;
  log.next.target = 3;
  log.next.active = seg;
  EXPECT_EQ(commit.flush_sync(), make_error_code(errc::log_failed));
  commit.wait_idle();
  EXPECT_TRUE(log.poisoned);
  EXPECT_EQ(commit.durable(), 0);
  EXPECT_EQ(log.ended, 0);
  EXPECT_EQ(commit.flush_sync(), make_error_code(errc::log_failed));
  commit.wait_idle();
  EXPECT_EQ(commit.rounds(), 1u);  // the poisoned log's answer comes without another fsync
  ASSERT_EQ(::dup2(saved, fd), fd);
  ::close(saved);
}

TEST_F(group_commit_test, MaybeFlushRunsARoundOnlyWhenTheLogSaysOneIsDue) {
  log.next.answer = make_error_code(errc::closed);
  commit.maybe_flush(0);
  commit.wait_idle();
  EXPECT_EQ(log.begun, 0);
  log.due = true;
  commit.maybe_flush(0);
  commit.wait_idle();
  EXPECT_EQ(log.begun, 1);
}

TEST_F(group_commit_test, EveryQueuedWaiterIsAnswered) {
  log.next.open = true;
  log.next.target = 1;
  log.next.active = active();
  std::atomic<int> answered{0};
  constexpr int n = 200;
  for (int i = 0; i < n; ++i) {
    commit.flush([&](std::error_code ec) {
      EXPECT_FALSE(ec);
      ++answered;
    });
  }
  commit.wait_idle();
  EXPECT_EQ(answered.load(), n);
  EXPECT_EQ(commit.durable(), 1);
}

}  // namespace
}  // namespace samsa::storage
