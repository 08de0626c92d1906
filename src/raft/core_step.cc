// core::step: term rules common to every message (Raft §5.1 plus pre-vote and check-quorum leases), then
// per-role handling of votes, appends, heartbeats and snapshots.
#include <algorithm>

#include "samsa/raft/core.h"

namespace samsa::raft {
namespace {
bool is_vote_request(msg_type t) { return t == msg_type::pre_vote || t == msg_type::vote; }
bool is_from_leader(msg_type t) {
  return t == msg_type::append || t == msg_type::heartbeat || t == msg_type::install_snapshot;
}
}  // namespace

std::error_code core::step(const message& m) {
  if (ready_pending_) return errc::ready_pending;
  if (m.to != cfg_.id || m.from == cfg_.id || !is_voter(m.from)) return errc::invalid_message;

  if (m.term > term_) {
    if (is_vote_request(m.type) && cfg_.check_quorum && leader() != no_node && election_elapsed_ < cfg_.election_tick) {
      // We heard from a live leader less than an election timeout ago: this candidate cannot be needed, and
      // answering (or adopting its term) would only depose a healthy leader.
      return {};
    }
    const bool keeps_term = m.type == msg_type::pre_vote || (m.type == msg_type::pre_vote_resp && !m.reject);
    if (!keeps_term) become_follower(m.term, is_from_leader(m.type) ? m.from : no_node);
  } else if (m.term < term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote) && (m.type == msg_type::append || m.type == msg_type::heartbeat)) {
      // A deposed leader (or one cut off by a partition) learns our term from this and steps down. Without it a
      // node whose term was bumped could never rejoin, since with pre-vote nobody else would raise its term.
      send(message{.type = msg_type::append_resp, .to = m.from, .term = term_});
    } else if (m.type == msg_type::pre_vote) {
      send(message{.type = msg_type::pre_vote_resp, .to = m.from, .term = term_, .reject = true});
    }
    return {};  // anything else from an old term is stale
  }

  if (is_vote_request(m.type)) {
    handle_vote_request(m);
    return {};
  }

  switch (role()) {
    case role_kind::pre_candidate:
    case role_kind::candidate:
      if (is_from_leader(m.type)) {
        become_follower(m.term, m.from);  // somebody won this term
        break;
      }
      if ((m.type == msg_type::pre_vote_resp && role() == role_kind::pre_candidate) ||
          (m.type == msg_type::vote_resp && role() == role_kind::candidate)) {
        poll(m.from, !m.reject);
      }
      return {};
    case role_kind::leader:
      if (m.type == msg_type::append_resp) handle_append_resp(m);
      if (m.type == msg_type::heartbeat_resp) handle_heartbeat_resp(m);
      return {};  // another leader in our term is impossible; responses for older roles are ignored
    case role_kind::follower:
      break;
  }

  // Follower from here on.
  if (!is_from_leader(m.type)) return {};
  std::get<follower_role>(role_).leader = m.from;
  election_elapsed_ = 0;
  switch (m.type) {
    case msg_type::append: handle_append(m); break;
    case msg_type::heartbeat: handle_heartbeat(m); break;
    case msg_type::install_snapshot: handle_snapshot(m); break;
    default: break;
  }
  return {};
}

void core::handle_vote_request(const message& m) {
  const bool pre = m.type == msg_type::pre_vote;
  const msg_type resp = pre ? msg_type::pre_vote_resp : msg_type::vote_resp;
  // One vote per term; a pre-vote for a future term promises nothing, so it may be granted freely.
  const bool can_vote =
      vote_ == m.from || (vote_ == no_node && leader() == no_node) || (pre && m.term > term_);
  const bool log_ok = cfg_.faults.vote_without_log_check || log_.is_up_to_date(m.index, m.log_term);
  if (can_vote && log_ok) {
    send(message{.type = resp, .to = m.from, .term = m.term});
    if (!pre) {
      vote_ = m.from;
      election_elapsed_ = 0;
    }
  } else {
    send(message{.type = resp, .to = m.from, .term = term_, .reject = true});
  }
}

void core::replace_log_from(index_t from, std::span<const entry> es) {
  if (from <= persisted_last_) {
    // Entries the shell already persisted are being overwritten: the next batch must cut them first.
    truncate_from_ = truncate_from_ ? std::min(*truncate_from_, from) : from;
    persisted_last_ = from - 1;
  }
  log_.truncate_and_append(from, es);
}

index_t core::reject_hint(index_t prev) const {
  if (prev > log_.last_index()) return log_.last_index();
  // Skip the whole conflicting term at once (Raft §5.3's optimization). Entries up to commit_ are known to match.
  const term_t t = *log_.term_at(prev);
  index_t i = prev;
  while (i - 1 > commit_ && log_.term_at(i - 1) == t) --i;
  return std::max(i - 1, commit_);
}

void core::handle_append(const message& m) {
  if (m.index < commit_) {
    // Everything up to our commit is already identical to the leader's log (Leader Completeness).
    send(message{.type = msg_type::append_resp, .to = m.from, .term = term_, .index = commit_});
    return;
  }
  if (!log_.matches(m.index, m.log_term)) {
    send(message{.type = msg_type::append_resp, .to = m.from, .term = term_, .index = m.index, .reject = true,
                 .reject_hint = reject_hint(m.index)});
    return;
  }
  // Log Matching: everything up to m.index is identical. Keep entries that agree (the message may be a stale
  // duplicate: truncating agreeing entries could drop ones a newer append already added), replace from the first
  // disagreement on.
  for (size_t k = 0; k < m.entries.size(); ++k) {
    const entry& e = m.entries[k];
    if (log_.matches(e.index, e.term)) continue;
    replace_log_from(e.index, std::span<const entry>(m.entries).subspan(k));
    break;
  }
  const index_t last_new = m.index + m.entries.size();
  commit_ = std::max(commit_, std::min(m.commit, last_new));
  send(message{.type = msg_type::append_resp, .to = m.from, .term = term_, .index = last_new});
}

void core::handle_heartbeat(const message& m) {
  // The leader caps m.commit at our match, so every index up to it is known to agree with the leader.
  commit_ = std::max(commit_, std::min(m.commit, log_.last_index()));
  send(message{.type = msg_type::heartbeat_resp, .to = m.from, .term = term_});
}

void core::handle_snapshot(const message& m) {
  if (!m.snap) return;
  const raft::snapshot& s = *m.snap;
  if (s.index <= commit_) {
    send(message{.type = msg_type::append_resp, .to = m.from, .term = term_, .index = commit_});
    return;
  }
  if (log_.matches(s.index, s.term)) {
    // We already hold the snapshot's last entry, hence (Log Matching) everything before it: just commit.
    commit_ = s.index;
    send(message{.type = msg_type::append_resp, .to = m.from, .term = term_, .index = s.index});
    return;
  }
  // Our log diverges from or ends before the snapshot: replace log and state machine by it.
  if (persisted_last_ > s.index) truncate_from_ = truncate_from_ ? std::min(*truncate_from_, s.index + 1) : s.index + 1;
  log_.reset(s.index, s.term);
  persisted_last_ = s.index;
  commit_ = s.index;
  applied_ = s.index;
  snapshot_ = s;
  snapshot_unpersisted_ = true;
  snapshot_is_restore_ = true;
  send(message{.type = msg_type::append_resp, .to = m.from, .term = term_, .index = s.index});
}

}  // namespace samsa::raft
