// samsactl: administer and use a Samsa (or any Kafka-compatible) cluster from the shell.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.h"

namespace samsa::cli {

void add_common_options(CLI::App& app, Context& ctx) {
  app.add_option("-b,--brokers", ctx.conn.brokers,
                 "Bootstrap brokers host:port[,host:port] (env SAMSA_BROKERS, default 127.0.0.1:9092)")
      ->envname("SAMSA_BROKERS");
  app.add_option_function<std::vector<std::string>>(
         "-X,--property",
         [&ctx](const std::vector<std::string>& kvs) {
           for (const auto& kv : kvs) {
             auto eq = kv.find('=');
             if (eq == std::string::npos || eq == 0) throw CLI::ValidationError("-X", "expected key=value, got " + kv);
             ctx.conn.properties.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
           }
         },
         "librdkafka client property key=value (repeatable), e.g. -X security.protocol=SSL")
      ->allow_extra_args(false);
  app.add_option("--format", ctx.format_name, "Output format: table (humans) or json (scripts)")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option_function<double>(
         "--timeout", [&ctx](double s) { ctx.conn.timeout_ms = static_cast<int>(s * 1000); },
         "Seconds to wait for the cluster before failing (default 8)")
      ->check(CLI::PositiveNumber);
  app.add_flag("-v,--verbose", ctx.conn.verbose, "Show librdkafka logs on stderr");
}

CLI::App* add_verb(CLI::App& noun, Context&, const std::string& name, const std::string& help) {
  CLI::App* verb = noun.add_subcommand(name, help);
  verb->fallthrough();
  return verb;
}

void emit(const Context& ctx, const Table& table, const nlohmann::json& json) {
  if (ctx.format() == Format::kJson)
    std::cout << dump_json(json) << '\n';
  else
    std::cout << table.render();
  std::cout.flush();
}

namespace {

void register_cluster_info(CLI::App& cluster, Context& ctx) {
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
      if (ctx.format() == Format::kJson) {
        emit(ctx, t, j);
      } else {
        std::cout << "CLUSTER-ID:  " << (cluster_id.empty() ? "-" : cluster_id) << '\n'
                  << "CONTROLLER:  " << controller << "\n\n";
        emit(ctx, t, j);
      }
      return 0;
    };
  });
}

}  // namespace

void register_cluster(CLI::App& app, Context& ctx) {
  auto* cluster = app.add_subcommand("cluster", "Cluster-wide information");
  cluster->require_subcommand(1);
  cluster->fallthrough();
  register_cluster_info(*cluster, ctx);
}

}  // namespace samsa::cli

int main(int argc, char** argv) {
  using namespace samsa::cli;
  Context ctx;
  CLI::App app{"samsactl: administer and use a Samsa (or any Kafka-compatible) cluster", "samsactl"};
  app.require_subcommand(1);
  add_common_options(app, ctx);
  register_cluster(app, ctx);
  register_topic(app, ctx);
  register_group(app, ctx);
  // acl and user commands arrive with the security work; register_acl / register_user slot in here.
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  } catch (const CliError& e) {
    std::cerr << "samsactl: error: " << e.what() << '\n';
    return e.exit_code();
  }
  if (!ctx.action) {
    std::cerr << app.help();
    return kUsage;
  }
  try {
    return ctx.action();
  } catch (const CliError& e) {
    std::cerr << "samsactl: error: " << e.what() << '\n';
    if (ctx.format() == Format::kJson) {
      nlohmann::json j = {{"error", {{"kafka_error", e.kafka_error().empty() ? nlohmann::json(nullptr) : nlohmann::json(e.kafka_error())},
                                     {"message", e.what()},
                                     {"exit_code", e.exit_code()}}}};
      std::cout << dump_json(j) << '\n';
    }
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "samsactl: error: " << e.what() << '\n';
    return kError;
  }
}
