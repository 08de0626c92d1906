// samsad: the Samsa broker daemon. With no arguments it runs a single-node broker on 127.0.0.1:9092 with its
// data under ./data. `--config server.properties` and `--override key=value` take Kafka's configuration keys.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <fmt/ranges.h>
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
#include <csignal>
#include <functional>
#include <optional>
#include <fstream>
#include <random>
#include <sstream>

#include "broker_properties.h"
#include "samsa/cluster/broker_lifecycle.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/server/broker.h"
#include "samsa/server/server.h"
#include "samsa/storage/file.h"
#include "samsa/storage/log_manager.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// Active segments and connections hold file descriptors (sealed segments are bounded by
// samsa.log.max.open.segment.files), so start with as many as the hard limit allows, as Kafka's packaging does
// with a high ulimit -n.
void raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) == 0) spdlog::info("open-file limit raised from {} to {}", before, lim.rlim_cur);
}

// meta.properties in the first log dir records the cluster this data belongs to (Kafka's format). The cluster id
// itself is agreed through the metadata quorum (its bootstrap record); the file lets a node refuse to mix data of
// two clusters, e.g. after its metadata log was lost.
std::optional<std::string> read_cluster_id(const fs::path& dir) {
  std::ifstream in(dir / "meta.properties");
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto props = samsa::daemon::parse_properties(ss.str());
  if (!props || !props->count("cluster.id")) return std::nullopt;
  return props->at("cluster.id");
}

std::error_code write_meta_properties(const fs::path& dir, const std::string& cluster_id, int32_t node_id) {
  return samsa::storage::write_file_atomic(
      dir / "meta.properties", "version=1\ncluster.id=" + cluster_id + "\nnode.id=" + std::to_string(node_id) + "\n");
}

std::optional<asio::ip::tcp::endpoint> resolve(asio::io_context& io, const samsa::server::endpoint& e) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(e.host.empty() ? "0.0.0.0" : e.host, ec);
  if (!ec) return asio::ip::tcp::endpoint(addr, e.port);
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(e.host, std::to_string(e.port), ec);
  if (ec || results.empty()) return std::nullopt;
  return results.begin()->endpoint();
}

samsa::cluster::uuid random_uuid() {
  std::random_device rd;
  auto r64 = [&] { return (static_cast<uint64_t>(rd()) << 32) | rd(); };
  return samsa::cluster::uuid{r64(), r64()};
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

  // sendfile(2) has no MSG_NOSIGNAL: a client that disconnects while its fetch is being sent must cost an EPIPE
  // on that connection, not the process.
  std::signal(SIGPIPE, SIG_IGN);
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
  if (!config->keys_without_effect.empty())
    spdlog::warn("{} Kafka configuration key(s) accepted but without effect in samsad (docs/configuration.md): {}",
                 config->keys_without_effect.size(), fmt::join(config->keys_without_effect, ", "));

  raise_open_file_limit();
  std::error_code ec;
  fs::create_directories(config->log_dirs.front(), ec);
  if (ec) {
    spdlog::critical("cannot create log dir {}: {}", config->log_dirs.front().string(), ec.message());
    return 1;
  }
  const auto data_cluster_id = read_cluster_id(config->log_dirs.front());
  const bool broker_role = config->quorum.broker_role;

  std::unique_ptr<samsa::storage::log_manager> logs;
  if (broker_role) {
    samsa::storage::manager_options log_opts;
    log_opts.retention_check_interval_ms = config->log_retention_check_interval_ms;
    log_opts.max_open_segment_files = static_cast<size_t>(config->max_open_segment_files);
    auto opened = samsa::storage::log_manager::open(config->log_dirs, config->log_defaults, log_opts);
    if (!opened) {
      spdlog::critical("cannot load logs from {}: {}", config->log_dirs.front().string(), opened.error().message());
      return 1;
    }
    logs = std::move(*opened);
    logs->start();
  }

  asio::io_context io(1);

  // The metadata quorum: this node's voter (every node is a controller so far).
  samsa::cluster::controller_node_options q;
  q.node_id = config->node_id;
  const auto& quorum = config->quorum;
  for (const auto& [id, ep] : quorum.voters) {
    auto resolved = resolve(io, ep);
    if (!resolved) {
      spdlog::critical("controller.quorum.voters: cannot resolve {}:{}", ep.host, ep.port);
      return 2;
    }
    q.voters[id] = *resolved;
  }
  if (!quorum.controller_role) {
    // A broker-only node: an observer of the quorum. The controllers reply to it on an ephemeral port of the
    // client listener's host.
    q.observer = true;
    const auto& adv = config->advertised_listeners.empty() ? config->listeners.front()
                                                           : config->advertised_listeners.front();
    q.advertised_host = adv.host.empty() || adv.host == "0.0.0.0" ? "127.0.0.1" : adv.host;
    auto l = resolve(io, samsa::server::endpoint{"", config->listeners.front().host, 0});
    if (!l) {
      spdlog::critical("cannot resolve {}", config->listeners.front().host);
      return 2;
    }
    q.listen = *l;
  } else if (!config->controller_listeners.empty()) {
    auto l = resolve(io, config->controller_listeners.front());
    if (!l) {
      spdlog::critical("cannot resolve the controller listener {}", config->controller_listeners.front().host);
      return 2;
    }
    q.listen = *l;
  } else {
    q.listen = asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0);  // a lone voter needs no peers
  }
  if (q.voters.empty()) q.voters[config->node_id] = q.listen;
  q.dir = (quorum.metadata_log_dir.empty() ? config->log_dirs.front() : quorum.metadata_log_dir) /
          "__cluster_metadata";
  q.election_timeout_ms = quorum.election_timeout_ms;
  q.heartbeat_interval_ms = quorum.broker_heartbeat_interval_ms;
  q.rules.broker_session_timeout_ms = quorum.broker_session_timeout_ms;
  q.rules.default_num_partitions = config->num_partitions;
  q.rules.default_replication_factor = config->default_replication_factor;
  q.rules.delete_topic_enable = config->delete_topic_enable;
  q.rules.unclean_leader_election_enable = quorum.unclean_leader_election_enable;
  q.rules.auto_leader_rebalance_enable = quorum.auto_leader_rebalance_enable;
  q.rules.leader_imbalance_check_interval_ms = quorum.leader_imbalance_check_interval_seconds * 1000;
  q.rules.leader_imbalance_per_broker_percentage = quorum.leader_imbalance_per_broker_percentage;
  q.rules.seed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  auto controller = samsa::cluster::controller_node::open(io, q);
  if (!controller) {
    spdlog::critical("cannot open the metadata log in {}: {}", q.dir.string(), controller.error().message());
    return 1;
  }
  auto& ctl = **controller;

  std::unique_ptr<samsa::server::broker> broker;
  std::unique_ptr<samsa::server::server> srv;
  if (broker_role) {
    broker = std::make_unique<samsa::server::broker>(io.get_executor(), *config, *logs, ctl);
    broker->start_metadata();
    srv = std::make_unique<samsa::server::server>(broker->context());
  }
  ctl.start();
  spdlog::info("node {}: metadata quorum of {} voter(s), controller listener {}:{}", config->node_id,
               q.voters.size(), q.listen.address().to_string(), ctl.port());
  if (broker_role) {
    samsa::cluster::broker_registration_request reg;
    reg.id = config->node_id;
    reg.incarnation_id = random_uuid();
    for (const auto& l : config->advertised_listeners.empty() ? config->listeners : config->advertised_listeners)
      reg.endpoints.push_back({l.listener_name, l.host, l.port, 0});
    if (!config->rack.empty()) reg.rack = config->rack;
    ctl.broker().run(std::move(reg));
  }

  // Serve clients once the quorum has a cluster id and this broker is registered and unfenced (it has caught up
  // with the metadata log, so its replicas exist).
  int exit_code = 0;
  asio::steady_timer startup(io);
  std::function<void(const boost::system::error_code&)> check_ready = [&](const boost::system::error_code& ec) {
    if (ec) return;
    const auto& img = ctl.image();
    const auto* self = img.broker(config->node_id);
    // Our own registration (this incarnation's epoch), not one left over from before a restart.
    const bool ready = !img.cluster_id().empty() &&
                       (!broker_role || (self != nullptr && ctl.broker().broker_epoch() >= 0 &&
                                         self->broker_epoch == ctl.broker().broker_epoch() && !self->fenced));
    if (!ready) {
      startup.expires_after(std::chrono::milliseconds(50));
      startup.async_wait(check_ready);
      return;
    }
    if (data_cluster_id && *data_cluster_id != img.cluster_id()) {
      spdlog::critical("{} belongs to cluster {} but the metadata quorum's cluster is {}: refusing to mix them",
                       config->log_dirs.front().string(), *data_cluster_id, img.cluster_id());
      exit_code = 1;
      io.stop();
      return;
    }
    if (!data_cluster_id) {
      if (auto err = write_meta_properties(config->log_dirs.front(), img.cluster_id(), config->node_id))
        spdlog::error("cannot write meta.properties: {}", err.message());
    }
    if (broker_role) {
      broker->remove_stray_logs();
      broker->start_groups();
      if (auto err = srv->start()) {
        exit_code = 1;
        io.stop();
        return;
      }
    }
    spdlog::info("samsad node {} started (cluster {}, data in {})", config->node_id, img.cluster_id(),
                 config->log_dirs.front().string());
  };
  spdlog::info("node {}: waiting for the metadata quorum", config->node_id);
  startup.expires_after(std::chrono::milliseconds(0));
  startup.async_wait(check_ready);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    if (srv) srv->stop();
    if (!broker_role) {
      ctl.stop();
      io.stop();
      return;
    }
    // Controlled shutdown: the controller fences this broker first (its partitions get new leaders now, and a
    // restart registers at once), then the node leaves the quorum.
    asio::co_spawn(io, ctl.broker().shutdown(config->node_id), [&](std::exception_ptr) {
      ctl.stop();
      io.stop();
    });
  });
  io.run();
  if (ctl.failure()) exit_code = 1;
  ctl.stop();
  // The reactor shards' connections go first: they hand requests to the broker, which closes next.
  if (srv) srv->shutdown();
  if (broker) broker->close();
  if (logs) {
    if (auto err = logs->close()) spdlog::error("closing the logs: {}", err.message());
  }
  spdlog::info("samsad stopped");
  return exit_code;
}
