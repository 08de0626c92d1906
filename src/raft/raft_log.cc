#include "samsa/raft/raft_log.h"

#include <algorithm>
#include <cassert>

namespace samsa::raft {

std::optional<term_t> raft_log::term_at(index_t i) const noexcept {
  if (i == snap_index_) return snap_term_;
  if (i < snap_index_ || i > last_index()) return std::nullopt;
  return entries_[i - first_index()].term;
}

std::vector<entry> raft_log::slice(index_t lo, index_t hi, size_t max) const {
  std::vector<entry> out;
  lo = std::max(lo, first_index());
  hi = std::min(hi, last_index());
  for (index_t i = lo; i <= hi && out.size() < max; ++i) out.push_back(at(i));
  return out;
}

void raft_log::truncate_and_append(index_t from, std::span<const entry> es) {
  assert(from >= first_index() && from <= last_index() + 1);
  entries_.resize(from - first_index());
  for (const auto& e : es) {
    assert(e.index == last_index() + 1);
    entries_.push_back(e);
  }
}

void raft_log::compact(index_t i) {
  assert(i > snap_index_ && i <= last_index());
  snap_term_ = at(i).term;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(i - snap_index_));
  snap_index_ = i;
}

void raft_log::reset(index_t i, term_t t) {
  entries_.clear();
  snap_index_ = i;
  snap_term_ = t;
}

}  // namespace samsa::raft
