// Stable one-line renderings of raft values. Golden traces in tests/raft/testdata depend on this format: change it
// only together with a SAMSA_REWRITE=1 run and a review of the trace diff.
#include <string>

#include "samsa/raft/ready.h"
#include "samsa/raft/types.h"

namespace samsa::raft {

const char* to_string(msg_type t) noexcept {
  switch (t) {
    case msg_type::pre_vote: return "prevote";
    case msg_type::pre_vote_resp: return "prevote-resp";
    case msg_type::vote: return "vote";
    case msg_type::vote_resp: return "vote-resp";
    case msg_type::append: return "app";
    case msg_type::append_resp: return "app-resp";
    case msg_type::heartbeat: return "heartbeat";
    case msg_type::heartbeat_resp: return "heartbeat-resp";
    case msg_type::install_snapshot: return "snapshot";
  }
  return "?";
}

const char* to_string(role_kind r) noexcept {
  switch (r) {
    case role_kind::follower: return "follower";
    case role_kind::pre_candidate: return "pre-candidate";
    case role_kind::candidate: return "candidate";
    case role_kind::leader: return "leader";
  }
  return "?";
}

std::string describe(const entry& e) {
  return std::to_string(e.index) + "@" + std::to_string(e.term) + " \"" + e.data + "\"";
}

std::string describe(const message& m) {
  std::string s = std::to_string(m.from) + "->" + std::to_string(m.to) + " " + to_string(m.type) +
                  " term=" + std::to_string(m.term);
  auto at = [](index_t i, term_t t) { return std::to_string(i) + "@" + std::to_string(t); };
  switch (m.type) {
    case msg_type::pre_vote:
    case msg_type::vote:
      s += " last=" + at(m.index, m.log_term);
      break;
    case msg_type::pre_vote_resp:
    case msg_type::vote_resp:
    case msg_type::heartbeat_resp:
      if (m.reject) s += " reject";
      break;
    case msg_type::append:
      s += " prev=" + at(m.index, m.log_term) + " commit=" + std::to_string(m.commit);
      if (!m.entries.empty()) {
        s += " [";
        for (size_t i = 0; i < m.entries.size(); ++i) s += (i ? ", " : "") + describe(m.entries[i]);
        s += "]";
      }
      break;
    case msg_type::append_resp:
      if (m.reject) {
        s += " reject index=" + std::to_string(m.index) + " hint=" + std::to_string(m.reject_hint);
      } else {
        s += " index=" + std::to_string(m.index);
      }
      break;
    case msg_type::heartbeat:
      s += " commit=" + std::to_string(m.commit);
      break;
    case msg_type::install_snapshot:
      if (m.snap) s += " snap=" + at(m.snap->index, m.snap->term);
      break;
  }
  return s;
}

}  // namespace samsa::raft
