#pragma once
// mem_cluster: a synchronous in-memory cluster of raft cores for unit and interaction tests. process_ready()
// does exactly what the ready_batch contract asks (persist, then send, then apply), messages wait in a FIFO per
// destination until deliver(), and crash() discards everything that was not persisted. When a trace string is
// attached, every step is rendered into it (the interaction tests' golden output).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "samsa/raft/core.h"

namespace samsa::raft::testing {

struct mem_node {
  config cfg;
  persisted_state durable;         // what survived on "disk"
  std::optional<core> raft;        // empty while crashed
  std::vector<std::string> state;  // the state machine: data of every applied entry, in order
  index_t state_index = 0;         // index of the last entry reflected in `state`
};

class mem_cluster {
 public:
  // Adds voters 1..n (the first call only). Every node gets `tmpl` with its own id and seed.
  void add_nodes(size_t n, const config& tmpl);
  mem_node& node(node_id id) { return nodes_.at(id); }
  core& raft(node_id id) { return *nodes_.at(id).raft; }
  std::vector<node_id> ids() const;

  // Handles one ready batch of `id`; returns false when there was nothing to do.
  bool process_ready(node_id id);
  // Delivers the messages queued for `id` (all nodes when no_node); returns how many were delivered or dropped.
  size_t deliver(node_id id = no_node);
  // Repeats process_ready + deliver on every node until nothing moves.
  void stabilize();
  // Ticks `id` n times, handling ready batches in between (messages stay queued).
  void tick(node_id id, int n = 1);
  // Drops queued messages to `id` (all nodes when no_node).
  void drop(node_id id = no_node);

  // Groups that can talk only within themselves; an empty list heals.
  void partition(const std::vector<std::vector<node_id>>& groups);
  void crash(node_id id);
  void restart(node_id id);

  void set_trace(std::string* out) { trace_ = out; }
  size_t queued(node_id id) const;

 private:
  void emit(const std::string& line);
  bool connected(node_id a, node_id b) const;
  void apply(mem_node& n, const ready_batch& rd);

  std::map<node_id, mem_node> nodes_;
  std::map<node_id, std::vector<message>> queues_;
  std::map<node_id, int> group_of_;  // empty: fully connected
  std::string* trace_ = nullptr;
};

// "a,b,c" <-> {"a","b","c"}: the state machine's snapshot encoding.
std::string encode_state(const std::vector<std::string>& s);
std::vector<std::string> decode_state(const std::string& s);

}  // namespace samsa::raft::testing
