// The coordinator over real partition logs: validation errors, durable commits, reload after a restart,
// COORDINATOR_LOAD_IN_PROGRESS while loading, deletes, expiry, and the record formats.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>

#include "samsa/group/coordinator.h"
#include "samsa/group/errors.h"
#include "samsa/group/offsets_format.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"

namespace samsa::group {
namespace {

namespace fs = std::filesystem;

// A single broker's view of __consumer_offsets: partition logs in a temp dir. Creating the topic calls on_created
// (the test makes this broker the leader of the partitions it wants, as broker::on_metadata would).
class fake_backend : public offsets_backend {
 public:
  explicit fake_backend(fs::path dir) : dir_(std::move(dir)) {}
  int32_t offsets_partition_count() override { return static_cast<int32_t>(logs_.size()); }
  std::shared_ptr<storage::partition_log> offsets_partition(int32_t p) override {
    if (p < 0 || static_cast<size_t>(p) >= logs_.size()) return nullptr;
    return logs_[static_cast<size_t>(p)];
  }
  appended append(int32_t p, std::span<uint8_t> batch, int32_t leader_epoch) override {
    auto r = logs_.at(static_cast<size_t>(p))->append(batch, leader_epoch);
    if (!r) return {err::kafka_storage_error, -1};
    return {err::none, r->last_offset};
  }
  void create_offsets_topic(int32_t n) override {
    ++creates;
    if (!logs_.empty()) return;
    for (int32_t i = 0; i < n; ++i) {
      auto l = storage::partition_log::open(dir_ / ("__consumer_offsets-" + std::to_string(i)), {});
      if (!l) return;
      logs_.push_back(std::shared_ptr<storage::partition_log>(std::move(*l)));
    }
    if (on_created) on_created(n);
  }
  // Flushes, then answers `commit_error` (0: committed) through the posted queue, as the broker does.
  void when_committed(int32_t p, int64_t end_offset, std::function<void(kafka_errc)> done) override {
    ++commit_waits;
    last_end_offset = end_offset;
    const kafka_errc e = commit_error;
    logs_.at(static_cast<size_t>(p))->flush([this, e, done = std::move(done)](std::error_code ec) mutable {
      post([e, ec, done = std::move(done)] { done(ec ? err::kafka_storage_error : e); });
    });
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
  int commit_waits = 0;
  int64_t last_end_offset = -1;
  kafka_errc commit_error = kafka_errc::none;
  std::function<void(int32_t)> on_created;

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
    // A single node: this broker leads every partition of the topic it creates.
    be->on_created = [this](int32_t n) {
      for (int32_t p = 0; p < n; ++p)
        if (!not_led.count(p)) c->become_leader(p, 0);
    };
    make();
  }
  std::set<int32_t> not_led;  // partitions another broker leads
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
    for (int32_t p = 0; p < cfg.offsets_topic_num_partitions; ++p)
      if (!not_led.count(p)) c->become_leader(p, 0);
  }
  // A group id whose __consumer_offsets partition is p (and that is not in `avoid`).
  std::string group_in(int32_t p, const std::set<std::string>& avoid = {}) {
    for (int i = 0;; ++i) {
      std::string id = "grp-" + std::to_string(i);
      if (partition_for_group(id, cfg.offsets_topic_num_partitions) == p && !avoid.count(id)) return id;
    }
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
  std::vector<kafka_errc> commit(const std::string& gid, const std::string& member, int32_t gen,
                              std::vector<commit_entry> entries) {
    std::optional<std::vector<kafka_errc>> out;
    c->commit(gid, member, std::nullopt, gen, std::move(entries), [&](std::vector<kafka_errc> e) { out = std::move(e); });
    EXPECT_TRUE(be->run_until([&] { return out.has_value(); }));
    return out.value_or(std::vector<kafka_errc>{});
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
    EXPECT_TRUE(s && s->error == err::none);
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
  EXPECT_EQ(errs, (std::vector<kafka_errc>{err::none, err::none, err::offset_metadata_too_large}));
  // The commit is durable when answered.
  const auto p = static_cast<size_t>(c->partition_for("g1"));
  EXPECT_GE(be->logs()[p]->durable_offset(), be->logs()[p]->log_end_offset());
  EXPECT_EQ(commit("g1", m, gen + 1, {ce("t", 0, 1)}), (std::vector<kafka_errc>{err::illegal_generation}));
  EXPECT_EQ(commit("g1", "", -1, {ce("t", 0, 1)}), (std::vector<kafka_errc>{err::unknown_member_id}));
  EXPECT_EQ(commit("nogroup", "x", 3, {ce("t", 0, 1)}), (std::vector<kafka_errc>{err::illegal_generation}));
  // Simple commit (no group management).
  EXPECT_EQ(commit("simple", "", -1, {ce("t", 2, 100)}), (std::vector<kafka_errc>{err::none}));

  std::vector<std::pair<std::string, std::vector<fetched_offset>>> out;
  EXPECT_EQ(c->fetch_offsets("g1", std::nullopt, out), protocol::kafka_errc::none);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].second.size(), 2u);
  EXPECT_EQ(out[0].second[0].offset, 42);
  EXPECT_EQ(out[0].second[0].metadata, "m");
  EXPECT_EQ(out[0].second[1].metadata, "");
  c->fetch_offsets("g1", std::vector<std::pair<std::string, std::vector<partition_index>>>{{"t", {0, 5}}}, out);
  EXPECT_EQ(out[0].second[1].offset, -1);
  EXPECT_EQ(out[0].second[1].error, protocol::kafka_errc::none);

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
  EXPECT_EQ(c->list(groups), protocol::kafka_errc::none);
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
  std::optional<std::vector<kafka_errc>> res;
  c->delete_groups({"busy", "idle", "nope"}, [&](std::vector<kafka_errc> e) { res = std::move(e); });
  ASSERT_TRUE(be->run_until([&] { return res.has_value(); }));
  EXPECT_EQ(*res, (std::vector<kafka_errc>{err::non_empty_group, err::none, err::group_id_not_found}));
  EXPECT_EQ(c->find_group("idle"), nullptr);
  // OffsetDelete: a subscribed topic of an active consumer group is refused, others go.
  std::optional<std::pair<kafka_errc, std::vector<kafka_errc>>> od;
  c->delete_offsets("busy", {{"t", 0}, {"other", 0}}, [&](kafka_errc top, std::vector<kafka_errc> e) {
    od = std::make_pair(top, std::move(e));
  });
  ASSERT_TRUE(be->run_until([&] { return od.has_value(); }));
  EXPECT_EQ(od->first, protocol::kafka_errc::none);
  EXPECT_EQ(od->second, (std::vector<kafka_errc>{err::group_subscribed_to_topic, err::none}));
  EXPECT_FALSE(c->committed("busy", {"other", 0}));
  od.reset();
  c->delete_offsets("nope", {{"t", 0}}, [&](kafka_errc top, std::vector<kafka_errc> e) { od = std::make_pair(top, e); });
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
  EXPECT_EQ(c->heartbeat("active", m, std::nullopt, gen), protocol::kafka_errc::none);
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
  ASSERT_EQ(c->ensure_offsets_topic(), protocol::kafka_errc::none);
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


TEST_F(coord, UnloadingAPartitionAnswersNotCoordinatorToWaitingMembersAndReloadBringsItBack) {
  ASSERT_EQ(c->ensure_offsets_topic(), protocol::kafka_errc::none);
  const std::string a = group_in(1), b = group_in(1, {a}), other = group_in(2);
  ASSERT_EQ(c->partition_for(a), 1);
  // Group a: stable with m1, then a second member joins and waits for m1 to rejoin.
  auto [m1, gen] = stable(a);
  EXPECT_EQ(commit(a, m1, gen, {ce("t", 0, 11)}), (std::vector<kafka_errc>{err::none}));
  std::optional<join_result> waiting_join;
  c->join(a, req(), [&](join_result r) { waiting_join = std::move(r); });
  EXPECT_FALSE(waiting_join);
  // Group b: a follower waits in SyncGroup for its leader's assignments.
  auto jl = join(b, req());
  std::optional<join_result> jf;
  auto rejoin = req();
  rejoin.member_id = jl.member_id;
  c->join(b, req(), [&](join_result r) { jf = std::move(r); });
  std::optional<join_result> jl2;
  c->join(b, rejoin, [&](join_result r) { jl2 = std::move(r); });
  ASSERT_TRUE(jf && jl2);
  ASSERT_EQ(jf->error, protocol::kafka_errc::none);
  std::optional<sync_result> waiting_sync;
  sync_request sr;
  sr.member_id = jf->member_id;
  sr.generation = jf->generation;
  c->sync(b, sr, [&](sync_result r) { waiting_sync = std::move(r); });
  EXPECT_FALSE(waiting_sync);
  // A group of another partition is not affected.
  auto [mo, geno] = stable(other);

  c->resign(1);
  ASSERT_TRUE(waiting_join);
  EXPECT_EQ(waiting_join->error, err::not_coordinator);
  ASSERT_TRUE(waiting_sync);
  EXPECT_EQ(waiting_sync->error, err::not_coordinator);
  EXPECT_FALSE(c->leads(1));
  EXPECT_EQ(c->find_group(a), nullptr);
  EXPECT_EQ(c->find_group(b), nullptr);
  EXPECT_EQ(c->heartbeat(a, m1, std::nullopt, gen), err::not_coordinator);
  EXPECT_EQ(c->heartbeat(other, mo, std::nullopt, geno), protocol::kafka_errc::none);
  std::vector<listed_group> listed;
  EXPECT_EQ(c->list(listed), protocol::kafka_errc::none);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_id, other);

  // Leading again (a new leader epoch): the partition is replayed from the log, LOAD_IN_PROGRESS meanwhile.
  c->become_leader(1, 1);
  EXPECT_TRUE(c->leads(1));
  EXPECT_EQ(c->heartbeat(a, m1, std::nullopt, gen), err::coordinator_load_in_progress);
  EXPECT_EQ(c->list(listed), err::coordinator_load_in_progress);
  ASSERT_TRUE(be->run_until([&] { return c->fully_loaded(); }));
  EXPECT_EQ(c->committed(a, {"t", 0})->offset, 11);
  EXPECT_EQ(c->describe(a).state, "Stable");  // as of its last stored generation
  EXPECT_EQ(c->heartbeat(a, m1, std::nullopt, gen), protocol::kafka_errc::none);
  // The same epoch again: nothing happens (no reload).
  c->become_leader(1, 1);
  EXPECT_TRUE(c->partition_loaded(1));
  EXPECT_EQ(be->queued(), 0u);
}

TEST_F(coord, GroupsOfPartitionsNotLedHereAnswerNotCoordinator) {
  not_led = {2, 3};
  ASSERT_EQ(c->ensure_offsets_topic(), protocol::kafka_errc::none);
  EXPECT_EQ(c->led_partitions(), (std::vector<int32_t>{0, 1}));
  const std::string mine = group_in(0), theirs = group_in(3);
  auto [m, gen] = stable(mine);
  EXPECT_EQ(join(theirs, req()).error, err::not_coordinator);
  EXPECT_EQ(c->find_group(theirs), nullptr);
  EXPECT_EQ(c->heartbeat(theirs, "x", std::nullopt, 1), err::not_coordinator);
  std::optional<sync_result> s;
  c->sync(theirs, sync_request{}, [&](sync_result r) { s = std::move(r); });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->error, err::not_coordinator);
  EXPECT_EQ(c->leave(theirs, {{"x", std::nullopt}}).first, err::not_coordinator);
  EXPECT_EQ(commit(theirs, "", -1, {ce("t", 0, 1)}), (std::vector<kafka_errc>{err::not_coordinator}));
  std::vector<std::pair<std::string, std::vector<fetched_offset>>> out;
  EXPECT_EQ(c->fetch_offsets(theirs, std::vector<std::pair<std::string, std::vector<partition_index>>>{{"t", {0}}}, out),
            err::not_coordinator);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second[0].error, err::not_coordinator);
  EXPECT_EQ(c->describe(theirs).error, err::not_coordinator);
  std::optional<std::vector<kafka_errc>> del;
  c->delete_groups({theirs, mine}, [&](std::vector<kafka_errc> e) { del = std::move(e); });
  ASSERT_TRUE(be->run_until([&] { return del.has_value(); }));
  EXPECT_EQ(*del, (std::vector<kafka_errc>{err::not_coordinator, err::non_empty_group}));
  std::optional<protocol::kafka_errc> od;
  c->delete_offsets(theirs, {{"t", 0}}, [&](kafka_errc top, std::vector<kafka_errc>) { od = top; });
  ASSERT_TRUE(od);
  EXPECT_EQ(*od, err::not_coordinator);
  // Nothing was written to a partition led elsewhere.
  EXPECT_EQ(be->logs()[3]->log_end_offset(), 0);
  std::vector<listed_group> listed;
  EXPECT_EQ(c->list(listed), protocol::kafka_errc::none);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_id, mine);
  // Becoming its leader makes this broker its coordinator (an empty log: at once).
  c->become_leader(3, 5);
  EXPECT_EQ(join(theirs, req()).error, protocol::kafka_errc::none);
  EXPECT_EQ(c->heartbeat(mine, m, std::nullopt, gen), protocol::kafka_errc::none);
}

TEST_F(coord, NoOffsetsTopicYetMeansCoordinatorNotAvailable) {
  not_led = {0, 1, 2, 3};
  be->on_created = nullptr;
  EXPECT_EQ(c->heartbeat("g", "m", std::nullopt, 1), err::coordinator_not_available);
  EXPECT_EQ(c->describe("g").error, err::coordinator_not_available);
}

TEST_F(coord, CommitsWaitForTheBackendsCommitAndMapItsErrors) {
  ASSERT_EQ(c->ensure_offsets_topic(), protocol::kafka_errc::none);
  const std::string g = group_in(2);
  EXPECT_EQ(commit(g, "", -1, {ce("t", 0, 1)}), (std::vector<kafka_errc>{err::none}));
  EXPECT_EQ(be->commit_waits, 1);
  EXPECT_EQ(be->last_end_offset, be->logs()[2]->log_end_offset());
  // Not committed (replication would say so): Kafka's mapping, and the cached offset stays as it was.
  be->commit_error = err::request_timed_out;
  EXPECT_EQ(commit(g, "", -1, {ce("t", 0, 2)}), (std::vector<kafka_errc>{err::coordinator_not_available}));
  be->commit_error = err::not_leader_or_follower;
  EXPECT_EQ(commit(g, "", -1, {ce("t", 0, 3)}), (std::vector<kafka_errc>{err::not_coordinator}));
  be->commit_error = err::record_list_too_large;
  EXPECT_EQ(commit(g, "", -1, {ce("t", 0, 4)}), (std::vector<kafka_errc>{err::invalid_commit_offset_size}));
  EXPECT_EQ(c->committed(g, {"t", 0})->offset, 1);
  // Leadership lost while the commit waits: NOT_COORDINATOR even though the local log has it.
  be->commit_error = err::none;
  std::optional<std::vector<kafka_errc>> res;
  c->commit(g, "", std::nullopt, -1, {ce("t", 0, 5)}, [&](std::vector<kafka_errc> e) { res = std::move(e); });
  EXPECT_FALSE(res);
  c->resign(2);
  c->become_leader(2, 1);
  ASSERT_TRUE(be->run_until([&] { return res.has_value() && c->fully_loaded(); }));
  EXPECT_EQ(*res, (std::vector<kafka_errc>{err::not_coordinator}));
}
}  // namespace
}  // namespace samsa::group
