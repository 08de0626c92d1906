#include "simulator.h"

#include <algorithm>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <vector>

#include "samsa/raft/core.h"

namespace samsa::raft::sim {
namespace {

// Deterministic PRNG (splitmix64): the sequence must not depend on the standard library.
class rng {
 public:
  explicit rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  int64_t between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1))); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t s_;
};

uint64_t mix(uint64_t h, const entry& e) {
  // FNV-1a over (index, term, data): the state machine is the hash chain of everything applied.
  auto add = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
  };
  add(e.index);
  add(e.term);
  for (unsigned char c : e.data) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

struct node {
  config cfg;
  persisted_state durable;
  std::optional<core> raft;  // empty while crashed
  std::optional<ready_batch> pending;  // being persisted: the node takes no input until it is synced
  uint64_t incarnation = 0;
  index_t app_index = 0;
  uint64_t app_hash = 0xcbf29ce484222325ULL;
  index_t seen_commit = 0;          // commit index observed while up (must not decrease)
  index_t durable_commit_max = 0;   // highest commit ever made durable (a restart must not fall below it)
  bool was_leader = false;
};

enum class ev_kind : uint8_t { deliver, tick, sync, crash, restart, propose, partition, heal, quiet };

struct event {
  int64_t time;
  uint64_t seq;
  ev_kind kind;
  node_id target = no_node;
  uint64_t incarnation = 0;
  message msg;
  bool operator>(const event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

class simulation {
 public:
  explicit simulation(const options& opt) : opt_(opt), rng_(opt.seed) {
    const uint64_t sizes[] = {1, 3, 3, 3, 5, 5};
    n_ = sizes[rng_.below(6)];
    drop_ = static_cast<double>(rng_.below(15)) / 100.0;
    dup_ = static_cast<double>(rng_.below(8)) / 100.0;
    max_delay_ = rng_.between(1, 40);
    crash_every_ = rng_.between(150, 1500);
    partition_every_ = rng_.between(200, 2000);
    compact_after_ = static_cast<index_t>(rng_.between(3, 30));
    kill_leader_ = static_cast<double>(rng_.below(90)) / 100.0;
    kill_delay_max_ = rng_.between(5, 80);
    // One entry per append makes followers hold a leader's old entries without its newer ones more often.
    max_entries_ = rng_.chance(0.5) ? 1 : static_cast<size_t>(rng_.between(2, 8));
    kill_after_commit_ = static_cast<double>(rng_.below(10)) / 100.0;
    restart_max_ = rng_.between(20, 400);
    propose_gap_ = rng_.between(5, 60);
    std::vector<node_id> voters;
    for (node_id i = 1; i <= n_; ++i) voters.push_back(i);
    for (node_id i = 1; i <= n_; ++i) {
      node& nd = nodes_[i];
      nd.cfg.id = i;
      nd.cfg.voters = voters;
      nd.cfg.election_tick = 10;
      nd.cfg.heartbeat_tick = 2;
      nd.cfg.max_entries_per_append = max_entries_;
      nd.cfg.seed = opt.seed * 1000 + i;
      nd.cfg.faults = opt.faults;
      start(nd);
      schedule(rng_.between(0, 9), ev_kind::tick, i);
    }
    schedule(rng_.between(0, 50), ev_kind::propose);
    schedule(rng_.between(0, crash_every_), ev_kind::crash);
    schedule(rng_.between(0, partition_every_), ev_kind::partition);
    schedule(opt.duration, ev_kind::quiet);
  }

  outcome run() {
    const int64_t end = opt_.duration + 3000;
    while (!queue_.empty() && out_.ok) {
      event ev = queue_.top();
      queue_.pop();
      if (ev.time > end) break;
      now_ = ev.time;
      ++out_.events;
      handle(ev);
    }
    if (out_.ok) check_converged();
    out_.committed = committed_.empty() ? 0 : committed_.rbegin()->first;
    return out_;
  }

 private:
  // ---- scheduling ----
  void schedule(int64_t at, ev_kind k, node_id target = no_node, message m = {}, uint64_t inc = 0) {
    queue_.push(event{at, seq_++, k, target, inc, std::move(m)});
  }

  void trace(const std::string& s) {
    if (opt_.trace) out_.trace += "t=" + std::to_string(now_) + " " + s + "\n";
  }

  void fail(const std::string& what) {
    if (!out_.ok) return;
    out_.ok = false;
    out_.failure = "seed " + std::to_string(opt_.seed) + " t=" + std::to_string(now_) + ": " + what;
    trace("FAIL " + what);
  }

  bool connected(node_id a, node_id b) const {
    auto ga = group_.find(a), gb = group_.find(b);
    return (ga == group_.end() ? 0 : ga->second) == (gb == group_.end() ? 0 : gb->second);
  }

  // ---- events ----
  void handle(const event& ev) {
    switch (ev.kind) {
      case ev_kind::deliver: deliver(ev); break;
      case ev_kind::tick: {
        node& nd = nodes_[ev.target];
        if (nd.raft && !nd.pending) {
          (void)nd.raft->tick();
          after_input(nd);
        }
        schedule(now_ + 10, ev_kind::tick, ev.target);
        break;
      }
      case ev_kind::sync: {
        node& nd = nodes_[ev.target];
        if (nd.raft && nd.pending && nd.incarnation == ev.incarnation) sync(nd);
        break;
      }
      case ev_kind::crash: {
        if (quiet_) break;
        if (ev.target != no_node) {  // the leader killer (see check_memory)
          node& nd = nodes_[ev.target];
          if (nd.raft && nd.incarnation == ev.incarnation) crash(nd);
          break;
        }
        node& nd = nodes_[1 + rng_.below(n_)];
        if (nd.raft) crash(nd);
        schedule(now_ + rng_.between(1, crash_every_), ev_kind::crash);
        break;
      }
      case ev_kind::restart: restart(nodes_[ev.target]); break;
      case ev_kind::propose: propose(); break;
      case ev_kind::partition: {
        if (quiet_) break;
        group_.clear();
        for (node_id i = 1; i <= n_; ++i) group_[i] = static_cast<int>(rng_.below(2));
        trace("partition " + describe_groups());
        schedule(now_ + rng_.between(50, 800), ev_kind::heal);
        break;
      }
      case ev_kind::heal:
        if (quiet_) break;
        group_.clear();
        trace("heal");
        schedule(now_ + rng_.between(1, partition_every_), ev_kind::partition);
        break;
      case ev_kind::quiet:
        // From now on: no faults, so the cluster must converge (a liveness check on top of the safety checks).
        quiet_ = true;
        group_.clear();
        drop_ = dup_ = 0;
        trace("quiet phase");
        for (auto& [id, nd] : nodes_) {
          if (!nd.raft) restart(nd);
        }
        break;
    }
  }

  std::string describe_groups() const {
    std::string s;
    for (auto& [id, g] : group_) s += std::to_string(id) + ":" + std::to_string(g) + " ";
    return s;
  }

  void deliver(const event& ev) {
    node& nd = nodes_[ev.target];
    if (!nd.raft) return;
    if (nd.pending) {  // busy persisting: the message waits in the socket buffer
      schedule(now_ + 1, ev_kind::deliver, ev.target, ev.msg);
      return;
    }
    if (!connected(ev.msg.from, ev.msg.to)) {
      trace("cut " + describe(ev.msg));
      return;
    }
    trace("deliver " + describe(ev.msg));
    if (auto ec = nd.raft->step(ev.msg)) fail("step failed: " + ec.message());
    after_input(nd);
  }

  void propose() {
    if (quiet_ && now_ > opt_.duration + 1500) return;  // let the cluster settle before the convergence check
    schedule(now_ + rng_.between(1, propose_gap_), ev_kind::propose);
    for (auto& [id, nd] : nodes_) {
      if (!nd.raft || nd.pending || nd.raft->role() != role_kind::leader) continue;
      // Clients wait for their writes: a bounded backlog keeps the offered load below what the network carries.
      if (nd.raft->log().last_index() > nd.raft->commit() + 24) return;
      std::vector<std::string> data;
      const auto k = rng_.between(1, 4);
      for (int64_t i = 0; i < k; ++i) data.push_back("p" + std::to_string(proposals_++));
      auto r = nd.raft->propose(std::move(data));
      trace("propose at " + std::to_string(id) + (r ? " ok" : " failed"));
      after_input(nd);
      return;
    }
  }

  // Called after every input to a node: check what is visible in memory, then start persisting a ready batch.
  void after_input(node& nd) {
    check_memory(nd);
    if (!out_.ok || nd.pending || !nd.raft->has_ready()) return;
    ready_batch rd = nd.raft->ready();
    check_ready(nd, rd);
    nd.pending = std::move(rd);
    // Persisting takes time: the node is unavailable meanwhile, and a crash loses (part of) the batch.
    const int64_t delay = rng_.between(0, 3);
    if (delay == 0) {
      sync(nd);
    } else {
      schedule(now_ + delay, ev_kind::sync, nd.cfg.id, {}, nd.incarnation);
    }
  }

  // The write steps of a ready batch in contract order; a crash keeps a prefix of them.
  static size_t write_steps(const ready_batch& rd) {
    return (rd.truncate_from ? 1 : 0) + (rd.snapshot ? 1 : 0) + rd.entries.size() + (rd.hard ? 1 : 0);
  }
  void persist(node& nd, const ready_batch& rd, size_t steps) {
    auto& d = nd.durable;
    auto step = [&]() { return steps == 0 ? false : (--steps, true); };
    if (rd.truncate_from && step()) {
      std::erase_if(d.entries, [&](const entry& e) { return e.index >= *rd.truncate_from; });
    }
    if (rd.snapshot && step()) {
      d.snap = *rd.snapshot;
      std::erase_if(d.entries, [&](const entry& e) { return e.index <= rd.snapshot->index; });
    }
    for (const auto& e : rd.entries) {
      if (!step()) return;
      if (!d.entries.empty() && d.entries.back().index + 1 != e.index) {
        fail("persisted log would have a gap at " + std::to_string(e.index));
        return;
      }
      d.entries.push_back(e);
    }
    if (rd.hard && step()) {
      if (rd.hard->commit < nd.durable_commit_max) fail("durable commit index went backwards");
      d.hard = *rd.hard;
      nd.durable_commit_max = std::max(nd.durable_commit_max, d.hard.commit);
    }
  }

  void sync(node& nd) {
    ready_batch rd = std::move(*nd.pending);
    nd.pending.reset();
    persist(nd, rd, write_steps(rd));
    check_durable(nd);
    // A leader that dies after making a commit advance durable but before telling anyone leaves the cluster where
    // commit-rule bugs show: the commit is known to nobody else, and the leader's newer entries to few nodes.
    if (!quiet_ && rd.hard && nd.raft->role() == role_kind::leader && rng_.chance(kill_after_commit_)) {
      crash(nd);
      return;
    }
    for (const auto& m : rd.messages) send(m);
    if (rd.restore_snapshot && rd.snapshot) restore_app(nd, *rd.snapshot);
    for (const auto& e : rd.committed) apply(nd, e);
    nd.raft->advance(rd);
    if (!out_.ok) return;
    // The application snapshots its state now and then, which truncates the log behind it.
    if (nd.app_index >= nd.raft->log().snapshot_index() + compact_after_ && nd.app_index == nd.raft->applied()) {
      if (auto ec = nd.raft->compact(nd.app_index, std::to_string(nd.app_index) + ":" + std::to_string(nd.app_hash))) {
        fail("compact failed: " + ec.message());
      }
    }
    after_input(nd);
  }

  void send(const message& m) {
    if (rng_.chance(drop_)) return;
    const int copies = rng_.chance(dup_) ? 2 : 1;
    for (int i = 0; i < copies; ++i) schedule(now_ + rng_.between(1, max_delay_), ev_kind::deliver, m.to, m);
  }

  void crash(node& nd) {
    if (nd.pending) {
      // Only a prefix of the unsynced writes reaches the disk (possibly none of them).
      persist(nd, *nd.pending, rng_.below(write_steps(*nd.pending) + 1));
      nd.pending.reset();
    }
    trace("crash " + std::to_string(nd.cfg.id));
    nd.raft.reset();
    ++nd.incarnation;
    schedule(now_ + rng_.between(10, restart_max_), ev_kind::restart, nd.cfg.id);
  }

  void start(node& nd) {
    auto c = core::open(nd.cfg, nd.durable);
    if (!c) {
      fail("node " + std::to_string(nd.cfg.id) + " cannot reopen its durable state: " + c.error().message());
      return;
    }
    nd.raft.emplace(std::move(*c));
    nd.app_index = 0;
    nd.app_hash = 0xcbf29ce484222325ULL;
    if (nd.durable.snap.index > 0) restore_app(nd, nd.durable.snap);
    if (nd.raft->commit() < nd.durable_commit_max) fail("restarted below the durable commit index");
    nd.seen_commit = nd.raft->commit();
    nd.was_leader = false;
    after_input(nd);
  }

  void restart(node& nd) {
    if (nd.raft) return;
    trace("restart " + std::to_string(nd.cfg.id));
    start(nd);
  }

  // ---- the state machine ----
  void restore_app(node& nd, const snapshot& s) {
    const auto colon = s.data.find(':');
    nd.app_index = std::stoull(s.data.substr(0, colon));
    nd.app_hash = std::stoull(s.data.substr(colon + 1));
    if (nd.app_index != s.index) fail("snapshot data does not match its index");
    check_app(nd);
  }

  void apply(node& nd, const entry& e) {
    if (e.index != nd.app_index + 1) {
      fail("node " + std::to_string(nd.cfg.id) + " applies " + std::to_string(e.index) + " after " +
           std::to_string(nd.app_index));
      return;
    }
    auto [it, fresh] = committed_.emplace(e.index, e);
    if (!fresh && it->second != e) {
      fail("committed entry " + std::to_string(e.index) + " differs: " + describe(it->second) + " vs " + describe(e) +
           " on node " + std::to_string(nd.cfg.id));
    }
    nd.app_hash = mix(nd.app_hash, e);
    nd.app_index = e.index;
    check_app(nd);
  }

  void check_app(node& nd) {
    auto [it, fresh] = app_hashes_.emplace(nd.app_index, nd.app_hash);
    if (!fresh && it->second != nd.app_hash) {
      fail("state machines differ at index " + std::to_string(nd.app_index) + " on node " + std::to_string(nd.cfg.id));
    }
  }

  // ---- invariants ----
  void check_memory(node& nd) {
    const core& r = *nd.raft;
    if (r.commit() < nd.seen_commit) fail("commit index went backwards on node " + std::to_string(nd.cfg.id));
    nd.seen_commit = r.commit();
    if (r.commit() > r.log().last_index()) fail("commit beyond the log");
    const bool leader = r.role() == role_kind::leader;
    if (leader) {
      auto [it, fresh] = leaders_.emplace(r.term(), nd.cfg.id);
      if (!fresh && it->second != nd.cfg.id) {
        fail("two leaders in term " + std::to_string(r.term()) + ": " + std::to_string(it->second) + " and " +
             std::to_string(nd.cfg.id));
      }
      if (!nd.was_leader) {
        check_leader_completeness(nd);
        // Leaders that die young are what exposes commit-rule bugs (Raft figure 8): kill some of them soon.
        if (!quiet_ && rng_.chance(kill_leader_)) {
          schedule(now_ + rng_.between(1, kill_delay_max_), ev_kind::crash, nd.cfg.id, {}, nd.incarnation);
        }
      }
    }
    nd.was_leader = leader;
  }

  // Leader Completeness: a new leader's log holds every entry committed so far.
  void check_leader_completeness(node& nd) {
    const raft_log& log = nd.raft->log();
    for (auto it = committed_.upper_bound(log.snapshot_index()); it != committed_.end(); ++it) {
      if (!log.matches(it->first, it->second.term)) {
        fail("leader " + std::to_string(nd.cfg.id) + " of term " + std::to_string(nd.raft->term()) +
             " lacks committed entry " + describe(it->second));
        return;
      }
    }
  }

  // Log Matching, checked incrementally: an (index, term) pair identifies one entry and one predecessor term.
  void check_ready(node& nd, const ready_batch& rd) {
    // Cutting below what this node already made durable as committed would lose a committed entry. (Its in-memory
    // commit may legitimately be past the cut: the same append that truncates can carry the replacements.)
    if (rd.truncate_from && *rd.truncate_from <= nd.durable.hard.commit) {
      fail("node " + std::to_string(nd.cfg.id) + " truncates committed entries from " +
           std::to_string(*rd.truncate_from));
    }
    for (const auto& e : rd.entries) {
      auto prev = nd.raft->log().term_at(e.index - 1);
      auto [it, fresh] = entries_.emplace(std::make_pair(e.index, e.term), std::make_pair(e.data, prev.value_or(~0ULL)));
      if (fresh) continue;
      if (it->second.first != e.data ||
          (prev && it->second.second != ~0ULL && it->second.second != *prev)) {
        fail("log matching violated at " + describe(e) + " on node " + std::to_string(nd.cfg.id));
      }
      if (!prev) continue;
      if (it->second.second == ~0ULL) it->second.second = *prev;
    }
  }

  // Committed entries are never lost: an entry is committed once any node made a commit index covering it durable,
  // and from then on every durable or applied copy of that index must be the same entry.
  void check_durable(node& nd) {
    for (const auto& e : nd.durable.entries) {
      if (e.index > nd.durable.hard.commit) break;
      auto [it, fresh] = committed_.emplace(e.index, e);
      if (!fresh && it->second != e) {
        fail("node " + std::to_string(nd.cfg.id) + " has durable committed " + describe(e) + " but " +
             describe(it->second) + " was committed");
      }
    }
  }

  void check_converged() {
    node_id leader = no_node;
    for (auto& [id, nd] : nodes_) {
      if (nd.raft && nd.raft->role() == role_kind::leader) leader = id;
    }
    if (leader == no_node) return fail("no leader after the quiet phase");
    const core& l = *nodes_[leader].raft;
    for (auto& [id, nd] : nodes_) {
      if (!nd.raft) return fail("node down after the quiet phase");
      if (nd.raft->leader() != leader) return fail("node " + std::to_string(id) + " does not follow the leader");
      if (nd.app_index != l.commit()) {
        return fail("node " + std::to_string(id) + " applied " + std::to_string(nd.app_index) + " but leader committed " +
                    std::to_string(l.commit()));
      }
    }
    if (l.commit() != l.log().last_index()) fail("leader has uncommitted entries after the quiet phase");
  }

  options opt_;
  rng rng_;
  outcome out_;
  uint64_t n_ = 3;
  double drop_ = 0, dup_ = 0;
  int64_t max_delay_ = 1, crash_every_ = 1000, partition_every_ = 1000;
  index_t compact_after_ = 10;
  size_t max_entries_ = 1;
  double kill_leader_ = 0, kill_after_commit_ = 0;
  int64_t kill_delay_max_ = 80, restart_max_ = 400, propose_gap_ = 60;
  std::map<node_id, node> nodes_;
  std::map<node_id, int> group_;
  std::priority_queue<event, std::vector<event>, std::greater<>> queue_;
  uint64_t seq_ = 0;
  int64_t now_ = 0;
  bool quiet_ = false;
  uint64_t proposals_ = 0;
  std::map<term_t, node_id> leaders_;
  std::map<index_t, entry> committed_;
  std::map<index_t, uint64_t> app_hashes_;
  std::map<std::pair<index_t, term_t>, std::pair<std::string, term_t>> entries_;
};

}  // namespace

outcome run(const options& opt) { return simulation(opt).run(); }

}  // namespace samsa::raft::sim
