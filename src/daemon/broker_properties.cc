#include "broker_properties.h"

#include "samsa/config/broker_table.h"
#include "samsa/config/endpoints.h"
#include "samsa/config/kafka_keys.h"
#include "samsa/config/validate.h"
#include "samsa/config/value.h"
#include "settings_reader.h"

namespace samsa::daemon {
namespace {

using settings_map = std::map<std::string, std::string>;

std::error_code invalid() { return std::make_error_code(std::errc::invalid_argument); }

server::endpoint to_endpoint(const config::listener& l) { return {l.name, l.host, l.port}; }

// The start-up settings: every key's default, then the given values, each checked against its key_def.
// A key Kafka defines that samsad does not read at start-up goes to `no_effect` (a server.properties written for
// Kafka starts as it is); nullopt (and error) for a key neither defines, with the nearest known key as a hint, or
// for a bad value.
std::optional<settings_map> merge(const properties& given, std::vector<std::string>& no_effect, std::string& error) {
  settings_map out;
  for (const config::key_def& k : config::broker_table)
    if (k.mode != config::update_mode::dynamic_only) out[std::string(k.name)] = std::string(k.default_value);
  for (const auto& [key, value] : given) {
    const config::key_def* k = config::find_broker_key(key);
    if (k == nullptr && config::is_kafka_broker_key(key)) {
      no_effect.push_back(key);
      continue;
    }
    if (k == nullptr) {
      error = "unknown configuration key '" + key + "'";
      if (auto hint = config::nearest_broker_key(key)) error += " (did you mean '" + *hint + "'?)";
      return std::nullopt;
    }
    if (k->mode == config::update_mode::dynamic_only) {
      no_effect.push_back(key);  // the controller stores it through AlterConfigs; nothing reads it at start-up
      continue;
    }
    if (auto why = config::validate(*k, value)) {
      error = *why;
      return std::nullopt;
    }
    out[key] = value;
  }
  return out;
}

// Kafka's coarser aliases (log.retention.hours, ...): a key that was not given takes the finest alias given, times
// its factor. A negative alias means -1, as in Kafka (retention: unlimited).
void apply_aliases(const properties& given, settings_map& settings) {
  for (const config::key_def& target : config::broker_table) {
    if (given.count(std::string(target.name))) continue;
    const config::key_def* finest = nullptr;
    for (const config::key_def& a : config::broker_table)
      if (a.alias.key == target.name && given.count(std::string(a.name)) &&
          (finest == nullptr || a.alias.factor < finest->alias.factor))
        finest = &a;
    if (finest == nullptr) continue;
    const int64_t v = *config::parse_int<int64_t>(given.at(std::string(finest->name)));  // validated in merge
    settings[std::string(target.name)] = std::to_string(v < 0 ? -1 : v * finest->alias.factor);
  }
}

std::vector<std::string> names(std::string_view list) {
  std::vector<std::string> out;
  for (auto item : config::split_list(list))
    if (!item.empty()) out.emplace_back(item);
  return out;
}

// Checks between keys (each key's own values were checked against the table). "" when consistent.
std::string inconsistency(const server::broker_config& c) {
  const auto& q = c.quorum;
  if (q.broker_role && c.listeners.empty())
    return "listeners has no client listener (every listener is named in controller.listener.names)";
  if (c.log_dirs.empty()) return "log.dirs is empty";
  if (c.group.max_session_timeout_ms < c.group.min_session_timeout_ms)
    return "group.max.session.timeout.ms must be at least group.min.session.timeout.ms";
  if (q.broker_session_timeout_ms <= q.broker_heartbeat_interval_ms)
    return "broker.session.timeout.ms must be larger than broker.heartbeat.interval.ms";
  if (q.controller_role && !q.voters.empty() && !q.voters.count(c.node_id))
    return "controller.quorum.voters does not name this node (node.id=" + std::to_string(c.node_id) + ")";
  if (!q.controller_role && (q.voters.empty() || q.voters.count(c.node_id)))
    return "a broker-only node (process.roles=broker) needs controller.quorum.voters naming the controllers, "
           "and must not be one of them";
  if (q.controller_role && q.voters.size() > 1 && c.controller_listeners.empty())
    return "a multi-voter quorum needs a controller listener in listeners (e.g. CONTROLLER://host:port)";
  return "";
}

// Binds the validated settings to the broker_config fields. False (error set) only for an unreadable default.
bool bind(const settings_map& settings, const properties& given, server::broker_config& c, std::string& error) {
  settings_reader r(settings);
  r.get<"node.id">(c.node_id);

  auto& q = c.quorum;
  q.broker_role = q.controller_role = false;
  for (const auto& role : names(r.text<"process.roles">()))  // validated: broker and/or controller
    (role == "broker" ? q.broker_role : q.controller_role) = true;
  q.controller_listener_names.clear();
  for (auto& n : names(r.text<"controller.listener.names">())) q.controller_listener_names.insert(std::move(n));
  // These parse: merge() validated them with the same parsers. (Kept in locals: a range-for over
  // *temporary_optional would iterate a destroyed vector.)
  const auto listeners = config::parse_listeners(r.text<"listeners">()).value_or(std::vector<config::listener>{});
  const auto advertised =
      config::parse_listeners(r.text<"advertised.listeners">()).value_or(std::vector<config::listener>{});
  const auto voters = config::parse_voters(r.text<"controller.quorum.voters">()).value_or(std::vector<config::voter>{});
  c.listeners.clear();
  for (const auto& l : listeners)
    (q.controller_listener_names.count(l.name) ? c.controller_listeners : c.listeners).push_back(to_endpoint(l));
  c.advertised_listeners.clear();
  for (const auto& l : advertised) c.advertised_listeners.push_back(to_endpoint(l));
  for (const auto& v : voters) q.voters[v.id] = server::endpoint{"CONTROLLER", v.host, v.port};
  q.metadata_log_dir = std::string(config::trim(r.text<"metadata.log.dir">()));
  r.get<"controller.quorum.election.timeout.ms">(q.election_timeout_ms);
  r.get<"broker.heartbeat.interval.ms">(q.broker_heartbeat_interval_ms);
  r.get<"broker.session.timeout.ms">(q.broker_session_timeout_ms);
  r.get<"unclean.leader.election.enable">(q.unclean_leader_election_enable);
  r.get<"auto.leader.rebalance.enable">(q.auto_leader_rebalance_enable);
  r.get<"leader.imbalance.check.interval.seconds">(q.leader_imbalance_check_interval_seconds);
  r.get<"leader.imbalance.per.broker.percentage">(q.leader_imbalance_per_broker_percentage);

  auto& rep = c.replication;
  r.get<"min.insync.replicas">(rep.min_insync_replicas);
  r.get<"replica.lag.time.max.ms">(rep.lag_time_max_ms);
  r.get<"replica.fetch.wait.max.ms">(rep.fetch_wait_max_ms);
  r.get<"replica.fetch.min.bytes">(rep.fetch_min_bytes);
  r.get<"replica.fetch.max.bytes">(rep.fetch_max_bytes);
  r.get<"replica.fetch.response.max.bytes">(rep.fetch_response_max_bytes);
  r.get<"replica.fetch.backoff.ms">(rep.fetch_backoff_ms);
  r.get<"num.replica.fetchers">(rep.num_replica_fetchers);
  r.get<"replica.socket.timeout.ms">(rep.socket_timeout_ms);
  r.get<"leader.replication.throttled.rate">(rep.leader_throttled_rate);
  r.get<"follower.replication.throttled.rate">(rep.follower_throttled_rate);

  r.get<"num.partitions">(c.num_partitions);
  r.get<"default.replication.factor">(c.default_replication_factor);
  r.get<"auto.create.topics.enable">(c.auto_create_topics_enable);
  r.get<"delete.topic.enable">(c.delete_topic_enable);
  r.get<"socket.request.max.bytes">(c.socket_request_max_bytes);
  r.get<"queued.max.requests">(c.queued_max_requests);
  r.get<"reactor.threads">(c.reactor_threads);
  r.get<"socket.send.buffer.bytes">(c.socket_send_buffer_bytes);
  r.get<"socket.receive.buffer.bytes">(c.socket_receive_buffer_bytes);
  r.get<"connections.max.idle.ms">(c.connections_max_idle_ms);
  r.get<"max.connections">(c.max_connections);
  r.get<"message.max.bytes">(c.message_max_bytes);
  r.get<"broker.rack">(c.rack);

  // log.dir is the fallback of log.dirs, used only when log.dirs is not given (both default to "data").
  c.log_dirs.clear();
  for (auto& d : names(given.count("log.dirs") ? r.text<"log.dirs">() : r.text<"log.dir">()))
    c.log_dirs.emplace_back(d);
  auto& defaults = c.log_defaults;
  r.get<"log.segment.bytes">(defaults.segment_bytes);
  r.get<"log.roll.ms">(defaults.segment_ms);
  r.get<"log.index.interval.bytes">(defaults.index_interval_bytes);
  r.get<"log.index.size.max.bytes">(defaults.segment_index_bytes);
  r.get<"log.retention.ms">(defaults.retention_ms);
  r.get<"log.retention.bytes">(defaults.retention_bytes);
  r.get<"log.flush.interval.messages">(defaults.flush_messages);
  r.get<"log.flush.interval.ms">(defaults.flush_ms);
  defaults.log_append_time = config::trim(r.text<"log.message.timestamp.type">()) == "LogAppendTime";
  r.get<"log.retention.check.interval.ms">(c.log_retention_check_interval_ms);
  r.get<"samsa.log.max.open.segment.files">(c.max_open_segment_files);

  auto& g = c.group;
  r.get<"group.initial.rebalance.delay.ms">(g.initial_rebalance_delay_ms);
  r.get<"group.min.session.timeout.ms">(g.min_session_timeout_ms);
  r.get<"group.max.session.timeout.ms">(g.max_session_timeout_ms);
  r.get<"group.max.size">(g.max_size);
  r.get<"offsets.topic.num.partitions">(g.offsets_topic_num_partitions);
  r.get<"offsets.topic.replication.factor">(g.offsets_topic_replication_factor);
  r.get<"offsets.topic.segment.bytes">(g.offsets_topic_segment_bytes);
  int64_t offsets_retention_minutes = 0;
  if (r.get<"offsets.retention.minutes">(offsets_retention_minutes))
    g.offsets_retention_ms = offsets_retention_minutes * 60000;
  r.get<"offsets.retention.check.interval.ms">(g.offsets_retention_check_interval_ms);
  r.get<"offset.metadata.max.bytes">(g.offset_metadata_max_bytes);
  r.get<"offsets.load.buffer.size">(g.offsets_load_buffer_size);
  r.get<"offsets.commit.timeout.ms">(g.offsets_commit_timeout_ms);

  error = r.error();
  return error.empty();
}

}  // namespace

result<server::broker_config> build_broker_config(const properties& given, std::string& error) {
  std::vector<std::string> no_effect;
  auto settings = merge(given, no_effect, error);
  if (!settings) return invalid();
  apply_aliases(given, *settings);

  server::broker_config c;
  if (!bind(*settings, given, c, error)) return invalid();
  if (error = inconsistency(c); !error.empty()) return invalid();

  c.settings = std::move(*settings);
  c.keys_without_effect = std::move(no_effect);
  for (const auto& [k, v] : given) c.explicitly_set.insert(k);
  return c;
}

}  // namespace samsa::daemon
