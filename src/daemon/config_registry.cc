#include "config_registry.h"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace samsa::daemon {
namespace {

constexpr config_key kKeys[] = {
    {"process.roles", "broker,controller",
     "Roles of this node: broker,controller (combined), controller, or broker (follows the quorum without voting)."},
    {"node.id", "1", "This node's id, reported to clients in Metadata."},
    {"listeners", "PLAINTEXT://127.0.0.1:9092",
     "Comma-separated NAME://host:port listeners. Those named in controller.listener.names carry the metadata quorum."},
    {"controller.listener.names", "CONTROLLER", "Listener names used by the controller quorum (not served to clients)."},
    {"controller.quorum.voters", "",
     "The quorum's voters as id@host:port,... (their controller listeners). Empty: this node alone (single node)."},
    {"controller.quorum.election.timeout.ms", "1000",
     "A follower that hears nothing from the quorum leader this long starts an election (randomised up to 2x)."},
    {"metadata.log.dir", "", "Directory of the metadata log (__cluster_metadata-0 inside it); empty: the first log dir."},
    {"broker.heartbeat.interval.ms", "2000", "How often a broker heartbeats to the active controller."},
    {"broker.session.timeout.ms", "9000",
     "A broker without a heartbeat for this long is fenced and loses its partition leaderships."},
    {"unclean.leader.election.enable", "false",
     "Elect a leader outside the ISR when no in-sync replica is alive (may lose acknowledged data)."},
    {"min.insync.replicas", "1",
     "acks=all produce fails with NOT_ENOUGH_REPLICAS while the ISR is smaller than this (topic override of the same name)."},
    {"replica.lag.time.max.ms", "30000",
     "A follower that has not caught up with the leader's log end for this long leaves the ISR."},
    {"replica.fetch.wait.max.ms", "500", "How long a follower's fetch waits at the leader for new data."},
    {"replica.fetch.min.bytes", "1", "Bytes a follower's fetch waits for at the leader."},
    {"replica.fetch.max.bytes", "1048576", "Bytes a follower fetches per partition per request."},
    {"replica.fetch.response.max.bytes", "10485760", "Bytes a follower fetches per request."},
    {"replica.fetch.backoff.ms", "1000", "A follower waits this long after a failed fetch before retrying."},
    {"num.replica.fetchers", "1", "Fetcher connections per source broker (partitions are spread over them)."},
    {"replica.socket.timeout.ms", "30000", "Socket timeout of a follower's requests beyond replica.fetch.wait.max.ms."},
    {"auto.leader.rebalance.enable", "true",
     "The active controller moves leadership back to preferred replicas when brokers' leader imbalance is too high."},
    {"leader.imbalance.check.interval.seconds", "300", "How often the active controller checks the leader imbalance."},
    {"leader.imbalance.per.broker.percentage", "10",
     "Share (%) of a broker's preferred partitions it may not lead before a preferred-leader election is run."},
    {"leader.replication.throttled.rate", "9223372036854775807",
     "Bytes/s a leader sends to its out-of-sync followers of the replicas named in the topic config "
     "leader.replication.throttled.replicas (static here; dynamic in Kafka)."},
    {"follower.replication.throttled.rate", "9223372036854775807",
     "Bytes/s a follower fetches for its out-of-sync replicas named in the topic config "
     "follower.replication.throttled.replicas (static here; dynamic in Kafka)."},
    {"advertised.listeners", "", "Addresses given to clients in Metadata; empty means the same as listeners."},
    {"log.dirs", "data", "Directory holding the partition logs (the first of a comma-separated list is used)."},
    {"log.dir", "data", "Used when log.dirs is not set."},
    {"num.partitions", "1", "Partitions of auto-created topics and of CreateTopics with -1 partitions."},
    {"default.replication.factor", "1", "Replication factor of auto-created topics."},
    {"auto.create.topics.enable", "true", "Create missing topics that Metadata requests ask for."},
    {"delete.topic.enable", "true", "Allow DeleteTopics."},
    {"socket.request.max.bytes", "104857600", "Largest request frame accepted; larger ones close the connection."},
    {"queued.max.requests", "500", "Requests read from one connection but not yet answered before reading pauses."},
    {"connections.max.idle.ms", "600000", "Idle connections are closed after this long."},
    {"max.connections", "2147483647", "Connections accepted at once."},
    {"message.max.bytes", "1048588", "Largest record batch accepted (MESSAGE_TOO_LARGE above)."},
    {"log.segment.bytes", "1073741824", "Segment size at which a new segment is rolled."},
    {"log.roll.ms", "604800000", "Segment age at which a new segment is rolled (log.roll.hours = 168)."},
    {"log.index.interval.bytes", "4096", "Log bytes between two offset-index entries."},
    {"log.index.size.max.bytes", "10485760", "Largest offset index; a full index rolls the segment."},
    {"log.retention.ms", "604800000", "Segments older than this are deleted (-1: never). log.retention.hours = 168."},
    {"log.retention.bytes", "-1", "Per-partition size above which old segments are deleted (-1: no limit)."},
    {"log.retention.check.interval.ms", "300000", "How often retention and time-based flushes run."},
    {"log.flush.interval.messages", "9223372036854775807",
     "fsync after this many messages for acks=0/1 (acks=all is always fsynced before it is acknowledged)."},
    {"log.flush.interval.ms", "9223372036854775807",
     "fsync after this long for acks=0/1 (acks=all is always fsynced before it is acknowledged)."},
    {"samsa.log.max.open.segment.files", "1024",
     "Samsa key (no Kafka equivalent): open .log files of sealed segments kept across all partitions; the least "
     "recently used are closed beyond it (active segments always stay open). 0: unbounded."},
    {"log.message.timestamp.type", "CreateTime", "CreateTime keeps producer timestamps; LogAppendTime stamps them."},
    {"broker.rack", "", "Rack of this broker, reported in Metadata."},
    {"group.initial.rebalance.delay.ms", "3000",
     "How long the first rebalance of an empty group waits for more members (extended while more arrive, up to the rebalance timeout)."},
    {"group.min.session.timeout.ms", "6000",
     "Smallest session timeout a JoinGroup may ask for (INVALID_SESSION_TIMEOUT below)."},
    {"group.max.session.timeout.ms", "1800000",
     "Largest session timeout a JoinGroup may ask for (INVALID_SESSION_TIMEOUT above)."},
    {"group.max.size", "2147483647",
     "Most members one group may have (GROUP_MAX_SIZE_REACHED beyond)."},
    {"offsets.topic.num.partitions", "50",
     "Partitions of __consumer_offsets when it is created (an existing topic keeps its count)."},
    {"offsets.topic.replication.factor", "3",
     "Replication factor of __consumer_offsets, capped at the number of live (unfenced) brokers when the topic is "
     "created (Kafka refuses to create it with fewer brokers; Samsa creates it smaller, so one node works)."},
    {"offsets.topic.segment.bytes", "104857600",
     "Segment size of __consumer_offsets (kept small so compaction can run)."},
    {"offsets.retention.minutes", "10080",
     "Committed offsets of an empty group (or of a simple-commit group, from the commit) expire after this."},
    {"offsets.retention.check.interval.ms", "600000",
     "How often expired offsets are looked for."},
    {"offset.metadata.max.bytes", "4096",
     "Largest metadata string of a committed offset (OFFSET_METADATA_TOO_LARGE above)."},
    {"offsets.commit.timeout.ms", "5000",
     "An offset commit waits this long for every in-sync replica of its __consumer_offsets partition "
     "(REQUEST_TIMED_OUT after)."},
    {"offsets.load.buffer.size", "5242880",
     "Read size used when loading __consumer_offsets at start-up."},
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

template <typename T>
bool parse_int(const std::string& s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_endpoints(const std::string& s, std::vector<server::endpoint>& out) {
  out.clear();
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    const auto sep = item.find("://");
    if (sep == std::string::npos) return false;
    server::endpoint ep;
    ep.listener_name = item.substr(0, sep);
    std::string rest = item.substr(sep + 3);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos) return false;
    ep.host = rest.substr(0, colon);
    if (ep.host.size() >= 2 && ep.host.front() == '[' && ep.host.back() == ']') ep.host = ep.host.substr(1, ep.host.size() - 2);
    if (!parse_int(rest.substr(colon + 1), ep.port)) return false;
    out.push_back(ep);
  }
  return !out.empty();
}

}  // namespace

std::span<const config_key> config_keys() noexcept { return kKeys; }

result<properties> parse_properties(std::string_view text) {
  properties out;
  std::stringstream ss{std::string(text)};
  std::string line;
  while (std::getline(ss, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '!') continue;
    const auto eq = t.find_first_of("=:");
    if (eq == std::string::npos) return std::make_error_code(std::errc::invalid_argument);
    out[trim(std::string_view(t).substr(0, eq))] = trim(std::string_view(t).substr(eq + 1));
  }
  return out;
}

result<server::broker_config> build_broker_config(const properties& given, std::string& error) {
  properties props;
  for (const auto& k : kKeys) props[std::string(k.name)] = std::string(k.default_value);
  for (const auto& [k, v] : given) {
    const bool known = std::any_of(std::begin(kKeys), std::end(kKeys), [&](const config_key& c) { return c.name == k; });
    const bool hours_alias = k == "log.retention.hours" || k == "log.retention.minutes" || k == "log.roll.hours";
    if (!known && !hours_alias) {
      error = "unknown configuration key '" + k + "'";
      return std::make_error_code(std::errc::invalid_argument);
    }
    props[k] = v;
  }
  // Kafka's coarser aliases, used only when the ms form is not given.
  auto alias = [&](const char* ms_key, const char* coarse, int64_t factor) {
    if (given.count(ms_key) || !given.count(coarse)) return true;
    int64_t v = 0;
    if (!parse_int(given.at(coarse), v)) return false;
    props[ms_key] = std::to_string(v * factor);
    return true;
  };
  if (!alias("log.retention.ms", "log.retention.minutes", 60000) ||
      !alias("log.retention.ms", "log.retention.hours", 3600000) || !alias("log.roll.ms", "log.roll.hours", 3600000)) {
    error = "bad retention/roll hours or minutes";
    return std::make_error_code(std::errc::invalid_argument);
  }

  server::broker_config c;
  bool ok = true;
  auto int_key = [&](const char* key, auto& field) {
    if (!parse_int(props[key], field)) {
      if (ok) error = std::string("'") + key + "' must be an integer, got '" + props[key] + "'";
      ok = false;
    }
  };
  auto bool_key = [&](const char* key, bool& field) {
    const std::string& v = props[key];
    if (v == "true") field = true;
    else if (v == "false") field = false;
    else {
      if (ok) error = std::string("'") + key + "' must be true or false";
      ok = false;
    }
  };
  int_key("node.id", c.node_id);
  std::vector<server::endpoint> all_listeners;
  if (!parse_endpoints(props["listeners"], all_listeners)) {
    error = "bad listeners '" + props["listeners"] + "' (expected NAME://host:port[,...])";
    return std::make_error_code(std::errc::invalid_argument);
  }
  auto& q = c.quorum;
  q.controller_listener_names.clear();
  {
    std::stringstream ns(props["controller.listener.names"]);
    for (std::string n; std::getline(ns, n, ',');)
      if (!trim(n).empty()) q.controller_listener_names.insert(trim(n));
  }
  c.listeners.clear();
  for (auto& l : all_listeners)
    (q.controller_listener_names.count(l.listener_name) ? c.controller_listeners : c.listeners).push_back(l);
  {
    const std::string roles = props["process.roles"];
    std::stringstream rs(roles);
    q.broker_role = q.controller_role = false;
    for (std::string r; std::getline(rs, r, ',');) {
      r = trim(r);
      if (r == "broker") q.broker_role = true;
      else if (r == "controller") q.controller_role = true;
      else {
        error = "process.roles: unknown role '" + r + "' (expected broker and/or controller)";
        return std::make_error_code(std::errc::invalid_argument);
      }
    }
    if (!q.controller_role && !q.broker_role) {
      error = "process.roles is empty (expected broker, controller or broker,controller)";
      return std::make_error_code(std::errc::invalid_argument);
    }
  }
  if (q.broker_role && c.listeners.empty()) {
    error = "listeners has no client listener (every listener is named in controller.listener.names)";
    return std::make_error_code(std::errc::invalid_argument);
  }
  {
    std::stringstream vs(props["controller.quorum.voters"]);
    for (std::string v; std::getline(vs, v, ',');) {
      v = trim(v);
      if (v.empty()) continue;
      const auto at = v.find('@');
      int32_t id = -1;
      std::vector<server::endpoint> ep;
      if (at == std::string::npos || !parse_int(v.substr(0, at), id) || id < 0 ||
          !parse_endpoints("CONTROLLER://" + v.substr(at + 1), ep) || ep.size() != 1) {
        error = "bad controller.quorum.voters entry '" + v + "' (expected id@host:port)";
        return std::make_error_code(std::errc::invalid_argument);
      }
      q.voters[id] = ep.front();
    }
  }
  q.metadata_log_dir = props["metadata.log.dir"];
  int_key("controller.quorum.election.timeout.ms", q.election_timeout_ms);
  int_key("broker.heartbeat.interval.ms", q.broker_heartbeat_interval_ms);
  int_key("broker.session.timeout.ms", q.broker_session_timeout_ms);
  bool_key("unclean.leader.election.enable", q.unclean_leader_election_enable);
  bool_key("auto.leader.rebalance.enable", q.auto_leader_rebalance_enable);
  int_key("leader.imbalance.check.interval.seconds", q.leader_imbalance_check_interval_seconds);
  int_key("leader.imbalance.per.broker.percentage", q.leader_imbalance_per_broker_percentage);
  if (!props["advertised.listeners"].empty() && !parse_endpoints(props["advertised.listeners"], c.advertised_listeners)) {
    error = "bad advertised.listeners '" + props["advertised.listeners"] + "'";
    return std::make_error_code(std::errc::invalid_argument);
  }
  const std::string dirs = given.count("log.dirs") ? props["log.dirs"] : props["log.dir"];
  c.log_dirs.clear();
  std::stringstream ds(dirs);
  for (std::string d; std::getline(ds, d, ',');)
    if (!trim(d).empty()) c.log_dirs.emplace_back(trim(d));
  if (c.log_dirs.empty()) {
    error = "log.dirs is empty";
    return std::make_error_code(std::errc::invalid_argument);
  }
  int_key("num.partitions", c.num_partitions);
  auto& rep = c.replication;
  int_key("min.insync.replicas", rep.min_insync_replicas);
  int_key("replica.lag.time.max.ms", rep.lag_time_max_ms);
  int_key("replica.fetch.wait.max.ms", rep.fetch_wait_max_ms);
  int_key("replica.fetch.min.bytes", rep.fetch_min_bytes);
  int_key("replica.fetch.max.bytes", rep.fetch_max_bytes);
  int_key("replica.fetch.response.max.bytes", rep.fetch_response_max_bytes);
  int_key("replica.fetch.backoff.ms", rep.fetch_backoff_ms);
  int_key("num.replica.fetchers", rep.num_replica_fetchers);
  int_key("replica.socket.timeout.ms", rep.socket_timeout_ms);
  int_key("leader.replication.throttled.rate", rep.leader_throttled_rate);
  int_key("follower.replication.throttled.rate", rep.follower_throttled_rate);
  if (ok && (rep.min_insync_replicas < 1 || rep.lag_time_max_ms <= 0 || rep.fetch_wait_max_ms < 0 ||
             rep.fetch_min_bytes < 0 || rep.fetch_max_bytes <= 0 || rep.fetch_response_max_bytes <= 0 ||
             rep.fetch_backoff_ms < 0 || rep.num_replica_fetchers < 1 || rep.socket_timeout_ms <= 0 ||
             rep.leader_throttled_rate <= 0 || rep.follower_throttled_rate <= 0)) {
    error = "replication settings out of range (min.insync.replicas and num.replica.fetchers >= 1, sizes and "
            "timeouts positive)";
    return std::make_error_code(std::errc::invalid_argument);
  }
  int_key("default.replication.factor", c.default_replication_factor);
  bool_key("auto.create.topics.enable", c.auto_create_topics_enable);
  bool_key("delete.topic.enable", c.delete_topic_enable);
  int_key("socket.request.max.bytes", c.socket_request_max_bytes);
  int_key("queued.max.requests", c.queued_max_requests);
  int_key("connections.max.idle.ms", c.connections_max_idle_ms);
  int_key("max.connections", c.max_connections);
  int_key("message.max.bytes", c.message_max_bytes);
  int_key("log.segment.bytes", c.log_defaults.segment_bytes);
  int_key("log.roll.ms", c.log_defaults.segment_ms);
  int_key("log.index.interval.bytes", c.log_defaults.index_interval_bytes);
  int_key("log.index.size.max.bytes", c.log_defaults.segment_index_bytes);
  int_key("log.retention.ms", c.log_defaults.retention_ms);
  int_key("log.retention.bytes", c.log_defaults.retention_bytes);
  int_key("log.retention.check.interval.ms", c.log_retention_check_interval_ms);
  int_key("samsa.log.max.open.segment.files", c.max_open_segment_files);
  int_key("log.flush.interval.messages", c.log_defaults.flush_messages);
  int_key("log.flush.interval.ms", c.log_defaults.flush_ms);
  const std::string& ts_type = props["log.message.timestamp.type"];
  if (ts_type != "CreateTime" && ts_type != "LogAppendTime") {
    error = "log.message.timestamp.type must be CreateTime or LogAppendTime";
    return std::make_error_code(std::errc::invalid_argument);
  }
  c.log_defaults.log_append_time = ts_type == "LogAppendTime";
  c.rack = props["broker.rack"];
  int_key("group.initial.rebalance.delay.ms", c.group.initial_rebalance_delay_ms);
  int_key("group.min.session.timeout.ms", c.group.min_session_timeout_ms);
  int_key("group.max.session.timeout.ms", c.group.max_session_timeout_ms);
  int_key("group.max.size", c.group.max_size);
  int_key("offsets.topic.num.partitions", c.group.offsets_topic_num_partitions);
  int_key("offsets.topic.replication.factor", c.group.offsets_topic_replication_factor);
  int_key("offsets.topic.segment.bytes", c.group.offsets_topic_segment_bytes);
  int64_t offsets_retention_minutes = 0;
  int_key("offsets.retention.minutes", offsets_retention_minutes);
  c.group.offsets_retention_ms = offsets_retention_minutes * 60000;
  int_key("offsets.retention.check.interval.ms", c.group.offsets_retention_check_interval_ms);
  int_key("offset.metadata.max.bytes", c.group.offset_metadata_max_bytes);
  int_key("offsets.load.buffer.size", c.group.offsets_load_buffer_size);
  int_key("offsets.commit.timeout.ms", c.group.offsets_commit_timeout_ms);
  if (ok && (c.group.offsets_topic_num_partitions <= 0 || c.group.min_session_timeout_ms < 0 ||
             c.group.max_session_timeout_ms < c.group.min_session_timeout_ms || c.group.max_size <= 0 ||
             c.group.offsets_retention_ms <= 0 || c.group.offsets_topic_segment_bytes <= 0 ||
             c.group.offsets_load_buffer_size <= 0 || c.group.offsets_topic_replication_factor < 1)) {
    error = "group.* / offsets.* settings out of range (partitions, sizes and retention must be positive; "
            "group.max.session.timeout.ms >= group.min.session.timeout.ms)";
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (!ok) return std::make_error_code(std::errc::invalid_argument);
  if (q.controller_role && !q.voters.empty() && !q.voters.count(c.node_id)) {
    error = "controller.quorum.voters does not name this node (node.id=" + std::to_string(c.node_id) + ")";
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (!q.controller_role && (q.voters.empty() || q.voters.count(c.node_id))) {
    error = "a broker-only node (process.roles=broker) needs controller.quorum.voters naming the controllers, "
            "and must not be one of them";
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (q.controller_role && q.voters.size() > 1 && c.controller_listeners.empty()) {
    error = "a multi-voter quorum needs a controller listener in listeners (e.g. CONTROLLER://host:port)";
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (q.leader_imbalance_check_interval_seconds <= 0 || q.leader_imbalance_check_interval_seconds > 100000000 ||
      q.leader_imbalance_per_broker_percentage < 0 || q.leader_imbalance_per_broker_percentage > 100) {
    error = "leader.imbalance.check.interval.seconds must be positive and leader.imbalance.per.broker.percentage "
            "between 0 and 100";
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (q.election_timeout_ms <= 0 || q.broker_heartbeat_interval_ms <= 0 ||
      q.broker_session_timeout_ms <= q.broker_heartbeat_interval_ms) {
    error = "controller.quorum.election.timeout.ms and broker.heartbeat.interval.ms must be positive, and "
            "broker.session.timeout.ms larger than broker.heartbeat.interval.ms";
    return std::make_error_code(std::errc::invalid_argument);
  }
  c.settings = props;
  for (const auto& [k, v] : given) c.explicitly_set.insert(k);
  if (c.queued_max_requests <= 0 || c.socket_request_max_bytes <= 0 || c.num_partitions <= 0) {
    error = "queued.max.requests, socket.request.max.bytes and num.partitions must be positive";
    return std::make_error_code(std::errc::invalid_argument);
  }
  return c;
}

}  // namespace samsa::daemon
