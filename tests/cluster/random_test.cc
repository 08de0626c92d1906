// Deterministic randomized test: random controller commands (registrations, heartbeats and silences, session
// expiry, topic/partition/config changes, ISR changes, elections, controller fail-over) are turned into records and
// appended to a metadata log. After every entry the active controller's image is checked against the invariants;
// several "brokers" then replay the same committed log at their own pace (one of them restarting from snapshots)
// and must hold identical images at equal offsets. A failing seed is printed; rerun it with SAMSA_SEED=<seed>.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "samsa/cluster/controller.h"
#include "samsa/cluster/local_changes.h"
#include "samsa/cluster/partition_rules.h"

namespace samsa::cluster {
namespace {

struct prng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool chance(int percent) { return range(0, 99) < percent; }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[next() % v.size()]; }
};

struct entry {
  int64_t index;
  int64_t term;
  std::string data;
};

// Invariants of one image, and of the step from `prev` to `cur`.
void check_invariants(const metadata_image& prev, const metadata_image& cur, const std::string& where) {
  auto live = [&](broker_id b) { return cur.broker(b) != nullptr && !cur.broker(b)->fenced; };
  for (const auto& [id, t] : cur.topics()) {
    for (const auto& [p, s] : t->partitions) {
      const std::string tp = where + " " + t->name + "-" + samsa::to_string(p);
      if (auto bad = check_partition_invariants(s)) ADD_FAILURE() << tp << ": " << *bad;
      if (s.leader != no_leader) {
        EXPECT_TRUE(live(s.leader)) << tp << ": led by fenced broker " << s.leader;
      } else {
        for (broker_id b : s.isr) EXPECT_FALSE(live(b)) << tp << ": leaderless but ISR member " << b << " is live";
      }
      const partition_state* old = prev.partition(id, p);
      if (old == nullptr) continue;
      EXPECT_EQ(old->replicas, s.replicas) << tp;
      EXPECT_GE(s.leader_epoch, old->leader_epoch) << tp;
      EXPECT_GE(s.partition_epoch, old->partition_epoch) << tp;
      if (!(*old == s)) {
        EXPECT_GT(s.partition_epoch, old->partition_epoch) << tp;
      }
      if (old->leader != s.leader) {
        EXPECT_GT(s.leader_epoch, old->leader_epoch) << tp;
      }
    }
  }
  for (const auto& [id, b] : prev.brokers()) {
    ASSERT_NE(cur.broker(id), nullptr) << where;
    EXPECT_GE(cur.broker(id)->broker_epoch, b.broker_epoch) << where;
  }
}

class simulation {
 public:
  explicit simulation(uint64_t seed) : rng_{seed}, seed_(seed) {
    controller_config cfg;
    cfg.seed = seed;
    cfg.default_replication_factor = 2;
    // Preferred-leader rebalancing runs among the other commands (a check every few steps).
    cfg.leader_imbalance_check_interval_ms = 5000;
    cfg.leader_imbalance_per_broker_percentage = static_cast<int32_t>(seed % 3) * 25;  // 0, 25 or 50 %
    ctl_ = std::make_unique<controller>(cfg);
    images_.push_back(image_);  // images_[i] = image after entry i (index 0: empty)
  }

  void run(int steps) {
    append(ctl_->bootstrap(image_).records);
    for (int i = 0; i < steps && !::testing::Test::HasFatalFailure(); ++i) step();
  }

  const std::vector<entry>& log() const { return log_; }
  const std::vector<metadata_image>& images() const { return images_; }
  int64_t commands() const { return commands_; }

 private:
  void append(const std::vector<metadata_record>& records) {
    if (records.empty()) return;
    entry e{static_cast<int64_t>(log_.size()) + 1, term_, encode_batch(records)};
    auto out = apply_entry(image_, e.index, e.term, e.data);
    ASSERT_FALSE(out.error) << "seed " << seed_ << ": controller wrote an inconsistent batch at " << e.index << ": "
                            << out.error.message();
    check_invariants(image_, out.image, "seed " + std::to_string(seed_) + " index " + std::to_string(e.index));
    image_ = std::move(out.image);
    images_.push_back(image_);
    log_.push_back(std::move(e));
  }
  void noop() {  // a new raft leader's empty entry
    entry e{static_cast<int64_t>(log_.size()) + 1, term_, ""};
    image_ = apply_entry(image_, e.index, e.term, e.data).image;
    images_.push_back(image_);
    log_.push_back(std::move(e));
  }

  std::vector<broker_id> registered() const {
    std::vector<broker_id> out;
    for (const auto& [id, b] : image_.brokers()) out.push_back(id);
    return out;
  }
  std::vector<std::string> topic_names() const {
    std::vector<std::string> out;
    for (const auto& [name, id] : image_.topic_names()) out.push_back(name);
    return out;
  }
  std::string random_name() { return "t" + std::to_string(rng_.range(0, 11)); }

  void step() {
    ++commands_;
    now_ += rng_.range(100, 2500);
    // Brokers heartbeat unless silent; a silent broker stays silent for a while.
    for (broker_id b : registered()) {
      if (rng_.chance(3)) silent_[b] = !silent_[b];
      if (silent_[b] || rng_.chance(10)) continue;
      const auto* r = image_.broker(b);
      const bool lagging = rng_.chance(10);
      append(ctl_->heartbeat(image_, {b, r->broker_epoch, lagging ? -1 : image_.version().offset,
                                      rng_.chance(2), rng_.chance(1)},
                             now_)
                 .records);
    }
    append(ctl_->tick(image_, now_).records);
    append(ctl_->rebalance_leaders(image_, now_).records);

    switch (rng_.range(0, 13)) {
      case 0: {  // (re-)register, sometimes a new incarnation
        const broker_id b = static_cast<broker_id>(rng_.range(1, 6));
        const uint64_t inc = rng_.chance(70) ? 1 : rng_.next();
        std::optional<std::string> rack;
        if (rack_aware_) rack = "r" + std::to_string(b.value() % 3);
        append(ctl_->register_broker(image_, {b, uuid{static_cast<uint64_t>(b.value()), inc}, {{"P", "h", 9092, 0}}, rack}, now_)
                   .records);
        silent_[b] = false;
        break;
      }
      case 1:
      case 2: {
        std::vector<std::pair<std::string, std::optional<std::string>>> cfgs;
        if (rng_.chance(30)) cfgs.push_back({"unclean.leader.election.enable", rng_.chance(50) ? "true" : "false"});
        if (rng_.chance(10)) cfgs.push_back({"retention.ms", rng_.chance(80) ? "1000" : "bad"});
        create_topic_request req{random_name(), static_cast<int32_t>(rng_.range(-1, 4)),
                                 static_cast<int16_t>(rng_.range(-1, 3)), {}, cfgs};
        append(ctl_->create_topics(image_, {req}, rng_.chance(5)).records);
        break;
      }
      case 3: {
        const std::string name = random_name();
        const topic_image* t = image_.topic(name);
        const int32_t cur = t ? static_cast<int32_t>(t->partitions.size()) : 1;
        append(ctl_->create_partitions(image_, {{name, cur + static_cast<int32_t>(rng_.range(-1, 2))}}).records);
        break;
      }
      case 4: append(ctl_->delete_topics(image_, {{random_name()}}).records); break;
      case 5: {
        const std::string name = random_name();
        std::vector<alter_config_op> ops;
        ops.push_back({"unclean.leader.election.enable", rng_.chance(20) ? alter_op::remove : alter_op::set,
                       rng_.chance(50) ? "true" : "false"});
        if (rng_.chance(30)) ops.push_back({"cleanup.policy", alter_op::append, "compact"});
        if (rng_.chance(10)) ops.push_back({"segment.ms", alter_op::set, "0"});  // invalid
        append(ctl_->incremental_alter_configs(image_, {{resource_type::topic, name, ops}}).records);
        break;
      }
      case 6: {
        std::vector<std::pair<std::string, std::string>> cfgs;
        if (rng_.chance(50)) cfgs.push_back({"retention.ms", std::to_string(rng_.range(-1, 100000))});
        append(ctl_->legacy_alter_configs(image_, {{resource_type::topic, random_name(), cfgs}}).records);
        break;
      }
      case 7:
      case 8:
      case 9: alter_isr(); break;
      case 10: {
        const auto type = rng_.chance(70) ? election_type::preferred : election_type::unclean;
        if (rng_.chance(50)) {
          append(ctl_->elect_leaders(image_, type, std::nullopt).records);
        } else {
          append(ctl_->elect_leaders(image_, type, std::vector<topic_partition>{{random_name(), 0}}).records);
        }
        break;
      }
      case 11: {
        auto ids = registered();
        if (ids.empty()) break;
        const broker_id b = rng_.pick(ids);
        append(ctl_->allocate_producer_ids(image_, b, image_.broker(b)->broker_epoch).records);
        break;
      }
      case 12:
        if (rng_.chance(30)) {  // controller fail-over: soft state lost, new raft term, leader's no-op entry
          ctl_ = std::make_unique<controller>(ctl_->config());
          ctl_->reset_sessions(image_, now_);
          ++term_;
          noop();
        }
        break;
      case 13:
        if (rng_.chance(20)) rack_aware_ = !rack_aware_;
        break;
    }
  }

  // A partition leader shrinks or expands its ISR (sometimes with stale epochs, which must be refused).
  void alter_isr() {
    std::vector<std::pair<uuid, partition_id>> led;
    for (const auto& [id, t] : image_.topics())
      for (const auto& [p, s] : t->partitions)
        if (s.leader != no_leader) led.push_back({id, p});
    if (led.empty()) return;
    const auto [id, p] = rng_.pick(led);
    const partition_state s = *image_.partition(id, p);
    std::vector<broker_id> isr{s.leader};
    for (broker_id r : s.replicas) {
      const auto* b = image_.broker(r);
      if (r != s.leader && b && (rng_.chance(10) || !b->fenced) && rng_.chance(60)) isr.push_back(r);
    }
    alter_partition_request req{s.leader, image_.broker(s.leader)->broker_epoch, id, p, s.leader_epoch,
                                s.partition_epoch, isr};
    const bool stale = rng_.chance(15);
    if (stale) req.partition_epoch -= 1;
    auto r = ctl_->alter_partition(image_, req);
    if (stale) {
      EXPECT_EQ(r.response.error.code, err::invalid_update_version) << "seed " << seed_;
      EXPECT_TRUE(r.records.empty());
    }
    append(r.records);
  }

  prng rng_;
  uint64_t seed_;
  std::unique_ptr<controller> ctl_;
  metadata_image image_;
  std::vector<entry> log_;
  std::vector<metadata_image> images_;
  std::map<broker_id, bool> silent_;
  int64_t now_ = 0;
  int64_t term_ = 1;
  int64_t commands_ = 0;
  bool rack_aware_ = false;
};

// Replays the committed log on `brokers` followers at random paces; one of them sometimes restarts from a snapshot
// of its own image. Every image must equal the controller's at the same offset.
void replay_on_brokers(const simulation& sim, uint64_t seed, int brokers) {
  prng rng{seed ^ 0xb0b};
  const auto& log = sim.log();
  const auto& images = sim.images();
  struct follower {
    metadata_image image;
    size_t next = 0;  // index into log
    // The broker's local replicas as its reconciler maintains them from local_changes(): (topic, partition) ->
    // (leads?, leader epoch).
    std::map<std::pair<uuid, partition_id>, std::pair<bool, samsa::leader_epoch>> local;
  };
  std::vector<follower> fs(static_cast<size_t>(brokers));
  auto reconcile = [&](follower& f, broker_id self, const metadata_image& before) {
    for (const auto& c : local_changes(before, f.image, self)) {
      if (c.what == local_replica_change::kind::remove) {
        f.local.erase({c.topic_id, c.partition});
      } else {
        f.local[{c.topic_id, c.partition}] = {c.what == local_replica_change::kind::become_leader,
                                              c.state.leader_epoch};
      }
    }
    std::map<std::pair<uuid, partition_id>, std::pair<bool, samsa::leader_epoch>> expect;
    for (const auto& [id, t] : f.image.topics())
      for (const auto& [p, s] : t->partitions)
        if (std::find(s.replicas.begin(), s.replicas.end(), self) != s.replicas.end())
          expect[{id, p}] = {s.leader == self, s.leader_epoch};
    ASSERT_TRUE(f.local == expect) << "seed " << seed << ": broker " << self << " reconciled wrongly at offset "
                                   << f.image.version().offset;
  };
  while (true) {
    bool all_done = true;
    for (size_t i = 0; i < fs.size(); ++i) {
      auto& f = fs[i];
      const size_t n = static_cast<size_t>(rng.range(0, 7));
      const metadata_image before = f.image;
      for (size_t k = 0; k < n && f.next < log.size(); ++k, ++f.next) {
        const auto& e = log[f.next];
        auto out = apply_entry(f.image, e.index, e.term, e.data);
        ASSERT_FALSE(out.error) << "seed " << seed;
        f.image = std::move(out.image);
        ASSERT_TRUE(f.image == images[f.next + 1]) << "seed " << seed << ": broker " << i << " diverged at offset "
                                                   << e.index;
      }
      reconcile(f, static_cast<broker_id>(i + 1), before);
      if (i == 0 && rng.chance(5)) {  // restart from a snapshot
        auto back = parse_snapshot(serialize_snapshot(f.image));
        ASSERT_TRUE(back) << "seed " << seed;
        ASSERT_TRUE(*back == f.image) << "seed " << seed << ": snapshot differs at offset " << f.image.version().offset;
        f.image = std::move(*back);
      }
      all_done = all_done && f.next == log.size();
    }
    if (all_done) break;
  }
  for (const auto& f : fs) ASSERT_TRUE(f.image == images.back()) << "seed " << seed;
}

std::vector<uint64_t> seeds(int n) {
  if (const char* s = std::getenv("SAMSA_SEED")) return {std::strtoull(s, nullptr, 10)};
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint64_t>(i) * 7919 + 1);
  return out;
}

TEST(RandomizedTest, ReplayedLogsGiveIdenticalImagesAndInvariantsHold) {
  int64_t total_entries = 0;
  for (uint64_t seed : seeds(500)) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    simulation sim(seed);
    sim.run(250);
    if (HasFatalFailure()) return;
    total_entries += static_cast<int64_t>(sim.log().size());
    replay_on_brokers(sim, seed, 3);
    if (HasFailure()) {
      ADD_FAILURE() << "failing seed: " << seed << " (rerun with SAMSA_SEED=" << seed << ")";
      return;
    }
  }
  EXPECT_GT(total_entries, 1000);
}

TEST(RandomizedTest, SameSeedSameLog) {
  simulation a(99), b(99);
  a.run(200);
  b.run(200);
  ASSERT_EQ(a.log().size(), b.log().size());
  for (size_t i = 0; i < a.log().size(); ++i) EXPECT_EQ(a.log()[i].data, b.log()[i].data) << i;
}

TEST(RandomizedTest, ExercisesTheInterestingPaths) {
  // Guard against a generator that never reaches the rules under test.
  int fences = 0, leader_changes = 0, leaderless = 0, topics = 0;
  for (uint64_t seed : seeds(20)) {
    simulation sim(seed);
    sim.run(250);
    for (const auto& e : sim.log()) {
      if (e.data.empty()) continue;
      auto batch = decode_batch(e.data);
      ASSERT_TRUE(batch);
      for (const auto& r : *batch) {
        if (const auto* f = std::get_if<broker_fence_record>(&r); f && f->fenced) ++fences;
        if (const auto* c = std::get_if<partition_change_record>(&r)) {
          ++leader_changes;
          if (c->leader == no_leader) ++leaderless;
        }
        if (std::holds_alternative<topic_record>(r)) ++topics;
      }
    }
  }
  EXPECT_GT(fences, 20);
  EXPECT_GT(leader_changes, 50);
  EXPECT_GT(leaderless, 5);
  EXPECT_GT(topics, 20);
  std::printf("20 seeds: %d fences, %d partition changes (%d leaderless), %d topics\n", fences, leader_changes,
              leaderless, topics);
}

}  // namespace
}  // namespace samsa::cluster
