#pragma once
// Bridges the coordinator's callbacks to the server's coroutines: co_await await_callback<T>(ex, start) calls
// start(cb) and resumes with the value cb receives. The resumption is posted to `ex`, never run inline, so a
// callback fired from inside the coordinator (e.g. while it completes a rebalance) cannot re-enter it.
// Header-only; included by the request handlers (samsa_group itself has no Asio dependency).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <utility>

namespace samsa::group {

template <typename T, typename Start>
boost::asio::awaitable<T> await_callback(boost::asio::any_io_executor ex, Start start) {
  namespace asio = boost::asio;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [ex, start = std::move(start)](auto handler) mutable {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start(std::function<void(T)>([h, ex](T v) {
          asio::post(ex, [h, v = std::move(v)]() mutable { (*h)(std::move(v)); });
        }));
      },
      asio::use_awaitable);
}

}  // namespace samsa::group
