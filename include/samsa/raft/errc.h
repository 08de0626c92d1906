#pragma once
// Raft error codes. The core never throws: misuse (stepping while a ready batch is outstanding, proposing on a
// follower, compacting past the applied index) comes back as one of these.
#include <system_error>
#include <type_traits>

namespace samsa::raft {

enum class errc {
  not_leader = 1,     // propose() on a node that is not the leader
  ready_pending,      // an input arrived between ready() and advance()
  invalid_message,    // addressed to another node, or from a node that is not a voter
  invalid_argument,   // bad config, or compact() outside (snapshot index, applied index]
  corrupt,            // persisted state that cannot be valid (commit beyond the log, gaps)
  io_error,           // driver: reading or writing the persisted log failed
};

const std::error_category& raft_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace samsa::raft

template <>
struct std::is_error_code_enum<samsa::raft::errc> : std::true_type {};
