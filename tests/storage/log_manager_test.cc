// log_manager: data directories, start-up loading, create/get/remove, background flusher and retention.
#include <gtest/gtest.h>

#include <thread>

#include "samsa/storage/log_manager.h"
#include "test_util.h"

namespace samsa::storage {
namespace {

using namespace testing;
const quiet_logs quiet;

struct manager : ::testing::Test {
  temp_dir tmp;
  std::vector<fs::path> dirs{tmp.path / "d1", tmp.path / "d2"};
  std::unique_ptr<log_manager> open_mgr(log_config c = small_config(), manager_options o = {}) {
    auto m = log_manager::open(dirs, c, std::move(o));
    EXPECT_TRUE(m) << m.error().message();
    return m ? std::move(*m) : nullptr;
  }
};

TEST_F(manager, GetOrCreateSpreadsPartitionsOverDataDirectories) {
  auto m = open_mgr();
  for (int p = 0; p < 4; ++p) ASSERT_TRUE(m->get_or_create("orders", p));
  EXPECT_TRUE(fs::exists(dirs[0] / "orders-0"));
  EXPECT_TRUE(fs::exists(dirs[1] / "orders-1"));
  EXPECT_TRUE(fs::exists(dirs[0] / "orders-2"));
  EXPECT_TRUE(fs::exists(dirs[1] / "orders-3"));
  EXPECT_EQ(m->list().size(), 4u);
  auto a = m->get("orders", 2);
  auto b = m->get_or_create("orders", 2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a.get(), b->get());
  EXPECT_EQ(m->get("orders", 9), nullptr);
}

TEST_F(manager, RejectsInvalidTopicNames) {
  auto m = open_mgr();
  EXPECT_EQ(m->get_or_create("../evil", 0).error(), make_error_code(errc::invalid_argument));
  EXPECT_EQ(m->get_or_create("", 0).error(), make_error_code(errc::invalid_argument));
  EXPECT_EQ(m->get_or_create("ok", -1).error(), make_error_code(errc::invalid_argument));
}

TEST_F(manager, StartUpLoadsEveryPartitionInParallel) {
  {
    auto m = open_mgr();
    for (int p = 0; p < 12; ++p) {
      auto l = m->get_or_create(p % 2 ? "a-topic" : "b.topic", p);
      ASSERT_TRUE(l);
      for (int i = 0; i <= p; ++i) {
        auto b = make_batch(2, 50, 1000 + i, i);
        ASSERT_TRUE((*l)->append(b, 1));
      }
    }
  }
  manager_options o;
  o.recovery_threads = 4;
  auto m = open_mgr(small_config(), o);
  ASSERT_EQ(m->list().size(), 12u);
  for (int p = 0; p < 12; ++p) {
    auto l = m->get(p % 2 ? "a-topic" : "b.topic", p);
    ASSERT_TRUE(l) << p;
    EXPECT_EQ(l->log_end_offset(), 2 * (p + 1));
  }
}

TEST_F(manager, RemoveRenamesAndDeletesInTheBackgroundWhileSlicesStayReadable) {
  auto m = open_mgr();
  auto l = *m->get_or_create("gone", 0);
  auto b = make_batch(3, 100, 1000);
  ASSERT_TRUE(l->append(b, 0));
  auto r = l->read(0, 1000, INT64_MAX);
  ASSERT_TRUE(r);
  ASSERT_FALSE(m->remove("gone", 0));
  EXPECT_EQ(m->get("gone", 0), nullptr);
  EXPECT_FALSE(fs::exists(dirs[0] / "gone-0"));
  EXPECT_EQ(m->remove("gone", 0), make_error_code(errc::not_found));
  m->wait_for_deletions();
  for (const auto& e : fs::directory_iterator(dirs[0])) ADD_FAILURE() << "left over: " << e.path();
  EXPECT_EQ(*r->copy_bytes(), b);  // the open descriptor outlives the files
  EXPECT_EQ(l->append(b, 0).error(), make_error_code(errc::closed));
}

TEST_F(manager, LeftoverDeleteDirectoriesAreRemovedAtStartUp) {
  fs::create_directories(dirs[1] / "old-3.0123456789abcdef-delete");
  write_file(dirs[1] / "old-3.0123456789abcdef-delete" / "00000000000000000000.log", {1, 2, 3});
  auto m = open_mgr();
  m->wait_for_deletions();
  EXPECT_FALSE(fs::exists(dirs[1] / "old-3.0123456789abcdef-delete"));
  EXPECT_TRUE(m->list().empty());
}

TEST_F(manager, SamePartitionInTwoDirectoriesFailsStartUp) {
  fs::create_directories(dirs[0] / "dup-0");
  fs::create_directories(dirs[1] / "dup-0");
  auto m = log_manager::open(dirs, small_config());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), make_error_code(errc::corrupt));
}

TEST_F(manager, CorruptPartitionFailsStartUpLoudly) {
  {
    auto m = open_mgr();
    auto l = *m->get_or_create("t", 0);
    auto b = make_batch(3, 100, 1000);
    ASSERT_TRUE(l->append(b, 0));
  }
  auto p = dirs[0] / "t-0" / "00000000000000000000.log";
  auto data = read_file(p);
  data[40] ^= 1;
  write_file(p, data);
  auto m = log_manager::open(dirs, small_config());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), make_error_code(errc::corrupt));
}

TEST_F(manager, BackgroundFlusherHonoursFlushMs) {
  auto c = small_config();
  c.flush_ms = 20;
  manager_options o;
  o.flush_check_interval_ms = 5;
  auto m = open_mgr(c, o);
  auto l = *m->get_or_create("f", 0);
  m->start();
  auto b = make_batch(3, 100, 1000);
  ASSERT_TRUE(l->append(b, 0));
  for (int i = 0; i < 400 && l->durable_offset() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(l->durable_offset(), 3);
  m->stop();
}

TEST_F(manager, BackgroundRetentionDeletesExpiredSegments) {
  auto c = small_config();
  c.segment_bytes = 2048;
  c.retention_ms = 1000;
  manager_options o;
  o.retention_check_interval_ms = 5;
  auto m = open_mgr(c, o);
  auto l = *m->get_or_create("r", 0);
  for (int i = 0; i < 20; ++i) {
    auto b = make_batch(2, 200, 1000 + i, i);  // timestamps from 1970: long expired
    ASSERT_TRUE(l->append(b, 0));
  }
  ASSERT_GT(l->segment_count(), 2u);
  m->start();
  for (int i = 0; i < 400 && l->segment_count() > 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(l->segment_count(), 1u);
  m->stop();
  EXPECT_EQ(l->log_start_offset(), l->segment_base_offsets().front());
}

TEST_F(manager, ConfigForAppliesPerTopicConfigAtStartUp) {
  {
    auto m = open_mgr();
    ASSERT_TRUE(m->get_or_create("compacted", 0));
    ASSERT_TRUE(m->get_or_create("plain", 0));
  }
  manager_options o;
  o.config_for = [](const std::string& topic) {
    auto c = small_config();
    c.compact = topic == "compacted";
    return c;
  };
  auto m = open_mgr(small_config(), o);
  EXPECT_TRUE(m->get("compacted", 0)->config().compact);
  EXPECT_FALSE(m->get("plain", 0)->config().compact);
}

}  // namespace
}  // namespace samsa::storage
