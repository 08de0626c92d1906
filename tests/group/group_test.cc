// The group state machine with hand-driven time: joins, rebalances, syncs, heartbeats, expiry, static
// membership, bad input.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "samsa/group/errors.h"
#include "samsa/group/group.h"

namespace samsa::group {
namespace {

std::vector<uint8_t> b(std::string_view s) { return {s.begin(), s.end()}; }

struct fixture : ::testing::Test {
  group_config cfg;
  int64_t now = 1'000'000;
  std::unique_ptr<group> g;
  int stores = 0;

  void make(int64_t initial_delay = 3000) {
    cfg.initial_rebalance_delay_ms = initial_delay;
    g = std::make_unique<group>("g", cfg, now);
    g->on_store = [this](const group&) { ++stores; };
  }

  join_request req(std::string member_id = {}, std::vector<std::string> protos = {"range"},
                   std::string type = "consumer") {
    join_request r;
    r.member_id = std::move(member_id);
    r.client_id = "c";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.protocol_type = std::move(type);
    for (auto& p : protos) r.protocols.push_back({p, b("md-" + p)});
    return r;
  }

  // Joins and returns a slot that is filled when the answer comes.
  std::shared_ptr<std::optional<join_result>> join(join_request r) {
    auto out = std::make_shared<std::optional<join_result>>();
    g->join(std::move(r), now, [out](join_result res) { *out = std::move(res); });
    return out;
  }
  std::shared_ptr<std::optional<sync_result>> sync(const std::string& member, int32_t gen,
                                                   std::vector<std::pair<std::string, std::vector<uint8_t>>> a = {}) {
    auto out = std::make_shared<std::optional<sync_result>>();
    sync_request s;
    s.member_id = member;
    s.generation = gen;
    s.assignments = std::move(a);
    g->sync(std::move(s), now, [out](sync_result res) { *out = std::move(res); });
    return out;
  }
  void advance(int64_t ms) {
    now += ms;
    g->tick(now);
  }
  // One member through join + sync; returns its member id.
  std::string single_stable_member() {
    auto j = join(req());
    EXPECT_FALSE(*j);  // initial delay
    advance(3000);
    EXPECT_TRUE(*j);
    EXPECT_EQ((*j)->error, err::none);
    auto s = sync((*j)->member_id, (*j)->generation, {{(*j)->member_id, b("A")}});
    EXPECT_TRUE(*s);
    return (*j)->member_id;
  }
};

TEST_F(fixture, FirstJoinWaitsForInitialDelayThenCompletes) {
  make();
  auto j = join(req());
  EXPECT_FALSE(*j);
  EXPECT_EQ(g->state(), group_state::preparing_rebalance);
  advance(2999);
  EXPECT_FALSE(*j);
  advance(1);
  ASSERT_TRUE(*j);
  const auto& r = **j;
  EXPECT_EQ(r.error, err::none);
  EXPECT_EQ(r.generation, 1);
  EXPECT_EQ(r.protocol_name, "range");
  EXPECT_EQ(r.leader, r.member_id);
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].metadata, b("md-range"));
  EXPECT_TRUE(r.member_id.starts_with("c-"));
  EXPECT_EQ(g->state(), group_state::completing_rebalance);
  auto s = sync(r.member_id, 1, {{r.member_id, b("assign")}});
  ASSERT_TRUE(*s);
  EXPECT_EQ((*s)->error, err::none);
  EXPECT_EQ((*s)->assignment, b("assign"));
  EXPECT_EQ(g->state(), group_state::stable);
  EXPECT_EQ(stores, 1);
}

TEST_F(fixture, InitialDelayExtendsWhileMembersKeepArriving) {
  make();
  auto a = join(req());
  advance(2000);
  auto c = join(req());
  advance(1000);  // first delay over, but a new member came: extended by another 3 s
  EXPECT_FALSE(*a);
  advance(3000);
  ASSERT_TRUE(*a);
  ASSERT_TRUE(*c);
  EXPECT_EQ((*a)->generation, 1);
  EXPECT_EQ((*c)->generation, 1);
  EXPECT_EQ((*a)->leader, (*c)->leader);
  // Exactly one of them is leader and got the member list.
  EXPECT_EQ((*a)->members.size() + (*c)->members.size(), 2u);
}

TEST_F(fixture, MemberIdRequiredOnlyWhenAsked) {
  make(0);
  auto r = req();
  r.require_known_member_id = true;
  auto j = join(r);
  ASSERT_TRUE(*j);
  EXPECT_EQ((*j)->error, err::member_id_required);
  const std::string id = (*j)->member_id;
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(g->state(), group_state::empty);
  EXPECT_EQ(g->pending_member_count(), 1u);
  auto r2 = req(id);
  r2.require_known_member_id = true;
  auto j2 = join(r2);
  ASSERT_TRUE(*j2);  // no initial delay configured: completes at once
  EXPECT_EQ((*j2)->error, err::none);
  EXPECT_EQ((*j2)->member_id, id);
  // v0-v3 never see 79.
  make(0);
  auto j3 = join(req());
  ASSERT_TRUE(*j3);
  EXPECT_EQ((*j3)->error, err::none);
}

TEST_F(fixture, PendingMemberExpiresAfterSessionTimeout) {
  make(0);
  auto r = req();
  r.require_known_member_id = true;
  auto j = join(r);
  ASSERT_EQ((*j)->error, err::member_id_required);
  advance(10001);
  EXPECT_EQ(g->pending_member_count(), 0u);
  auto j2 = join(req((*j)->member_id));
  ASSERT_TRUE(*j2);
  EXPECT_EQ((*j2)->error, err::unknown_member_id);
}

TEST_F(fixture, SecondMemberTriggersRebalanceAndFollowerWaitsForLeaderSync) {
  make();
  const std::string a = single_stable_member();
  EXPECT_EQ(g->heartbeat(a, std::nullopt, 1, now), err::none);
  auto jb = join(req());
  EXPECT_FALSE(*jb);
  EXPECT_EQ(g->state(), group_state::preparing_rebalance);
  EXPECT_EQ(g->heartbeat(a, std::nullopt, 1, now), err::rebalance_in_progress);
  auto ja = join(req(a));
  ASSERT_TRUE(*ja);
  ASSERT_TRUE(*jb);
  EXPECT_EQ((*ja)->generation, 2);
  EXPECT_EQ((*ja)->leader, a);  // the old leader stays leader
  EXPECT_EQ((*ja)->members.size(), 2u);
  EXPECT_TRUE((*jb)->members.empty());
  const std::string bid = (*jb)->member_id;
  auto sb = sync(bid, 2);
  EXPECT_FALSE(*sb);  // waits for the leader
  auto sa = sync(a, 2, {{a, b("A")}, {bid, b("B")}});
  ASSERT_TRUE(*sa);
  ASSERT_TRUE(*sb);
  EXPECT_EQ((*sa)->assignment, b("A"));
  EXPECT_EQ((*sb)->assignment, b("B"));
  EXPECT_EQ(g->state(), group_state::stable);
  EXPECT_EQ(g->heartbeat(bid, std::nullopt, 2, now), err::none);
  EXPECT_EQ(g->heartbeat(bid, std::nullopt, 1, now), err::illegal_generation);
}

// Issue 20 item 4: a cooperative-sticky leader decides revocations from the owned partitions in each member's
// JoinGroup metadata, so it must always get every member's latest metadata, never one from an earlier join. Two
// members, the second joining at every point of the first's generation (before or after its SyncGroup, before or
// after its next heartbeat), the first's rejoin carrying what it owns by then.
TEST_F(fixture, LeaderAlwaysGetsEachMembersLatestSubscription) {
  for (int variant = 0; variant < 4; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    make();
    auto first = req();
    first.protocols = {{"cooperative-sticky", b("owned:none")}};
    auto ja = join(first);
    advance(3000);
    ASSERT_TRUE(*ja);
    const std::string a = (*ja)->member_id;
    ASSERT_EQ((*ja)->generation, 1);
    const bool a_synced_first = variant & 1;
    std::string a_owns = "owned:none";
    std::shared_ptr<std::optional<sync_result>> sa;
    if (a_synced_first) {
      sa = sync(a, 1, {{a, b("p0,p1")}});
      ASSERT_TRUE(*sa);
      ASSERT_EQ((*sa)->error, err::none);
      a_owns = "owned:p0,p1";
    }
    auto second = req();
    second.protocols = {{"cooperative-sticky", b("owned:none")}};
    auto jb = join(second);
    EXPECT_FALSE(*jb) << "the generation must wait for the first member to rejoin";
    if (!a_synced_first) {
      // The first member's SyncGroup of generation 1 comes too late: it owns nothing.
      sa = sync(a, 1, {{a, b("p0,p1")}});
      ASSERT_TRUE(*sa);
      EXPECT_EQ((*sa)->error, err::rebalance_in_progress);
    }
    if (variant & 2) {
      EXPECT_EQ(g->heartbeat(a, std::nullopt, 1, now), err::rebalance_in_progress);
      advance(100);
    }
    auto rejoin = req(a);
    rejoin.protocols = {{"cooperative-sticky", b(a_owns)}};
    auto ja2 = join(rejoin);
    ASSERT_TRUE(*ja2);
    ASSERT_TRUE(*jb);
    EXPECT_EQ((*ja2)->generation, 2);
    ASSERT_EQ((*ja2)->leader, a);
    std::map<std::string, std::string> seen;
    for (const auto& m : (*ja2)->members) seen[m.member_id] = std::string(m.metadata.begin(), m.metadata.end());
    EXPECT_EQ(seen, (std::map<std::string, std::string>{{a, a_owns}, {(*jb)->member_id, "owned:none"}}));
  }
}

TEST_F(fixture, SilentMemberExpiresAndOthersRebalance) {
  make();
  const std::string a = single_stable_member();
  auto jb = join(req());
  auto ja = join(req(a));
  const std::string bid = (*jb)->member_id;
  auto sa = sync(a, 2, {{a, b("A")}, {bid, b("B")}});
  auto sb = sync(bid, 2);
  ASSERT_TRUE(*sb);
  // a keeps heartbeating, b goes silent (killed without LeaveGroup).
  for (int i = 0; i < 4; ++i) {
    advance(3000);
    EXPECT_EQ(g->heartbeat(a, std::nullopt, 2, now), i < 3 ? err::none : err::rebalance_in_progress);
  }
  EXPECT_FALSE(g->has_member(bid));
  EXPECT_EQ(g->heartbeat(bid, std::nullopt, 2, now), err::unknown_member_id);
  auto ja3 = join(req(a));
  ASSERT_TRUE(*ja3);
  EXPECT_EQ((*ja3)->generation, 3);
  EXPECT_EQ((*ja3)->members.size(), 1u);
}

TEST_F(fixture, MemberThatDoesNotRejoinIsDroppedAtRebalanceTimeout) {
  make();
  const std::string a = single_stable_member();
  auto jb = join(req());  // a must rejoin within its rebalance timeout (30 s)
  for (int i = 0; i < 9; ++i) {
    advance(3000);
    g->heartbeat(a, std::nullopt, 1, now);  // heartbeats alone do not count as rejoining
  }
  EXPECT_FALSE(*jb);
  advance(3000);
  ASSERT_TRUE(*jb);
  EXPECT_EQ((*jb)->error, err::none);
  EXPECT_FALSE(g->has_member(a));
  EXPECT_EQ((*jb)->leader, (*jb)->member_id);
}

TEST_F(fixture, LeaveTriggersRebalanceAndLastLeaveEmptiesTheGroup) {
  make();
  const std::string a = single_stable_member();
  EXPECT_EQ(g->leave("nobody", std::nullopt, now), err::unknown_member_id);
  EXPECT_EQ(g->leave(a, std::nullopt, now), err::none);
  EXPECT_EQ(g->state(), group_state::empty);
  EXPECT_EQ(g->generation(), 2);
  EXPECT_EQ(stores, 2);  // the Stable generation, then the Empty one
}

TEST_F(fixture, InconsistentProtocols) {
  make(0);
  // An empty group needs a protocol type and at least one protocol.
  auto j0 = join(req({}, {"range"}, ""));
  EXPECT_EQ((*j0)->error, err::inconsistent_group_protocol);
  auto j1 = join(req({}, {}));
  EXPECT_EQ((*j1)->error, err::inconsistent_group_protocol);
  EXPECT_EQ(g->state(), group_state::empty);
  auto ja = join(req({}, {"range", "roundrobin"}));
  ASSERT_EQ((*ja)->error, err::none);
  // Unknown protocol type for this group.
  auto jt = join(req({}, {"range"}, "connect"));
  EXPECT_EQ((*jt)->error, err::inconsistent_group_protocol);
  // No protocol in common (kafkajs' RoundRobinAssigner vs librdkafka's range).
  auto jn = join(req({}, {"RoundRobinAssigner"}));
  EXPECT_EQ((*jn)->error, err::inconsistent_group_protocol);
  EXPECT_EQ(g->members().size(), 1u);
  EXPECT_EQ(g->state(), group_state::completing_rebalance);
}

TEST_F(fixture, ProtocolSelectionByVotes) {
  make();
  auto a = join(req({}, {"roundrobin", "range"}));
  auto c = join(req({}, {"range", "roundrobin"}));
  auto d = join(req({}, {"range", "roundrobin"}));
  advance(3000);
  advance(3000);
  advance(3000);
  ASSERT_TRUE(*a);
  EXPECT_EQ((*a)->protocol_name, "range");
}

TEST_F(fixture, UnknownMembersAndGenerations) {
  make();
  EXPECT_EQ(g->heartbeat("ghost", std::nullopt, 0, now), err::unknown_member_id);
  const std::string a = single_stable_member();
  EXPECT_EQ(g->heartbeat("ghost", std::nullopt, 1, now), err::unknown_member_id);
  EXPECT_EQ(g->heartbeat(a, std::nullopt, 7, now), err::illegal_generation);
  auto s = sync("ghost", 1);
  EXPECT_EQ((*s)->error, err::unknown_member_id);
  auto s2 = sync(a, 9);
  EXPECT_EQ((*s2)->error, err::illegal_generation);
  auto j = join(req("ghost"));
  EXPECT_EQ((*j)->error, err::unknown_member_id);
  EXPECT_EQ(g->state(), group_state::stable);
  EXPECT_EQ(g->generation(), 1);
}

TEST_F(fixture, CommitAdmission) {
  make();
  EXPECT_EQ(g->validate_commit("", std::nullopt, -1, now), err::none);  // simple commit to an empty group
  const std::string a = single_stable_member();
  EXPECT_EQ(g->validate_commit("", std::nullopt, -1, now), err::unknown_member_id);
  EXPECT_EQ(g->validate_commit(a, std::nullopt, 1, now), err::none);
  EXPECT_EQ(g->validate_commit(a, std::nullopt, 0, now), err::illegal_generation);
  auto jb = join(req());
  // PreparingRebalance: the current generation may still commit (revocation commits).
  EXPECT_EQ(g->validate_commit(a, std::nullopt, 1, now), err::none);
  auto ja = join(req(a));
  EXPECT_EQ(g->state(), group_state::completing_rebalance);
  EXPECT_EQ(g->validate_commit(a, std::nullopt, 2, now), err::rebalance_in_progress);
}

TEST_F(fixture, StaticMemberRestartWithinSessionKeepsAssignmentWithoutRebalance) {
  make();
  auto r = req();
  r.group_instance_id = "host-1";
  auto j = join(r);
  advance(3000);
  ASSERT_TRUE(*j);
  const std::string old_id = (*j)->member_id;
  EXPECT_TRUE(old_id.starts_with("host-1-"));
  sync(old_id, 1, {{old_id, b("A")}});
  ASSERT_EQ(g->state(), group_state::stable);
  const auto rebalances = g->rebalances();
  // The process restarts: same instance id, no member id.
  auto j2 = join(r);
  ASSERT_TRUE(*j2);
  EXPECT_EQ((*j2)->error, err::none);
  EXPECT_NE((*j2)->member_id, old_id);
  EXPECT_EQ((*j2)->generation, 1);
  EXPECT_EQ(g->state(), group_state::stable);
  EXPECT_EQ(g->rebalances(), rebalances);
  auto s = sync((*j2)->member_id, 1);
  EXPECT_EQ((*s)->assignment, b("A"));
  // The old incarnation is fenced.
  EXPECT_EQ(g->heartbeat(old_id, std::string("host-1"), 1, now), err::fenced_instance_id);
  EXPECT_EQ(g->heartbeat((*j2)->member_id, std::string("host-1"), 1, now), err::none);
  // Leaving by instance id.
  EXPECT_EQ(g->leave("", std::string("host-1"), now), err::none);
  EXPECT_TRUE(g->members().empty());
}

TEST_F(fixture, DeadGroupAnswersWaitersAndRefusesEverything) {
  make();
  auto j = join(req());
  g->make_dead(err::coordinator_not_available);
  ASSERT_TRUE(*j);
  EXPECT_EQ((*j)->error, err::coordinator_not_available);
  EXPECT_EQ(g->heartbeat("x", std::nullopt, 0, now), err::coordinator_not_available);
  auto j2 = join(req());
  EXPECT_EQ((*j2)->error, err::coordinator_not_available);
}

TEST_F(fixture, SnapshotRestoreRoundTrip) {
  make();
  const std::string a = single_stable_member();
  auto s = g->snapshot(now);
  ASSERT_EQ(s.members.size(), 1u);
  EXPECT_EQ(s.members[0].assignment, b("A"));
  EXPECT_EQ(s.members[0].subscription, b("md-range"));
  group h("g", cfg, now);
  h.restore(s, now);
  EXPECT_EQ(h.state(), group_state::stable);
  EXPECT_EQ(h.generation(), 1);
  EXPECT_EQ(h.heartbeat(a, std::nullopt, 1, now), err::none);
  // Without heartbeats the restored member expires.
  h.tick(now + 10001);
  h.tick(now + 10001);
  EXPECT_EQ(h.state(), group_state::empty);
}

TEST_F(fixture, DescribeOnlyShowsMetadataWhenStable) {
  make();
  auto j = join(req());
  advance(3000);
  auto d = g->describe_members();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].metadata.empty());
  sync((*j)->member_id, 1, {{(*j)->member_id, b("A")}});
  d = g->describe_members();
  EXPECT_EQ(d[0].metadata, b("md-range"));
  EXPECT_EQ(d[0].assignment, b("A"));
  EXPECT_EQ(d[0].client_host, "/127.0.0.1");
}

TEST(JavaHash, MatchesJavaStringHashCode) {
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("abc"), 96354);
  EXPECT_EQ(java_string_hash("hello"), 99162322);
  EXPECT_EQ(java_string_hash("polygenelubricants"), INT32_MIN);
  EXPECT_EQ(partition_for_group("polygenelubricants", 50), 0);  // Kafka's Utils.abs(MIN_VALUE) = 0
  EXPECT_EQ(partition_for_group("hello", 50), 99162322 % 50);
  // Non-ASCII: "é" is one UTF-16 unit (0xE9); U+1F600 is a surrogate pair (0xD83D 0xDE00).
  EXPECT_EQ(java_string_hash("\xc3\xa9"), 0xE9);
  EXPECT_EQ(java_string_hash("\xf0\x9f\x98\x80"), 31 * 0xD83D + 0xDE00);
}

TEST(Subscription, ParsesConsumerProtocolTopics) {
  // version 1, topics ["a", "bc"], user_data null, owned partitions []
  std::vector<uint8_t> md = {0, 1, 0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'c', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  auto t = parse_subscription_topics(md);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, (std::vector<std::string>{"a", "bc"}));
  md.resize(9);
  EXPECT_FALSE(parse_subscription_topics(md));
}

}  // namespace
}  // namespace samsa::group
