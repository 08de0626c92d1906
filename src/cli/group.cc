// samsactl group: list, describe (lag), delete, seek.
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "commands.h"

namespace samsa::cli {
namespace {

std::string state_name(rd_kafka_consumer_group_state_t s) {
  std::string n = rd_kafka_consumer_group_state_name(s);
  return n;
}

[[noreturn]] void group_not_found(const std::string& g) {
  throw CliError(kNotFound, "GROUP_ID_NOT_FOUND",
                 "consumer group '" + g + "' does not exist (GROUP_ID_NOT_FOUND); list groups with `samsactl group list`");
}

void check_error(const rd_kafka_error_t* e, const std::string& what) {
  if (!e) return;
  fail(rd_kafka_error_code(e), what, rd_kafka_error_string(e));
}

using TP = std::pair<std::string, int32_t>;

struct Member {
  std::string consumer_id, client_id, host;
};

struct GroupInfo {
  std::string state, coordinator;
  int members = 0;
  std::map<TP, Member> owner;
  std::map<TP, int64_t> committed;
};

void fetch_committed(rd_kafka_t* rk, const Connection& c, const std::string& g,
                     const rd_kafka_topic_partition_list_t* parts, GroupInfo& gi);

GroupInfo describe_group(rd_kafka_t* rk, const Connection& c, const std::string& g) {
  GroupInfo gi;
  const char* groups[] = {g.c_str()};
  Event ev = admin_call(rk, c, false, [&](rd_kafka_t* h, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_DescribeConsumerGroups(h, groups, 1, o, q);
  });
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** ds =
      rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(ds[i]);
    if (e && rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) group_not_found(g);
    check_error(e, "describing group '" + g + "'");
    gi.state = state_name(rd_kafka_ConsumerGroupDescription_state(ds[i]));
    if (const rd_kafka_Node_t* node = rd_kafka_ConsumerGroupDescription_coordinator(ds[i]))
      gi.coordinator = std::to_string(rd_kafka_Node_id(node));
    size_t mc = rd_kafka_ConsumerGroupDescription_member_count(ds[i]);
    gi.members = static_cast<int>(mc);
    for (size_t k = 0; k < mc; ++k) {
      const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(ds[i], k);
      Member mem{rd_kafka_MemberDescription_consumer_id(m), rd_kafka_MemberDescription_client_id(m),
                 rd_kafka_MemberDescription_host(m)};
      const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(m);
      const rd_kafka_topic_partition_list_t* pl = a ? rd_kafka_MemberAssignment_partitions(a) : nullptr;
      for (int p = 0; pl && p < pl->cnt; ++p) gi.owner[{pl->elems[p].topic, pl->elems[p].partition}] = mem;
    }
  }
  fetch_committed(rk, c, g, nullptr, gi);
  if (gi.committed.empty()) {
    // Some brokers answer OffsetFetch for "all topics" with nothing: ask again naming every partition.
    Metadata md = fetch_metadata(rk, c, true);
    PartitionList all(rd_kafka_topic_partition_list_new(16));
    for (int t = 0; t < md->topic_cnt; ++t) {
      if (std::string(md->topics[t].topic).rfind("__", 0) == 0) continue;
      for (int p = 0; p < md->topics[t].partition_cnt; ++p)
        rd_kafka_topic_partition_list_add(all.get(), md->topics[t].topic, md->topics[t].partitions[p].id);
    }
    if (all->cnt > 0) fetch_committed(rk, c, g, all.get(), gi);
  }
  if ((gi.state == "Dead" || gi.state == "Unknown") && gi.committed.empty() && gi.owner.empty()) group_not_found(g);
  return gi;
}

void fetch_committed(rd_kafka_t* rk, const Connection& c, const std::string& g,
                     const rd_kafka_topic_partition_list_t* parts, GroupInfo& gi) {
  size_t n = 0;
  rd_kafka_ListConsumerGroupOffsets_t* req = rd_kafka_ListConsumerGroupOffsets_new(g.c_str(), parts);
  Event ev2 = [&] {
    try {
      return admin_call(rk, c, false, [&](rd_kafka_t* h, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
        rd_kafka_ListConsumerGroupOffsets(h, &req, 1, o, q);
      });
    } catch (...) {
      rd_kafka_ListConsumerGroupOffsets_destroy(req);
      throw;
    }
  }();
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  const rd_kafka_group_result_t** gs =
      rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev2.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_error_t* e = rd_kafka_group_result_error(gs[i]);
    if (e && rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) group_not_found(g);
    check_error(e, "fetching offsets of group '" + g + "'");
    const rd_kafka_topic_partition_list_t* pl = rd_kafka_group_result_partitions(gs[i]);
    for (int p = 0; pl && p < pl->cnt; ++p)
      if (pl->elems[p].offset >= 0) gi.committed[{pl->elems[p].topic, pl->elems[p].partition}] = pl->elems[p].offset;
  }
}

std::string opt_str(int64_t v) { return v < 0 ? "-" : std::to_string(v); }
nlohmann::json opt_json(int64_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); }

void add_list(CLI::App& group, Context& ctx) {
  auto* cmd = add_verb(group, ctx, "list", "List consumer groups");
  cmd->alias("ls");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      Event ev = admin_call(h.get(), ctx.conn, false, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
        rd_kafka_ListConsumerGroups(rk, o, q);
      });
      const rd_kafka_ListConsumerGroups_result_t* r = rd_kafka_event_ListConsumerGroups_result(ev.get());
      size_t n = 0, ne = 0;
      const rd_kafka_ConsumerGroupListing_t** ls = rd_kafka_ListConsumerGroups_result_valid(r, &n);
      const rd_kafka_error_t** es = rd_kafka_ListConsumerGroups_result_errors(r, &ne);
      std::vector<std::tuple<std::string, std::string, bool>> rows;
      for (size_t i = 0; i < n; ++i)
        rows.emplace_back(rd_kafka_ConsumerGroupListing_group_id(ls[i]),
                          state_name(rd_kafka_ConsumerGroupListing_state(ls[i])),
                          rd_kafka_ConsumerGroupListing_is_simple_consumer_group(ls[i]) != 0);
      std::sort(rows.begin(), rows.end());
      // Brokers below ListGroups v4 report no state: ask DescribeGroups for those.
      std::vector<const char*> unknown;
      for (const auto& [g, s, simple] : rows)
        if (s == "Unknown") unknown.push_back(g.c_str());
      if (!unknown.empty()) {
        Event dev = admin_call(h.get(), ctx.conn, false, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
          rd_kafka_DescribeConsumerGroups(rk, unknown.data(), unknown.size(), o, q);
        });
        size_t dn = 0;
        const rd_kafka_ConsumerGroupDescription_t** ds =
            rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(dev.get()), &dn);
        std::map<std::string, std::string> states;
        for (size_t i = 0; i < dn; ++i)
          if (!rd_kafka_ConsumerGroupDescription_error(ds[i]))
            states[rd_kafka_ConsumerGroupDescription_group_id(ds[i])] =
                state_name(rd_kafka_ConsumerGroupDescription_state(ds[i]));
        for (auto& [g, s, simple] : rows)
          if (auto it = states.find(g); it != states.end()) s = it->second;
      }
      Table t({"group", "state"});
      nlohmann::json j = nlohmann::json::array();
      for (const auto& [g, s, simple] : rows) {
        t.add({g, s});
        j.push_back({{"group", g}, {"state", s}, {"simple", simple}});
      }
      emit(ctx, t, j);
      for (size_t i = 0; i < ne; ++i)
        std::cerr << "samsactl: warning: a broker did not list its groups: " << rd_kafka_error_name(es[i]) << " ("
                  << rd_kafka_error_string(es[i]) << ")\n";
      return ne ? static_cast<int>(kError) : 0;
    };
  });
}

void add_describe(CLI::App& group, Context& ctx) {
  auto* cmd = add_verb(group, ctx, "describe", "Members, committed offsets and lag of a consumer group");
  static std::string name;
  cmd->add_option("group", name, "Group id")->required();
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      GroupInfo gi = describe_group(h.get(), ctx.conn, name);
      std::map<TP, bool> all;
      for (const auto& [tp, _] : gi.committed) all[tp] = true;
      for (const auto& [tp, _] : gi.owner) all[tp] = true;
      Table t({"topic", "partition", "current-offset", "log-end-offset", "lag", "consumer-id", "host", "client-id"});
      nlohmann::json jp = nlohmann::json::array();
      int64_t total = 0;
      for (const auto& [tp, _] : all) {
        int64_t lo = -1, hi = -1;
        if (rd_kafka_query_watermark_offsets(h.get(), tp.first.c_str(), tp.second, &lo, &hi, ctx.conn.timeout_ms)) hi = -1;
        auto it = gi.committed.find(tp);
        int64_t cur = it == gi.committed.end() ? -1 : it->second;
        int64_t lag = (hi >= 0) ? hi - (cur >= 0 ? cur : std::max<int64_t>(lo, 0)) : -1;
        if (lag >= 0) total += lag;
        auto ow = gi.owner.find(tp);
        Member m = ow == gi.owner.end() ? Member{} : ow->second;
        t.add({tp.first, std::to_string(tp.second), opt_str(cur), opt_str(hi), opt_str(lag),
               m.consumer_id.empty() ? "-" : m.consumer_id, m.host.empty() ? "-" : m.host,
               m.client_id.empty() ? "-" : m.client_id});
        jp.push_back({{"topic", tp.first}, {"partition", tp.second}, {"current_offset", opt_json(cur)},
                      {"log_end_offset", opt_json(hi)}, {"lag", opt_json(lag)},
                      {"consumer_id", m.consumer_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.consumer_id)},
                      {"host", m.host.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.host)},
                      {"client_id", m.client_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.client_id)}});
      }
      nlohmann::json j = {{"group", name}, {"state", gi.state}, {"members", gi.members},
                          {"coordinator", gi.coordinator.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::stoi(gi.coordinator))},
                          {"partitions", jp}, {"total_lag", total}};
      if (ctx.structured()) {
        emit(ctx, t, j);
      } else {
        std::cout << "GROUP:        " << name << '\n'
                  << "STATE:        " << gi.state << '\n'
                  << "MEMBERS:      " << gi.members << "\n\n"
                  << t.render() << '\n'
                  << "TOTAL-LAG:    " << total << '\n';
      }
      return 0;
    };
  });
}

void add_delete(CLI::App& group, Context& ctx) {
  auto* cmd = add_verb(group, ctx, "delete", "Delete consumer groups (they must have no active members)");
  cmd->alias("rm");
  static std::vector<std::string> names;
  cmd->add_option("group", names, "Group id(s)")->required();
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      Handle h = connect_admin(ctx.conn);
      std::vector<rd_kafka_DeleteGroup_t*> dg;
      for (const auto& g : names) dg.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
      Event ev = [&] {
        try {
          return admin_call(h.get(), ctx.conn, false, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
            rd_kafka_DeleteGroups(rk, dg.data(), dg.size(), o, q);
          });
        } catch (...) {
          rd_kafka_DeleteGroup_destroy_array(dg.data(), dg.size());
          throw;
        }
      }();
      rd_kafka_DeleteGroup_destroy_array(dg.data(), dg.size());
      size_t n = 0;
      const rd_kafka_group_result_t** gs = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev.get()), &n);
      Table t({"group", "status"});
      nlohmann::json j = nlohmann::json::array();
      std::optional<CliError> first;
      for (size_t i = 0; i < n; ++i) {
        std::string g = rd_kafka_group_result_name(gs[i]);
        const rd_kafka_error_t* e = rd_kafka_group_result_error(gs[i]);
        t.add({g, e ? rd_kafka_error_name(e) : "DELETED"});
        j.push_back({{"group", g}, {"deleted", !e}, {"error", e ? nlohmann::json(rd_kafka_error_name(e)) : nlohmann::json(nullptr)}});
        if (e && !first) {
          try {
            if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) group_not_found(g);
            check_error(e, "deleting group '" + g + "'");
          } catch (const CliError& ce) {
            first = ce;
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

void add_seek(CLI::App& group, Context& ctx) {
  auto* cmd = add_verb(group, ctx, "seek", "Reset a group's committed offsets (dry run unless --execute)");
  cmd->alias("reset-offsets");
  static std::string name, topic;
  static std::vector<std::string> to;
  static bool execute = false, dry_run = false;
  cmd->add_option("group", name, "Group id")->required();
  cmd->add_option("--topic", topic, "Topic whose partitions to reset")->required();
  cmd->add_option("--to", to, "start | end | offset N | timestamp T (ms)")->required()->expected(1, 2);
  cmd->add_flag("--execute", execute, "Apply the change (otherwise only show it)");
  cmd->add_flag("--dry-run", dry_run, "Only show the change (the default)");
  cmd->callback([&ctx] {
    ctx.action = [&ctx] {
      if (execute && dry_run) throw CliError(kUsage, "", "--execute and --dry-run exclude each other");
      std::string mode = to[0];
      int64_t arg = 0;
      if (mode == "offset" || mode == "timestamp") {
        if (to.size() != 2) throw CliError(kUsage, "", "--to " + mode + " needs a number");
        try {
          arg = std::stoll(to[1]);
        } catch (const std::exception&) {
          throw CliError(kUsage, "", "--to " + mode + ": not a number: " + to[1]);
        }
      } else if ((mode != "start" && mode != "end") || to.size() != 1) {
        throw CliError(kUsage, "", "--to must be start, end, offset N or timestamp T");
      }
      Handle h = connect_admin(ctx.conn);
      Metadata md = fetch_metadata(h.get(), ctx.conn, true);
      const auto& t = find_topic(*md, topic);
      GroupInfo gi;
      try {
        gi = describe_group(h.get(), ctx.conn, name);
      } catch (const CliError& e) {
        if (e.exit_code() != kNotFound || !execute) throw;  // a new group may be seeded with --execute
      }
      if (execute && gi.members > 0)
        throw CliError(kError, "NON_EMPTY_GROUP", "group '" + name + "' has " + std::to_string(gi.members) +
                                                      " active member(s) (NON_EMPTY_GROUP); stop its consumers first");
      PartitionList pl(rd_kafka_topic_partition_list_new(t.partition_cnt));
      std::vector<std::pair<int64_t, int64_t>> marks;
      for (int i = 0; i < t.partition_cnt; ++i) {
        int32_t p = t.partitions[i].id;
        int64_t lo = 0, hi = 0;
        if (auto err = rd_kafka_query_watermark_offsets(h.get(), topic.c_str(), p, &lo, &hi, ctx.conn.timeout_ms))
          fail(err, "reading offsets of " + topic + "/" + std::to_string(p));
        auto* e = rd_kafka_topic_partition_list_add(pl.get(), topic.c_str(), p);
        e->offset = mode == "start" ? lo : mode == "end" ? hi : mode == "offset" ? std::clamp(arg, lo, hi) : arg;
        marks.emplace_back(lo, hi);
      }
      rd_kafka_topic_partition_list_sort(pl.get(), nullptr, nullptr);
      if (mode == "timestamp") {
        if (auto err = rd_kafka_offsets_for_times(h.get(), pl.get(), ctx.conn.timeout_ms))
          fail(err, "looking up offsets for timestamp " + std::to_string(arg));
        for (int i = 0; i < pl->cnt; ++i) {
          if (pl->elems[i].offset < 0) {
            int64_t lo = 0, hi = 0;
            rd_kafka_query_watermark_offsets(h.get(), topic.c_str(), pl->elems[i].partition, &lo, &hi, ctx.conn.timeout_ms);
            pl->elems[i].offset = hi;
          }
        }
      }
      Table tb({"topic", "partition", "current-offset", "new-offset"});
      nlohmann::json jp = nlohmann::json::array();
      for (int i = 0; i < pl->cnt; ++i) {
        auto it = gi.committed.find({topic, pl->elems[i].partition});
        int64_t cur = it == gi.committed.end() ? -1 : it->second;
        tb.add({topic, std::to_string(pl->elems[i].partition), opt_str(cur), std::to_string(pl->elems[i].offset)});
        jp.push_back({{"topic", topic}, {"partition", pl->elems[i].partition}, {"current_offset", opt_json(cur)},
                      {"new_offset", pl->elems[i].offset}});
      }
      if (execute) {
        rd_kafka_AlterConsumerGroupOffsets_t* req = rd_kafka_AlterConsumerGroupOffsets_new(name.c_str(), pl.get());
        Event ev = [&] {
          try {
            return admin_call(h.get(), ctx.conn, false, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
              rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, q);
            });
          } catch (...) {
            rd_kafka_AlterConsumerGroupOffsets_destroy(req);
            throw;
          }
        }();
        rd_kafka_AlterConsumerGroupOffsets_destroy(req);
        size_t n = 0;
        const rd_kafka_group_result_t** gs =
            rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get()), &n);
        for (size_t i = 0; i < n; ++i) {
          check_error(rd_kafka_group_result_error(gs[i]), "resetting offsets of group '" + name + "'");
          const rd_kafka_topic_partition_list_t* r = rd_kafka_group_result_partitions(gs[i]);
          for (int p = 0; r && p < r->cnt; ++p)
            if (r->elems[p].err)
              fail(r->elems[p].err, "resetting offset of " + topic + "/" + std::to_string(r->elems[p].partition) + " for group '" + name + "'");
        }
      }
      nlohmann::json j = {{"group", name}, {"topic", topic}, {"executed", execute}, {"partitions", jp}};
      if (ctx.structured()) {
        emit(ctx, tb, j);
      } else {
        std::cout << tb.render();
        if (!execute) std::cerr << "dry run: nothing changed; add --execute to apply\n";
      }
      return 0;
    };
  });
}

}  // namespace

void register_group(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("group", "Inspect and manage consumer groups");
  group->alias("groups");
  group->require_subcommand(1);
  group->fallthrough();
  add_list(*group, ctx);
  add_describe(*group, ctx);
  add_delete(*group, ctx);
  add_seek(*group, ctx);
}

}  // namespace samsa::cli
