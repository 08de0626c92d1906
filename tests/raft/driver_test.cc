// Three drivers in one process on loopback: they elect a leader, replicate, and a restarted node recovers its
// state from disk and catches up.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "samsa/raft/driver.h"

namespace samsa::raft {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace std::chrono_literals;

struct recording_sm : state_machine {
  std::vector<std::string> applied;
  index_t last = 0;
  void apply(const entry& e) override {
    applied.push_back(e.data);
    last = e.index;
  }
  void restore(const snapshot& s) override {
    applied.clear();
    last = s.index;
  }
};

class DriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("samsa_raft_driver_" + std::to_string(::getpid()));
    fs::remove_all(base_);
  }
  void TearDown() override {
    for (auto& d : drivers_) {
      if (d) d->stop();
    }
    io_.run_for(100ms);
    drivers_.clear();
    fs::remove_all(base_);
  }

  driver_options options(node_id id, uint16_t port) {
    driver_options o;
    o.raft.id = id;
    o.raft.voters = {1, 2, 3};
    o.raft.election_tick = 10;
    o.raft.heartbeat_tick = 1;
    o.raft.seed = 42 + id;
    o.dir = base_ / std::to_string(id);
    o.listen = asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port);
    o.tick = 10ms;
    return o;
  }

  void start_all() {
    for (node_id id = 1; id <= 3; ++id) {
      auto d = driver::open(io_, options(id, 0), sms_[id - 1]);
      ASSERT_TRUE(d) << d.error().message();
      drivers_.push_back(*d);
      peers_[id] = asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), (*d)->port());
    }
    for (auto& d : drivers_) {
      d->set_peers(peers_);
      d->start();
    }
  }

  // Runs the io_context until pred() holds or the deadline passes.
  template <typename P>
  bool run_until(P pred, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < deadline) io_.run_for(5ms);
    return pred();
  }

  std::shared_ptr<driver> leader() {
    for (auto& d : drivers_) {
      if (d && d->raft().role() == role_kind::leader) return d;
    }
    return nullptr;
  }

  fs::path base_;
  asio::io_context io_;
  recording_sm sms_[3];
  std::vector<std::shared_ptr<driver>> drivers_;
  std::map<node_id, asio::ip::tcp::endpoint> peers_;
};

TEST_F(DriverTest, ThreeNodesElectReplicateAndRecoverAfterRestart) {
  start_all();
  ASSERT_TRUE(run_until([&] { return leader() != nullptr; })) << "no leader elected";
  auto l = leader();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(l->propose("v" + std::to_string(i)));
  const index_t target = l->raft().log().last_index();
  ASSERT_TRUE(run_until([&] { return sms_[0].last >= target && sms_[1].last >= target && sms_[2].last >= target; }));
  EXPECT_EQ(sms_[0].applied, sms_[1].applied);
  EXPECT_EQ(sms_[1].applied, sms_[2].applied);

  // Restart a follower from its directory; it misses two entries while down.
  size_t f = 0;
  while (drivers_[f] == l) ++f;
  const node_id fid = f + 1;
  const term_t term_before = drivers_[f]->raft().term();
  drivers_[f]->stop();
  io_.run_for(50ms);
  drivers_[f].reset();
  ASSERT_TRUE(l->propose("while-down-1"));
  ASSERT_TRUE(l->propose("while-down-2"));
  sms_[f] = recording_sm{};
  auto d = driver::open(io_, options(fid, peers_[fid].port()), sms_[f]);
  ASSERT_TRUE(d) << d.error().message();
  drivers_[f] = *d;
  EXPECT_GE(drivers_[f]->raft().term(), term_before) << "term recovered from disk";
  EXPECT_GE(drivers_[f]->raft().log().last_index(), target) << "log recovered from disk";
  drivers_[f]->set_peers(peers_);
  drivers_[f]->start();
  auto lead = leader();
  ASSERT_TRUE(lead);
  const index_t target2 = lead->raft().log().last_index();
  ASSERT_TRUE(run_until([&] { return sms_[f].last >= target2; }));
  size_t other = (f + 1) % 3;
  ASSERT_TRUE(run_until([&] { return sms_[other].last >= target2; }));
  EXPECT_EQ(sms_[f].applied, sms_[other].applied) << "the restarted node re-applied the same log";
  EXPECT_EQ(sms_[f].applied.back(), "while-down-2");
  for (auto& dr : drivers_) EXPECT_FALSE(dr->failure());
}

}  // namespace
}  // namespace samsa::raft
