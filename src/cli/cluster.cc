// samsactl cluster: info, health (--watch), quorum (DescribeQuorum over Samsa's codec), elect-leaders (ElectLeaders
// over Samsa's codec), config get|set.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "commands.h"
#include "health.h"
#include "samsa/protocol/messages/describe_quorum.h"
#include "samsa/protocol/messages/elect_leaders.h"
#include "wire.h"

namespace samsa::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::vector<int32_t> ints(const int32_t* v, int n) { return std::vector<int32_t>(v, v + n); }

// ---- info ---------------------------------------------------------------------------------------------------

void add_info(CLI::App& cluster, Context& ctx) {
  auto* info = add_verb(cluster, ctx, "info", "Brokers, controller and cluster id");
  info->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      Metadata md = fetch_metadata(h.get(), ctx.conn, false);
      char* cid = rd_kafka_clusterid(h.get(), ctx.conn.timeout_ms);
      std::string cluster_id = cid ? cid : "";
      if (cid) rd_kafka_mem_free(h.get(), cid);
      int32_t controller = rd_kafka_controllerid(h.get(), ctx.conn.timeout_ms);
      std::vector<const rd_kafka_metadata_broker_t*> brokers;
      for (int i = 0; i < md->broker_cnt; ++i) brokers.push_back(&md->brokers[i]);
      std::sort(brokers.begin(), brokers.end(), [](auto* a, auto* b) { return a->id < b->id; });
      nlohmann::json j;
      j["cluster_id"] = cluster_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(cluster_id);
      j["controller_id"] = controller;
      j["brokers"] = nlohmann::json::array();
      Table t({"id", "host", "port", "controller"});
      for (auto* b : brokers) {
        j["brokers"].push_back({{"id", b->id}, {"host", b->host}, {"port", b->port}, {"controller", b->id == controller}});
        t.add({std::to_string(b->id), b->host, std::to_string(b->port), b->id == controller ? "*" : ""});
      }
      if (ctx.structured()) {
        emit_structured(ctx, j);
      } else {
        std::cout << "CLUSTER-ID:  " << (cluster_id.empty() ? "-" : cluster_id) << '\n'
                  << "CONTROLLER:  " << controller << "\n\n";
        emit(ctx, t, j);
      }
      return 0;
    };
  });
}

// ---- health -------------------------------------------------------------------------------------------------

HealthReport check_health(rd_kafka_t* rk, const Connection& c) {
  Metadata md = fetch_metadata(rk, c, true);
  std::vector<int32_t> brokers;
  for (int i = 0; i < md->broker_cnt; ++i) brokers.push_back(md->brokers[i].id);
  std::vector<PartitionState> parts;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err) continue;  // a topic being deleted; not a health problem
    for (int k = 0; k < t.partition_cnt; ++k) {
      const auto& p = t.partitions[k];
      parts.push_back({t.topic, p.id, p.err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ? -1 : p.leader,
                       ints(p.replicas, p.replica_cnt), ints(p.isrs, p.isr_cnt)});
    }
  }
  return evaluate_health(brokers, md->orig_broker_id >= 0 ? rd_kafka_controllerid(rk, c.timeout_ms) : -1, parts);
}

void print_health(const Context& ctx, const HealthReport& r, bool watch) {
  if (ctx.format() == Format::kJson) {
    std::cout << dump_json(r.to_json(), watch ? -1 : 2) << '\n';
  } else if (ctx.format() == Format::kYaml) {
    if (watch) std::cout << "---\n";
    std::cout << dump_yaml(r.to_json());
  } else {
    std::cout << r.render();
    for (const auto& why : r.reasons) std::cout << "UNHEALTHY: " << why << '\n';
  }
  std::cout.flush();
}

void add_health(CLI::App& cluster, Context& ctx) {
  auto* cmd = add_verb(cluster, ctx, "health",
                       "Are all brokers up, does every partition have a leader, how many are under-replicated "
                       "(exit 5 when unhealthy)");
  static std::string interval_s;
  static bool exit_when_healthy = false;
  static CLI::Option* watch = nullptr;
  watch = cmd->add_option("-w,--watch", interval_s, "Re-check every INTERVAL seconds (default 2) until Ctrl-C")
              ->expected(0, 1)
              ->type_name("[INTERVAL]");
  cmd->add_flag("--exit-when-healthy", exit_when_healthy, "With --watch: stop (exit 0) once the cluster is healthy");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      if (!watch->count()) {
        Handle h = connect_admin(ctx.conn);
        HealthReport r = check_health(h.get(), ctx.conn);
        print_health(ctx, r, false);
        return r.healthy ? 0 : static_cast<int>(kUnhealthy);
      }
      double interval = 2;
      if (!interval_s.empty()) {
        char* end = nullptr;
        interval = std::strtod(interval_s.c_str(), &end);
        if (*end != '\0' || !(interval > 0))
          throw CliError(kUsage, "", "--watch INTERVAL must be a positive number of seconds, not '" + interval_s + "'");
      }
      signal(SIGINT, on_signal);
      signal(SIGTERM, on_signal);
      signal(SIGPIPE, SIG_IGN);
      Handle h = make_handle(ctx.conn, RD_KAFKA_PRODUCER, make_conf(ctx.conn));
      bool tty = isatty(STDOUT_FILENO) && !ctx.structured();
      int rc = kOk;
      for (bool first = true; !g_stop; first = false) {
        if (!first) {
          auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(interval * 1000));
          while (!g_stop && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
          if (g_stop) break;
          if (!ctx.structured() && !tty) std::cout << '\n';
        }
        if (tty) {
          std::time_t now = std::time(nullptr);
          char ts[32];
          std::strftime(ts, sizeof ts, "%H:%M:%S", std::localtime(&now));
          std::cout << "\033[H\033[2J" << "every " << interval << " s, " << ts << " (Ctrl-C to stop)\n\n";
        }
        try {
          HealthReport r = check_health(h.get(), ctx.conn);
          print_health(ctx, r, true);
          rc = r.healthy ? kOk : kUnhealthy;
          if (r.healthy && exit_when_healthy) break;
        } catch (const CliError& e) {
          std::cerr << "samsactl: error: " << e.what() << '\n';
          rc = e.exit_code();
        }
      }
      return rc;
    };
  });
}

// ---- quorum -------------------------------------------------------------------------------------------------

void add_quorum(CLI::App& cluster, Context& ctx) {
  auto* cmd = add_verb(cluster, ctx, "quorum", "Controller quorum: leader, epoch, high watermark, voters and their lag");
  static std::string topic = "__cluster_metadata";
  cmd->add_option("--metadata-topic", topic, "The quorum's log (default __cluster_metadata, partition 0)");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      WireClient w(ctx.conn);
      auto v = w.pick_version<protocol::DescribeQuorumRequest>();
      if (!v)
        throw CliError(kError, "UNSUPPORTED_VERSION",
                       "broker does not support DescribeQuorum (API key 55 is not in the ApiVersions of " + w.address() +
                           "); the controller quorum status cannot be read from this broker");
      protocol::DescribeQuorumRequest req;
      auto& t = req.topics.emplace_back();
      t.topic_name = topic;
      t.partitions.emplace_back().partition_index = 0;
      auto resp = w.call<protocol::DescribeQuorumResponse>(req, *v);
      auto fail_code = [&](int16_t code, const std::optional<std::string>& msg) {
        std::string name = kafka_error_name(code);
        std::string hint = hint_for(static_cast<rd_kafka_resp_err_t>(code));
        throw CliError(exit_code_for(static_cast<rd_kafka_resp_err_t>(code)), name,
                       "DescribeQuorum to " + w.address() + ": " + name + " (" +
                           (msg && !msg->empty() ? *msg : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(code))) + ")" +
                           (hint.empty() ? "" : "; " + hint));
      };
      if (resp.error_code != protocol::kafka_errc::none) fail_code(protocol::wire_code(resp.error_code), resp.error_message);
      if (resp.topics.empty() || resp.topics[0].partitions.empty())
        throw CliError(kError, "", "DescribeQuorum to " + w.address() + " returned no partition");
      const auto& p = resp.topics[0].partitions[0];
      if (p.error_code != protocol::kafka_errc::none) fail_code(protocol::wire_code(p.error_code), p.error_message);
      int64_t leader_leo = p.high_watermark;
      for (const auto& r : p.current_voters)
        if (r.replica_id == p.leader_id) leader_leo = r.log_end_offset;
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      auto ago = [&](int64_t ts) { return ts < 0 ? std::string("-") : std::to_string(std::max<int64_t>(0, now_ms - ts)) + " ms ago"; };
      auto opt = [](int64_t ts) { return ts < 0 ? nlohmann::json(nullptr) : nlohmann::json(ts); };
      Table tb({"node", "status", "log-end-offset", "lag", "last-fetch", "last-caught-up"});
      nlohmann::json jv = nlohmann::json::array(), jo = nlohmann::json::array();
      auto add = [&](const auto& r, bool voter) {
        // log end offset -1: the leader has not heard from this replica yet
        const bool known = r.log_end_offset >= 0;
        int64_t lag = std::max<int64_t>(0, leader_leo - r.log_end_offset);
        std::string status = !voter ? "Observer" : r.replica_id == p.leader_id ? "Leader" : "Follower";
        tb.add({samsa::to_string(r.replica_id), status, known ? std::to_string(r.log_end_offset) : "-",
                known ? std::to_string(lag) : "-", ago(r.last_fetch_timestamp), ago(r.last_caught_up_timestamp)});
        (voter ? jv : jo).push_back({{"id", r.replica_id}, {"status", status},
                                     {"log_end_offset", known ? nlohmann::json(r.log_end_offset) : nlohmann::json(nullptr)},
                                     {"lag", known ? nlohmann::json(lag) : nlohmann::json(nullptr)},
                                     {"last_fetch_timestamp", opt(r.last_fetch_timestamp)},
                                     {"last_caught_up_timestamp", opt(r.last_caught_up_timestamp)}});
      };
      for (const auto& r : p.current_voters) add(r, true);
      for (const auto& r : p.observers) add(r, false);
      std::string voters;
      for (const auto& r : p.current_voters) {
        if (!voters.empty()) voters += ',';
        voters += samsa::to_string(r.replica_id);
      }
      nlohmann::json j = {{"leader_id", p.leader_id}, {"leader_epoch", p.leader_epoch}, {"high_watermark", p.high_watermark},
                          {"voters", jv}, {"observers", jo}};
      if (ctx.structured()) {
        emit_structured(ctx, j);
      } else {
        std::cout << "LEADER-ID:       " << p.leader_id << '\n'
                  << "LEADER-EPOCH:    " << p.leader_epoch << '\n'
                  << "HIGH-WATERMARK:  " << p.high_watermark << '\n'
                  << "VOTERS:          " << (voters.empty() ? "-" : voters) << "\n\n"
                  << tb.render();
      }
      return 0;
    };
  });
}

// ---- elect-leaders ------------------------------------------------------------------------------------------

void add_elect_leaders(CLI::App& cluster, Context& ctx) {
  auto* cmd = add_verb(cluster, ctx, "elect-leaders",
                       "Move partition leadership to the preferred replica (or, --type unclean, to any live replica "
                       "of a leaderless partition)");
  static std::string type = "preferred";
  static std::string topic;
  static std::vector<int32_t> partitions;
  cmd->add_option("--type", type, "preferred (default) or unclean")->check(CLI::IsMember({"preferred", "unclean"}));
  auto* topic_opt = cmd->add_option("-t,--topic", topic, "Only this topic (default: every partition of every topic)");
  cmd->add_option("-p,--partition", partitions, "Only these partitions of --topic (repeatable; default: all)")
      ->needs(topic_opt)
      ->allow_extra_args(false);
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      protocol::ElectLeadersRequest req;
      req.election_type = type == "unclean" ? 1 : 0;
      req.timeout_ms = ctx.conn.timeout_ms;
      if (!topic.empty()) {
        std::vector<int32_t> ps = partitions;
        if (ps.empty()) {
          Handle h = connect_admin(ctx.conn);
          Metadata md = fetch_metadata(h.get(), ctx.conn, true);
          const auto& t = find_topic(*md, topic);
          for (int i = 0; i < t.partition_cnt; ++i) ps.push_back(t.partitions[i].id);
          std::sort(ps.begin(), ps.end());
        }
        req.topic_partitions.emplace();
        auto& tp = req.topic_partitions->emplace_back();
        tp.topic = topic;
        tp.partitions.assign(ps.begin(), ps.end());
      }
      WireClient w(ctx.conn);
      auto v = w.pick_version<protocol::ElectLeadersRequest>();
      if (!v)
        throw CliError(kError, "UNSUPPORTED_VERSION",
                       "broker does not support ElectLeaders (API key 43 is not in the ApiVersions of " + w.address() +
                           "); leaders cannot be elected through this broker");
      if (*v == 0 && req.election_type != 0)
        throw CliError(kError, "UNSUPPORTED_VERSION",
                       "the broker at " + w.address() + " speaks only ElectLeaders v0, which has no unclean election");
      auto resp = w.call<protocol::ElectLeadersResponse>(req, *v);
      if (const int16_t code = protocol::wire_code(resp.error_code)) {
        auto err = static_cast<rd_kafka_resp_err_t>(code);
        std::string hint = hint_for(err);
        throw CliError(exit_code_for(err), kafka_error_name(code),
                       "ElectLeaders to " + w.address() + ": " + kafka_error_name(code) + " (" +
                           rd_kafka_err2str(err) + ")" + (hint.empty() ? "" : "; " + hint));
      }
      struct Row {
        std::string topic;
        partition_index partition;
        int16_t code;
        std::string message;
      };
      std::vector<Row> rows;
      for (const auto& t : resp.replica_election_results)
        for (const auto& p : t.partition_result)
          rows.push_back({t.topic, p.partition_id, protocol::wire_code(p.error_code), p.error_message.value_or("")});
      std::sort(rows.begin(), rows.end(),
                [](const Row& a, const Row& b) { return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition); });
      constexpr int16_t election_not_needed = 84, unknown_partition = 3;
      int elected = 0, not_needed = 0, failed = 0, unknown = 0;
      Table tb({"topic", "partition", "result", "detail"});
      nlohmann::json jr = nlohmann::json::array();
      for (const auto& r : rows) {
        std::string result = r.code == 0 ? "ELECTED" : kafka_error_name(r.code);
        if (r.code == 0) ++elected;
        else if (r.code == election_not_needed) ++not_needed;
        else ++failed, unknown += r.code == unknown_partition;
        tb.add({r.topic, samsa::to_string(r.partition), result, r.code == 0 ? "" : r.message});
        jr.push_back({{"topic", r.topic}, {"partition", r.partition.value()}, {"elected", r.code == 0},
                      {"error", r.code == 0 ? nlohmann::json(nullptr) : nlohmann::json(result)},
                      {"message", r.message.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.message)}});
      }
      nlohmann::json j = {{"election_type", type}, {"elected", elected}, {"not_needed", not_needed},
                          {"failed", failed}, {"results", jr}};
      if (ctx.structured()) {
        emit_structured(ctx, j);
      } else if (rows.empty()) {
        std::cout << (type == "preferred" ? "No election needed: every partition is led by its preferred replica.\n"
                                          : "No election needed: every partition has a live leader.\n");
      } else {
        std::cout << tb.render();
      }
      // Exit: 0 when every partition has the wanted leader (elected now or already), 3 when the only failures are
      // unknown partitions, 1 otherwise.
      if (failed == 0) return static_cast<int>(kOk);
      if (!ctx.structured())
        std::cerr << "samsactl: error: " << failed << " partition(s) could not get the "
                  << (type == "preferred" ? "preferred" : "elected") << " leader (see RESULT above)\n";
      return static_cast<int>(unknown == failed ? kNotFound : kError);
    };
  });
}

// ---- config -------------------------------------------------------------------------------------------------

struct BrokerConfig {
  std::string name, value, source;
  bool read_only, sensitive;
};

int32_t pick_broker(rd_kafka_t* rk, const Connection& c, int32_t requested) {
  Metadata md = fetch_metadata(rk, c, false);
  std::vector<int32_t> ids;
  for (int i = 0; i < md->broker_cnt; ++i) ids.push_back(md->brokers[i].id);
  std::sort(ids.begin(), ids.end());
  if (requested >= 0) {
    if (std::find(ids.begin(), ids.end(), requested) == ids.end())
      throw CliError(kNotFound, "BROKER_NOT_AVAILABLE",
                     "broker " + std::to_string(requested) + " is not in the cluster; see `samsactl cluster info`");
    return requested;
  }
  if (ids.empty()) throw CliError(kUnreachable, "BROKER_NOT_AVAILABLE", "the metadata lists no broker");
  return ids.front();
}

std::vector<BrokerConfig> describe_broker(rd_kafka_t* rk, const Connection& c, int32_t id) {
  std::string name = std::to_string(id);
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, name.c_str());
  Event ev = [&] {
    try {
      return admin_call(rk, c, false, [&](rd_kafka_t* h, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
        rd_kafka_DescribeConfigs(h, &res, 1, o, q);
      });
    } catch (...) {
      rd_kafka_ConfigResource_destroy(res);
      throw;
    }
  }();
  rd_kafka_ConfigResource_destroy(res);
  size_t n = 0;
  const rd_kafka_ConfigResource_t** rs =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  std::vector<BrokerConfig> rows;
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_ConfigResource_error(rs[i]))
      fail(rd_kafka_ConfigResource_error(rs[i]), "describing configs of broker " + name,
           rd_kafka_ConfigResource_error_string(rs[i]) ? rd_kafka_ConfigResource_error_string(rs[i]) : "");
    size_t m = 0;
    const rd_kafka_ConfigEntry_t** es = rd_kafka_ConfigResource_configs(rs[i], &m);
    for (size_t k = 0; k < m; ++k) {
      const char* v = rd_kafka_ConfigEntry_value(es[k]);
      rows.push_back({rd_kafka_ConfigEntry_name(es[k]), v ? v : "",
                      rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(es[k])),
                      rd_kafka_ConfigEntry_is_read_only(es[k]) != 0, rd_kafka_ConfigEntry_is_sensitive(es[k]) != 0});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return rows;
}

void add_config(CLI::App& cluster, Context& ctx) {
  auto* config = cluster.add_subcommand("config", "Broker configs: get and set");
  config->require_subcommand(1);
  config->fallthrough();
  static int32_t broker = -1;

  auto* get = add_verb(*config, ctx, "get", "Show broker configs (all, or the keys given)");
  static std::vector<std::string> keys;
  get->add_option("key", keys, "Config keys to show (default: all)");
  get->add_option("--broker", broker, "Broker id (default: the lowest id in the cluster)");
  get->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      int32_t id = pick_broker(h.get(), ctx.conn, broker);
      auto rows = describe_broker(h.get(), ctx.conn, id);
      std::map<std::string, const BrokerConfig*> by_name;
      for (const auto& r : rows) by_name[r.name] = &r;
      std::vector<const BrokerConfig*> shown;
      if (keys.empty()) {
        for (const auto& r : rows) shown.push_back(&r);
      } else {
        for (const auto& k : keys) {
          auto it = by_name.find(k);
          if (it == by_name.end())
            throw CliError(kNotFound, "",
                           "broker " + std::to_string(id) + " has no config '" + k + "'; list them with `samsactl cluster config get`");
          shown.push_back(it->second);
        }
      }
      Table t({"config", "value", "source"});
      nlohmann::json jc = nlohmann::json::array();
      for (auto* r : shown) {
        std::string v = r->sensitive ? "<sensitive>" : r->value;
        t.add({r->name, v, r->source});
        jc.push_back({{"name", r->name}, {"value", v}, {"source", r->source}, {"read_only", r->read_only},
                      {"sensitive", r->sensitive}});
      }
      emit(ctx, t, {{"broker", id}, {"configs", jc}});
      return 0;
    };
  });

  auto* set = add_verb(*config, ctx, "set", "Change broker configs (key=value...; the broker may refuse: samsad's are static)");
  static std::vector<std::string> sets, deletes;
  static bool dry_run = false;
  set->add_option("key=value", sets, "Configs to set");
  set->add_option("-d,--delete", deletes, "Config key to remove (back to its default; repeatable)")->allow_extra_args(false);
  set->add_option("--broker", broker, "Broker id (default: the lowest id in the cluster)");
  set->add_flag("--dry-run", dry_run, "Validate only");
  set->callback([&ctx] {
    ctx.action = [&ctx] {
      if (sets.empty() && deletes.empty()) throw CliError(kUsage, "", "nothing to change: give key=value or --delete key");
      std::vector<std::pair<std::string, std::string>> kvs;
      for (const auto& s : sets) {
        auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0) throw CliError(kUsage, "", "expected key=value, got '" + s + "'");
        kvs.emplace_back(s.substr(0, eq), s.substr(eq + 1));
      }
      Handle h = connect_admin(ctx.conn);
      int32_t id = pick_broker(h.get(), ctx.conn, broker);
      std::string name = std::to_string(id);
      // AlterConfigs replaces the broker's whole dynamic config: start from what is set dynamically now.
      std::map<std::string, std::string> cfg;
      for (const auto& r : describe_broker(h.get(), ctx.conn, id))
        if (r.source == "DYNAMIC_BROKER_CONFIG") cfg[r.name] = r.value;
      Table t({"config", "action", "value"});
      nlohmann::json js = nlohmann::json::object(), jd = nlohmann::json::array();
      for (const auto& [k, v] : kvs) {
        cfg[k] = v;
        t.add({k, "SET", v});
        js[k] = v;
      }
      for (const auto& d : deletes) {
        cfg.erase(d);
        t.add({d, "DELETE", ""});
        jd.push_back(d);
      }
      rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, name.c_str());
      for (const auto& [k, v] : cfg) rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str());
      Event ev = [&] {
        try {
          return admin_call(h.get(), ctx.conn, dry_run, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
            rd_kafka_AlterConfigs(rk, &res, 1, o, q);
          });
        } catch (...) {
          rd_kafka_ConfigResource_destroy(res);
          throw;
        }
      }();
      rd_kafka_ConfigResource_destroy(res);
      size_t n = 0;
      const rd_kafka_ConfigResource_t** rs = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev.get()), &n);
      for (size_t i = 0; i < n; ++i) {
        rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(rs[i]);
        if (!err) continue;
        const char* detail = rd_kafka_ConfigResource_error_string(rs[i]);
        std::string msg = "altering configs of broker " + name + ": " + rd_kafka_err2name(err) + " (" +
                          (detail && *detail ? detail : rd_kafka_err2str(err)) + ")";
        if (err == RD_KAFKA_RESP_ERR_INVALID_REQUEST || err == RD_KAFKA_RESP_ERR_POLICY_VIOLATION ||
            err == RD_KAFKA_RESP_ERR_INVALID_CONFIG)
          msg += "; the broker does not accept this change at runtime: set it in the broker's config file (or "
                 "samsad --override key=value) and restart the broker, see docs/configuration.md";
        else if (!hint_for(err).empty())
          msg += "; " + hint_for(err);
        throw CliError(exit_code_for(err), rd_kafka_err2name(err), msg);
      }
      emit(ctx, t, {{"broker", id}, {"set", js}, {"deleted", jd}, {"dry_run", dry_run}});
      return 0;
    };
  });
}

}  // namespace

void register_cluster(CLI::App& app, Context& ctx) {
  auto* cluster = app.add_subcommand("cluster", "Cluster-wide information: info, health, quorum, leader elections, broker configs");
  cluster->require_subcommand(1);
  cluster->fallthrough();
  add_info(*cluster, ctx);
  add_health(*cluster, ctx);
  add_quorum(*cluster, ctx);
  add_elect_leaders(*cluster, ctx);
  add_config(*cluster, ctx);
}

}  // namespace samsa::cli
