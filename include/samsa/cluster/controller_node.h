#pragma once
// controller_node: the I/O shell around the metadata quorum on one node. It runs the Raft driver (raft::driver)
// with the metadata image as its state machine, the controller's rules (cluster::controller) when this node is
// the active controller, and the node-to-node RPCs that KRaft carries on the controller listener: broker
// registration and heartbeats, producer-id blocks, and admin requests forwarded to the active controller.
//
// Data flow: command -> controller rules on the latest image -> records proposed as one raft entry -> committed ->
// applied by every node to its committed image -> image listeners (the broker reconciles its replicas).
//
// "Active" means: raft leader AND the first entry of its own term (the leader's no-op) has been applied, so the
// committed image already contains everything earlier leaders committed. Only then are commands accepted; until
// then callers get NOT_CONTROLLER, as KRaft's controllers answer.
//
// Threading: everything runs on the io_context the node was opened with (the broker's network thread in samsad);
// nothing is locked. Metadata persistence is synchronous on that thread (the metadata log is small and rare).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/cluster/controller.h"
#include "samsa/cluster/image.h"
#include "samsa/raft/driver.h"

namespace samsa::cluster {

struct controller_node_options {
  broker_id node_id = 1;
  // Voters and where their controller listeners are. A voter list of just this node needs no listener at all
  // (the single-node default); `listen` is still bound (port 0 picks one) so the node can be inspected.
  std::map<broker_id, boost::asio::ip::tcp::endpoint> voters;
  boost::asio::ip::tcp::endpoint listen;
  std::filesystem::path dir;                          // metadata.log.dir
  std::chrono::milliseconds tick{50};
  int election_timeout_ms = 1000;                     // controller.quorum.election.timeout.ms
  int64_t heartbeat_interval_ms = 2000;               // broker.heartbeat.interval.ms
  int64_t request_timeout_ms = 30000;                 // how long a command may wait for its commit
  int64_t snapshot_every_entries = 1000;              // take a metadata snapshot after this many applied entries
  controller_config rules;
  std::optional<std::string> initial_cluster_id;      // proposed at bootstrap (e.g. from an existing meta.properties)
  // A broker-only node (process.roles=broker): not a voter. It follows the committed metadata log by fetching it
  // from the quorum leader (like a KRaft observer) and reaches the controller through the same RPCs. `voters`
  // lists the quorum; `advertised` is where the quorum can send replies (host of this node, port of `listen`).
  bool observer = false;
  std::string advertised_host = "127.0.0.1";
};

// Outcome of a command that could not run on the active controller.
enum class command_error { none, not_controller, timed_out };

// A command of the controller's rules (controller.h) on the latest image.
template <typename R>
using command = std::function<controller_result<R>(controller&, const metadata_image&)>;

template <typename R>
struct command_outcome {
  command_error error = command_error::none;
  R response{};
};

class controller_node : public raft::state_machine {
 public:
  static result<std::unique_ptr<controller_node>> open(boost::asio::io_context& io, controller_node_options opt);
  ~controller_node() override;

  void start();
  void stop();
  uint16_t port() const { return driver_->port(); }

  // --- the committed metadata ---
  const metadata_image& image() const noexcept { return committed_; }
  using image_listener = std::function<void(const metadata_image& before, const metadata_image& after)>;
  void on_image(image_listener l) { listeners_.push_back(std::move(l)); }

  // --- quorum state (DescribeQuorum, Metadata's controller id) ---
  bool is_active() const noexcept { return active_; }
  bool is_observer() const noexcept { return opt_.observer; }
  broker_id node_id() const noexcept { return opt_.node_id; }
  // The raft leader as far as this node knows, -1 when unknown.
  broker_id leader_id() const noexcept;
  const raft::core& raft() const { return driver_->raft(); }
  const controller_node_options& options() const noexcept { return opt_; }

  // --- commands on the active controller ---
  // Runs `cmd` on the latest image when this node is the active controller, proposes its records as one entry
  // and completes once that entry is committed (and applied here). Never forwards.
  // (Pass a named command, not a lambda temporary: GCC 12 mishandles temporaries inside co_await expressions.)
  template <typename R>
  boost::asio::awaitable<command_outcome<R>> execute(command<R> cmd);

  // --- the local broker's lifecycle (combined mode) ---
  // Registers the broker with the active controller (wherever it is) and keeps its session alive with heartbeats
  // until stop(). `on_unfenced` fires once, when the registration is committed and the broker unfenced.
  void run_broker_session(broker_registration_request reg);
  int64_t broker_epoch() const noexcept { return broker_epoch_; }
  // Whether this broker's session with the controller is surely still alive: an unfenced heartbeat reply arrived
  // for a heartbeat sent less than broker.session.timeout.ms ago. A broker cut off from the controller stops
  // acting as a partition leader once it expires (the controller has fenced it and elected others by then, or is
  // about to), so clients go looking for the new leader instead of writing to a deposed one.
  bool broker_lease_valid() const;
  // Controlled shutdown: asks the active controller to fence this broker now (moving its leaderships away and
  // letting a restart register at once) instead of waiting for its session to expire. Best effort, bounded wait.
  boost::asio::awaitable<void> shutdown_broker(int32_t broker_id);

  // A block of producer ids from the active controller (local or remote). Error code on failure.
  boost::asio::awaitable<producer_ids_response> allocate_producer_ids();

  // AlterPartition: a partition leader asks the active controller (local or remote) to change the ISR. The
  // response carries the resulting state (or the current one with the error). not_controller when no active
  // controller answered.
  boost::asio::awaitable<alter_partition_response> alter_partition(alter_partition_request req);

  // --- admin forwarding ---
  // The broker's handler for admin requests forwarded to this node while it is active: gets a whole Kafka request
  // frame (header + body, no size prefix) and returns the whole response frame (with size prefix).
  using forward_handler = std::function<boost::asio::awaitable<std::string>(std::string frame)>;
  void set_forward_handler(forward_handler h) { forward_handler_ = std::move(h); }
  // Sends a request frame to the active controller and returns its response frame; nullopt when no active
  // controller answered in time (the caller answers NOT_CONTROLLER / REQUEST_TIMED_OUT itself).
  boost::asio::awaitable<std::optional<std::string>> forward(std::string frame);

 private:
  controller_node(boost::asio::io_context& io, controller_node_options opt);

  // raft::state_machine
  void apply(const raft::entry& e) override;
  void restore(const raft::snapshot& s) override;
  void on_role_change(const raft::role_change& rc) override;

  struct waiter;
  struct pending_call;
  void set_image(metadata_image next);
  void fail_waiters();
  boost::asio::awaitable<void> controller_loop();
  boost::asio::awaitable<void> broker_loop(broker_registration_request reg);
  void on_app_message(raft::node_id from, std::string_view payload);
  boost::asio::awaitable<std::optional<std::string>> call_leader(uint8_t kind, std::string body,
                                                                 int64_t deadline_ms = 5000);
  boost::asio::awaitable<void> serve_call(raft::node_id from, uint8_t kind, uint64_t corr, std::string body);
  boost::asio::awaitable<std::optional<std::string>> serve_register(std::string body);
  boost::asio::awaitable<std::optional<std::string>> serve_heartbeat(std::string body);
  boost::asio::awaitable<std::optional<std::string>> serve_producer_ids(std::string body);
  boost::asio::awaitable<std::optional<std::string>> serve_forward(std::string body);
  boost::asio::awaitable<std::optional<std::string>> serve_alter_partition(std::string body);
  std::optional<std::string> serve_fetch(raft::node_id from, std::string_view body);
  boost::asio::awaitable<void> observer_loop();
  boost::asio::awaitable<std::optional<std::string>> call_node(broker_id node, uint8_t kind, std::string body,
                                                               std::chrono::milliseconds timeout);
  void reply(raft::node_id to, uint8_t kind, uint64_t corr, std::string body);
  int64_t now_ms() const;

  boost::asio::io_context& io_;
  controller_node_options opt_;
  std::shared_ptr<raft::driver> driver_;
  controller rules_;
  metadata_image committed_;
  metadata_image latest_;            // committed + this controller's proposed, uncommitted batches
  raft::index_t last_proposed_ = 0;
  bool active_ = false;
  raft::term_t leader_term_ = 0;
  bool bootstrap_pending_ = false;
  int64_t applied_since_snapshot_ = 0;
  std::map<raft::index_t, std::shared_ptr<waiter>> waiters_;
  std::map<uint64_t, std::shared_ptr<pending_call>> calls_;
  uint64_t next_corr_ = 1;
  std::vector<image_listener> listeners_;
  forward_handler forward_handler_;
  int64_t broker_epoch_ = -1;
  int64_t lease_from_ms_ = -1;  // send time of the latest heartbeat answered "unfenced"
  std::unique_ptr<boost::asio::steady_timer> loop_timer_;
  std::unique_ptr<boost::asio::steady_timer> broker_timer_;
  bool stopped_ = false;
  broker_id observed_leader_ = -1;  // observer: the quorum leader as the last fetch reply said
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct controller_node::waiter {
  raft::term_t term = 0;
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::optional<bool> committed;  // set when the entry at the index is applied (true) or lost (false)
};

template <typename R>
boost::asio::awaitable<command_outcome<R>> controller_node::execute(command<R> cmd) {
  command_outcome<R> out;
  if (!active_) {
    out.error = command_error::not_controller;
    co_return out;
  }
  auto res = cmd(rules_, latest_);
  out.response = std::move(res.response);
  if (res.records.empty()) co_return out;
  const raft::term_t term = driver_->raft().term();
  auto index = driver_->propose(encode_batch(res.records));
  if (!index) {
    out.error = command_error::not_controller;
    co_return out;
  }
  if (auto next = apply_batch(latest_, res.records, provenance{static_cast<int64_t>(*index),
                                                              static_cast<int64_t>(term)})) {
    latest_ = std::move(*next);
  }
  last_proposed_ = *index;
  auto w = std::make_shared<waiter>();
  w->term = term;
  w->timer = std::make_unique<boost::asio::steady_timer>(io_, std::chrono::milliseconds(opt_.request_timeout_ms));
  if (committed_.version().offset >= static_cast<int64_t>(*index)) {
    co_return out;  // a single voter commits during propose()
  }
  waiters_[*index] = w;
  boost::system::error_code ec;
  co_await w->timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  waiters_.erase(*index);
  if (!w->committed) out.error = command_error::timed_out;
  else if (!*w->committed) out.error = command_error::not_controller;
  co_return out;
}

}  // namespace samsa::cluster
