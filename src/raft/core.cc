// core: construction, time, elections and the ready/advance cycle. Message handling is in core_step.cc,
// leader-side replication in core_replication.cc.
#include "samsa/raft/core.h"

#include <algorithm>

#include "prng.h"

namespace samsa::raft {

core::core(config cfg) : cfg_(std::move(cfg)), rng_(cfg_.seed ^ (cfg_.id * 0x2545f4914f6cdd1dULL)) {}

result<core> core::open(config cfg, persisted_state st) {
  if (cfg.id == no_node || cfg.election_tick <= cfg.heartbeat_tick || cfg.heartbeat_tick <= 0 ||
      cfg.max_entries_per_append == 0 || std::find(cfg.voters.begin(), cfg.voters.end(), cfg.id) == cfg.voters.end()) {
    return errc::invalid_argument;
  }
  std::sort(cfg.voters.begin(), cfg.voters.end());
  if (std::adjacent_find(cfg.voters.begin(), cfg.voters.end()) != cfg.voters.end()) return errc::invalid_argument;
  core c(std::move(cfg));
  c.log_ = raft_log(st.snap.index, st.snap.term);
  for (auto& e : st.entries) {
    if (e.index != c.log_.last_index() + 1 || e.term < c.log_.last_term()) return errc::corrupt;
    c.log_.append(std::move(e));
  }
  if (st.hard.commit > c.log_.last_index()) return errc::corrupt;
  c.term_ = std::max(st.hard.term, c.log_.last_term());
  c.vote_ = st.hard.term == c.term_ ? st.hard.vote : no_node;
  // Everything below the snapshot is committed; the state machine restarts from the snapshot and re-applies the
  // committed suffix.
  c.commit_ = std::max(st.hard.commit, st.snap.index);
  c.applied_ = st.snap.index;
  c.snapshot_ = std::move(st.snap);
  c.persisted_last_ = c.log_.last_index();
  c.last_hard_ = c.hard_for_persistence();
  c.role_ = follower_role{};
  c.last_role_ = role_change{role_kind::follower, c.term_, no_node};
  c.reset_timers();
  if (c.cfg_.voters.size() == 1) c.start_election(false);  // a single voter needs nobody's consent
  return c;
}

bool core::is_voter(node_id n) const noexcept {
  return std::binary_search(cfg_.voters.begin(), cfg_.voters.end(), n);
}

node_id core::leader() const noexcept {
  if (std::holds_alternative<leader_role>(role_)) return cfg_.id;
  if (auto* f = std::get_if<follower_role>(&role_)) return f->leader;
  return no_node;
}

void core::send(message m) {
  m.from = cfg_.id;
  outbox_.push_back(std::move(m));
}

void core::reset_timers() {
  election_elapsed_ = 0;
  randomized_timeout_ = cfg_.election_tick + static_cast<int>(splitmix64(rng_) % cfg_.election_tick);
}

// ---- time ----

std::error_code core::tick() {
  if (ready_pending_) return errc::ready_pending;
  if (std::holds_alternative<leader_role>(role_)) {
    tick_leader();
    return {};
  }
  if (++election_elapsed_ >= randomized_timeout_) start_election(cfg_.pre_vote);
  return {};
}

void core::tick_leader() {
  auto& l = lead();
  ++l.heartbeat_elapsed;
  if (++election_elapsed_ >= cfg_.election_tick) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum) {
      size_t active = 0;
      for (auto& [id, pr] : l.peers) active += (id == cfg_.id || pr.recent_active) ? 1 : 0;
      if (active < quorum()) {  // partitioned away from a quorum: a newer leader may exist, stop serving
        become_follower(term_, no_node);
        return;
      }
      for (auto& [id, pr] : l.peers) pr.recent_active = (id == cfg_.id);
    }
  }
  if (l.heartbeat_elapsed >= cfg_.heartbeat_tick) {
    l.heartbeat_elapsed = 0;
    bcast_heartbeat();
  }
}

// ---- roles ----

void core::become_follower(term_t term, node_id leader) {
  if (term != term_) {
    term_ = term;
    vote_ = no_node;
  }
  role_ = follower_role{leader};
  reset_timers();
}

void core::become_pre_candidate() {
  // Term and vote are untouched: a pre-vote that fails leaves no trace that could disrupt the cluster.
  role_ = pre_candidate_role{{{cfg_.id, true}}};
  reset_timers();
}

void core::become_candidate() {
  ++term_;
  vote_ = cfg_.id;
  role_ = candidate_role{{{cfg_.id, true}}};
  reset_timers();
}

void core::become_leader() {
  leader_role l;
  for (node_id v : cfg_.voters) {
    progress pr;
    pr.next = log_.last_index() + 1;
    pr.recent_active = true;  // grace period: peers get a full election timeout to answer
    if (v == cfg_.id) pr.match = persisted_last_;
    l.peers[v] = pr;
  }
  role_ = std::move(l);
  reset_timers();
  // A no-op of the new term: earlier-term entries only commit once an entry of this term does (§5.4.2).
  log_.append(entry{term_, log_.last_index() + 1, {}});
  bcast_append(true);
}

std::error_code core::campaign() {
  if (ready_pending_) return errc::ready_pending;
  if (!std::holds_alternative<leader_role>(role_)) start_election(cfg_.pre_vote);
  return {};
}

void core::start_election(bool pre) {
  if (pre) {
    become_pre_candidate();
  } else {
    become_candidate();
  }
  const msg_type t = pre ? msg_type::pre_vote : msg_type::vote;
  for (node_id v : cfg_.voters) {
    if (v == cfg_.id) continue;
    send(message{.type = t, .to = v, .term = term_ + (pre ? 1 : 0), .log_term = log_.last_term(),
                 .index = log_.last_index()});
  }
  poll(cfg_.id, true);
}

void core::poll(node_id from, bool granted) {
  std::map<node_id, bool>* votes = nullptr;
  bool pre = false;
  if (auto* p = std::get_if<pre_candidate_role>(&role_)) {
    votes = &p->votes;
    pre = true;
  } else if (auto* c = std::get_if<candidate_role>(&role_)) {
    votes = &c->votes;
  } else {
    return;
  }
  votes->emplace(from, granted);
  size_t yes = 0, no = 0;
  for (auto& [id, g] : *votes) (g ? yes : no) += 1;
  if (yes >= quorum()) {
    if (pre) {
      start_election(false);
    } else {
      become_leader();
    }
  } else if (no >= quorum()) {
    become_follower(term_, no_node);
  }
}

// ---- application requests ----

result<index_t> core::propose(std::vector<std::string> data) {
  if (ready_pending_) return errc::ready_pending;
  if (!std::holds_alternative<leader_role>(role_)) return errc::not_leader;
  for (auto& d : data) log_.append(entry{term_, log_.last_index() + 1, std::move(d)});
  bcast_append(false);
  return log_.last_index();
}

std::error_code core::compact(index_t index, std::string data) {
  if (ready_pending_) return errc::ready_pending;
  if (index <= log_.snapshot_index() || index > applied_) return errc::invalid_argument;
  term_t t = *log_.term_at(index);
  log_.compact(index);
  snapshot_ = raft::snapshot{index, t, std::move(data)};
  snapshot_unpersisted_ = true;
  snapshot_is_restore_ = false;
  return {};
}

// ---- ready / advance ----

hard_state core::hard_for_persistence() const {
  hard_state hs{term_, vote_, commit_};
  if (cfg_.faults.skip_persist_vote) hs.vote = no_node;  // planted bug: the vote is promised but never durable
  return hs;
}

bool core::has_ready() const {
  if (!outbox_.empty() || truncate_from_ || snapshot_unpersisted_ || persisted_last_ < log_.last_index() ||
      applied_ < commit_ || hard_for_persistence() != last_hard_) {
    return true;
  }
  return !last_role_ || last_role_->role != role() || last_role_->leader != leader() || last_role_->term != term_;
}

ready_batch core::ready() {
  ready_batch rd;
  rd.truncate_from = truncate_from_;
  if (snapshot_unpersisted_) {
    rd.snapshot = snapshot_;
    rd.restore_snapshot = snapshot_is_restore_;
  }
  rd.entries = log_.slice(persisted_last_ + 1, log_.last_index());
  if (hard_state hs = hard_for_persistence(); hs != last_hard_) rd.hard = hs;
  rd.messages = std::move(outbox_);
  outbox_.clear();
  rd.committed = log_.slice(applied_ + 1, commit_);
  role_change rc{role(), term_, leader()};
  if (!last_role_ || last_role_->role != rc.role || last_role_->leader != rc.leader || last_role_->term != rc.term) {
    rd.role = rc;
  }
  rd.last_index = log_.last_index();
  ready_pending_ = true;
  return rd;
}

void core::advance(const ready_batch& rd) {
  ready_pending_ = false;
  persisted_last_ = rd.last_index;
  truncate_from_.reset();
  snapshot_unpersisted_ = false;
  if (rd.hard) last_hard_ = *rd.hard;
  if (rd.role) last_role_ = rd.role;
  if (!rd.committed.empty()) applied_ = std::max(applied_, rd.committed.back().index);
  if (auto* l = std::get_if<leader_role>(&role_)) {
    // The leader counts itself only for what is durable on its own disk.
    auto& self = l->peers[cfg_.id];
    self.match = std::max(self.match, persisted_last_);
    self.next = self.match + 1;
    if (maybe_commit()) bcast_append(true);
  }
}

}  // namespace samsa::raft
