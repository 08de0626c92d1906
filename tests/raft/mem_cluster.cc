#include "mem_cluster.h"

#include <algorithm>

namespace samsa::raft::testing {

std::string encode_state(const std::vector<std::string>& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + s[i];
  return out;
}

std::vector<std::string> decode_state(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t pos = 0;
  while (true) {
    size_t c = s.find(',', pos);
    out.push_back(s.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

void mem_cluster::add_nodes(size_t n, const config& tmpl) {
  std::vector<node_id> voters;
  for (node_id i = 1; i <= n; ++i) voters.push_back(i);
  for (node_id i = 1; i <= n; ++i) {
    mem_node& nd = nodes_[i];
    nd.cfg = tmpl;
    nd.cfg.id = i;
    nd.cfg.voters = voters;
    nd.cfg.seed = tmpl.seed + i;
    auto c = core::open(nd.cfg, nd.durable);
    nd.raft.emplace(std::move(*c));
  }
}

std::vector<node_id> mem_cluster::ids() const {
  std::vector<node_id> out;
  for (auto& [id, n] : nodes_) out.push_back(id);
  return out;
}

void mem_cluster::emit(const std::string& line) {
  if (trace_) *trace_ += line + "\n";
}

size_t mem_cluster::queued(node_id id) const {
  auto it = queues_.find(id);
  return it == queues_.end() ? 0 : it->second.size();
}

bool mem_cluster::connected(node_id a, node_id b) const {
  if (group_of_.empty()) return true;
  auto ga = group_of_.find(a), gb = group_of_.find(b);
  int x = ga == group_of_.end() ? -1 : ga->second, y = gb == group_of_.end() ? -2 : gb->second;
  return x == y;
}

void mem_cluster::apply(mem_node& n, const ready_batch& rd) {
  // 1-3: persist in the contract's order.
  auto& d = n.durable;
  if (rd.truncate_from) {
    std::erase_if(d.entries, [&](const entry& e) { return e.index >= *rd.truncate_from; });
  }
  if (rd.snapshot) {
    d.snap = *rd.snapshot;
    std::erase_if(d.entries, [&](const entry& e) { return e.index <= rd.snapshot->index; });
  }
  for (const auto& e : rd.entries) d.entries.push_back(e);
  if (rd.hard) d.hard = *rd.hard;
  // 4: send.
  for (const auto& m : rd.messages) queues_[m.to].push_back(m);
  // 5: apply.
  if (rd.restore_snapshot && rd.snapshot) {
    n.state = decode_state(rd.snapshot->data);
    n.state_index = rd.snapshot->index;
  }
  for (const auto& e : rd.committed) {
    n.state.push_back(e.data);
    n.state_index = e.index;
  }
}

bool mem_cluster::process_ready(node_id id) {
  mem_node& n = nodes_.at(id);
  if (!n.raft || !n.raft->has_ready()) return false;
  ready_batch rd = n.raft->ready();
  emit("> " + std::to_string(id) + " handling ready");
  if (rd.role) {
    emit("  role: " + std::string(to_string(rd.role->role)) + " term=" + std::to_string(rd.role->term) +
         " leader=" + std::to_string(rd.role->leader));
  }
  if (rd.truncate_from) emit("  truncate from " + std::to_string(*rd.truncate_from));
  if (rd.snapshot) {
    emit("  snapshot " + std::to_string(rd.snapshot->index) + "@" + std::to_string(rd.snapshot->term) + " \"" +
         rd.snapshot->data + "\"" + (rd.restore_snapshot ? " (restore)" : ""));
  }
  for (const auto& e : rd.entries) emit("  append " + describe(e));
  if (rd.hard) {
    emit("  hard state: term=" + std::to_string(rd.hard->term) + " vote=" + std::to_string(rd.hard->vote) +
         " commit=" + std::to_string(rd.hard->commit));
  }
  for (const auto& m : rd.messages) emit("  send " + describe(m));
  for (const auto& e : rd.committed) emit("  apply " + describe(e));
  apply(n, rd);
  n.raft->advance(rd);
  return true;
}

size_t mem_cluster::deliver(node_id id) {
  size_t count = 0;
  for (auto& [to, q] : queues_) {
    if (id != no_node && to != id) continue;
    std::vector<message> msgs;
    msgs.swap(q);
    for (auto& m : msgs) {
      ++count;
      mem_node& n = nodes_.at(to);
      if (!n.raft || !connected(m.from, to)) {
        emit("dropped " + describe(m));
        continue;
      }
      emit("deliver " + describe(m));
      if (auto ec = n.raft->step(m)) emit("  error: " + ec.message());
    }
  }
  return count;
}

void mem_cluster::stabilize() {
  for (bool moved = true; moved;) {
    moved = false;
    for (auto& [id, n] : nodes_) moved |= process_ready(id);
    moved |= deliver() > 0;
  }
}

void mem_cluster::tick(node_id id, int n) {
  for (int i = 0; i < n; ++i) {
    process_ready(id);
    (void)nodes_.at(id).raft->tick();
  }
}

void mem_cluster::drop(node_id id) {
  for (auto& [to, q] : queues_) {
    if (id == no_node || to == id) q.clear();
  }
}

void mem_cluster::partition(const std::vector<std::vector<node_id>>& groups) {
  group_of_.clear();
  for (size_t g = 0; g < groups.size(); ++g) {
    for (node_id n : groups[g]) group_of_[n] = static_cast<int>(g);
  }
}

void mem_cluster::crash(node_id id) {
  mem_node& n = nodes_.at(id);
  n.raft.reset();
  n.state.clear();
  n.state_index = 0;
  queues_[id].clear();
}

void mem_cluster::restart(node_id id) {
  mem_node& n = nodes_.at(id);
  auto c = core::open(n.cfg, n.durable);
  n.raft.emplace(std::move(*c));
  n.state = decode_state(n.durable.snap.data);
  n.state_index = n.durable.snap.index;
}

}  // namespace samsa::raft::testing
