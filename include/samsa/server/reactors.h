#pragma once
// The broker's reactor threads (shards): shard 0 is the broker's own io_context (run by the daemon's main thread;
// it owns the partitions, groups and the controller node and runs every request handler), shards 1..N-1 are event
// loops of their own, each on one thread, that serve connections: a connection lives on one shard for its whole
// life and does its socket I/O there (frames in, responses and sendfile out), handing each decoded request to
// shard 0 and taking the response back by message passing (asio::post), never by a shared lock.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace samsa::server {

class reactors {
 public:
  // `count` shards in all (at least 1; 0 = one per CPU core); `core` is shard 0's executor.
  reactors(boost::asio::any_io_executor core, int count);
  ~reactors();
  reactors(const reactors&) = delete;
  reactors& operator=(const reactors&) = delete;

  // Starts the threads of shards 1..N-1.
  void start();
  // Stops shards 1..N-1 and joins their threads; what is queued there is dropped. Idempotent.
  void stop();

  size_t size() const noexcept { return 1 + loops_.size(); }
  boost::asio::any_io_executor core() const { return core_; }
  // The io_context of shard i >= 1 (shard 0's belongs to the daemon).
  boost::asio::io_context& loop(size_t i) { return loops_[i - 1]->io; }
  // The shard for the next connection (round robin over all shards, shard 0 included).
  size_t next() noexcept { return next_++ % size(); }

 private:
  struct loop_thread {
    boost::asio::io_context io{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread;
  };
  boost::asio::any_io_executor core_;
  std::vector<std::unique_ptr<loop_thread>> loops_;
  size_t next_ = 0;
  bool started_ = false;
};

// The number of shards `reactor.threads` asks for: itself, or one per CPU core for 0.
int reactor_count(int configured) noexcept;

}  // namespace samsa::server
