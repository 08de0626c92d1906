#include "samsa/server/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "connection.h"
#include "samsa/cluster/controller_node.h"

namespace samsa::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Serves an accepted socket on its own shard, unless max.connections is reached (then it closes here).
template <typename Socket>
void admit(services& b, Socket socket, const std::shared_ptr<std::atomic<size_t>>& connections) {
  if (*connections >= static_cast<size_t>(b.config.max_connections)) {
    spdlog::warn("max.connections ({}) reached: refusing a connection", b.config.max_connections);
    return;
  }
  if (b.config.socket_send_buffer_bytes > 0) {
    boost::system::error_code ignored;  // best effort, as Kafka: the kernel may clamp it
    socket.set_option(asio::socket_base::send_buffer_size(b.config.socket_send_buffer_bytes), ignored);
  }
  auto ex = socket.get_executor();
  asio::co_spawn(ex, serve_connection(b, tcp::socket(std::move(socket)), connections), asio::detached);
}

asio::awaitable<void> accept_loop(services& b, reactors& shards, std::shared_ptr<tcp::acceptor> acceptor,
                                  std::shared_ptr<std::atomic<size_t>> connections) {
  for (;;) {
    // The socket is created on the shard that will serve it, so all its I/O happens there. (Two statements, not a
    // conditional expression around co_await: GCC 12 destroys the accepted socket in that form.)
    const size_t shard = shards.next();
    boost::system::error_code ec;
    if (shard == 0) {
      auto [e, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
      if (!(ec = e)) admit(b, std::move(socket), connections);
    } else {
      auto [e, socket] = co_await acceptor->async_accept(shards.loop(shard), asio::as_tuple(asio::use_awaitable));
      if (!(ec = e)) admit(b, std::move(socket), connections);
    }
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer t(acceptor->get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

}  // namespace

server::server(services& b) : b_(b), shards_(b.executor, b.config.reactor_threads) {}

server::~server() { shutdown(); }

void server::shutdown() {
  stop();
  shards_.stop();
}

std::error_code server::start() {
  shards_.start();
  for (const auto& l : b_.config.listeners) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(l.host.empty() ? "0.0.0.0" : l.host, ec);
    if (ec) {
      // A host name: resolve it once.
      tcp::resolver resolver(b_.executor);
      auto results = resolver.resolve(l.host, std::to_string(l.port), ec);
      if (ec) return ec;
      if (results.empty()) return std::make_error_code(std::errc::invalid_argument);
      addr = results.begin()->endpoint().address();
    }
    auto acceptor = std::make_shared<tcp::acceptor>(b_.executor);
    tcp::endpoint ep(addr, l.port);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    // socket.receive.buffer.bytes: before listen, so accepted connections inherit it with a matching window scale.
    if (!ec && b_.config.socket_receive_buffer_bytes > 0)
      acceptor->set_option(asio::socket_base::receive_buffer_size(b_.config.socket_receive_buffer_bytes), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      spdlog::error("cannot listen on {}:{}: {}", l.host, l.port, ec.message());
      return ec;
    }
    spdlog::info("listening on {}://{}:{}", l.listener_name, l.host, acceptor->local_endpoint().port());
    acceptors_.push_back(acceptor);
    asio::co_spawn(b_.executor, accept_loop(b_, shards_, acceptor, connections_), asio::detached);
  }
  return {};
}

void server::stop() {
  for (auto& a : acceptors_) {
    boost::system::error_code ignored;
    a->close(ignored);
  }
}

uint16_t server::bound_port() const {
  if (acceptors_.empty()) return 0;
  boost::system::error_code ec;
  return acceptors_.front()->local_endpoint(ec).port();
}

}  // namespace samsa::server
