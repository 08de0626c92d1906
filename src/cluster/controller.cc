// The controller's topic, partition, config and election rules (see controller.h). Broker lifecycle
// (registration, heartbeats, fencing) is in controller_brokers.cc.
#include "samsa/cluster/controller.h"

#include <algorithm>
#include <set>

#include "samsa/cluster/config_rules.h"
#include "samsa/cluster/partition_rules.h"
#include "samsa/cluster/topic_name.h"
#include "samsa/config/broker_table.h"
#include "samsa/config/topic_table.h"
#include "samsa/config/value.h"

namespace samsa::cluster {

namespace {

uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

bool is_live(const metadata_image& img, broker_id b) {
  const broker_registration* r = img.broker(b);
  return r != nullptr && !r->fenced;
}

std::vector<placement_broker> live_brokers(const metadata_image& img) {
  std::vector<placement_broker> out;
  for (const auto& [id, b] : img.brokers())
    if (!b.fenced) out.push_back({id, b.rack});
  return out;
}

api_error not_enough_brokers(int32_t rf, size_t live) {
  return {err::invalid_replication_factor,
          "Unable to replicate the partition " + std::to_string(rf) + " time(s): The target replication factor of " +
              std::to_string(rf) + " cannot be reached because only " + std::to_string(live) +
              " broker(s) are registered and unfenced."};
}

// Checks one manually assigned replica list.
api_error check_assignment(const metadata_image& img, partition_id p, const std::vector<broker_id>& replicas) {
  if (replicas.empty())
    return {err::invalid_replica_assignment, "The manual partition assignment includes an empty replica list."};
  std::set<broker_id> seen;
  bool any_live = false;
  for (broker_id b : replicas) {
    if (!seen.insert(b).second)
      return {err::invalid_replica_assignment,
              "The manual partition assignment includes the broker " + samsa::to_string(b) + " more than once."};
    if (img.broker(b) == nullptr)
      return {err::invalid_replica_assignment,
              "The manual partition assignment includes broker " + samsa::to_string(b) + ", but no such broker is registered."};
    any_live = any_live || is_live(img, b);
  }
  if (!any_live)
    return {err::invalid_replica_assignment,
            "All brokers specified in the partition assignment for partition " + samsa::to_string(p) + " are fenced."};
  return {};
}

partition_record new_partition(const metadata_image& img, const uuid& topic, partition_id p,
                               std::vector<broker_id> replicas) {
  partition_record r;
  r.topic_id = topic;
  r.partition = p;
  for (broker_id b : replicas)
    if (is_live(img, b)) r.isr.push_back(b);
  r.leader = r.isr.empty() ? no_leader : r.isr.front();
  r.replicas = std::move(replicas);
  return r;
}

std::vector<std::string_view> split(std::string_view v) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string_view::npos) comma = v.size();
    auto item = v.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace

controller::controller(controller_config cfg) : cfg_(cfg), rng_(cfg.seed ^ 0x5a4d5341ULL) {}

bool controller::unclean_allowed(const metadata_image& img, const std::string& topic) const {
  // The topic's override, else the cluster-wide dynamic broker value, else this controller's start-up value.
  constexpr std::string_view topic_key = config::topic_key("unclean.leader.election.enable").name;
  constexpr std::string_view broker_key = config::broker_key("unclean.leader.election.enable").name;
  if (auto v = img.config(resource_type::topic, topic, topic_key)) return config::parse_bool(*v).value_or(false);
  if (auto v = img.config(resource_type::broker, "", broker_key)) return config::parse_bool(*v).value_or(false);
  return cfg_.unclean_leader_election_enable;
}

uuid controller::new_topic_id(const metadata_image& img, const std::vector<metadata_record>& pending) {
  while (true) {
    uuid id{next_random(rng_), next_random(rng_)};
    if (id.is_zero() || img.topic(id) != nullptr) continue;
    bool clash = false;
    for (const auto& r : pending)
      if (const auto* t = std::get_if<topic_record>(&r); t && t->topic_id == id) clash = true;
    if (!clash) return id;
  }
}

controller_result<std::string> controller::bootstrap(const metadata_image& img, std::optional<std::string> id) {
  controller_result<std::string> out;
  if (!img.cluster_id().empty()) {
    out.response = img.cluster_id();
    return out;
  }
  if (!id) id = uuid{next_random(rng_), next_random(rng_)}.to_string();
  out.response = *id;
  out.records.push_back(bootstrap_record{*id, 1});
  return out;
}

// ---- topics ------------------------------------------------------------------------------------------------------

controller_result<std::vector<create_topic_result>> controller::create_topics(
    const metadata_image& img, const std::vector<create_topic_request>& reqs, bool validate_only) {
  controller_result<std::vector<create_topic_result>> out;
  std::map<std::string, int> occurrences;
  for (const auto& r : reqs) occurrences[r.name]++;
  std::map<std::string, std::string> collisions;  // collision key -> topic name (existing and created here)
  for (const auto& [name, id] : img.topic_names()) collisions[collision_key(name)] = name;
  const auto live = live_brokers(img);

  for (const auto& req : reqs) {
    create_topic_result res{req.name};
    auto fail = [&](api_error e) { res.error = std::move(e); };
    const auto coll = collisions.find(collision_key(req.name));
    if (occurrences[req.name] > 1) {
      fail({err::invalid_request, "Duplicate topic name in the request: " + req.name});
    } else if (auto e = validate_topic_name(req.name); !e.ok()) {
      fail(e);
    } else if (img.topic(req.name) != nullptr || (coll != collisions.end() && coll->second == req.name)) {
      fail({err::topic_already_exists, "Topic '" + req.name + "' already exists."});
    } else if (coll != collisions.end()) {
      fail({err::invalid_topic_exception,
            "Topic '" + req.name + "' collides with existing topic: " + coll->second});
    }
    // Partitions and replicas.
    std::vector<std::vector<broker_id>> assignment;
    if (res.error.ok() && !req.assignments.empty()) {
      if (req.num_partitions != -1 || req.replication_factor != -1) {
        fail({err::invalid_request,
              "A manual partition assignment was given, so the number of partitions and the replication factor "
              "must both be -1."});
      } else {
        partition_id expect = 0;
        for (const auto& [p, replicas] : req.assignments) {
          if (p != expect) {
            fail({err::invalid_replica_assignment,
                  "Partitions should be a consecutive 0-based integer sequence; partition " + samsa::to_string(p) +
                      " is out of place."});
            break;
          }
          if (auto e = check_assignment(img, p, replicas); !e.ok()) {
            fail(e);
            break;
          }
          assignment.push_back(replicas);
          ++expect;
        }
      }
    } else if (res.error.ok()) {
      const int32_t partitions = req.num_partitions == -1 ? cfg_.default_num_partitions : req.num_partitions;
      const int32_t rf = req.replication_factor == -1 ? cfg_.default_replication_factor : req.replication_factor;
      if (partitions <= 0) {
        fail({err::invalid_partitions, "Number of partitions was set to an invalid non-positive value."});
      } else if (partitions > cfg_.max_partitions_per_topic) {
        fail({err::invalid_partitions, "Number of partitions " + std::to_string(partitions) + " exceeds the limit of " +
                                           std::to_string(cfg_.max_partitions_per_topic) + " per topic."});
      } else if (rf <= 0) {
        fail({err::invalid_replication_factor,
              "Replication factor must be larger than 0, or -1 to use the default value."});
      } else if (static_cast<size_t>(rf) > live.size()) {
        fail(not_enough_brokers(rf, live.size()));
      } else {
        assignment = place_replicas(live, 0, partitions, rf, cfg_.seed ^ fnv1a(req.name));
      }
    }
    // Configs.
    std::map<std::string, std::string> configs;
    if (res.error.ok()) {
      for (const auto& [key, value] : req.configs) {
        if (configs.count(key)) {
          fail({err::invalid_request, "Duplicate config key in the request: " + key});
          break;
        }
        if (!value) {
          fail({err::invalid_config, "Null value not supported for topic configs: " + key});
          break;
        }
        if (auto e = validate_topic_config(key, *value); !e.ok()) {
          fail(e);
          break;
        }
        configs[key] = *value;
      }
    }
    if (res.error.ok()) {
      res.topic_id = new_topic_id(img, out.records);
      res.num_partitions = static_cast<int32_t>(assignment.size());
      res.replication_factor = static_cast<int16_t>(assignment.front().size());
      collisions[collision_key(req.name)] = req.name;
      if (!validate_only) {
        out.records.push_back(topic_record{req.name, res.topic_id, std::move(configs)});
        for (size_t p = 0; p < assignment.size(); ++p)
          out.records.push_back(new_partition(img, res.topic_id, static_cast<partition_id>(p), assignment[p]));
      }
    }
    out.response.push_back(std::move(res));
  }
  return out;
}

controller_result<std::vector<topic_result>> controller::create_partitions(
    const metadata_image& img, const std::vector<create_partitions_request>& reqs, bool validate_only) {
  controller_result<std::vector<topic_result>> out;
  std::map<std::string, int> occurrences;
  for (const auto& r : reqs) occurrences[r.name]++;
  const auto live = live_brokers(img);
  for (const auto& req : reqs) {
    topic_result res{req.name};
    const topic_image* t = img.topic(req.name);
    if (occurrences[req.name] > 1) {
      res.error = {err::invalid_request, "Duplicate topic name in the request: " + req.name};
    } else if (t == nullptr) {
      res.error = {err::unknown_topic_or_partition, "This server does not host this topic: " + req.name};
    } else {
      res.topic_id = t->id;
      const auto current = static_cast<int32_t>(t->partitions.size());
      const auto rf = static_cast<int32_t>(t->partitions.begin()->second.replicas.size());
      std::vector<std::vector<broker_id>> assignment;
      if (req.count < current) {
        res.error = {err::invalid_partitions, "Topic currently has " + std::to_string(current) +
                                                  " partitions, which is higher than the requested " +
                                                  std::to_string(req.count) + "."};
      } else if (req.count == current) {
        res.error = {err::invalid_partitions, "Topic already has " + std::to_string(current) + " partitions."};
      } else if (req.count > cfg_.max_partitions_per_topic) {
        res.error = {err::invalid_partitions, "Number of partitions " + std::to_string(req.count) +
                                                  " exceeds the limit of " +
                                                  std::to_string(cfg_.max_partitions_per_topic) + " per topic."};
      } else if (!req.assignments.empty()) {
        if (static_cast<int32_t>(req.assignments.size()) != req.count - current) {
          res.error = {err::invalid_replica_assignment,
                       "Attempted to add " + std::to_string(req.count - current) + " additional partition(s), but " +
                           std::to_string(req.assignments.size()) + " assignment(s) were given."};
        }
        for (size_t i = 0; i < req.assignments.size() && res.error.ok(); ++i) {
          const auto p = static_cast<partition_id>(current + i);
          if (static_cast<int32_t>(req.assignments[i].size()) != rf) {
            res.error = {err::invalid_replica_assignment,
                         "The manual partition assignment includes a partition with " +
                             std::to_string(req.assignments[i].size()) +
                             " replica(s), but this is not consistent with previous partitions, which have " +
                             std::to_string(rf) + " replica(s)."};
          } else if (auto e = check_assignment(img, p, req.assignments[i]); !e.ok()) {
            res.error = e;
          }
        }
        assignment = req.assignments;
      } else if (static_cast<size_t>(rf) > live.size()) {
        res.error = not_enough_brokers(rf, live.size());
      } else {
        assignment = place_replicas(live, current, req.count - current, rf, cfg_.seed ^ fnv1a(req.name));
      }
      if (res.error.ok() && !validate_only) {
        for (size_t i = 0; i < assignment.size(); ++i)
          out.records.push_back(new_partition(img, t->id, static_cast<partition_id>(current + i), assignment[i]));
      }
    }
    out.response.push_back(std::move(res));
  }
  return out;
}

controller_result<std::vector<topic_result>> controller::delete_topics(const metadata_image& img,
                                                                       const std::vector<delete_topic_request>& reqs) {
  controller_result<std::vector<topic_result>> out;
  std::map<uuid, int> occurrences;
  std::vector<const topic_image*> resolved;
  for (const auto& r : reqs) {
    const topic_image* t = r.name.empty() ? img.topic(r.topic_id) : img.topic(r.name);
    resolved.push_back(t);
    if (t) occurrences[t->id]++;
  }
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& req = reqs[i];
    const topic_image* t = resolved[i];
    topic_result res{req.name, req.topic_id};
    if (t == nullptr) {
      res.error = req.name.empty()
                      ? api_error{err::unknown_topic_id, "This server does not host this topic ID."}
                      : api_error{err::unknown_topic_or_partition, "This server does not host this topic-partition."};
    } else if (occurrences[t->id] > 1) {
      res.error = {err::invalid_request, "Duplicate topic in the request: " + t->name};
    } else if (!cfg_.delete_topic_enable) {
      res.error = {err::topic_deletion_disabled, "Topic deletion is disabled."};
    } else {
      res.name = t->name;
      res.topic_id = t->id;
      out.records.push_back(remove_topic_record{t->id});
    }
    out.response.push_back(std::move(res));
  }
  return out;
}

// ---- configs -----------------------------------------------------------------------------------------------------

namespace {

api_error check_resource(const metadata_image& img, resource_type type, const std::string& name) {
  if (type == resource_type::topic) {
    if (img.topic(name) == nullptr)
      return {err::unknown_topic_or_partition, "The topic '" + name + "' does not exist."};
    return {};
  }
  if (type == resource_type::broker) {
    if (name.empty()) return {};
    const bool numeric = name.size() <= 9 && std::all_of(name.begin(), name.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    if (!numeric) return {err::invalid_request, "Invalid broker name " + name};
    return {};
  }
  return {err::invalid_request, "Unsupported resource type"};
}

// Records turning `before` into `after`.
void diff_configs(resource_type type, const std::string& name, const config_map& before, const config_map& after,
                  std::vector<metadata_record>& out) {
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end() || it->second != v) out.push_back(config_record{type, name, k, v});
  }
  for (const auto& [k, v] : before)
    if (!after.count(k)) out.push_back(config_record{type, name, k, std::nullopt});
}

}  // namespace

namespace {
template <typename Req>
std::map<std::pair<resource_type, std::string>, int> count_resources(const std::vector<Req>& reqs) {
  std::map<std::pair<resource_type, std::string>, int> n;
  for (const auto& r : reqs) n[{r.type, r.name}]++;
  return n;
}
}  // namespace

// After a topic's configs change, a leaderless partition may now elect uncleanly.
static void elect_after_config_change(const controller& c, const metadata_image& before,
                                      const std::vector<metadata_record>& config_records,
                                      std::vector<metadata_record>& out) {
  auto after = apply_batch(before, config_records, before.version());
  if (!after) return;
  for (const auto& [id, t] : after->topics()) {
    if (c.unclean_allowed(before, t->name) || !c.unclean_allowed(*after, t->name)) continue;
    for (const auto& [p, s] : t->partitions) {
      if (s.leader != no_leader) continue;
      auto e = elect_leader(s, s.isr, [&](broker_id b) { return is_live(*after, b); }, true);
      if (auto ch = make_partition_change(id, p, s, e.leader, e.isr)) out.push_back(*ch);
    }
  }
}

controller_result<std::vector<resource_result>> controller::incremental_alter_configs(
    const metadata_image& img, const std::vector<incremental_alter_request>& reqs, bool validate_only) {
  controller_result<std::vector<resource_result>> out;
  const auto occurrences = count_resources(reqs);
  std::vector<metadata_record> config_records;
  for (const auto& req : reqs) {
    resource_result res{req.type, req.name};
    const config_map* current = img.configs(req.type, req.name);
    config_map working = current ? *current : config_map{};
    std::set<std::string> seen;
    if (occurrences.at({req.type, req.name}) > 1) res.error = {err::invalid_request, "Duplicate resource in the request."};
    if (res.error.ok()) res.error = check_resource(img, req.type, req.name);
    for (const auto& op : req.ops) {
      if (!res.error.ok()) break;
      const config::key_def* k = alterable_config(req.type, op.key);
      if (op.op < alter_op::set || op.op > alter_op::subtract) {
        res.error = {err::invalid_request, "Unknown config operation " + std::to_string(static_cast<int>(op.op))};
      } else if (!seen.insert(op.key).second) {
        res.error = {err::invalid_request, "Duplicate config key in the request: " + op.key};
      } else if (k == nullptr) {
        res.error = {err::invalid_config, "Unknown config name: " + op.key};
      } else if (op.op == alter_op::remove) {
        working.erase(op.key);
      } else if (!op.value) {
        res.error = {err::invalid_request, "Null value not supported for " + op.key};
      } else if (op.op == alter_op::set) {
        res.error = validate_config(req.type, op.key, *op.value);
        if (res.error.ok()) working[op.key] = *op.value;
      } else if (k->type != config::value_type::list) {
        res.error = {err::invalid_config, "Config value append/subtract is not allowed for config key " + op.key +
                                              ", which is not a list."};
      } else {
        auto it = working.find(op.key);
        const std::string base = it != working.end() ? it->second : std::string(k->default_value);
        std::vector<std::string> items;
        for (auto item : split(base)) items.emplace_back(item);
        for (auto item : split(*op.value)) {
          auto pos = std::find(items.begin(), items.end(), item);
          if (op.op == alter_op::append && pos == items.end()) items.emplace_back(item);
          if (op.op == alter_op::subtract && pos != items.end()) items.erase(pos);
        }
        std::string joined;
        for (size_t i = 0; i < items.size(); ++i) joined += (i ? "," : "") + items[i];
        res.error = validate_config(req.type, op.key, joined);
        if (res.error.ok()) working[op.key] = joined;
      }
    }
    if (res.error.ok() && !validate_only)
      diff_configs(req.type, req.name, current ? *current : config_map{}, working, config_records);
    out.response.push_back(std::move(res));
  }
  out.records = config_records;
  elect_after_config_change(*this, img, config_records, out.records);
  return out;
}

controller_result<std::vector<resource_result>> controller::legacy_alter_configs(
    const metadata_image& img, const std::vector<legacy_alter_request>& reqs, bool validate_only) {
  controller_result<std::vector<resource_result>> out;
  const auto occurrences = count_resources(reqs);
  std::vector<metadata_record> config_records;
  for (const auto& req : reqs) {
    resource_result res{req.type, req.name};
    config_map working;
    if (occurrences.at({req.type, req.name}) > 1) res.error = {err::invalid_request, "Duplicate resource in the request."};
    if (res.error.ok()) res.error = check_resource(img, req.type, req.name);
    for (const auto& [key, value] : req.configs) {
      if (!res.error.ok()) break;
      if (working.count(key)) {
        res.error = {err::invalid_request, "Duplicate config key in the request: " + key};
      } else {
        res.error = validate_config(req.type, key, value);
        working[key] = value;
      }
    }
    if (res.error.ok() && !validate_only) {
      const config_map* current = img.configs(req.type, req.name);
      diff_configs(req.type, req.name, current ? *current : config_map{}, working, config_records);
    }
    out.response.push_back(std::move(res));
  }
  out.records = config_records;
  elect_after_config_change(*this, img, config_records, out.records);
  return out;
}

// ---- partitions: ISR changes and elections -----------------------------------------------------------------------

controller_result<alter_partition_response> controller::alter_partition(const metadata_image& img,
                                                                        const alter_partition_request& req) {
  controller_result<alter_partition_response> out;
  auto& res = out.response;
  const broker_registration* b = img.broker(req.broker);
  const topic_image* t = img.topic(req.topic_id);
  const partition_state* s = img.partition(req.topic_id, req.partition);
  if (b == nullptr) {
    res.error = {err::broker_id_not_registered, "Broker " + samsa::to_string(req.broker) + " is not registered."};
    return out;
  }
  if (b->broker_epoch != req.broker_epoch) {
    res.error = {err::stale_broker_epoch, "Broker epoch " + std::to_string(req.broker_epoch) +
                                              " is not the current one (" + std::to_string(b->broker_epoch) + ")."};
    return out;
  }
  if (t == nullptr) {
    res.error = {err::unknown_topic_id, "This server does not host this topic ID."};
    return out;
  }
  if (s == nullptr) {
    res.error = {err::unknown_topic_or_partition, "This server does not host this topic-partition."};
    return out;
  }
  res.state = *s;
  if (s->leader != req.broker) {
    res.error = {err::invalid_request, "Broker " + samsa::to_string(req.broker) + " is not the leader of " + t->name +
                                           "-" + samsa::to_string(req.partition) + "."};
  } else if (req.leader_epoch < s->leader_epoch) {
    res.error = {err::fenced_leader_epoch, "Leader epoch " + samsa::to_string(req.leader_epoch) +
                                               " is older than the current " + samsa::to_string(s->leader_epoch) + "."};
  } else if (req.leader_epoch > s->leader_epoch) {
    res.error = {err::unknown_leader_epoch, "Leader epoch " + samsa::to_string(req.leader_epoch) +
                                                " is newer than the current " + samsa::to_string(s->leader_epoch) + "."};
  } else if (req.partition_epoch != s->partition_epoch) {
    res.error = {err::invalid_update_version, "Partition epoch " + std::to_string(req.partition_epoch) +
                                                  " does not match the current " +
                                                  std::to_string(s->partition_epoch) + "."};
  }
  if (!res.error.ok()) return out;
  std::set<broker_id> seen;
  for (broker_id m : req.new_isr) {
    if (!seen.insert(m).second) {
      res.error = {err::invalid_request, "The new ISR lists broker " + samsa::to_string(m) + " more than once."};
    } else if (std::find(s->replicas.begin(), s->replicas.end(), m) == s->replicas.end()) {
      res.error = {err::invalid_request, "The new ISR contains broker " + samsa::to_string(m) + ", not a replica."};
    } else if (!is_live(img, m)) {
      res.error = {err::ineligible_replica, "The new ISR contains broker " + samsa::to_string(m) + ", which is fenced."};
    }
    if (!res.error.ok()) return out;
  }
  if (!seen.count(req.broker)) {
    res.error = {err::invalid_request, "The new ISR must contain the leader " + samsa::to_string(req.broker) + "."};
    return out;
  }
  if (auto done = complete_reassignment(req.topic_id, req.partition, *s, req.new_isr)) {
    // The last target replica caught up: the reassignment completes with this ISR change.
    res.state = partition_state{done->replicas, done->isr, done->leader, done->leader_epoch, done->partition_epoch};
    out.records.push_back(*done);
  } else if (auto ch = make_partition_change(req.topic_id, req.partition, *s, s->leader, req.new_isr)) {
    res.state.isr = ch->isr;
    res.state.partition_epoch = ch->partition_epoch;
    out.records.push_back(*ch);
  }
  return out;
}

controller_result<std::vector<election_result>> controller::elect_leaders(
    const metadata_image& img, election_type type, const std::optional<std::vector<topic_partition>>& partitions) {
  controller_result<std::vector<election_result>> out;
  auto live = [&](broker_id b) { return is_live(img, b); };
  auto elect = [&](const topic_image& t, partition_id p, const partition_state& s) -> api_error {
    broker_id leader = no_leader;
    std::vector<broker_id> isr = s.isr;
    if (type == election_type::preferred) {
      const broker_id pref = s.replicas.front();
      if (s.leader == pref) return {err::election_not_needed, "Leader election not needed for topic partition."};
      if (!live(pref) || std::find(s.isr.begin(), s.isr.end(), pref) == s.isr.end())
        return {err::preferred_leader_not_available,
                "Failed to elect leader for partition " + t.name + "-" + samsa::to_string(p) +
                    " under strategy PreferredReplicaPartitionLeaderElectionStrategy"};
      leader = pref;
    } else {
      if (s.leader != no_leader && live(s.leader))
        return {err::election_not_needed, "Leader election not needed for topic partition."};
      auto e = elect_leader(s, s.isr, live, true);
      if (e.leader == no_leader)
        return {err::eligible_leaders_not_available,
                "Failed to elect leader for partition " + t.name + "-" + samsa::to_string(p) +
                    ": no live replica."};
      leader = e.leader;
      isr = e.isr;
    }
    if (auto ch = make_partition_change(t.id, p, s, leader, isr)) out.records.push_back(*ch);
    return {};
  };
  if (partitions) {
    std::set<topic_partition> done;
    for (const auto& tp : *partitions) {
      if (!done.insert(tp).second) continue;
      election_result r{tp};
      const topic_image* t = img.topic(tp.topic);
      const partition_state* s = t ? img.partition(t->id, tp.partition) : nullptr;
      r.error = s == nullptr ? api_error{err::unknown_topic_or_partition, "The partition does not exist."}
                             : elect(*t, tp.partition, *s);
      out.response.push_back(std::move(r));
    }
  } else {
    for (const auto& [id, t] : img.topics())
      for (const auto& [p, s] : t->partitions)
        if (auto e = elect(*t, p, s); e.code != err::election_not_needed) out.response.push_back({{t->name, p}, e});
  }
  return out;
}

// ---- preferred-leader rebalancing ----------------------------------------------------------------------------------

leader_imbalance compute_leader_imbalance(const metadata_image& img, int32_t per_broker_percentage) {
  leader_imbalance out;
  std::map<broker_id, broker_leader_imbalance> by_broker;
  std::map<broker_id, std::vector<topic_partition>> movable;  // per preferred broker
  for (const auto& [id, t] : img.topics()) {
    for (const auto& [p, s] : t->partitions) {
      if (s.replicas.empty()) continue;
      const broker_id pref = s.replicas.front();
      auto& b = by_broker[pref];
      b.broker = pref;
      ++b.preferred;
      if (s.leader == pref) continue;
      ++b.not_leading;
      if (is_live(img, pref) && std::find(s.isr.begin(), s.isr.end(), pref) != s.isr.end())
        movable[pref].push_back({t->name, p});
    }
  }
  for (auto& [id, b] : by_broker) {
    // Kafka: imbalance ratio > percentage / 100, in integers.
    b.over_threshold = b.preferred > 0 && int64_t{b.not_leading} * 100 > int64_t{per_broker_percentage} * b.preferred;
    if (b.over_threshold)
      out.candidates.insert(out.candidates.end(), movable[id].begin(), movable[id].end());
    out.brokers.push_back(b);
  }
  std::sort(out.candidates.begin(), out.candidates.end());
  return out;
}

controller_result<rebalance_result> controller::rebalance_leaders(const metadata_image& img, int64_t now_ms) {
  controller_result<rebalance_result> out;
  if (!cfg_.auto_leader_rebalance_enable) return out;
  if (next_rebalance_ms_ < 0) next_rebalance_ms_ = now_ms + cfg_.leader_imbalance_check_interval_ms;
  if (now_ms < next_rebalance_ms_) return out;
  next_rebalance_ms_ = now_ms + cfg_.leader_imbalance_check_interval_ms;
  out.response.checked = true;
  out.response.imbalance = compute_leader_imbalance(img, cfg_.leader_imbalance_per_broker_percentage);
  if (out.response.imbalance.candidates.empty()) return out;
  auto e = elect_leaders(img, election_type::preferred, out.response.imbalance.candidates);
  out.response.elections = std::move(e.response);
  out.records = std::move(e.records);
  return out;
}

controller_result<producer_ids_response> controller::allocate_producer_ids(const metadata_image& img,
                                                                           broker_id broker, int64_t broker_epoch) {
  controller_result<producer_ids_response> out;
  const broker_registration* b = img.broker(broker);
  if (b == nullptr) {
    out.response.error = {err::broker_id_not_registered, "Broker " + samsa::to_string(broker) + " is not registered."};
  } else if (b->broker_epoch != broker_epoch) {
    out.response.error = {err::stale_broker_epoch, "Stale broker epoch " + std::to_string(broker_epoch) + "."};
  } else {
    out.response.first_producer_id = img.next_producer_id();
    out.response.count = cfg_.producer_id_block_size;
    out.records.push_back(
        producer_ids_record{broker, broker_epoch, img.next_producer_id() + cfg_.producer_id_block_size});
  }
  return out;
}

}  // namespace samsa::cluster
