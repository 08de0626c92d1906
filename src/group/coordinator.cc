// Group coordinator: groups, committed offsets, __consumer_offsets persistence and loading. See coordinator.h.
#include "samsa/group/coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "samsa/group/errors.h"
#include "samsa/group/offsets_format.h"
#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"

namespace samsa::group {

namespace {

int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

coordinator::coordinator(group_config cfg, offsets_backend& backend, std::function<int64_t()> clock)
    : cfg_(cfg), backend_(backend), clock_(clock ? std::move(clock) : std::function<int64_t()>(system_now)) {
  last_expiry_ = clock_();
}

coordinator::~coordinator() { *alive_ = false; }

int32_t coordinator::partition_count() const {
  const int32_t n = backend_.offsets_partition_count();
  return n > 0 ? n : std::max(cfg_.offsets_topic_num_partitions, 1);
}

int32_t coordinator::partition_for(std::string_view group_id) const {
  return partition_for_group(group_id, partition_count());
}

bool coordinator::partition_loaded(int32_t p) const {
  auto it = owned_.find(p);
  return it != owned_.end() && it->second.loaded;
}

std::vector<int32_t> coordinator::led_partitions() const {
  std::vector<int32_t> out;
  for (const auto& [p, o] : owned_) out.push_back(p);
  return out;
}

kafka_errc coordinator::ownership(std::string_view group_id) const {
  if (backend_.offsets_partition_count() <= 0) return err::coordinator_not_available;
  auto it = owned_.find(partition_for(group_id));
  if (it == owned_.end()) return err::not_coordinator;
  return it->second.loaded ? err::none : err::coordinator_load_in_progress;
}

bool coordinator::fully_loaded() const {
  return std::all_of(owned_.begin(), owned_.end(), [](const auto& o) { return o.second.loaded; });
}

void coordinator::become_leader(int32_t p, int32_t leader_epoch) {
  auto it = owned_.find(p);
  if (it != owned_.end()) {
    if (it->second.leader_epoch == leader_epoch) return;
    // Led again at another epoch: another leader may have written in between; start over from the log.
    resign(p);
  }
  auto log = backend_.offsets_partition(p);
  if (!log) {
    spdlog::error("[{}-{}] leader here but no local log: not coordinating its groups", offsets_topic, p);
    return;
  }
  auto c = log->config();
  c.compact = true;
  c.delete_ = false;
  c.segment_bytes = static_cast<uint64_t>(cfg_.offsets_topic_segment_bytes);
  log->set_config(c);
  auto& o = owned_[p];
  o.leader_epoch = leader_epoch;
  o.term = next_term_++;
  o.loaded = false;
  if (log->log_start_offset() >= log->log_end_offset()) {
    o.loaded = true;  // nothing to replay (e.g. the topic was just created): no COORDINATOR_LOAD_IN_PROGRESS
    spdlog::info("[{}-{}] group coordinator: leader at epoch {}, empty", offsets_topic, p, leader_epoch);
    return;
  }
  // One partition per posted step, so requests keep being served (COORDINATOR_LOAD_IN_PROGRESS) meanwhile.
  std::weak_ptr<bool> alive = alive_;
  const uint64_t term = o.term;
  backend_.post([this, alive, p, term] {
    if (alive.expired()) return;
    auto it = owned_.find(p);
    if (it == owned_.end() || it->second.term != term) return;  // resigned (or re-elected) meanwhile
    load_partition(p);
  });
}

void coordinator::resign(int32_t p) {
  auto it = owned_.find(p);
  if (it == owned_.end()) return;
  owned_.erase(it);
  size_t dropped = 0;
  for (auto g = groups_.begin(); g != groups_.end();) {
    if (g->second.partition != p) {
      ++g;
      continue;
    }
    // Members waiting for a JoinGroup/SyncGroup answer rediscover the coordinator (NOT_COORDINATOR).
    g->second.g->on_store = nullptr;
    g->second.g->make_dead(err::not_coordinator);
    g = groups_.erase(g);
    ++dropped;
  }
  spdlog::info("[{}-{}] group coordinator: no longer leader, {} group(s) unloaded", offsets_topic, p, dropped);
}

void coordinator::load_partition(int32_t p) {
  auto it = owned_.find(p);
  if (it == owned_.end()) return;
  auto log_ptr = backend_.offsets_partition(p);
  if (!log_ptr) {
    spdlog::error("[{}-{}] load: the local log is gone", offsets_topic, p);
    owned_.erase(it);
    return;
  }
  auto& log = *log_ptr;
  const int64_t now = clock_();
  // Replay in offset order: the last record per key wins, a null value deletes.
  std::map<std::string, std::optional<group_snapshot>> group_records;
  std::map<std::string, std::map<topic_partition, std::optional<committed_offset>>> offset_records;
  int64_t offset = log.log_start_offset();
  const int64_t end = log.log_end_offset();
  std::vector<uint8_t> scratch;
  size_t n_records = 0, skipped = 0;
  while (offset < end) {
    auto rr = log.read(offset, static_cast<size_t>(std::max(cfg_.offsets_load_buffer_size, 1024)), INT64_MAX);
    if (!rr) {
      spdlog::error("[{}-{}] load: read at {} failed: {}", offsets_topic, p, offset, rr.error().message());
      break;
    }
    auto bytes = rr->copy_bytes();
    if (!bytes || bytes->empty()) break;
    int64_t next = offset;
    records::for_each_batch(*bytes, [&](const records::batch_view& b) {
      next = std::max(next, b.next_offset());
      if (b.is_control()) return;
      records::for_each_record(b, scratch, records::default_max_decompressed, [&](const records::record_view& r) {
        ++n_records;
        if (!r.key) {
          ++skipped;
          return;
        }
        auto key = decode_key(*r.key);
        if (!key) {
          ++skipped;
          return;
        }
        if (auto* ok = std::get_if<offset_key>(&*key)) {
          topic_partition tp{ok->topic, ok->partition};
          if (!r.value) {
            offset_records[ok->group][tp] = std::nullopt;
            return;
          }
          auto v = decode_offset_value(*r.value);
          if (!v) {
            ++skipped;
            return;
          }
          offset_records[ok->group][tp] =
              committed_offset{v->offset, v->leader_epoch, v->metadata, v->commit_timestamp, v->expire_timestamp};
        } else {
          const auto& gk = std::get<group_key>(*key);
          if (!r.value) {
            group_records[gk.group] = std::nullopt;
            return;
          }
          auto s = decode_group_value(*r.value);
          if (!s) {
            ++skipped;
            return;
          }
          group_records[gk.group] = std::move(*s);
        }
      });
    });
    if (next <= offset) break;  // no progress: damaged tail (recovery should have cut it)
    offset = next;
  }
  size_t n_groups = 0;
  for (auto& [gid, s] : group_records) {
    if (!s) continue;
    if (partition_for(gid) != p) {
      ++skipped;  // not a group of this partition (written with another partition count?)
      continue;
    }
    auto& e = get_or_create(gid);
    e.g->restore(*s, now);
    ++n_groups;
  }
  for (auto& [gid, offs] : offset_records) {
    std::map<topic_partition, committed_offset> live;
    for (auto& [tp, o] : offs)
      if (o) live[tp] = *o;
    if (live.empty() || partition_for(gid) != p) continue;
    auto& e = get_or_create(gid);
    for (auto& [tp, o] : live) e.offsets[tp] = o;
  }
  it->second.loaded = true;
  spdlog::info("[{}-{}] group coordinator: loaded {} record(s) ({} skipped): {} group(s)", offsets_topic, p,
               n_records, skipped, n_groups);
}

kafka_errc coordinator::ensure_offsets_topic() {
  if (backend_.offsets_partition_count() > 0) return err::none;
  backend_.create_offsets_topic(std::max(cfg_.offsets_topic_num_partitions, 1));
  return backend_.offsets_partition_count() > 0 ? err::none : err::coordinator_not_available;
}

coordinator::entry* coordinator::find(const std::string& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

const coordinator::entry* coordinator::find(const std::string& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

coordinator::entry& coordinator::get_or_create(const std::string& id) {
  auto it = groups_.find(id);
  if (it != groups_.end()) return it->second;
  entry e;
  e.partition = partition_for(id);
  e.g = std::make_unique<group>(id, cfg_, clock_());
  auto& ref = groups_.emplace(id, std::move(e)).first->second;
  attach(ref);
  return ref;
}

void coordinator::attach(entry& e) {
  e.g->on_store = [this](const group& g) { store_group(g); };
}

const group* coordinator::find_group(const std::string& id) const {
  const entry* e = find(id);
  return e ? e->g.get() : nullptr;
}

std::optional<committed_offset> coordinator::committed(const std::string& group_id, const topic_partition& tp) const {
  const entry* e = find(group_id);
  if (!e) return std::nullopt;
  auto it = e->offsets.find(tp);
  if (it == e->offsets.end()) return std::nullopt;
  return it->second;
}

namespace {

// How Kafka's GroupMetadataManager answers a failed append of commit records (Errors.java numbering).
kafka_errc commit_error(kafka_errc append_error) {
  switch (append_error) {
    case err::none:
      return err::none;
    case err::unknown_topic_or_partition:
    case err::not_enough_replicas:
    case err::not_enough_replicas_after_append:
    case err::request_timed_out:
      return err::coordinator_not_available;
    case err::message_too_large:
    case err::record_list_too_large:
    case err::invalid_fetch_size:
      return err::invalid_commit_offset_size;
    default:  // NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR, ...: the client rediscovers the coordinator
      return err::not_coordinator;
  }
}

}  // namespace

void coordinator::write(const std::string& group_id, std::vector<record> recs, bool durable,
                        std::function<void(kafka_errc)> done) {
  auto fail = [&](kafka_errc e) {
    if (done) done(e);
  };
  const int32_t p = partition_for(group_id);
  auto owned = owned_.find(p);
  if (owned == owned_.end()) return fail(err::not_coordinator);
  records::batch_builder bb;
  const int64_t ts = clock_();
  for (const auto& [k, v] : recs) {
    std::optional<std::string_view> key(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
    std::optional<std::string_view> value;
    if (v) value = std::string_view(reinterpret_cast<const char*>(v->data()), v->size());
    bb.add(ts, key, value);
  }
  auto batch = bb.build();
  if (!batch) {
    spdlog::error("[{}-{}] cannot build a batch: {}", offsets_topic, p, batch.error().message());
    return fail(err::unknown_server_error);
  }
  const auto r = backend_.append(p, std::span<uint8_t>(*batch), owned->second.leader_epoch);
  if (r.error != err::none) return fail(err::not_coordinator);
  if (!durable) return fail(err::none);
  std::weak_ptr<bool> alive = alive_;
  const uint64_t term = owned->second.term;
  backend_.when_committed(p, r.last_offset + 1, [this, alive, p, term, done = std::move(done)](kafka_errc e) {
    if (alive.expired()) return;
    if (e != err::none) spdlog::warn("[{}-{}] group records not committed: error {}", offsets_topic, p, e);
    // Resigned (or led again) meanwhile: whatever the log says now, this coordinator's answer is no longer
    // authoritative.
    auto it = owned_.find(p);
    if (e == err::none && (it == owned_.end() || it->second.term != term)) e = err::not_leader_or_follower;
    if (done) done(commit_error(e));
  });
}

void coordinator::store_group(const group& g) {
  std::vector<record> recs;
  recs.emplace_back(encode_group_key({g.id()}), encode_group_value(g.snapshot(clock_())));
  write(g.id(), std::move(recs), false, nullptr);
}

// ---- group membership ------------------------------------------------------------------------------------

void coordinator::join(const std::string& group_id, join_request req, join_callback cb) {
  auto fail = [&](kafka_errc e) {
    join_result r;
    r.error = e;
    r.member_id = req.member_id;
    cb(std::move(r));
  };
  if (group_id.empty()) return fail(err::invalid_group_id);
  if (ensure_offsets_topic() != err::none) return fail(err::coordinator_not_available);
  if (const auto o = ownership(group_id); o != err::none) return fail(o);
  if (req.session_timeout_ms < cfg_.min_session_timeout_ms || req.session_timeout_ms > cfg_.max_session_timeout_ms)
    return fail(err::invalid_session_timeout);
  if (req.rebalance_timeout_ms <= 0) req.rebalance_timeout_ms = req.session_timeout_ms;
  size_t md = 0;
  for (const auto& p : req.protocols) md += p.metadata.size() + p.name.size();
  if (md > static_cast<size_t>(cfg_.max_member_metadata_bytes)) {
    spdlog::warn("group {}: JoinGroup from {} with {} bytes of protocol metadata (limit {}) rejected", group_id,
                 req.client_id, md, cfg_.max_member_metadata_bytes);
    return fail(err::invalid_request);
  }
  entry* e = find(group_id);
  if (!e) {
    if (!req.member_id.empty()) return fail(err::unknown_member_id);
    e = &get_or_create(group_id);
  }
  e->g->join(std::move(req), clock_(), std::move(cb));
}

void coordinator::sync(const std::string& group_id, sync_request req, sync_callback cb) {
  auto fail = [&](kafka_errc e) {
    sync_result r;
    r.error = e;
    cb(std::move(r));
  };
  if (group_id.empty()) return fail(err::invalid_group_id);
  if (const auto o = ownership(group_id); o != err::none) return fail(o);
  entry* e = find(group_id);
  if (!e) return fail(err::unknown_member_id);
  e->g->sync(std::move(req), clock_(), std::move(cb));
}

kafka_errc coordinator::heartbeat(const std::string& group_id, const std::string& member_id,
                               const std::optional<std::string>& instance_id, int32_t generation) {
  if (group_id.empty()) return err::invalid_group_id;
  if (const auto o = ownership(group_id); o != err::none) return o;
  entry* e = find(group_id);
  if (!e) return err::unknown_member_id;
  return e->g->heartbeat(member_id, instance_id, generation, clock_());
}

std::pair<kafka_errc, std::vector<kafka_errc>> coordinator::leave(const std::string& group_id,
                                                            const std::vector<leave_member>& members) {
  if (group_id.empty()) return {err::invalid_group_id, {}};
  if (const auto o = ownership(group_id); o != err::none) return {o, {}};
  std::vector<kafka_errc> errors;
  entry* e = find(group_id);
  for (const auto& m : members) {
    if (!e) {
      errors.push_back(err::unknown_member_id);
      continue;
    }
    errors.push_back(e->g->leave(m.member_id, m.group_instance_id, clock_()));
  }
  return {err::none, errors};
}

// ---- offsets ---------------------------------------------------------------------------------------------

void coordinator::commit(const std::string& group_id, const std::string& member_id,
                         const std::optional<std::string>& instance_id, int32_t generation,
                         std::vector<commit_entry> entries, std::function<void(std::vector<kafka_errc>)> done) {
  std::vector<kafka_errc> errors(entries.size(), err::none);
  auto all = [&](kafka_errc e) {
    for (size_t i = 0; i < entries.size(); ++i) errors[i] = entries[i].error != err::none ? entries[i].error : e;
    done(std::move(errors));
  };
  if (ensure_offsets_topic() != err::none) return all(err::coordinator_not_available);
  if (const auto o = ownership(group_id); o != err::none) return all(o);
  const int64_t now = clock_();
  entry* e = find(group_id);
  if (!e) {
    if (generation >= 0) return all(err::illegal_generation);
    e = &get_or_create(group_id);
  }
  if (const auto v = e->g->validate_commit(member_id, instance_id, generation, now); v != err::none) return all(v);
  std::vector<record> recs;
  std::vector<size_t> written;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& c = entries[i];
    if (c.error != err::none) {
      errors[i] = c.error;
      continue;
    }
    if (c.metadata && c.metadata->size() > static_cast<size_t>(cfg_.offset_metadata_max_bytes)) {
      errors[i] = err::offset_metadata_too_large;
      continue;
    }
    offset_value v{c.offset, c.leader_epoch, c.metadata.value_or(""), now, c.expire_timestamp};
    recs.emplace_back(encode_offset_key({group_id, c.tp.topic, c.tp.partition}), encode_offset_value(v));
    written.push_back(i);
  }
  if (recs.empty()) return done(std::move(errors));
  write(group_id, std::move(recs), true,
        [this, group_id, entries = std::move(entries), written, errors, now, done = std::move(done)](
            kafka_errc error) mutable {
          if (error != err::none) {
            spdlog::error("group {}: offset commit not stored: error {}", group_id, error);
            for (size_t i : written) errors[i] = error;
            return done(std::move(errors));
          }
          // The group may have been deleted meanwhile; its tombstones came after these records.
          if (entry* g = find(group_id)) {
            for (size_t i : written) {
              const auto& c = entries[i];
              g->offsets[c.tp] = committed_offset{c.offset, c.leader_epoch, c.metadata.value_or(""), now,
                                                  c.expire_timestamp};
            }
          }
          done(std::move(errors));
        });
}

kafka_errc coordinator::fetch_offsets(
    const std::string& group_id, const std::optional<std::vector<std::pair<std::string, std::vector<partition_index>>>>& topics,
    std::vector<std::pair<std::string, std::vector<fetched_offset>>>& out) const {
  out.clear();
  const auto owner = ownership(group_id);
  if (owner == err::coordinator_not_available) backend_.create_offsets_topic(std::max(cfg_.offsets_topic_num_partitions, 1));
  const entry* e = owner != err::none ? nullptr : find(group_id);
  auto one = [&](const std::string& topic, partition_index partition) {
    fetched_offset f;
    f.partition = partition;
    if (owner != err::none) {
      f.error = owner;
      return f;
    }
    if (e) {
      auto it = e->offsets.find({topic, partition});
      if (it != e->offsets.end()) {
        f.offset = it->second.offset;
        f.leader_epoch = it->second.leader_epoch;
        f.metadata = it->second.metadata;
      }
    }
    return f;
  };
  if (topics) {
    for (const auto& [topic, parts] : *topics) {
      auto& t = out.emplace_back(topic, std::vector<fetched_offset>{});
      for (partition_index p : parts) t.second.push_back(one(topic, p));
    }
  } else if (e) {
    for (const auto& [tp, o] : e->offsets) {
      if (out.empty() || out.back().first != tp.topic) out.emplace_back(tp.topic, std::vector<fetched_offset>{});
      out.back().second.push_back(one(tp.topic, tp.partition));
    }
  }
  return owner;
}

group_description coordinator::describe(const std::string& group_id) const {
  group_description d;
  d.group_id = group_id;
  if (const auto o = ownership(group_id); o != err::none) {
    d.error = o;
    d.state = "";
    return d;
  }
  const entry* e = find(group_id);
  if (!e) return d;  // unknown: Dead, error 0 (as Kafka)
  const group& g = *e->g;
  d.state = std::string(to_string(g.state()));
  d.protocol_type = g.protocol_type().value_or("");
  if (g.state() == group_state::stable) d.protocol_data = g.protocol_name().value_or("");
  d.members = g.describe_members();
  return d;
}

kafka_errc coordinator::list(std::vector<listed_group>& out) const {
  out.clear();
  for (const auto& [id, e] : groups_) {
    if (e.g->state() == group_state::dead) continue;
    out.push_back({id, e.g->protocol_type().value_or(""), std::string(to_string(e.g->state()))});
  }
  return fully_loaded() ? err::none : err::coordinator_load_in_progress;
}

void coordinator::delete_groups(const std::vector<std::string>& ids, std::function<void(std::vector<kafka_errc>)> done) {
  auto errors = std::make_shared<std::vector<kafka_errc>>(ids.size(), err::none);
  auto remaining = std::make_shared<size_t>(1);
  auto finish = [errors, remaining, done = std::move(done)]() {
    if (--*remaining == 0) done(std::move(*errors));
  };
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    if (const auto o = ownership(id); o != err::none) {
      (*errors)[i] = o;
      continue;
    }
    entry* e = find(id);
    if (!e || e->g->state() == group_state::dead) {
      (*errors)[i] = err::group_id_not_found;
      continue;
    }
    if (!e->g->is_empty() || e->g->state() != group_state::empty) {
      (*errors)[i] = err::non_empty_group;
      continue;
    }
    std::vector<record> recs;
    for (const auto& [tp, o] : e->offsets)
      recs.emplace_back(encode_offset_key({id, tp.topic, tp.partition}), std::nullopt);
    recs.emplace_back(encode_group_key({id}), std::nullopt);
    e->g->make_dead(err::coordinator_not_available);
    groups_.erase(id);
    ++*remaining;
    write(id, std::move(recs), true, [errors, i, finish, id](kafka_errc error) {
      if (error != err::none) {
        spdlog::error("group {}: delete not stored: error {}", id, error);
        (*errors)[i] = error;
      }
      finish();
    });
  }
  finish();
}

void coordinator::delete_offsets(const std::string& group_id, const std::vector<topic_partition>& tps,
                                 std::function<void(kafka_errc, std::vector<kafka_errc>)> done) {
  std::vector<kafka_errc> errors(tps.size(), err::none);
  if (const auto o = ownership(group_id); o != err::none) return done(o, {});
  entry* e = find(group_id);
  if (!e || e->g->state() == group_state::dead) return done(err::group_id_not_found, {});
  const group& g = *e->g;
  std::optional<std::set<std::string>> subscribed;
  bool check_subscription = false;
  if (!g.is_empty() || g.state() != group_state::empty) {
    if (g.protocol_type().value_or("") != "consumer") return done(err::non_empty_group, {});
    subscribed = g.subscribed_topics();
    check_subscription = true;
  }
  std::vector<record> recs;
  for (size_t i = 0; i < tps.size(); ++i) {
    if (check_subscription && (!subscribed || subscribed->count(tps[i].topic))) {
      errors[i] = err::group_subscribed_to_topic;
      continue;
    }
    if (e->offsets.erase(tps[i]))
      recs.emplace_back(encode_offset_key({group_id, tps[i].topic, tps[i].partition}), std::nullopt);
  }
  if (recs.empty()) return done(err::none, std::move(errors));
  write(group_id, std::move(recs), true,
        [errors = std::move(errors), done = std::move(done)](kafka_errc error) mutable {
          done(error, std::move(errors));
        });
}

// ---- timers ----------------------------------------------------------------------------------------------

void coordinator::tick() {
  const int64_t now = clock_();
  for (auto& [id, e] : groups_) e.g->tick(now);
  if (now - last_expiry_ >= cfg_.offsets_retention_check_interval_ms) {
    last_expiry_ = now;
    expire_offsets();
  }
}

void coordinator::expire_offsets() {
  const int64_t now = clock_();
  std::vector<std::string> dead;
  size_t expired_total = 0;
  for (auto& [id, e] : groups_) {
    if (!partition_loaded(e.partition)) continue;
    group& g = *e.g;
    std::optional<std::set<std::string>> subscribed;
    const bool empty = g.is_empty() && g.state() == group_state::empty;
    if (!empty) {
      // Active consumer groups keep the offsets of topics they subscribe to; others only expire when empty.
      subscribed = g.subscribed_topics();
      if (!subscribed) continue;
    }
    std::vector<record> recs;
    for (auto it = e.offsets.begin(); it != e.offsets.end();) {
      const auto& [tp, o] = *it;
      bool expire;
      if (o.expire_timestamp >= 0) {
        expire = now >= o.expire_timestamp;
      } else {
        int64_t base = o.commit_timestamp;
        if (empty && g.protocol_type()) base = g.state_timestamp();  // KIP-211: from when the group emptied
        expire = now - base >= cfg_.offsets_retention_ms;
      }
      if (!empty && subscribed->count(tp.topic)) expire = false;
      if (expire) {
        recs.emplace_back(encode_offset_key({id, tp.topic, tp.partition}), std::nullopt);
        it = e.offsets.erase(it);
      } else {
        ++it;
      }
    }
    expired_total += recs.size();
    if (empty && e.offsets.empty()) {
      recs.emplace_back(encode_group_key({id}), std::nullopt);
      dead.push_back(id);
    }
    if (!recs.empty()) write(id, std::move(recs), false, nullptr);
  }
  for (const auto& id : dead) {
    groups_.at(id).g->make_dead(err::coordinator_not_available);
    groups_.erase(id);
  }
  if (expired_total || !dead.empty())
    spdlog::info("group coordinator: expired {} offset(s), removed {} empty group(s)", expired_total, dead.size());
}

}  // namespace samsa::group
