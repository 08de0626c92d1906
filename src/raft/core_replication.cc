// Leader-side replication: per-peer progress, appends, heartbeats, snapshots for lagging peers, and the commit rule.
#include <algorithm>

#include "samsa/raft/core.h"

namespace samsa::raft {

void core::send_append(node_id to, bool allow_empty) {
  progress& pr = lead().peers[to];
  // Replicate mode pipelines: keep sending while the un-acknowledged window has room.
  const index_t window = cfg_.max_entries_per_append * cfg_.max_inflight_appends;
  for (bool first = true;; first = false) {
    const bool full = pr.state == progress::mode::replicate && pr.next - 1 - pr.match >= window;
    if (full && !(first && allow_empty)) return;  // an empty append (commit news) may still go out
    const index_t before = pr.next;
    send_one_append(to, first && allow_empty);
    if (pr.state != progress::mode::replicate || pr.next == before || pr.next > log_.last_index()) return;
  }
}

void core::send_one_append(node_id to, bool allow_empty) {
  progress& pr = lead().peers[to];
  if (pr.state == progress::mode::snapshot) return;  // wait for the snapshot's answer (or the next heartbeat reply)
  if (pr.state == progress::mode::probe && pr.probe_sent) return;
  const index_t prev = pr.next - 1;
  const auto prev_term = log_.term_at(prev);
  if (!prev_term) {
    // The entries this peer needs were compacted away: it must start over from our snapshot.
    send(message{.type = msg_type::install_snapshot, .to = to, .term = term_, .snap = snapshot_});
    pr.state = progress::mode::snapshot;
    pr.pending_snapshot = snapshot_.index;
    return;
  }
  auto entries = log_.slice(pr.next, log_.last_index(), cfg_.max_entries_per_append);
  if (entries.empty() && !allow_empty && pr.state == progress::mode::replicate) return;
  const index_t last_sent = entries.empty() ? prev : entries.back().index;
  send(message{.type = msg_type::append, .to = to, .term = term_, .log_term = *prev_term, .index = prev,
               .commit = commit_, .entries = std::move(entries)});
  if (pr.state == progress::mode::replicate) {
    pr.next = last_sent + 1;  // optimistic: a loss shows up as a rejection or on the next heartbeat reply
  } else {
    pr.probe_sent = true;
  }
}

void core::bcast_append(bool allow_empty) {
  for (node_id v : cfg_.voters) {
    if (v != cfg_.id) send_append(v, allow_empty);
  }
}

void core::bcast_heartbeat() {
  for (auto& [id, pr] : lead().peers) {
    if (id == cfg_.id) continue;
    send(message{.type = msg_type::heartbeat, .to = id, .term = term_, .commit = std::min(pr.match, commit_)});
  }
}

bool core::maybe_commit() {
  std::vector<index_t> matches;
  for (auto& [id, pr] : lead().peers) matches.push_back(pr.match);
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const index_t qi = matches[quorum() - 1];  // durable on a quorum
  if (qi <= commit_) return false;
  // §5.4.2: counting replicas is only proof of commitment for an entry of the leader's own term; earlier-term
  // entries commit indirectly, with it.
  if (!cfg_.faults.commit_old_terms && log_.term_at(qi) != term_) return false;
  commit_ = qi;
  return true;
}

void core::handle_append_resp(const message& m) {
  progress& pr = lead().peers[m.from];
  pr.recent_active = true;
  if (m.reject) {
    const bool stale = pr.state == progress::mode::replicate ? m.index <= pr.match
                       : pr.state == progress::mode::probe   ? m.index != pr.next - 1
                                                              : true;
    if (stale) return;
    pr.next = std::max(std::min(m.index, m.reject_hint + 1), pr.match + 1);
    pr.state = progress::mode::probe;
    pr.probe_sent = false;
    send_append(m.from, true);
    return;
  }
  const bool advanced = m.index > pr.match;
  if (advanced) pr.match = m.index;
  if (pr.state == progress::mode::probe ||
      (pr.state == progress::mode::snapshot && pr.match >= pr.pending_snapshot)) {
    pr.state = progress::mode::replicate;
    pr.probe_sent = false;
    pr.next = pr.match + 1;
  } else {
    pr.next = std::max(pr.next, pr.match + 1);
  }
  if (advanced && maybe_commit()) {
    bcast_append(true);  // tell everyone the new commit index
  } else {
    send_append(m.from, false);
  }
}

void core::handle_heartbeat_resp(const message& m) {
  progress& pr = lead().peers[m.from];
  pr.recent_active = true;
  const bool stalled = pr.match == pr.match_at_heartbeat;
  pr.match_at_heartbeat = pr.match;
  if (pr.match >= log_.last_index() || !stalled) return;
  // The peer is behind and made no progress for a whole heartbeat interval: an append or snapshot may have been
  // lost. Fall back to probing from the match point (this also re-sends a lost snapshot, since probing finds its
  // entries compacted).
  pr.state = progress::mode::probe;
  pr.probe_sent = false;
  pr.next = pr.match + 1;
  send_append(m.from, true);
}

}  // namespace samsa::raft
