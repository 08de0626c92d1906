#pragma once
// driver: the I/O shell that runs one raft::core on Boost.Asio (C++20 coroutines). It turns a steady timer into
// tick(), TCP frames from peers into step(), and executes every ready_batch in the contract's order: persist through
// disk_log (fsynced), then send, then apply to the state machine, then advance().
//
// Transport: one outbound TCP connection per peer, frames of [u32 big-endian length][codec::encode(message)];
// inbound connections are read the same way. Messages to an unreachable peer are dropped (Raft retries on its own);
// the per-peer queue is bounded for the same reason.
//
// Threading: everything (including propose() and the state_machine callbacks) runs on the io_context's single
// thread; nothing is locked. Persistence is synchronous on that thread: the controller's metadata log is small and
// a ready batch must be durable before its messages leave anyway.
//
// Application messages: the same connections also carry opaque frames for the layer above (the controller's RPCs
// between nodes: broker registration, heartbeats, forwarded admin requests). They are marked by a first byte no
// Raft message starts with, delivered to the app handler with the sender's id, and never seen by the core. Like
// Raft messages they may be lost; the layer above has its own timeouts.
//
// Asio is compiled separately (BOOST_ASIO_SEPARATE_COMPILATION) in the one library samsa_asio.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string_view>

#include "samsa/base/result.h"
#include "samsa/raft/core.h"
#include "samsa/raft/disk_log.h"

namespace samsa::raft {

struct driver_options {
  config raft;
  std::filesystem::path dir;
  boost::asio::ip::tcp::endpoint listen;
  std::chrono::milliseconds tick{20};
  // Transport only: the core is never ticked nor stepped (a KRaft-style observer, e.g. a broker-only node, that
  // follows the committed log through application frames). Raft messages received are dropped.
  bool observer = false;
};

// The replicated state machine. Called on the driver's thread, in log order.
class state_machine {
 public:
  virtual ~state_machine() = default;
  virtual void apply(const entry& e) = 0;
  virtual void restore(const snapshot& s) = 0;
  // This node's role, term or known leader changed (called before the batch's committed entries are applied).
  virtual void on_role_change(const role_change&) {}
};

class driver : public std::enable_shared_from_this<driver> {
 public:
  // Recovers the persisted state from opt.dir, replays nothing yet, and binds the listener.
  static result<std::shared_ptr<driver>> open(boost::asio::io_context& io, driver_options opt, state_machine& sm);

  uint16_t port() const;
  // Where to reach every other voter. REQUIRES: called before start().
  void set_peers(const std::map<node_id, boost::asio::ip::tcp::endpoint>& peers);
  // Adds (or re-addresses) a peer after start(), for replying to observers.
  void ensure_peer(node_id id, const boost::asio::ip::tcp::endpoint& ep);
  void start();
  // Closes the listener, connections and timers; the coroutines finish on the io_context afterwards.
  void stop();

  result<index_t> propose(std::string data);
  // Application frames (see above). send_app to an unknown peer is a no-op.
  using app_handler = std::function<void(node_id from, std::string_view payload)>;
  void set_app_handler(app_handler h) { app_handler_ = std::move(h); }
  void send_app(node_id to, std::string_view payload);
  std::error_code compact(index_t index, std::string data);
  const core& raft() const { return core_; }
  // Set when persisting failed: the node stopped, since it can no longer keep its promises.
  std::error_code failure() const { return failure_; }

 private:
  struct peer {
    boost::asio::ip::tcp::endpoint endpoint;
    std::deque<std::string> frames;
    std::unique_ptr<boost::asio::steady_timer> wake;
    std::unique_ptr<boost::asio::ip::tcp::socket> socket;
  };

  driver(boost::asio::io_context& io, driver_options opt, state_machine& sm, core c, std::unique_ptr<disk_log> log);
  boost::asio::awaitable<void> tick_loop();
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> read_loop(std::shared_ptr<boost::asio::ip::tcp::socket> s);
  boost::asio::awaitable<void> send_loop(node_id id);
  void process_ready();
  void enqueue(const message& m);
  void enqueue_frame(node_id to, std::string_view payload);

  boost::asio::io_context& io_;
  driver_options opt_;
  state_machine& sm_;
  core core_;
  std::unique_ptr<disk_log> log_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer ticker_;
  std::map<node_id, peer> peers_;
  std::vector<std::weak_ptr<boost::asio::ip::tcp::socket>> inbound_;
  bool stopped_ = false;
  std::error_code failure_;
  app_handler app_handler_;
};

}  // namespace samsa::raft
