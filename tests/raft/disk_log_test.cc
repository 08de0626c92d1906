// disk_log: round trips, torn-tail recovery at every byte, snapshot prefix drop, truncation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "samsa/raft/codec.h"
#include "samsa/raft/disk_log.h"

namespace samsa::raft {
namespace {

namespace fs = std::filesystem;

class DiskLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("samsa_raft_disk_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<entry> entries(index_t from, index_t to, term_t term) {
    std::vector<entry> out;
    for (index_t i = from; i <= to; ++i) out.push_back(entry{term, i, "e" + std::to_string(i)});
    return out;
  }
  disk_log::opened open() {
    auto r = disk_log::open(dir_);
    EXPECT_TRUE(r) << r.error().message();
    return std::move(*r);
  }

  fs::path dir_;
};

TEST_F(DiskLogTest, PersistedStateSurvivesReopen) {
  {
    auto o = open();
    EXPECT_EQ(o.state.entries.size(), 0u);
    ready_batch rd;
    rd.entries = entries(1, 3, 1);
    rd.hard = hard_state{1, 2, 2};
    ASSERT_FALSE(o.log->persist(rd));
  }
  auto o = open();
  EXPECT_EQ(o.state.hard, (hard_state{1, 2, 2}));
  EXPECT_EQ(o.state.entries, entries(1, 3, 1));
}

TEST_F(DiskLogTest, TruncateThenAppendReplacesSuffix) {
  auto o = open();
  ready_batch a;
  a.entries = entries(1, 5, 1);
  ASSERT_FALSE(o.log->persist(a));
  ready_batch b;
  b.truncate_from = 3;
  b.entries = entries(3, 4, 2);
  ASSERT_FALSE(o.log->persist(b));
  auto re = open();
  auto want = entries(1, 2, 1);
  for (auto& e : entries(3, 4, 2)) want.push_back(e);
  EXPECT_EQ(re.state.entries, want);
}

TEST_F(DiskLogTest, TornTailAtEveryByteRecoversTheIntactPrefix) {
  {
    auto o = open();
    ready_batch rd;
    rd.entries = entries(1, 3, 1);
    ASSERT_FALSE(o.log->persist(rd));
  }
  const auto full = fs::file_size(dir_ / "log");
  const auto two = [&] {
    std::string s;
    for (auto& e : entries(1, 2, 1)) {
      std::string p;
      codec::append_entry(p, e);
      s += std::string(8, 'x') + p;
    }
    return s.size();
  }();
  std::ifstream in(dir_ / "log", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  for (uintmax_t cut = two; cut < full; ++cut) {
    std::ofstream(dir_ / "log", std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(cut));
    auto o = open();
    EXPECT_EQ(o.state.entries, entries(1, 2, 1)) << "cut at " << cut;
    EXPECT_EQ(fs::file_size(dir_ / "log"), two) << "the torn tail is cut off";
    // And the log keeps working after recovery.
    ready_batch rd;
    rd.entries = entries(3, 3, 2);
    ASSERT_FALSE(o.log->persist(rd));
    EXPECT_EQ(open().state.entries.back(), (entry{2, 3, "e3"}));
  }
}

TEST_F(DiskLogTest, FlippedByteInLastRecordIsTreatedAsTornTail) {
  {
    auto o = open();
    ready_batch rd;
    rd.entries = entries(1, 2, 1);
    ASSERT_FALSE(o.log->persist(rd));
  }
  {
    std::fstream f(dir_ / "log", std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(-1, std::ios::end);
    f.put('!');
  }
  EXPECT_EQ(open().state.entries, entries(1, 1, 1));
}

TEST_F(DiskLogTest, SnapshotDropsTheCoveredPrefix) {
  {
    auto o = open();
    ready_batch rd;
    rd.entries = entries(1, 5, 1);
    ASSERT_FALSE(o.log->persist(rd));
    ready_batch s;
    s.snapshot = snapshot{3, 1, "state@3"};
    ASSERT_FALSE(o.log->persist(s));
    ready_batch more;
    more.entries = entries(6, 6, 1);
    ASSERT_FALSE(o.log->persist(more));
  }
  auto o = open();
  EXPECT_EQ(o.state.snap, (snapshot{3, 1, "state@3"}));
  EXPECT_EQ(o.state.entries, entries(4, 6, 1));
}

TEST_F(DiskLogTest, RestoredSnapshotBeyondTheLogLeavesAnEmptyLog) {
  {
    auto o = open();
    ready_batch rd;
    rd.entries = entries(1, 2, 1);
    ASSERT_FALSE(o.log->persist(rd));
    ready_batch s;
    s.truncate_from = 11;
    s.snapshot = snapshot{10, 3, "state@10"};
    s.restore_snapshot = true;
    s.entries = entries(11, 11, 3);
    ASSERT_FALSE(o.log->persist(s));
  }
  auto o = open();
  EXPECT_EQ(o.state.snap.index, 10u);
  EXPECT_EQ(o.state.entries, entries(11, 11, 3));
}

TEST_F(DiskLogTest, CorruptHardStateIsAnError) {
  {
    auto o = open();
    ready_batch rd;
    rd.hard = hard_state{4, 1, 0};
    ASSERT_FALSE(o.log->persist(rd));
  }
  {
    std::fstream f(dir_ / "hard_state", std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(6);
    f.put('\x7f');
  }
  EXPECT_EQ(disk_log::open(dir_).error(), make_error_code(errc::corrupt));
}

TEST(CodecTest, MessagesRoundTripAndGarbageIsRejected) {
  message m{.type = msg_type::append, .from = 1, .to = 2, .term = 3, .log_term = 2, .index = 7, .commit = 6,
            .reject = false, .reject_hint = 0, .entries = {entry{3, 8, "x"}, entry{3, 9, ""}},
            .snap = snapshot{5, 2, "s"}};
  const std::string bytes = codec::encode(m);
  auto back = codec::decode_message(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, m);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(codec::decode_message(bytes.substr(0, cut))) << "truncated at " << cut;
  }
  std::string huge = bytes;
  huge[2 + 6 * 8 + 1 + 8] = '\x7f';  // entry count's high byte: far more entries than bytes
  EXPECT_FALSE(codec::decode_message(huge));
}

}  // namespace
}  // namespace samsa::raft
