// samsad: the Samsa broker daemon. With no arguments it runs a single-node broker on 127.0.0.1:9092 with its
// data under ./data. `--config server.properties` and `--override key=value` take Kafka's configuration keys.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "config_registry.h"
#include "samsa/server/broker.h"
#include "samsa/server/server.h"
#include "samsa/storage/log_manager.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// Every open segment holds a file descriptor, so start with as many as the hard limit allows (as Kafka's
// packaging does with a high ulimit -n). A bounded segment-fd cache is still to come (issue 3).
void raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) == 0) spdlog::info("open-file limit raised from {} to {}", before, lim.rlim_cur);
}

// meta.properties in the first log dir holds the cluster id, generated once (base64url of 16 random bytes, as
// Kafka formats its cluster ids), so clients see the same id across restarts.
std::string load_or_create_cluster_id(const fs::path& dir, int32_t node_id) {
  const fs::path meta = dir / "meta.properties";
  std::ifstream in(meta);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    auto props = samsa::daemon::parse_properties(ss.str());
    if (props && props->count("cluster.id")) return props->at("cluster.id");
  }
  static constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 22; ++i) id += b64[rd() % 64];
  const fs::path tmp = dir / "meta.properties.tmp";
  {
    std::ofstream out(tmp);
    out << "version=1\ncluster.id=" << id << "\nnode.id=" << node_id << "\n";
  }
  fs::rename(tmp, meta);
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"samsad: the Samsa broker (Kafka wire protocol)"};
  std::string config_file;
  std::vector<std::string> overrides;
  std::string log_level = "info";
  app.add_option("-c,--config", config_file, "server.properties file with Kafka configuration keys");
  app.add_option("-o,--override", overrides, "key=value overriding the config file (repeatable)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("samsad");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));

  samsa::daemon::properties props;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      spdlog::critical("cannot read config file {}", config_file);
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = samsa::daemon::parse_properties(ss.str());
    if (!parsed) {
      spdlog::critical("malformed config file {}", config_file);
      return 2;
    }
    props = *parsed;
  }
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos) {
      spdlog::critical("--override expects key=value, got '{}'", o);
      return 2;
    }
    props[o.substr(0, eq)] = o.substr(eq + 1);
  }
  std::string error;
  auto config = samsa::daemon::build_broker_config(props, error);
  if (!config) {
    spdlog::critical("bad configuration: {}", error);
    return 2;
  }

  raise_open_file_limit();
  std::error_code ec;
  fs::create_directories(config->log_dirs.front(), ec);
  if (ec) {
    spdlog::critical("cannot create log dir {}: {}", config->log_dirs.front().string(), ec.message());
    return 1;
  }
  const std::string cluster_id = load_or_create_cluster_id(config->log_dirs.front(), config->node_id);

  samsa::storage::manager_options log_opts;
  log_opts.retention_check_interval_ms = config->log_retention_check_interval_ms;
  auto logs = samsa::storage::log_manager::open(config->log_dirs, config->log_defaults, log_opts);
  if (!logs) {
    spdlog::critical("cannot load logs from {}: {}", config->log_dirs.front().string(), logs.error().message());
    return 1;
  }
  (*logs)->start();

  asio::io_context io(1);
  samsa::server::broker broker(io.get_executor(), *config, cluster_id, **logs);
  broker.load_topics();
  broker.start_groups();
  samsa::server::server srv(broker);
  if (auto err = srv.start()) return 1;
  spdlog::info("samsad node {} started (cluster {}, data in {})", config->node_id, cluster_id,
               config->log_dirs.front().string());

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    srv.stop();
    io.stop();
  });
  io.run();
  broker.close();
  if (auto err = (*logs)->close()) spdlog::error("closing the logs: {}", err.message());
  spdlog::info("samsad stopped");
  return 0;
}
