#pragma once
// controller_node: the I/O shell around the metadata quorum on one node. It runs the Raft driver (raft::driver)
// with the metadata image as its state machine and executes the controller's rules (cluster::controller) as
// commands when this node is the active controller. Its other duties are separate units it composes:
//  * node_rpc.h           the node-to-node RPCs (schema-declared Kafka-protocol messages on the quorum's connections);
//  * active_controller.h  what the active controller does: bootstrap, fencing, leader rebalancing, and serving the
//                         brokers' RPCs (registration, heartbeats, producer-id blocks, AlterPartition);
//  * broker_lifecycle.h   the local broker's side of those RPCs: registration, heartbeats, the fencing lease;
//  * metadata_observer.h  broker-only nodes following the committed log, and voters answering them.
// Admin requests are forwarded to the active controller by the broker itself (src/server/admin_client.cc).
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

class node_rpc;
class active_controller;
class broker_lifecycle;
class metadata_observer;

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
  // The image with this controller's proposed, uncommitted batches applied (the active controller's view).
  const metadata_image& latest() const noexcept { return latest_; }

  // --- the parts (each its own unit) ---
  // The local broker's session with the active controller: registration, heartbeats, lease, producer-id blocks,
  // AlterPartition (broker_lifecycle.h).
  broker_lifecycle& broker() noexcept { return *lifecycle_; }
  const broker_lifecycle& broker() const noexcept { return *lifecycle_; }
  node_rpc& rpc() noexcept { return *rpc_; }
  // Set when the node had to stop: a committed entry or snapshot it cannot read (it stops its io_context).
  std::error_code failure() const noexcept { return failure_; }

 private:
  friend class metadata_observer;  // applies the committed entries an observer fetched
  controller_node(boost::asio::io_context& io, controller_node_options opt);

  // raft::state_machine
  void apply(const raft::entry& e) override;
  void restore(const raft::snapshot& s) override;
  void on_role_change(const raft::role_change& rc) override;

  struct waiter;
  void set_image(metadata_image next);
  void fail_waiters();
  void fail_unreadable(const std::string& what, std::error_code ec);
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
  int64_t applied_since_snapshot_ = 0;
  std::map<raft::index_t, std::shared_ptr<waiter>> waiters_;
  std::vector<image_listener> listeners_;
  bool stopped_ = false;
  std::error_code failure_;
  std::unique_ptr<node_rpc> rpc_;
  std::unique_ptr<active_controller> active_duties_;
  std::unique_ptr<broker_lifecycle> lifecycle_;
  std::unique_ptr<metadata_observer> observer_;
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
