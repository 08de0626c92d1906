// The classic group protocol's state machine; see include/samsa/group/group.h. Follows Kafka's
// GroupCoordinator (2.x, before KIP-848) decision by decision, including its error precedence.
#include "samsa/group/group.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "samsa/group/errors.h"

namespace samsa::group {

std::string_view to_string(group_state s) noexcept {
  switch (s) {
    case group_state::empty: return "Empty";
    case group_state::preparing_rebalance: return "PreparingRebalance";
    case group_state::completing_rebalance: return "CompletingRebalance";
    case group_state::stable: return "Stable";
    case group_state::dead: return "Dead";
  }
  return "Dead";
}

const std::vector<uint8_t>* member::metadata_for(const std::string& protocol) const {
  for (const auto& p : protocols)
    if (p.name == protocol) return &p.metadata;
  return nullptr;
}

namespace {

// "<prefix>-<uuid v4>", as Kafka names members.
std::string new_member_id(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char buf[48];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return prefix + "-" + buf;
}

}  // namespace

group::group(std::string id, const group_config& cfg, int64_t now) : id_(std::move(id)), cfg_(cfg), state_ts_(now) {}

void group::transition(group_state s, int64_t now) {
  state_ = s;
  state_ts_ = now;
}

bool group::supports_protocols(const std::string& type, const std::vector<protocol_entry>& protocols) const {
  if (members_.empty()) return !type.empty() && !protocols.empty();
  if (!protocol_type_ || *protocol_type_ != type) return false;
  // Some protocol of the candidate must be supported by every current member.
  for (const auto& p : protocols) {
    bool all = true;
    for (const auto& [id, m] : members_)
      if (!m.metadata_for(p.name)) {
        all = false;
        break;
      }
    if (all) return true;
  }
  return false;
}

std::string group::select_protocol() const {
  // Candidates: protocols every member supports; each member votes for its most preferred candidate.
  std::vector<std::string> candidates;
  const member* first = nullptr;
  for (const auto& [id, m] : members_)
    if (!first || m.seq < first->seq) first = &m;
  if (!first) return {};
  for (const auto& p : first->protocols) {
    bool all = true;
    for (const auto& [id, m] : members_)
      if (!m.metadata_for(p.name)) {
        all = false;
        break;
      }
    if (all) candidates.push_back(p.name);
  }
  if (candidates.empty()) return {};
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_)
    for (const auto& p : m.protocols)
      if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
        ++votes[p.name];
        break;
      }
  // Most votes; ties go to the oldest member's preference order.
  std::string best = candidates.front();
  for (const auto& c : candidates)
    if (votes[c] > votes[best]) best = c;
  return best;
}

join_result group::result_for(const member& m, kafka_errc error) const {
  join_result r;
  r.error = error;
  r.generation = generation_;
  r.protocol_type = protocol_type_;
  r.protocol_name = protocol_name_;
  r.leader = leader_.value_or("");
  r.member_id = m.id;
  return r;
}

void group::join(join_request req, int64_t now, join_callback cb) {
  auto fail = [&](kafka_errc error, std::string member_id = {}) {
    join_result r;
    r.error = error;
    r.member_id = std::move(member_id);
    cb(std::move(r));
  };
  if (state_ == group_state::dead) return fail(err::coordinator_not_available, req.member_id);
  if (!supports_protocols(req.protocol_type, req.protocols))
    return fail(err::inconsistent_group_protocol, req.member_id);

  if (req.member_id.empty()) {
    // A new member (or a static member coming back under a new member id).
    if (req.group_instance_id) {
      auto it = static_members_.find(*req.group_instance_id);
      if (it != static_members_.end() && members_.count(it->second)) {
        const std::string old_id = it->second;
        return update_static_member_and_rebalance(old_id, std::move(req), now, std::move(cb));
      }
      if (static_cast<int64_t>(members_.size() + pending_.size()) >= cfg_.max_size)
        return fail(err::group_max_size_reached);
      std::string id = new_member_id(*req.group_instance_id);
      return add_member_and_rebalance(std::move(req), std::move(id), now, std::move(cb));
    }
    if (static_cast<int64_t>(members_.size() + pending_.size()) >= cfg_.max_size)
      return fail(err::group_max_size_reached);
    std::string id = new_member_id(req.client_id);
    if (req.require_known_member_id) {
      // KIP-394: hand out the id and wait for the member to come back with it.
      pending_[id] = now + req.session_timeout_ms;
      join_result r;
      r.error = err::member_id_required;
      r.member_id = id;
      return cb(std::move(r));
    }
    return add_member_and_rebalance(std::move(req), std::move(id), now, std::move(cb));
  }

  // A known (or pending) member.
  if (pending_.count(req.member_id)) {
    pending_.erase(req.member_id);
    std::string id = req.member_id;
    return add_member_and_rebalance(std::move(req), std::move(id), now, std::move(cb));
  }
  if (req.group_instance_id) {
    auto it = static_members_.find(*req.group_instance_id);
    if (it != static_members_.end() && it->second != req.member_id) return fail(err::fenced_instance_id, req.member_id);
  }
  auto mit = members_.find(req.member_id);
  if (mit == members_.end()) return fail(err::unknown_member_id, req.member_id);
  member& m = mit->second;
  switch (state_) {
    case group_state::preparing_rebalance:
      update_member(m, std::move(req), std::move(cb));
      try_complete_join(now);
      return;
    case group_state::completing_rebalance:
      if (m.protocols == req.protocols) {
        // The member lost the JoinGroup response: send it again.
        join_result r = result_for(m, err::none);
        if (leader_ && *leader_ == m.id)
          for (const auto& [id, o] : members_) {
            const auto* md = o.metadata_for(*protocol_name_);
            r.members.push_back({id, o.instance_id, md ? *md : std::vector<uint8_t>{}});
          }
        reset_session(m, now);
        return cb(std::move(r));
      }
      update_member(m, std::move(req), std::move(cb));
      prepare_rebalance(now);
      return;
    case group_state::stable:
      if ((leader_ && *leader_ == m.id) || m.protocols != req.protocols) {
        // The leader rejoining (e.g. its subscription changed) or new metadata: a new generation.
        update_member(m, std::move(req), std::move(cb));
        prepare_rebalance(now);
      } else {
        reset_session(m, now);
        cb(result_for(m, err::none));
      }
      return;
    case group_state::empty:
    case group_state::dead:
      return fail(err::unknown_member_id, req.member_id);
  }
}

void group::update_member(member& m, join_request&& req, join_callback cb) {
  m.protocols = std::move(req.protocols);
  m.protocol_type = std::move(req.protocol_type);
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.client_id = std::move(req.client_id);
  m.client_host = std::move(req.client_host);
  if (m.awaiting_join) {
    // A duplicate join while one is pending: the older request gets the error, the newer one waits.
    auto old = std::move(m.awaiting_join);
    old(result_for(m, err::unknown_member_id));
  }
  m.awaiting_join = std::move(cb);
}

void group::add_member_and_rebalance(join_request&& req, std::string member_id, int64_t now, join_callback cb) {
  member m;
  m.id = member_id;
  m.instance_id = req.group_instance_id;
  m.client_id = std::move(req.client_id);
  m.client_host = std::move(req.client_host);
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.protocol_type = req.protocol_type;
  m.protocols = std::move(req.protocols);
  m.awaiting_join = std::move(cb);
  m.seq = next_seq_++;
  reset_session(m, now);
  if (members_.empty()) protocol_type_ = req.protocol_type;
  if (!leader_) leader_ = member_id;
  if (m.instance_id) static_members_[*m.instance_id] = member_id;
  members_.emplace(member_id, std::move(m));
  if (state_ == group_state::preparing_rebalance && initial_delay_) new_member_added_ = true;
  maybe_prepare_rebalance(now);
  if (state_ == group_state::preparing_rebalance) try_complete_join(now);
}

void group::update_static_member_and_rebalance(const std::string& old_id, join_request&& req, int64_t now,
                                               join_callback cb) {
  const std::string new_id = new_member_id(*req.group_instance_id);
  const std::optional<std::string> current_leader = leader_;
  auto node = members_.extract(old_id);
  member m = std::move(node.mapped());
  // The old incarnation is fenced: anything it still waits for fails.
  if (m.awaiting_join) {
    auto old = std::move(m.awaiting_join);
    join_result r;
    r.error = err::fenced_instance_id;
    r.member_id = old_id;
    old(std::move(r));
  }
  if (m.awaiting_sync) {
    auto old = std::move(m.awaiting_sync);
    sync_result r;
    r.error = err::fenced_instance_id;
    old(std::move(r));
  }
  m.id = new_id;
  static_members_[*req.group_instance_id] = new_id;
  if (leader_ && *leader_ == old_id) leader_ = new_id;
  reset_session(m, now);
  auto& ref = members_.emplace(new_id, std::move(m)).first->second;
  update_member(ref, std::move(req), std::move(cb));
  switch (state_) {
    case group_state::stable: {
      const std::string next = select_protocol();
      if (protocol_name_ && *protocol_name_ == next) {
        // Same assignment as before: no rebalance (KIP-345). The old leader id is returned so that the
        // returning member does not think it must compute assignments.
        join_result r = result_for(ref, err::none);
        r.leader = current_leader.value_or("");
        auto done = std::move(ref.awaiting_join);
        store();
        done(std::move(r));
      } else {
        prepare_rebalance(now);
      }
      return;
    }
    case group_state::completing_rebalance:
      prepare_rebalance(now);
      return;
    default:
      if (state_ == group_state::preparing_rebalance) try_complete_join(now);
      return;
  }
}

void group::maybe_prepare_rebalance(int64_t now) {
  if (state_ == group_state::stable || state_ == group_state::completing_rebalance || state_ == group_state::empty)
    prepare_rebalance(now);
}

void group::prepare_rebalance(int64_t now) {
  if (state_ == group_state::completing_rebalance) {
    // Members waiting for their assignment must rejoin.
    for (auto& [id, m] : members_) {
      m.assignment.clear();
      if (m.awaiting_sync) {
        auto cb = std::move(m.awaiting_sync);
        sync_result r;
        r.error = err::rebalance_in_progress;
        cb(std::move(r));
      }
    }
  }
  const bool was_empty = state_ == group_state::empty;
  int32_t rebalance_timeout = 0;
  for (const auto& [id, m] : members_) rebalance_timeout = std::max(rebalance_timeout, m.rebalance_timeout_ms);
  transition(group_state::preparing_rebalance, now);
  ++rebalances_;
  if (was_empty && cfg_.initial_rebalance_delay_ms > 0) {
    initial_delay_ = true;
    new_member_added_ = false;
    const int64_t delay = std::min<int64_t>(cfg_.initial_rebalance_delay_ms, rebalance_timeout);
    initial_remaining_ = std::max<int64_t>(rebalance_timeout - delay, 0);
    join_deadline_ = now + delay;
  } else {
    initial_delay_ = false;
    join_deadline_ = now + rebalance_timeout;
  }
  try_complete_join(now);  // e.g. the only member rejoined, or nobody is left
}

void group::try_complete_join(int64_t now) {
  if (state_ != group_state::preparing_rebalance || initial_delay_) return;
  if (!pending_.empty()) return;
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join) return;
  complete_join(now);
}

void group::complete_join(int64_t now) {
  join_deadline_ = INT64_MAX;
  initial_delay_ = false;
  // Members that did not rejoin in time are out (static ones too: their session is over as far as this
  // generation goes).
  std::vector<std::string> gone;
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join) gone.push_back(id);
  for (const auto& id : gone) {
    auto it = members_.find(id);
    if (it->second.instance_id) static_members_.erase(*it->second.instance_id);
    members_.erase(it);
  }
  pending_.clear();
  if (leader_ && !members_.count(*leader_)) leader_.reset();
  ++generation_;
  if (members_.empty()) {
    protocol_name_.reset();
    leader_.reset();
    transition(group_state::empty, now);
    store();
    return;
  }
  protocol_name_ = select_protocol();
  if (!leader_) {
    const member* first = nullptr;
    for (const auto& [id, m] : members_)
      if (!first || m.seq < first->seq) first = &m;
    leader_ = first->id;
  }
  transition(group_state::completing_rebalance, now);
  std::vector<std::pair<join_callback, join_result>> answers;
  for (auto& [id, m] : members_) {
    join_result r = result_for(m, err::none);
    if (id == *leader_)
      for (const auto& [oid, o] : members_) {
        const auto* md = o.metadata_for(*protocol_name_);
        r.members.push_back({oid, o.instance_id, md ? *md : std::vector<uint8_t>{}});
      }
    reset_session(m, now);
    answers.emplace_back(std::move(m.awaiting_join), std::move(r));
    m.awaiting_join = nullptr;
  }
  for (auto& [cb, r] : answers) cb(std::move(r));
}

void group::sync(sync_request req, int64_t now, sync_callback cb) {
  auto fail = [&](kafka_errc error) {
    sync_result r;
    r.error = error;
    cb(std::move(r));
  };
  if (state_ == group_state::dead) return fail(err::coordinator_not_available);
  if (req.group_instance_id) {
    auto it = static_members_.find(*req.group_instance_id);
    if (it != static_members_.end() && it->second != req.member_id) return fail(err::fenced_instance_id);
  }
  auto mit = members_.find(req.member_id);
  if (mit == members_.end()) return fail(err::unknown_member_id);
  if (req.generation != generation_) return fail(err::illegal_generation);
  if ((req.protocol_type && protocol_type_ && *req.protocol_type != *protocol_type_) ||
      (req.protocol_name && protocol_name_ && *req.protocol_name != *protocol_name_))
    return fail(err::inconsistent_group_protocol);
  member& m = mit->second;
  switch (state_) {
    case group_state::empty: return fail(err::unknown_member_id);
    case group_state::preparing_rebalance: return fail(err::rebalance_in_progress);
    case group_state::completing_rebalance: {
      reset_session(m, now);
      if (m.awaiting_sync) {
        auto old = std::move(m.awaiting_sync);
        sync_result r;
        r.error = err::unknown_member_id;
        old(std::move(r));
      }
      m.awaiting_sync = std::move(cb);
      if (leader_ && *leader_ == m.id) {
        for (auto& [id, o] : members_) o.assignment.clear();
        for (auto& [id, bytes] : req.assignments) {
          auto it = members_.find(id);
          if (it != members_.end()) it->second.assignment = std::move(bytes);
        }
        transition(group_state::stable, now);
        store();
        std::vector<std::pair<sync_callback, sync_result>> answers;
        for (auto& [id, o] : members_) {
          if (!o.awaiting_sync) continue;
          sync_result r;
          r.protocol_type = protocol_type_;
          r.protocol_name = protocol_name_;
          r.assignment = o.assignment;
          answers.emplace_back(std::move(o.awaiting_sync), std::move(r));
          o.awaiting_sync = nullptr;
        }
        for (auto& [c, r] : answers) c(std::move(r));
      }
      return;
    }
    case group_state::stable: {
      reset_session(m, now);
      sync_result r;
      r.protocol_type = protocol_type_;
      r.protocol_name = protocol_name_;
      r.assignment = m.assignment;
      return cb(std::move(r));
    }
    case group_state::dead: return fail(err::coordinator_not_available);
  }
}

kafka_errc group::heartbeat(const std::string& member_id, const std::optional<std::string>& instance_id,
                         int32_t generation, int64_t now) {
  if (state_ == group_state::dead) return err::coordinator_not_available;
  if (instance_id) {
    auto it = static_members_.find(*instance_id);
    if (it != static_members_.end() && it->second != member_id) return err::fenced_instance_id;
  }
  auto mit = members_.find(member_id);
  if (mit == members_.end()) return err::unknown_member_id;
  if (generation != generation_) return err::illegal_generation;
  switch (state_) {
    case group_state::empty: return err::unknown_member_id;
    case group_state::completing_rebalance:
    case group_state::stable: reset_session(mit->second, now); return err::none;
    case group_state::preparing_rebalance: reset_session(mit->second, now); return err::rebalance_in_progress;
    case group_state::dead: return err::coordinator_not_available;
  }
  return err::unknown_server_error;
}

kafka_errc group::leave(const std::string& member_id, const std::optional<std::string>& instance_id, int64_t now) {
  if (state_ == group_state::dead) return err::coordinator_not_available;
  std::string id = member_id;
  if (instance_id) {
    auto it = static_members_.find(*instance_id);
    if (it == static_members_.end()) return err::unknown_member_id;
    if (!member_id.empty() && it->second != member_id) return err::fenced_instance_id;
    id = it->second;
  }
  if (pending_.erase(id)) {
    try_complete_join(now);
    return err::none;
  }
  if (!members_.count(id)) return err::unknown_member_id;
  remove_member(id, now);
  return err::none;
}

void group::remove_member(const std::string& id, int64_t now) {
  auto it = members_.find(id);
  if (it == members_.end()) return;
  member m = std::move(it->second);
  members_.erase(it);
  if (m.instance_id) {
    auto s = static_members_.find(*m.instance_id);
    if (s != static_members_.end() && s->second == id) static_members_.erase(s);
  }
  if (leader_ && *leader_ == id) {
    leader_.reset();
    const member* first = nullptr;
    for (const auto& [oid, o] : members_)
      if (!first || o.seq < first->seq) first = &o;
    if (first) leader_ = first->id;
  }
  if (m.awaiting_join) {
    join_result r;
    r.error = err::unknown_member_id;
    r.member_id = id;
    m.awaiting_join(std::move(r));
  }
  if (m.awaiting_sync) {
    sync_result r;
    r.error = err::unknown_member_id;
    m.awaiting_sync(std::move(r));
  }
  switch (state_) {
    case group_state::stable:
    case group_state::completing_rebalance: prepare_rebalance(now); break;
    case group_state::preparing_rebalance: try_complete_join(now); break;
    default: break;
  }
}

kafka_errc group::validate_commit(const std::string& member_id, const std::optional<std::string>& instance_id,
                               int32_t generation, int64_t now) {
  if (state_ == group_state::dead) return err::coordinator_not_available;
  if (generation < 0 && member_id.empty() && state_ == group_state::empty) return err::none;  // simple commit
  if (instance_id) {
    auto it = static_members_.find(*instance_id);
    if (it != static_members_.end() && it->second != member_id) return err::fenced_instance_id;
  }
  if (state_ == group_state::completing_rebalance) return err::rebalance_in_progress;
  auto mit = members_.find(member_id);
  if (mit == members_.end()) return err::unknown_member_id;
  if (generation != generation_) return err::illegal_generation;
  reset_session(mit->second, now);
  return err::none;
}

void group::tick(int64_t now) {
  if (state_ == group_state::dead) return;
  // Pending members that never came back with their id.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second <= now) it = pending_.erase(it);
    else ++it;
  }
  // Sessions: members waiting for a JoinGroup/SyncGroup answer are alive by definition.
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join && !m.awaiting_sync && m.session_deadline <= now) expired.push_back(id);
  for (const auto& id : expired) remove_member(id, now);
  if (state_ == group_state::preparing_rebalance) {
    if (join_deadline_ <= now) {
      if (initial_delay_ && new_member_added_ && initial_remaining_ > 0) {
        // More members arrived during the initial delay: wait a bit longer for the rest of them.
        const int64_t delay = std::min<int64_t>(cfg_.initial_rebalance_delay_ms, initial_remaining_);
        initial_remaining_ -= delay;
        new_member_added_ = false;
        join_deadline_ = now + delay;
      } else {
        complete_join(now);
      }
    } else {
      try_complete_join(now);
    }
  }
}

int64_t group::next_deadline() const {
  int64_t d = INT64_MAX;
  for (const auto& [id, t] : pending_) d = std::min(d, t);
  for (const auto& [id, m] : members_)
    if (!m.awaiting_join && !m.awaiting_sync) d = std::min(d, m.session_deadline);
  if (state_ == group_state::preparing_rebalance) d = std::min(d, join_deadline_);
  return d;
}

std::vector<member_summary> group::describe_members() const {
  std::vector<const member*> ordered;
  for (const auto& [id, m] : members_) ordered.push_back(&m);
  std::sort(ordered.begin(), ordered.end(), [](const member* a, const member* b) { return a->seq < b->seq; });
  std::vector<member_summary> out;
  for (const member* m : ordered) {
    member_summary s{m->id, m->instance_id, m->client_id, m->client_host, {}, {}};
    if (state_ == group_state::stable && protocol_name_) {
      if (const auto* md = m->metadata_for(*protocol_name_)) s.metadata = *md;
      s.assignment = m->assignment;
    }
    out.push_back(std::move(s));
  }
  return out;
}

group_snapshot group::snapshot(int64_t now) const {
  group_snapshot s;
  s.protocol_type = protocol_type_.value_or("");
  s.generation = generation_;
  s.protocol_name = protocol_name_;
  s.leader = leader_;
  s.state_timestamp = now;
  if (state_ == group_state::stable || state_ == group_state::completing_rebalance) {
    for (const member* m : [&] {
           std::vector<const member*> v;
           for (const auto& [id, mm] : members_) v.push_back(&mm);
           std::sort(v.begin(), v.end(), [](const member* a, const member* b) { return a->seq < b->seq; });
           return v;
         }()) {
      group_snapshot::member_record r;
      r.member_id = m->id;
      r.group_instance_id = m->instance_id;
      r.client_id = m->client_id;
      r.client_host = m->client_host;
      r.rebalance_timeout_ms = m->rebalance_timeout_ms;
      r.session_timeout_ms = m->session_timeout_ms;
      if (protocol_name_)
        if (const auto* md = m->metadata_for(*protocol_name_)) r.subscription = *md;
      r.assignment = m->assignment;
      s.members.push_back(std::move(r));
    }
  }
  return s;
}

void group::restore(const group_snapshot& s, int64_t now) {
  members_.clear();
  static_members_.clear();
  pending_.clear();
  generation_ = s.generation;
  protocol_type_ = s.protocol_type.empty() ? std::nullopt : std::optional<std::string>(s.protocol_type);
  protocol_name_ = s.protocol_name;
  leader_ = s.leader;
  for (const auto& r : s.members) {
    member m;
    m.id = r.member_id;
    m.instance_id = r.group_instance_id;
    m.client_id = r.client_id;
    m.client_host = r.client_host;
    m.rebalance_timeout_ms = r.rebalance_timeout_ms;
    m.session_timeout_ms = r.session_timeout_ms;
    m.protocol_type = s.protocol_type;
    if (s.protocol_name) m.protocols.push_back({*s.protocol_name, r.subscription});
    m.assignment = r.assignment;
    m.seq = next_seq_++;
    reset_session(m, now);
    if (m.instance_id) static_members_[*m.instance_id] = m.id;
    members_.emplace(m.id, std::move(m));
  }
  if (members_.empty() || !protocol_name_) {
    members_.clear();
    static_members_.clear();
    leader_.reset();
    transition(group_state::empty, now);
  } else {
    if (!leader_ || !members_.count(*leader_)) leader_ = members_.begin()->first;
    transition(group_state::stable, now);
  }
}

void group::make_dead(kafka_errc error) {
  for (auto& [id, m] : members_) {
    if (m.awaiting_join) {
      join_result r;
      r.error = error;
      r.member_id = id;
      auto cb = std::move(m.awaiting_join);
      cb(std::move(r));
    }
    if (m.awaiting_sync) {
      sync_result r;
      r.error = error;
      auto cb = std::move(m.awaiting_sync);
      cb(std::move(r));
    }
  }
  members_.clear();
  static_members_.clear();
  pending_.clear();
  state_ = group_state::dead;
}

std::optional<std::set<std::string>> group::subscribed_topics() const {
  if (!protocol_type_ || *protocol_type_ != "consumer" || !protocol_name_) return std::nullopt;
  std::set<std::string> out;
  for (const auto& [id, m] : members_) {
    const auto* md = m.metadata_for(*protocol_name_);
    if (!md) return std::nullopt;
    auto topics = parse_subscription_topics(*md);
    if (!topics) return std::nullopt;
    out.insert(topics->begin(), topics->end());
  }
  return out;
}

int32_t java_string_hash(std::string_view s) noexcept {
  uint32_t h = 0;
  auto add = [&](uint32_t unit) { h = 31 * h + unit; };
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) cp = c, len = 1;
    else if ((c >> 5) == 0x6) cp = c & 0x1f, len = 2;
    else if ((c >> 4) == 0xe) cp = c & 0x0f, len = 3;
    else if ((c >> 3) == 0x1e) cp = c & 0x07, len = 4;
    else cp = 0xfffd, len = 1;  // invalid lead byte: Java's decoder substitutes U+FFFD
    if (len > 1) {
      if (i + len > s.size()) {
        cp = 0xfffd;
        len = 1;
      } else {
        for (size_t k = 1; k < len; ++k) {
          const auto cc = static_cast<unsigned char>(s[i + k]);
          if ((cc >> 6) != 0x2) {
            cp = 0xfffd;
            len = 1;
            break;
          }
          cp = (cp << 6) | (cc & 0x3f);
        }
      }
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xd800 + (cp >> 10));
      add(0xdc00 + (cp & 0x3ff));
    } else {
      add(cp);
    }
  }
  return static_cast<int32_t>(h);
}

int32_t partition_for_group(std::string_view group_id, int32_t partitions) noexcept {
  const int32_t h = java_string_hash(group_id);
  const int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
  return partitions <= 0 ? 0 : a % partitions;
}

std::optional<std::vector<std::string>> parse_subscription_topics(const std::vector<uint8_t>& md) {
  // ConsumerProtocolSubscription: version int16, topics [string] (int32 count, int16-length strings), ...
  size_t p = 0;
  auto need = [&](size_t n) { return p + n <= md.size(); };
  if (!need(6)) return std::nullopt;
  p = 2;
  const int32_t n = static_cast<int32_t>((uint32_t(md[p]) << 24) | (uint32_t(md[p + 1]) << 16) |
                                         (uint32_t(md[p + 2]) << 8) | uint32_t(md[p + 3]));
  p += 4;
  if (n < 0 || static_cast<size_t>(n) > md.size()) return std::nullopt;
  std::vector<std::string> out;
  for (int32_t i = 0; i < n; ++i) {
    if (!need(2)) return std::nullopt;
    const int16_t len = static_cast<int16_t>((md[p] << 8) | md[p + 1]);
    p += 2;
    if (len < 0 || !need(static_cast<size_t>(len))) return std::nullopt;
    out.emplace_back(reinterpret_cast<const char*>(md.data() + p), static_cast<size_t>(len));
    p += static_cast<size_t>(len);
  }
  return out;
}

}  // namespace samsa::group
