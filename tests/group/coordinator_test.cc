// The coordinator over real partition logs: validation errors, durable commits, reload after a restart,
// COORDINATOR_LOAD_IN_PROGRESS while loading, deletes, expiry, and the record formats.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>

#include "samsa/group/coordinator.h"
#include "samsa/group/errors.h"
#include "samsa/group/offsets_format.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"

namespace samsa::group {
namespace {

namespace fs = std::filesystem;

class fake_backend : public offsets_backend {
 public:
  explicit fake_backend(fs::path dir) : dir_(std::move(dir)) {}
  std::vector<std::shared_ptr<storage::partition_log>> offsets_partitions() override { return logs_; }
  bool create_offsets_topic(int32_t n) override {
    ++creates;
    for (int32_t i = 0; i < n; ++i) {
      auto l = storage::partition_log::open(dir_ / ("__consumer_offsets-" + std::to_string(i)), {});
      if (!l) return false;
      logs_.push_back(std::shared_ptr<storage::partition_log>(std::move(*l)));
    }
    return true;
  }
  // Reopens existing partition directories (a broker restart).
  void reopen(int32_t n) {
    for (auto& l : logs_) l->close();
    logs_.clear();
    for (int32_t i = 0; i < n; ++i) {
      auto l = storage::partition_log::open(dir_ / ("__consumer_offsets-" + std::to_string(i)), {});
      ASSERT_TRUE(l);
      logs_.push_back(std::shared_ptr<storage::partition_log>(std::move(*l)));
    }
  }
  void post(std::function<void()> fn) override {
    std::lock_guard lk(mu_);
    q_.push_back(std::move(fn));
    cv_.notify_all();
  }
  // Runs posted work until `done` holds (or 10 s pass).
  template <typename Pred>
  bool run_until(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      std::function<void()> fn;
      {
        std::unique_lock lk(mu_);
        if (!cv_.wait_until(lk, deadline, [&] { return !q_.empty(); })) return false;
        fn = std::move(q_.front());
        q_.pop_front();
      }
      fn();
    }
    return true;
  }
  size_t queued() {
    std::lock_guard lk(mu_);
    return q_.size();
  }
  std::vector<std::shared_ptr<storage::partition_log>>& logs() { return logs_; }
  int creates = 0;

 private:
  fs::path dir_;
  std::vector<std::shared_ptr<storage::partition_log>> logs_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

struct coord : ::testing::Test {
  fs::path dir;
  std::unique_ptr<fake_backend> be;
  std::unique_ptr<coordinator> c;
  int64_t now = 1'700'000'000'000;
  group_config cfg;

  void SetUp() override {
    dir = fs::temp_directory_path() / ("samsa-group-test-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    be = std::make_unique<fake_backend>(dir);
    cfg.offsets_topic_num_partitions = 4;
    cfg.initial_rebalance_delay_ms = 0;
    make();
  }
  void TearDown() override {
    c.reset();
    for (auto& l : be->logs()) l->close();
    be.reset();
    fs::remove_all(dir);
  }
  void make() { c = std::make_unique<coordinator>(cfg, *be, [this] { return now; }); }
  void restart() {
    c.reset();
    be->reopen(cfg.offsets_topic_num_partitions);
    make();
    c->start();
  }

  join_result join(const std::string& gid, join_request r) {
    std::optional<join_result> out;
    c->join(gid, std::move(r), [&](join_result res) { out = std::move(res); });
    EXPECT_TRUE(out) << "join did not complete synchronously";
    return out.value_or(join_result{});
  }
  static join_request req(int32_t session = 10000) {
    join_request r;
    r.client_id = "cli";
    r.session_timeout_ms = session;
    r.rebalance_timeout_ms = 10000;
    r.protocol_type = "consumer";
    r.protocols.push_back({"range", {0, 1, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff}});
    return r;
  }
  std::vector<int16_t> commit(const std::string& gid, const std::string& member, int32_t gen,
                              std::vector<commit_entry> entries) {
    std::optional<std::vector<int16_t>> out;
    c->commit(gid, member, std::nullopt, gen, std::move(entries), [&](std::vector<int16_t> e) { out = std::move(e); });
    EXPECT_TRUE(be->run_until([&] { return out.has_value(); }));
    return out.value_or(std::vector<int16_t>{});
  }
  static commit_entry ce(std::string topic, int32_t p, int64_t off, std::optional<std::string> md = "m") {
    commit_entry e;
    e.tp = {std::move(topic), p};
    e.offset = off;
    e.metadata = std::move(md);
    return e;
  }
  // A one-member stable group; returns (member id, generation).
  std::pair<std::string, int32_t> stable(const std::string& gid) {
    auto j = join(gid, req());
    EXPECT_EQ(j.error, err::none);
    std::optional<sync_result> s;
    sync_request sr;
    sr.member_id = j.member_id;
    sr.generation = j.generation;
    sr.assignments.push_back({j.member_id, {9, 9}});
    c->sync(gid, sr, [&](sync_result r) { s = std::move(r); });
    EXPECT_TRUE(s && s->error == 0);
    return {j.member_id, j.generation};
  }
};

TEST_F(coord, BadJoins) {
  EXPECT_EQ(join("", req()).error, err::invalid_group_id);
  EXPECT_EQ(join("g", req(0)).error, err::invalid_session_timeout);
  EXPECT_EQ(join("g", req(5999)).error, err::invalid_session_timeout);
  EXPECT_EQ(join("g", req(2'000'000'000)).error, err::invalid_session_timeout);
  auto big = req();
  big.protocols[0].metadata.assign(2 << 20, 0x41);
  EXPECT_EQ(join("g", big).error, err::invalid_request);
  EXPECT_EQ(c->find_group("g"), nullptr);  // nothing was created by the refused joins
  auto unknown = req();
  unknown.member_id = "ghost";
  EXPECT_EQ(join("g", unknown).error, err::unknown_member_id);
  EXPECT_EQ(c->heartbeat("g", "ghost", std::nullopt, 0), err::unknown_member_id);
  EXPECT_EQ(c->heartbeat("", "ghost", std::nullopt, 0), err::invalid_group_id);
  // A good join still works afterwards.
  auto j = join("g", req());
  EXPECT_EQ(j.error, err::none);
  EXPECT_EQ(c->heartbeat("g", "ghost", std::nullopt, j.generation), err::unknown_member_id);
  EXPECT_EQ(c->heartbeat("g", j.member_id, std::nullopt, j.generation), err::none);
  EXPECT_EQ(be->creates, 1);
}

TEST_F(coord, CommitFetchAndReloadAfterRestart) {
  auto [m, gen] = stable("g1");
  auto errs = commit("g1", m, gen, {ce("t", 0, 42), ce("t", 1, 7, std::nullopt), ce("u", 0, 1, std::string(5000, 'x'))});
  EXPECT_EQ(errs, (std::vector<int16_t>{0, 0, err::offset_metadata_too_large}));
  // The commit is durable when answered.
  const auto p = static_cast<size_t>(c->partition_for("g1"));
  EXPECT_GE(be->logs()[p]->durable_offset(), be->logs()[p]->log_end_offset());
  EXPECT_EQ(commit("g1", m, gen + 1, {ce("t", 0, 1)}), (std::vector<int16_t>{err::illegal_generation}));
  EXPECT_EQ(commit("g1", "", -1, {ce("t", 0, 1)}), (std::vector<int16_t>{err::unknown_member_id}));
  EXPECT_EQ(commit("nogroup", "x", 3, {ce("t", 0, 1)}), (std::vector<int16_t>{err::illegal_generation}));
  // Simple commit (no group management).
  EXPECT_EQ(commit("simple", "", -1, {ce("t", 2, 100)}), (std::vector<int16_t>{0}));

  std::vector<std::pair<std::string, std::vector<fetched_offset>>> out;
  EXPECT_EQ(c->fetch_offsets("g1", std::nullopt, out), 0);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].second.size(), 2u);
  EXPECT_EQ(out[0].second[0].offset, 42);
  EXPECT_EQ(out[0].second[0].metadata, "m");
  EXPECT_EQ(out[0].second[1].metadata, "");
  c->fetch_offsets("g1", std::vector<std::pair<std::string, std::vector<int32_t>>>{{"t", {0, 5}}}, out);
  EXPECT_EQ(out[0].second[1].offset, -1);
  EXPECT_EQ(out[0].second[1].error, 0);

  restart();
  // Loading happens in posted steps: meanwhile the groups answer COORDINATOR_LOAD_IN_PROGRESS.
  EXPECT_FALSE(c->fully_loaded());
  EXPECT_EQ(c->heartbeat("g1", m, std::nullopt, gen), err::coordinator_load_in_progress);
  EXPECT_EQ(c->describe("g1").error, err::coordinator_load_in_progress);
  ASSERT_TRUE(be->run_until([&] { return c->fully_loaded(); }));
  EXPECT_EQ(c->committed("g1", {"t", 0})->offset, 42);
  EXPECT_EQ(c->committed("g1", {"t", 1})->offset, 7);
  EXPECT_FALSE(c->committed("g1", {"u", 0}));
  EXPECT_EQ(c->committed("simple", {"t", 2})->offset, 100);
  // Membership came back too: the member may keep heartbeating without a rebalance.
  auto d = c->describe("g1");
  EXPECT_EQ(d.state, "Stable");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].assignment, (std::vector<uint8_t>{9, 9}));
  EXPECT_EQ(c->heartbeat("g1", m, std::nullopt, gen), err::none);
  std::vector<listed_group> groups;
  EXPECT_EQ(c->list(groups), 0);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].group_id, "g1");
  EXPECT_EQ(groups[0].protocol_type, "consumer");
  EXPECT_EQ(groups[1].protocol_type, "");
  EXPECT_EQ(groups[1].state, "Empty");
}

TEST_F(coord, DeleteGroupsAndOffsets) {
  auto [m, gen] = stable("busy");
  commit("busy", m, gen, {ce("t", 0, 5), ce("other", 0, 6)});
  commit("idle", "", -1, {ce("t", 0, 1), ce("t", 1, 2)});
  std::optional<std::vector<int16_t>> res;
  c->delete_groups({"busy", "idle", "nope"}, [&](std::vector<int16_t> e) { res = std::move(e); });
  ASSERT_TRUE(be->run_until([&] { return res.has_value(); }));
  EXPECT_EQ(*res, (std::vector<int16_t>{err::non_empty_group, 0, err::group_id_not_found}));
  EXPECT_EQ(c->find_group("idle"), nullptr);
  // OffsetDelete: a subscribed topic of an active consumer group is refused, others go.
  std::optional<std::pair<int16_t, std::vector<int16_t>>> od;
  c->delete_offsets("busy", {{"t", 0}, {"other", 0}}, [&](int16_t top, std::vector<int16_t> e) {
    od = std::make_pair(top, std::move(e));
  });
  ASSERT_TRUE(be->run_until([&] { return od.has_value(); }));
  EXPECT_EQ(od->first, 0);
  EXPECT_EQ(od->second, (std::vector<int16_t>{err::group_subscribed_to_topic, 0}));
  EXPECT_FALSE(c->committed("busy", {"other", 0}));
  od.reset();
  c->delete_offsets("nope", {{"t", 0}}, [&](int16_t top, std::vector<int16_t> e) { od = std::make_pair(top, e); });
  EXPECT_EQ(od->first, err::group_id_not_found);

  restart();
  ASSERT_TRUE(be->run_until([&] { return c->fully_loaded(); }));
  EXPECT_EQ(c->find_group("idle"), nullptr);
  EXPECT_FALSE(c->committed("busy", {"other", 0}));
  EXPECT_EQ(c->committed("busy", {"t", 0})->offset, 5);
}

TEST_F(coord, OffsetsExpireAfterRetentionOnceTheGroupIsEmpty) {
  commit("simple", "", -1, {ce("t", 0, 1)});
  auto [m, gen] = stable("active");
  commit("active", m, gen, {ce("t", 0, 2)});
  now += cfg.offsets_retention_ms + 1;
  EXPECT_EQ(c->heartbeat("active", m, std::nullopt, gen), 0);
  c->expire_offsets();
  EXPECT_EQ(c->find_group("simple"), nullptr);                // expired, and the empty group went with them
  EXPECT_EQ(c->committed("active", {"t", 0})->offset, 2);     // subscribed by a live member: kept
}

TEST_F(coord, RecordsUseKafkasFormats) {
  auto [m, gen] = stable("fmt");
  commit("fmt", m, gen, {ce("topic", 3, 77)});
  auto& log = *be->logs()[static_cast<size_t>(c->partition_for("fmt"))];
  auto rr = log.read(0, 1 << 20, INT64_MAX);
  ASSERT_TRUE(rr);
  auto bytes = rr->copy_bytes();
  ASSERT_TRUE(bytes);
  int groups = 0, offsets = 0;
  records::for_each_batch(*bytes, [&](const records::batch_view& b) {
    records::for_each_record(b, [&](const records::record_view& r) {
      auto k = decode_key(*r.key);
      ASSERT_TRUE(k);
      if (auto* ok = std::get_if<offset_key>(&*k)) {
        ++offsets;
        EXPECT_EQ((*r.key)[1], 1);  // key version 1
        EXPECT_EQ(ok->topic, "topic");
        EXPECT_EQ(ok->partition, 3);
        auto v = decode_offset_value(*r.value);
        ASSERT_TRUE(v);
        EXPECT_EQ((*r.value)[1], 3);  // value version 3
        EXPECT_EQ(v->offset, 77);
        EXPECT_EQ(v->commit_timestamp, now);
      } else {
        ++groups;
        EXPECT_EQ((*r.key)[1], 2);
        auto s = decode_group_value(*r.value);
        ASSERT_TRUE(s);
        EXPECT_EQ(s->protocol_type, "consumer");
        EXPECT_EQ(s->protocol_name, "range");
        ASSERT_EQ(s->members.size(), 1u);
        EXPECT_EQ(s->members[0].member_id, m);
      }
    });
  });
  EXPECT_EQ(groups, 1);
  EXPECT_EQ(offsets, 1);
  // Partition choice is Kafka's: abs(hashCode) % N.
  EXPECT_EQ(c->partition_for("hello"), 99162322 % 4);
}

TEST_F(coord, MalformedRecordsInTheOffsetsTopicAreSkipped) {
  ASSERT_EQ(c->ensure_offsets_topic(), 0);
  commit("ok", "", -1, {ce("t", 0, 3)});
  auto& log = *be->logs()[static_cast<size_t>(c->partition_for("ok"))];
  records::batch_builder bb;
  bb.add(now, std::string_view("\x00\x07garbage", 9), std::string_view("x"));
  bb.add(now, std::nullopt, std::string_view("no key"));
  auto batch = bb.build();
  ASSERT_TRUE(batch);
  ASSERT_TRUE(log.append(std::span<uint8_t>(*batch), 0));
  restart();
  ASSERT_TRUE(be->run_until([&] { return c->fully_loaded(); }));
  EXPECT_EQ(c->committed("ok", {"t", 0})->offset, 3);
}

}  // namespace
}  // namespace samsa::group
