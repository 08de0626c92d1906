// samsactl topic: create, list, describe, delete, alter-config, add-partitions, trim (produce and consume are in
// topic_data.cc).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "topic_data.h"

namespace samsa::cli {

std::pair<std::string, std::string> split_kv(const std::string& kv, const char* what) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0)
    throw CliError(kUsage, "", std::string(what) + " expects key=value, got '" + kv + "'");
  return {kv.substr(0, eq), kv.substr(eq + 1)};
}

namespace {


std::string join_ints(const int32_t* v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

std::regex compile_regex(const std::string& re) {
  try {
    return std::regex(re, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw CliError(kUsage, "", "invalid regular expression '" + re + "': " + e.what());
  }
}

// Topic names in metadata, sorted, optionally filtered by a regex (full match) and without internal "__" topics.
std::vector<const rd_kafka_metadata_topic_t*> select_topics(const rd_kafka_metadata_t& md, const std::string& re,
                                                            bool internal) {
  std::optional<std::regex> rx;
  if (!re.empty()) rx = compile_regex(re);
  std::vector<const rd_kafka_metadata_topic_t*> out;
  for (int i = 0; i < md.topic_cnt; ++i) {
    const auto& t = md.topics[i];
    std::string name = t.topic;
    if (!internal && name.rfind("__", 0) == 0) continue;
    if (rx && !std::regex_search(name, *rx)) continue;
    out.push_back(&t);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return std::string(a->topic) < b->topic; });
  return out;
}

void check_topic_result(const rd_kafka_topic_result_t* r, const std::string& what) {
  if (rd_kafka_topic_result_error(r))
    fail(rd_kafka_topic_result_error(r), what + " '" + rd_kafka_topic_result_name(r) + "'",
         rd_kafka_topic_result_error_string(r) ? rd_kafka_topic_result_error_string(r) : "");
}

struct ConfigRow {
  std::string name, value, source;
  bool is_default, read_only, sensitive;
};

std::vector<ConfigRow> describe_topic_configs(rd_kafka_t* rk, const Connection& c, const std::string& topic) {
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  Event ev = admin_call(rk, c, false, [&](rd_kafka_t* h, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_DescribeConfigs(h, &res, 1, o, q);
  });
  rd_kafka_ConfigResource_destroy(res);
  size_t n = 0;
  const rd_kafka_ConfigResource_t** rs =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  std::vector<ConfigRow> rows;
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_ConfigResource_error(rs[i]))
      fail(rd_kafka_ConfigResource_error(rs[i]), "describing configs of topic '" + topic + "'",
           rd_kafka_ConfigResource_error_string(rs[i]) ? rd_kafka_ConfigResource_error_string(rs[i]) : "");
    size_t m = 0;
    const rd_kafka_ConfigEntry_t** es = rd_kafka_ConfigResource_configs(rs[i], &m);
    for (size_t k = 0; k < m; ++k) {
      const char* v = rd_kafka_ConfigEntry_value(es[k]);
      rows.push_back({rd_kafka_ConfigEntry_name(es[k]), v ? v : "",
                      rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(es[k])),
                      rd_kafka_ConfigEntry_is_default(es[k]) != 0, rd_kafka_ConfigEntry_is_read_only(es[k]) != 0,
                      rd_kafka_ConfigEntry_is_sensitive(es[k]) != 0});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return rows;
}

// ---- list ---------------------------------------------------------------------------------------------------

void add_list(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "list", "List topics (optionally those matching a regex)");
  cmd->alias("ls");
  static std::string regex;
  static bool internal = false;
  cmd->add_option("regex", regex, "Only topics whose name matches this regular expression");
  cmd->add_flag("-i,--internal", internal, "Include internal topics (__consumer_offsets, ...)");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      Metadata md = fetch_metadata(h.get(), ctx.conn, true);
      Table t({"name", "partitions", "replicas"});
      nlohmann::json j = nlohmann::json::array();
      for (auto* tp : select_topics(*md, regex, internal)) {
        int rf = tp->partition_cnt > 0 ? tp->partitions[0].replica_cnt : 0;
        t.add({tp->topic, std::to_string(tp->partition_cnt), std::to_string(rf)});
        j.push_back({{"name", tp->topic}, {"partitions", tp->partition_cnt}, {"replication_factor", rf}});
      }
      emit(ctx, t, j);
      return 0;
    };
  });
}

// ---- create -------------------------------------------------------------------------------------------------

void add_create(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "create", "Create topics");
  static std::vector<std::string> names, configs;
  static int partitions = -1, replicas = -1;
  static bool dry_run = false;
  cmd->add_option("name", names, "Topic name(s)")->required();
  cmd->add_option("-p,--partitions", partitions, "Partition count (default: the broker's num.partitions)");
  cmd->add_option("-r,--replicas", replicas, "Replication factor (default: the broker's default.replication.factor)");
  cmd->add_option("-c,--config", configs, "Topic config key=value (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--dry-run", dry_run, "Validate only; create nothing");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      std::vector<std::pair<std::string, std::string>> kvs;
      for (const auto& c : configs) kvs.push_back(split_kv(c, "-c/--config"));
      Handle h = connect_admin(ctx.conn);
      std::vector<rd_kafka_NewTopic_t*> nts;
      char errstr[512];
      for (const auto& n : names) {
        rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(n.c_str(), partitions, replicas, errstr, sizeof errstr);
        if (!nt) {
          for (auto* x : nts) rd_kafka_NewTopic_destroy(x);
          throw CliError(kUsage, "", "topic '" + n + "': " + errstr);
        }
        for (const auto& [k, v] : kvs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
        nts.push_back(nt);
      }
      Event ev = [&] {
        try {
          return admin_call(h.get(), ctx.conn, dry_run, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
            rd_kafka_CreateTopics(rk, nts.data(), nts.size(), o, q);
          });
        } catch (...) {
          rd_kafka_NewTopic_destroy_array(nts.data(), nts.size());
          throw;
        }
      }();
      rd_kafka_NewTopic_destroy_array(nts.data(), nts.size());
      size_t n = 0;
      const rd_kafka_topic_result_t** rs = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
      Table t({"topic", "status"});
      nlohmann::json j = nlohmann::json::array();
      std::optional<CliError> first;
      for (size_t i = 0; i < n; ++i) {
        std::string name = rd_kafka_topic_result_name(rs[i]);
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(rs[i]);
        std::string status = err ? rd_kafka_err2name(err) : (dry_run ? "OK (dry run)" : "CREATED");
        t.add({name, status});
        nlohmann::json r = {{"name", name}, {"created", !err && !dry_run}, {"dry_run", dry_run},
                            {"error", err ? nlohmann::json(rd_kafka_err2name(err)) : nlohmann::json(nullptr)}};
        j.push_back(r);
        if (err && !first) {
          try {
            check_topic_result(rs[i], "creating topic");
          } catch (const CliError& e) {
            first = e;
          }
        }
      }
      emit(ctx, t, j);
      if (first) {
        std::cerr << "samsactl: error: " << first->what() << '\n';
        return first->exit_code();
      }
      return 0;
    };
  });
}

// ---- describe -----------------------------------------------------------------------------------------------

void add_describe(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "describe", "Partitions (leader, replicas, ISR, offsets) and configs of a topic");
  static std::string name;
  static bool all_configs = false;
  cmd->add_option("name", name, "Topic name")->required();
  cmd->add_flag("-a,--all-configs", all_configs, "Show every config, not only those set on the topic");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      Metadata md = fetch_metadata(h.get(), ctx.conn, true);
      const auto& t = find_topic(*md, name);
      std::vector<const rd_kafka_metadata_partition_t*> parts;
      for (int i = 0; i < t.partition_cnt; ++i) parts.push_back(&t.partitions[i]);
      std::sort(parts.begin(), parts.end(), [](auto* a, auto* b) { return a->id < b->id; });
      Table pt({"partition", "leader", "replicas", "isr", "log-start-offset", "high-watermark"});
      nlohmann::json jp = nlohmann::json::array();
      for (auto* p : parts) {
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(h.get(), name.c_str(), p->id, &lo, &hi, ctx.conn.timeout_ms);
        if (err) lo = hi = -1;
        pt.add({std::to_string(p->id), std::to_string(p->leader), join_ints(p->replicas, p->replica_cnt),
                join_ints(p->isrs, p->isr_cnt), lo < 0 ? "-" : std::to_string(lo), hi < 0 ? "-" : std::to_string(hi)});
        jp.push_back({{"partition", p->id},
                      {"leader", p->leader},
                      {"replicas", std::vector<int32_t>(p->replicas, p->replicas + p->replica_cnt)},
                      {"isr", std::vector<int32_t>(p->isrs, p->isrs + p->isr_cnt)},
                      {"log_start_offset", lo < 0 ? nlohmann::json(nullptr) : nlohmann::json(lo)},
                      {"high_watermark", hi < 0 ? nlohmann::json(nullptr) : nlohmann::json(hi)},
                      {"error", p->err ? nlohmann::json(rd_kafka_err2name(p->err)) : nlohmann::json(nullptr)}});
      }
      auto cfgs = describe_topic_configs(h.get(), ctx.conn, name);
      Table ct({"config", "value", "source"});
      nlohmann::json jc = nlohmann::json::array();
      for (const auto& c : cfgs) {
        if (!all_configs && c.source != "DYNAMIC_TOPIC_CONFIG") continue;
        std::string v = c.sensitive ? "<sensitive>" : c.value;
        ct.add({c.name, v, c.source});
        jc.push_back({{"name", c.name}, {"value", v}, {"source", c.source}, {"read_only", c.read_only},
                      {"sensitive", c.sensitive}});
      }
      int rf = parts.empty() ? 0 : parts[0]->replica_cnt;
      nlohmann::json j = {{"name", name}, {"partition_count", static_cast<int>(parts.size())}, {"replication_factor", rf},
                          {"partitions", jp}, {"configs", jc}};
      if (ctx.structured()) {
        emit(ctx, pt, j);
      } else {
        std::cout << "NAME:                " << name << '\n'
                  << "PARTITIONS:          " << parts.size() << '\n'
                  << "REPLICATION-FACTOR:  " << rf << "\n\n"
                  << pt.render() << '\n';
        if (ct.empty())
          std::cout << "CONFIGS: none set on the topic (use --all-configs to see defaults)\n";
        else
          std::cout << ct.render();
      }
      return 0;
    };
  });
}

// ---- delete -------------------------------------------------------------------------------------------------

void add_delete(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "delete", "Delete topics by name or regex");
  cmd->alias("rm");
  static std::vector<std::string> names;
  static std::string regex;
  cmd->add_option("name", names, "Topic name(s)");
  cmd->add_option("--regex", regex, "Delete every (non-internal) topic matching this regular expression");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      if (names.empty() && regex.empty()) throw CliError(kUsage, "", "give a topic name or --regex");
      Handle h = connect_admin(ctx.conn);
      std::vector<std::string> targets = names;
      if (!regex.empty()) {
        Metadata md = fetch_metadata(h.get(), ctx.conn, true);
        for (auto* t : select_topics(*md, regex, false)) targets.push_back(t->topic);
        if (targets.empty())
          throw CliError(kNotFound, "", "no topic matches --regex '" + regex + "'; see `samsactl topic list`");
      }
      std::vector<rd_kafka_DeleteTopic_t*> dts;
      for (const auto& n : targets) dts.push_back(rd_kafka_DeleteTopic_new(n.c_str()));
      Event ev = [&] {
        try {
          return admin_call(h.get(), ctx.conn, false, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
            rd_kafka_DeleteTopics(rk, dts.data(), dts.size(), o, q);
          });
        } catch (...) {
          rd_kafka_DeleteTopic_destroy_array(dts.data(), dts.size());
          throw;
        }
      }();
      rd_kafka_DeleteTopic_destroy_array(dts.data(), dts.size());
      size_t n = 0;
      const rd_kafka_topic_result_t** rs = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &n);
      Table t({"topic", "status"});
      nlohmann::json j = nlohmann::json::array();
      std::optional<CliError> first;
      for (size_t i = 0; i < n; ++i) {
        std::string name = rd_kafka_topic_result_name(rs[i]);
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(rs[i]);
        t.add({name, err ? rd_kafka_err2name(err) : "DELETED"});
        j.push_back({{"name", name}, {"deleted", !err},
                     {"error", err ? nlohmann::json(rd_kafka_err2name(err)) : nlohmann::json(nullptr)}});
        if (err && !first) {
          try {
            check_topic_result(rs[i], "deleting topic");
          } catch (const CliError& e) {
            first = e;
          }
        }
      }
      emit(ctx, t, j);
      if (first) {
        std::cerr << "samsactl: error: " << first->what() << '\n';
        return first->exit_code();
      }
      return 0;
    };
  });
}

// ---- alter-config -------------------------------------------------------------------------------------------

void add_alter_config(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "alter-config", "Set or delete topic configs");
  static std::string name;
  static std::vector<std::string> sets, deletes;
  static bool dry_run = false;
  cmd->add_option("name", name, "Topic name")->required();
  cmd->add_option("-c,--config,--set", sets, "key=value to set (repeatable)")->allow_extra_args(false);
  cmd->add_option("-d,--delete", deletes, "Config key to remove (back to the broker default; repeatable)")->allow_extra_args(false);
  cmd->add_flag("--dry-run", dry_run, "Validate only");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      if (sets.empty() && deletes.empty()) throw CliError(kUsage, "", "nothing to change: give -c key=value or --delete key");
      Handle h = connect_admin(ctx.conn);
      Metadata md = fetch_metadata(h.get(), ctx.conn, true);
      find_topic(*md, name);
      // AlterConfigs replaces the topic's whole dynamic config: start from what is set now.
      std::map<std::string, std::string> cfg;
      for (const auto& c : describe_topic_configs(h.get(), ctx.conn, name))
        if (c.source == "DYNAMIC_TOPIC_CONFIG") cfg[c.name] = c.value;
      Table t({"config", "action", "value"});
      nlohmann::json js = nlohmann::json::object();
      nlohmann::json jd = nlohmann::json::array();
      for (const auto& s : sets) {
        auto [k, v] = split_kv(s, "-c/--config");
        cfg[k] = v;
        t.add({k, "SET", v});
        js[k] = v;
      }
      for (const auto& d : deletes) {
        cfg.erase(d);
        t.add({d, "DELETE", ""});
        jd.push_back(d);
      }
      rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str());
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
      for (size_t i = 0; i < n; ++i)
        if (rd_kafka_ConfigResource_error(rs[i]))
          fail(rd_kafka_ConfigResource_error(rs[i]), "altering configs of topic '" + name + "'",
               rd_kafka_ConfigResource_error_string(rs[i]) ? rd_kafka_ConfigResource_error_string(rs[i]) : "");
      emit(ctx, t, {{"topic", name}, {"set", js}, {"deleted", jd}, {"dry_run", dry_run}});
      return 0;
    };
  });
}

// ---- add-partitions -----------------------------------------------------------------------------------------

void add_add_partitions(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "add-partitions", "Raise a topic's partition count");
  static std::string name;
  static int total = 0;
  static bool dry_run = false;
  cmd->add_option("name", name, "Topic name")->required();
  cmd->add_option("-p,--partitions", total, "New total partition count")->required();
  cmd->add_flag("--dry-run", dry_run, "Validate only");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      char errstr[512];
      rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(name.c_str(), static_cast<size_t>(std::max(total, 0)), errstr, sizeof errstr);
      if (!np) throw CliError(kUsage, "", errstr);
      Event ev = [&] {
        try {
          return admin_call(h.get(), ctx.conn, dry_run, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
            rd_kafka_CreatePartitions(rk, &np, 1, o, q);
          });
        } catch (...) {
          rd_kafka_NewPartitions_destroy(np);
          throw;
        }
      }();
      rd_kafka_NewPartitions_destroy(np);
      size_t n = 0;
      const rd_kafka_topic_result_t** rs =
          rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev.get()), &n);
      for (size_t i = 0; i < n; ++i) check_topic_result(rs[i], "adding partitions to topic");
      Table t({"topic", "partitions"});
      t.add({name, std::to_string(total)});
      emit(ctx, t, {{"topic", name}, {"partitions", total}, {"dry_run", dry_run}});
      return 0;
    };
  });
}

// ---- trim ---------------------------------------------------------------------------------------------------

void add_trim(CLI::App& topic, Context& ctx) {
  auto* cmd = add_verb(topic, ctx, "trim", "Delete the records before an offset (DeleteRecords): raise the log start offset");
  cmd->alias("delete-records");
  static std::string name, offset_s;
  static std::vector<int32_t> only;
  static bool dry_run = false;
  cmd->add_option("name", name, "Topic name")->required();
  cmd->add_option("-o,--offset", offset_s, "New log start offset: N, or end (the high watermark: delete everything)")->required();
  cmd->add_option("-p,--partition", only, "Only these partitions (repeatable; default: all)")->allow_extra_args(false);
  cmd->add_flag("--dry-run", dry_run, "Show what would be deleted; delete nothing");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      bool to_end = offset_s == "end" || offset_s == "hw" || offset_s == "high-watermark";
      int64_t target = -1;
      if (!to_end) {
        size_t used = 0;
        try {
          target = std::stoll(offset_s, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != offset_s.size() || offset_s.empty() || target < 0)
          throw CliError(kUsage, "", "invalid -o/--offset '" + offset_s + "': use a non-negative offset or end");
      }
      Handle h = connect_admin(ctx.conn);
      Metadata md = fetch_metadata(h.get(), ctx.conn, true);
      const auto& t = find_topic(*md, name);
      std::vector<int32_t> parts;
      for (int i = 0; i < t.partition_cnt; ++i) parts.push_back(t.partitions[i].id);
      std::sort(parts.begin(), parts.end());
      if (!only.empty()) {
        for (auto p : only)
          if (std::find(parts.begin(), parts.end(), p) == parts.end())
            throw CliError(kNotFound, "UNKNOWN_TOPIC_OR_PART",
                           "topic '" + name + "' has no partition " + std::to_string(p) + " (it has " +
                               std::to_string(parts.size()) + ")");
        parts = only;
        std::sort(parts.begin(), parts.end());
        parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
      }
      struct Row {
        int32_t partition;
        int64_t lo, hi, target, result = -1;
        std::string error;
      };
      std::vector<Row> rows;
      for (auto p : parts) {
        int64_t lo = -1, hi = -1;
        if (auto err = rd_kafka_query_watermark_offsets(h.get(), name.c_str(), p, &lo, &hi, ctx.conn.timeout_ms))
          fail(err, "reading the offsets of " + name + "/" + std::to_string(p));
        int64_t want = to_end ? hi : target;
        if (want > hi)
          throw CliError(kError, "OFFSET_OUT_OF_RANGE",
                         "offset " + std::to_string(want) + " is beyond the high watermark " + std::to_string(hi) +
                             " of " + name + "/" + std::to_string(p) + " (OFFSET_OUT_OF_RANGE); use -o end to delete everything");
        rows.push_back({p, lo, hi, want, std::max(lo, want), ""});
      }
      if (!dry_run) {
        PartitionList pl(rd_kafka_topic_partition_list_new(static_cast<int>(rows.size())));
        for (const auto& r : rows) rd_kafka_topic_partition_list_add(pl.get(), name.c_str(), r.partition)->offset = r.target;
        rd_kafka_DeleteRecords_t* dr = rd_kafka_DeleteRecords_new(pl.get());
        Event ev = [&] {
          try {
            return admin_call(h.get(), ctx.conn, false, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
              rd_kafka_DeleteRecords(rk, &dr, 1, o, q);
            });
          } catch (...) {
            rd_kafka_DeleteRecords_destroy(dr);
            throw;
          }
        }();
        rd_kafka_DeleteRecords_destroy(dr);
        const rd_kafka_topic_partition_list_t* res =
            rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev.get()));
        for (int i = 0; res && i < res->cnt; ++i)
          for (auto& r : rows)
            if (r.partition == res->elems[i].partition) {
              if (res->elems[i].err) {
                r.error = rd_kafka_err2name(res->elems[i].err);
                r.result = r.lo;
              } else {
                r.result = res->elems[i].offset;
              }
            }
      }
      Table tb({"topic", "partition", dry_run ? "log-start-offset" : "old-log-start-offset",
                dry_run ? "new-log-start-offset" : "log-start-offset", "high-watermark", "deleted"});
      nlohmann::json jp = nlohmann::json::array();
      std::string first_error;
      for (const auto& r : rows) {
        int64_t deleted = std::max<int64_t>(0, r.result - r.lo);
        tb.add({name, std::to_string(r.partition), std::to_string(r.lo), std::to_string(r.result), std::to_string(r.hi),
                r.error.empty() ? std::to_string(deleted) : r.error});
        jp.push_back({{"partition", r.partition}, {"previous_log_start_offset", r.lo}, {"log_start_offset", r.result},
                      {"high_watermark", r.hi}, {"deleted_records", deleted},
                      {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)}});
        if (!r.error.empty() && first_error.empty()) first_error = r.error + " on partition " + std::to_string(r.partition);
      }
      emit(ctx, tb, {{"topic", name}, {"dry_run", dry_run}, {"partitions", jp}});
      if (dry_run && !ctx.structured()) std::cerr << "dry run: nothing deleted; drop --dry-run to apply\n";
      if (!first_error.empty()) {
        std::cerr << "samsactl: error: deleting records of topic '" << name << "': " << first_error << '\n';
        return static_cast<int>(kError);
      }
      return 0;
    };
  });
}


}  // namespace

void register_topic(CLI::App& app, Context& ctx) {
  auto* topic = app.add_subcommand("topic", "Create, inspect, change, produce to and consume from topics");
  topic->alias("topics");
  topic->require_subcommand(1);
  topic->fallthrough();
  add_create(*topic, ctx);
  add_list(*topic, ctx);
  add_describe(*topic, ctx);
  add_delete(*topic, ctx);
  add_alter_config(*topic, ctx);
  add_add_partitions(*topic, ctx);
  add_trim(*topic, ctx);
  add_topic_data_commands(*topic, ctx);
}

}  // namespace samsa::cli
