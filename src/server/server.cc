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

asio::awaitable<void> accept_loop(services& b, std::shared_ptr<tcp::acceptor> acceptor,
                                  std::shared_ptr<size_t> connections) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer t(acceptor->get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (*connections >= static_cast<size_t>(b.config.max_connections)) {
      spdlog::warn("max.connections ({}) reached: refusing a connection", b.config.max_connections);
      continue;  // the socket closes as it goes out of scope
    }
    asio::co_spawn(acceptor->get_executor(), serve_connection(b, std::move(socket), connections), asio::detached);
  }
}

}  // namespace

server::server(services& b) : b_(b) {}

std::error_code server::start() {
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
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      spdlog::error("cannot listen on {}:{}: {}", l.host, l.port, ec.message());
      return ec;
    }
    spdlog::info("listening on {}://{}:{}", l.listener_name, l.host, acceptor->local_endpoint().port());
    acceptors_.push_back(acceptor);
    asio::co_spawn(b_.executor, accept_loop(b_, acceptor, connections_), asio::detached);
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
