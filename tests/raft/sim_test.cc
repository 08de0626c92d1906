// Runs the deterministic simulator over many seeds, and proves it catches deliberately planted bugs.
//   SAMSA_RAFT_SEED=N   run only seed N (with its event trace printed on failure)
//   SAMSA_RAFT_SEEDS=K  run seeds 1..K (default below)
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "simulator.h"

namespace samsa::raft {
namespace {

constexpr uint64_t default_seeds = 2000;

uint64_t env_u64(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : def;
}

std::string tail(const std::string& s, size_t lines) {
  size_t pos = s.size();
  for (size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) pos = s.rfind('\n', pos - 1);
  return pos == std::string::npos ? s : s.substr(pos + 1);
}

// Replays a failing seed with tracing on (the run is deterministic, so it fails identically) for the report.
std::string explain(sim::options opt) {
  opt.trace = true;
  auto out = sim::run(opt);
  return tail(out.trace, 60);
}

TEST(SimulatorTest, EveryInvariantHoldsAcrossManySeeds) {
  const uint64_t only = env_u64("SAMSA_RAFT_SEED", 0);
  const uint64_t first = only ? only : 1, last = only ? only : env_u64("SAMSA_RAFT_SEEDS", default_seeds);
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t events = 0, committed = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    sim::options opt;
    opt.seed = seed;
    auto out = sim::run(opt);
    events += out.events;
    committed += out.committed;
    if (!out.ok) {
      ADD_FAILURE() << out.failure << "\nreplay: SAMSA_RAFT_SEED=" << seed
                    << " samsa_raft_tests --gtest_filter=SimulatorTest.*\nlast events:\n" << explain(opt);
      return;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t n = last - first + 1;
  std::printf("simulated %llu seeds in %.1fs (%.0f seeds/s, %llu events, %llu entries committed)\n",
              static_cast<unsigned long long>(n), secs, static_cast<double>(n) / secs,
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(committed));
  EXPECT_GT(committed, n) << "the simulations must actually commit entries";
}

// Each planted bug must be caught within this many seeds.
constexpr uint64_t planted_bug_budget = 3000;  // commit_old_terms is the rarest: about 1 seed in 400

void expect_caught(const char* name, raft::faults f) {
  const uint64_t budget = env_u64("SAMSA_RAFT_BUG_SEEDS", planted_bug_budget);
  for (uint64_t seed = 1; seed <= budget; ++seed) {
    sim::options opt;
    opt.seed = seed;
    opt.faults = f;
    auto out = sim::run(opt);
    if (!out.ok) {
      std::printf("planted bug %s caught at seed %llu: %s\n", name, static_cast<unsigned long long>(seed),
                  out.failure.c_str());
      return;
    }
  }
  ADD_FAILURE() << "the simulator did not catch planted bug " << name << " within " << budget << " seeds";
}

TEST(SimulatorTest, CatchesVoteNotPersistedBeforeReplying) { expect_caught("skip_persist_vote", {.skip_persist_vote = true}); }

TEST(SimulatorTest, CatchesCommittingOldTermEntriesByCounting) {
  expect_caught("commit_old_terms", {.commit_old_terms = true});
}

TEST(SimulatorTest, CatchesVotingWithoutLogUpToDateCheck) {
  expect_caught("vote_without_log_check", {.vote_without_log_check = true});
}

}  // namespace
}  // namespace samsa::raft
