#pragma once
// raft_log: the in-memory Raft log of one core — the snapshot point (index, term) followed by a contiguous run of
// entries. Invariant: entries_[k].index == snapshot_index + 1 + k. Durability is not this class's business; the
// core tracks what has been handed to the shell for persistence.
#include <optional>
#include <span>
#include <vector>

#include "samsa/raft/types.h"

namespace samsa::raft {

class raft_log {
 public:
  raft_log() = default;
  raft_log(index_t snapshot_index, term_t snapshot_term) : snap_index_(snapshot_index), snap_term_(snapshot_term) {}

  index_t snapshot_index() const noexcept { return snap_index_; }
  term_t snapshot_term() const noexcept { return snap_term_; }
  index_t first_index() const noexcept { return snap_index_ + 1; }
  index_t last_index() const noexcept { return snap_index_ + entries_.size(); }
  term_t last_term() const noexcept { return entries_.empty() ? snap_term_ : entries_.back().term; }

  // Term of the entry at i; nullopt when i is below the snapshot point (compacted) or beyond the end.
  std::optional<term_t> term_at(index_t i) const noexcept;
  bool matches(index_t i, term_t t) const noexcept {
    auto x = term_at(i);
    return x && *x == t;
  }
  // REQUIRES: first_index() <= i <= last_index().
  const entry& at(index_t i) const { return entries_[i - first_index()]; }
  // Entries [lo, hi] clipped to the log, at most `max` of them.
  std::vector<entry> slice(index_t lo, index_t hi, size_t max = SIZE_MAX) const;

  // Raft §5.3 election restriction: is a log ending at (last_term, last_index) at least as up to date as ours?
  bool is_up_to_date(index_t last_index, term_t last_term) const noexcept {
    return last_term > this->last_term() || (last_term == this->last_term() && last_index >= this->last_index());
  }

  // REQUIRES: e.index == last_index() + 1.
  void append(entry e) { entries_.push_back(std::move(e)); }
  // Replaces everything from index `from` on with `es` (es[0].index == from). REQUIRES first_index() <= from <=
  // last_index() + 1.
  void truncate_and_append(index_t from, std::span<const entry> es);
  // Drops entries up to and including i, which becomes the snapshot point. REQUIRES snapshot_index() < i <= last.
  void compact(index_t i);
  // Replaces the whole log by a snapshot point (a snapshot received from the leader).
  void reset(index_t i, term_t t);

 private:
  index_t snap_index_ = 0;
  term_t snap_term_ = 0;
  std::vector<entry> entries_;
};

}  // namespace samsa::raft
