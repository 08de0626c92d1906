// samsactl: administer and use a Samsa (or any Kafka-compatible) cluster from the shell.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.h"
#include "profile.h"

namespace samsa::cli {

void add_common_options(CLI::App& app, Context& ctx) {
  // SAMSA_BROKERS and the profile are applied after parsing (flag > env > profile > default), see resolve().
  ctx.brokers_option = app.add_option(
      "-b,--brokers", ctx.conn.brokers,
      "Bootstrap brokers host:port[,host:port] (env SAMSA_BROKERS, then the profile, default 127.0.0.1:9092)");
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
  app.add_option("--format", ctx.format_name, "Output format: table (humans), json or yaml (scripts)")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
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

void emit_structured(const Context& ctx, const nlohmann::json& json) {
  if (ctx.format() == Format::kYaml)
    std::cout << dump_yaml(json);
  else
    std::cout << dump_json(json) << '\n';
  std::cout.flush();
}

void emit(const Context& ctx, const Table& table, const nlohmann::json& json) {
  if (ctx.structured()) {
    emit_structured(ctx, json);
    return;
  }
  std::cout << table.render();
  std::cout.flush();
}

namespace {

// Applies the profile and SAMSA_BROKERS under what the command line said.
void resolve(Context& ctx, bool timeout_given, bool need_profile) {
  Profile prof;
  if (need_profile) prof = load_profile();
  if (ctx.conn.verbose && !prof.path.empty()) std::cerr << "samsactl: using profile " << prof.path << '\n';
  for (const auto& w : prof.warnings) std::cerr << "samsactl: warning: " << w << '\n';
  if (ctx.brokers_option->count() == 0) {
    const char* env = std::getenv("SAMSA_BROKERS");
    if (env && *env)
      ctx.conn.brokers = env;
    else if (prof.brokers)
      ctx.conn.brokers = *prof.brokers;
    else
      ctx.conn.brokers = "127.0.0.1:9092";
  }
  if (!timeout_given && prof.timeout_s) ctx.conn.timeout_ms = static_cast<int>(*prof.timeout_s * 1000);
  if (ctx.format_name.empty() && prof.format) ctx.format_name = *prof.format;
  if (!prof.properties.empty()) {  // name the profile when one of its properties is wrong
    rd_kafka_conf_t* probe = rd_kafka_conf_new();
    char errstr[512];
    for (const auto& [k, v] : prof.properties)
      if (rd_kafka_conf_set(probe, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(probe);
        throw CliError(kUsage, "", prof.path + ": invalid client property " + k + "=" + v + " in [properties]: " + errstr);
      }
    rd_kafka_conf_destroy(probe);
  }
  // profile properties first, so -X overrides them (librdkafka keeps the last value set)
  ctx.conn.properties.insert(ctx.conn.properties.begin(), prof.properties.begin(), prof.properties.end());
}

}  // namespace

}  // namespace samsa::cli

int main(int argc, char** argv) {
  using namespace samsa::cli;
  Context ctx;
  ctx.conn.brokers.clear();
  CLI::App app{"samsactl: administer and use a Samsa (or any Kafka-compatible) cluster", "samsactl"};
  ctx.root = &app;
  app.require_subcommand(1);
  add_common_options(app, ctx);
  register_cluster(app, ctx);
  register_topic(app, ctx);
  register_group(app, ctx);
  register_completion(app, ctx);
  // acl and user commands arrive with the security work; register_acl / register_user slot in here.
  try {
    app.parse(argc, argv);
    bool completion = app.got_subcommand("completion");
    resolve(ctx, app.get_option("--timeout")->count() > 0, !completion);
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
    if (ctx.structured()) {
      nlohmann::json j = {{"error", {{"kafka_error", e.kafka_error().empty() ? nlohmann::json(nullptr) : nlohmann::json(e.kafka_error())},
                                     {"message", e.what()},
                                     {"exit_code", e.exit_code()}}}};
      emit_structured(ctx, j);
    }
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "samsactl: error: " << e.what() << '\n';
    return kError;
  }
}
