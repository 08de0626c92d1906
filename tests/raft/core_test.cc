// Unit tests of raft::core through mem_cluster (elections, pre-vote, check-quorum, conflicts, snapshots, commit rule).
#include <gtest/gtest.h>

#include <algorithm>

#include "mem_cluster.h"
#include "samsa/raft/core.h"

namespace samsa::raft {
namespace {

using testing::mem_cluster;

config base_config() {
  config c;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.seed = 7;
  return c;
}

node_id elect(mem_cluster& c, node_id id) {
  EXPECT_FALSE(c.raft(id).campaign());
  c.stabilize();
  EXPECT_EQ(c.raft(id).role(), role_kind::leader);
  return id;
}

TEST(CoreTest, OpenRejectsInvalidConfigAndCorruptState) {
  config c = base_config();
  c.id = 1;
  c.voters = {2, 3};
  EXPECT_EQ(core::open(c, {}).error(), make_error_code(errc::invalid_argument));
  c.voters = {1, 2, 3};
  persisted_state st;
  st.entries = {entry{1, 2, "gap"}};
  EXPECT_EQ(core::open(c, st).error(), make_error_code(errc::corrupt));
  st.entries = {entry{1, 1, "a"}};
  st.hard.commit = 5;
  EXPECT_EQ(core::open(c, st).error(), make_error_code(errc::corrupt));
}

TEST(CoreTest, SingleVoterLeadsAndCommitsWithoutPeers) {
  mem_cluster c;
  c.add_nodes(1, base_config());
  EXPECT_EQ(c.raft(1).role(), role_kind::leader);
  auto idx = c.raft(1).propose({"x"});
  ASSERT_TRUE(idx);
  c.stabilize();
  EXPECT_EQ(c.raft(1).commit(), *idx);
  EXPECT_EQ(c.node(1).state, (std::vector<std::string>{"", "x"}));  // the leader's no-op, then x
}

TEST(CoreTest, CampaignElectsOneLeaderAndFollowersLearnIt) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 2);
  for (node_id id : {1, 2, 3}) {
    EXPECT_EQ(c.raft(id).term(), 1u);
    EXPECT_EQ(c.raft(id).leader(), 2u);
  }
  EXPECT_EQ(c.raft(1).role(), role_kind::follower);
  EXPECT_EQ(c.raft(3).role(), role_kind::follower);
  EXPECT_EQ(c.raft(1).vote(), 2u);
}

TEST(CoreTest, ProposalsReplicateAndApplyInOrderEverywhere) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  ASSERT_TRUE(c.raft(1).propose({"a", "b"}));
  c.stabilize();
  ASSERT_TRUE(c.raft(1).propose({"c"}));
  c.stabilize();
  for (node_id id : {1, 2, 3}) {
    EXPECT_EQ(c.node(id).state, (std::vector<std::string>{"", "a", "b", "c"})) << "node " << id;
    EXPECT_EQ(c.raft(id).commit(), 4u);
  }
}

TEST(CoreTest, ProposeOnFollowerFailsWithNotLeader) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  EXPECT_EQ(c.raft(2).propose({"x"}).error(), make_error_code(errc::not_leader));
}

TEST(CoreTest, InputsBetweenReadyAndAdvanceAreRefused) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  ASSERT_FALSE(c.raft(1).campaign());
  core& r = c.raft(1);
  ready_batch rd = r.ready();
  EXPECT_EQ(r.tick(), make_error_code(errc::ready_pending));
  EXPECT_EQ(r.step(message{.type = msg_type::heartbeat, .from = 2, .to = 1}), make_error_code(errc::ready_pending));
  r.advance(rd);
  EXPECT_FALSE(r.tick());
}

TEST(CoreTest, ElectionTimeoutIsRandomizedWithinOneToTwoElectionTicks) {
  std::set<int> fired_at;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    mem_cluster c;
    config cfg = base_config();
    cfg.seed = seed * 1000;
    c.add_nodes(3, cfg);
    int t = 0;
    while (c.raft(1).role() == role_kind::follower && t < 100) {
      ASSERT_FALSE(c.raft(1).tick());
      ++t;
    }
    EXPECT_GE(t, cfg.election_tick);
    EXPECT_LT(t, 2 * cfg.election_tick);
    fired_at.insert(t);
  }
  EXPECT_GT(fired_at.size(), 3u) << "timeouts should vary with the seed";
}

TEST(CoreTest, VoteIsRefusedToCandidateWithStaleLog) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  c.partition({{1, 2}, {3}});
  ASSERT_TRUE(c.raft(1).propose({"a"}));
  c.stabilize();
  c.partition({});
  // 3 missed "a": its last entry is older than 1's and 2's, so neither may vote for it.
  c.tick(1, 0);
  config cfg = c.node(3).cfg;
  message req{.type = msg_type::vote, .from = 3, .to = 2, .term = 5, .log_term = 1, .index = 1};
  ASSERT_FALSE(c.raft(2).step(req));  // leader lease: ignored outright
  c.drop();
  // Once the lease has expired, the request is answered — with a rejection.
  for (int i = 0; i < cfg.election_tick; ++i) ASSERT_FALSE(c.raft(2).tick());
  c.drop();
  ASSERT_FALSE(c.raft(2).step(req));
  ready_batch rd = c.raft(2).ready();
  auto it = std::find_if(rd.messages.begin(), rd.messages.end(), [](auto& m) { return m.type == msg_type::vote_resp; });
  ASSERT_NE(it, rd.messages.end());
  EXPECT_TRUE(it->reject);
  c.raft(2).advance(rd);
}

TEST(CoreTest, VoteWithoutLogCheckFaultGrantsStaleCandidate) {
  config cfg = base_config();
  cfg.check_quorum = false;
  cfg.faults.vote_without_log_check = true;
  mem_cluster c;
  c.add_nodes(3, cfg);
  elect(c, 1);
  ASSERT_TRUE(c.raft(1).propose({"a"}));
  c.stabilize();
  ASSERT_FALSE(c.raft(2).step(message{.type = msg_type::vote, .from = 3, .to = 2, .term = 5, .log_term = 0, .index = 0}));
  ready_batch rd = c.raft(2).ready();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_FALSE(rd.messages[0].reject);
  c.raft(2).advance(rd);
}

TEST(CoreTest, PreVotePreventsRejoiningNodeFromDisruptingLeader) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  c.partition({{1, 2}, {3}});
  for (int i = 0; i < 100; ++i) {
    c.tick(3);
    c.deliver();
  }
  c.stabilize();
  EXPECT_EQ(c.raft(3).term(), 1u) << "pre-votes never succeed, so the isolated node must not bump its term";
  c.partition({});
  for (int i = 0; i < 30; ++i) {
    c.tick(1);
    c.stabilize();
  }
  EXPECT_EQ(c.raft(1).role(), role_kind::leader);
  EXPECT_EQ(c.raft(1).term(), 1u);
  EXPECT_EQ(c.raft(3).leader(), 1u);
}

TEST(CoreTest, WithoutPreVoteRejoiningNodeDisruptsLeader) {
  // The counterpart of the test above: it shows what pre-vote buys.
  config cfg = base_config();
  cfg.pre_vote = false;
  cfg.check_quorum = false;
  mem_cluster c;
  c.add_nodes(3, cfg);
  elect(c, 1);
  c.partition({{1, 2}, {3}});
  for (int i = 0; i < 50; ++i) {
    c.tick(3);
    c.deliver();
  }
  c.partition({});
  EXPECT_GT(c.raft(3).term(), 1u);
  for (int i = 0; i < 30; ++i) {
    c.tick(3);
    c.stabilize();
  }
  EXPECT_GT(c.raft(1).term(), 1u) << "3's vote requests for a higher term deposed the healthy leader";
}

TEST(CoreTest, CheckQuorumLeaderStepsDownWithinAnElectionTimeoutWhenIsolated) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  c.partition({{1}, {2, 3}});
  int ticks = 0;
  while (c.raft(1).role() == role_kind::leader && ticks < 100) {
    c.tick(1);
    c.deliver();
    ++ticks;
  }
  EXPECT_EQ(c.raft(1).role(), role_kind::follower);
  EXPECT_LE(ticks, 2 * c.node(1).cfg.election_tick);
  EXPECT_EQ(c.raft(1).term(), 1u) << "stepping down does not bump the term";
}

TEST(CoreTest, ConflictingUncommittedSuffixIsOverwrittenByLeader) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  ASSERT_TRUE(c.raft(1).propose({"a"}));
  c.stabilize();
  // 1 appends "lost1", "lost2" in term 1 but nobody receives them.
  c.partition({{1}, {2, 3}});
  ASSERT_TRUE(c.raft(1).propose({"lost1", "lost2"}));
  c.stabilize();
  EXPECT_EQ(c.raft(1).log().last_index(), 4u);
  // 2 or 3 wins term 2 once 3's lease on leader 1 has expired, and commits "b".
  node_id l = no_node;
  for (int i = 0; i < 100 && l == no_node; ++i) {
    c.tick(2);
    c.tick(3);
    c.stabilize();
    for (node_id id : {2, 3}) {
      if (c.raft(id).role() == role_kind::leader) l = id;
    }
  }
  ASSERT_NE(l, no_node);
  ASSERT_EQ(c.raft(l).term(), 2u);
  ASSERT_TRUE(c.raft(l).propose({"b"}));
  c.stabilize();
  c.partition({});
  for (int i = 0; i < 5; ++i) {
    c.tick(l);
    c.stabilize();
  }
  EXPECT_EQ(c.raft(1).role(), role_kind::follower);
  for (node_id id : {1, 2, 3}) {
    EXPECT_EQ(c.node(id).state, (std::vector<std::string>{"", "a", "", "b"})) << "node " << id;
    EXPECT_EQ(c.raft(id).log().last_index(), 4u);
    EXPECT_EQ(*c.raft(id).log().term_at(4), 2u);
  }
  // Its durable log was cut too, not just the in-memory one.
  EXPECT_EQ(c.node(1).durable.entries.back(), (entry{2, 4, "b"}));
}

TEST(CoreTest, LeaderCommitsOldTermEntriesOnlyThroughOwnTerm) {
  for (bool fault : {false, true}) {
    config cfg = base_config();
    cfg.faults.commit_old_terms = fault;
    mem_cluster c;
    c.add_nodes(3, cfg);
    // Node 1 holds an uncommitted term-1 entry at index 1 and wins term 2.
    for (node_id id : {1, 2, 3}) c.crash(id);
    c.node(1).durable = persisted_state{hard_state{1, 1, 0}, {}, {entry{1, 1, "old"}}};
    c.node(2).durable = persisted_state{hard_state{1, 1, 0}, {}, {}};
    c.node(3).durable = persisted_state{hard_state{1, 1, 0}, {}, {}};
    for (node_id id : {1, 2, 3}) c.restart(id);
    ASSERT_FALSE(c.raft(1).campaign());
    c.stabilize();
    ASSERT_EQ(c.raft(1).role(), role_kind::leader);
    EXPECT_EQ(c.raft(1).commit(), 2u);  // the no-op of term 2 commits, and "old" with it
    // Now: a peer acknowledges only index 1 (the old entry) in term 2.
    core& r = c.raft(1);
    ASSERT_FALSE(r.step(message{.type = msg_type::append_resp, .from = 2, .to = 1, .term = 2, .index = 1}));
    EXPECT_EQ(r.commit(), 2u);
  }
}

TEST(CoreTest, CountingDoesNotCommitOldTermEntryBeforeNoOpReplicates) {
  for (bool fault : {false, true}) {
    config cfg = base_config();
    cfg.faults.commit_old_terms = fault;
    config c1 = cfg;
    c1.id = 1;
    c1.voters = {1, 2, 3};
    auto opened = core::open(c1, persisted_state{hard_state{1, 1, 0}, {}, {entry{1, 1, "old"}}});
    ASSERT_TRUE(opened);
    core r = std::move(*opened);
    ASSERT_FALSE(r.campaign());  // pre-vote
    ASSERT_FALSE(r.step(message{.type = msg_type::pre_vote_resp, .from = 2, .to = 1, .term = 2}));
    ASSERT_FALSE(r.step(message{.type = msg_type::vote_resp, .from = 2, .to = 1, .term = 2}));
    ASSERT_EQ(r.role(), role_kind::leader);
    r.advance(r.ready());
    // Peer 2 has durably stored index 1 (term 1) but not the term-2 no-op at index 2.
    ASSERT_FALSE(r.step(message{.type = msg_type::append_resp, .from = 2, .to = 1, .term = 2, .index = 1}));
    EXPECT_EQ(r.commit(), fault ? 1u : 0u) << "fault=" << fault;
  }
}

TEST(CoreTest, LaggingFollowerIsCaughtUpByInstallSnapshot) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  c.partition({{1, 2}, {3}});
  for (const char* d : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(c.raft(1).propose({d}));
    c.stabilize();
  }
  core& l = c.raft(1);
  ASSERT_EQ(l.applied(), 5u);
  ASSERT_FALSE(l.compact(4, testing::encode_state({"", "a", "b", "c"})));
  c.stabilize();
  EXPECT_EQ(l.log().first_index(), 5u);
  EXPECT_EQ(c.node(1).durable.snap.index, 4u);
  EXPECT_EQ(c.node(1).durable.entries.size(), 1u) << "the durable log is truncated behind the snapshot";
  c.partition({});
  for (int i = 0; i < 3; ++i) {
    c.tick(1);
    c.stabilize();
  }
  EXPECT_EQ(c.node(3).durable.snap.index, 4u);
  EXPECT_EQ(c.node(3).state, c.node(1).state);
  EXPECT_EQ(c.raft(3).commit(), 5u);
  // After a restart the follower rebuilds its state from the snapshot plus the committed suffix.
  c.crash(3);
  c.restart(3);
  c.stabilize();
  EXPECT_EQ(c.node(3).state, c.node(1).state);
}

TEST(CoreTest, CompactRejectsIndexesOutsideSnapshotToApplied) {
  mem_cluster c;
  c.add_nodes(1, base_config());
  c.stabilize();
  EXPECT_EQ(c.raft(1).compact(5, ""), make_error_code(errc::invalid_argument));
  EXPECT_FALSE(c.raft(1).compact(1, ""));
  EXPECT_EQ(c.raft(1).compact(1, ""), make_error_code(errc::invalid_argument));
}

TEST(CoreTest, RestartKeepsTermVoteAndCommit) {
  mem_cluster c;
  c.add_nodes(3, base_config());
  elect(c, 1);
  ASSERT_TRUE(c.raft(1).propose({"a"}));
  c.stabilize();
  c.crash(2);
  c.restart(2);
  EXPECT_EQ(c.raft(2).term(), 1u);
  EXPECT_EQ(c.raft(2).vote(), 1u);
  EXPECT_EQ(c.raft(2).commit(), c.raft(1).commit());
  c.stabilize();
  EXPECT_EQ(c.node(2).state, c.node(1).state);
  // Having voted for 1 in term 1, it refuses 3 in the same term even after the restart.
  ASSERT_FALSE(c.raft(2).step(message{.type = msg_type::vote, .from = 3, .to = 2, .term = 1, .log_term = 9, .index = 9}));
  ready_batch rd = c.raft(2).ready();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_TRUE(rd.messages[0].reject);
  c.raft(2).advance(rd);
}

TEST(CoreTest, SkipPersistVoteFaultLosesTheVoteOnRestart) {
  config cfg = base_config();
  cfg.faults.skip_persist_vote = true;
  mem_cluster c;
  c.add_nodes(3, cfg);
  elect(c, 1);
  EXPECT_EQ(c.raft(2).vote(), 1u);
  EXPECT_EQ(c.node(2).durable.hard.vote, no_node);
}

}  // namespace
}  // namespace samsa::raft
