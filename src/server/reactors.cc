#include "samsa/server/reactors.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace samsa::server {

int reactor_count(int configured) noexcept {
  if (configured > 0) return configured;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

reactors::reactors(boost::asio::any_io_executor core, int count) : core_(std::move(core)) {
  for (int i = 1; i < reactor_count(count); ++i) loops_.push_back(std::make_unique<loop_thread>());
}

reactors::~reactors() { stop(); }

void reactors::start() {
  if (started_) return;
  started_ = true;
  for (size_t i = 0; i < loops_.size(); ++i) {
    loops_[i]->thread = std::thread([l = loops_[i].get(), shard = i + 1] {
      try {
        l->io.run();
      } catch (const std::exception& e) {
        // A bug escaped a coroutine: the shard's connections are lost; the broker must not keep running half-dead.
        spdlog::critical("reactor shard {} failed: {}", shard, e.what());
        std::terminate();
      }
    });
  }
  spdlog::info("serving connections on {} reactor shard(s)", size());
}

void reactors::stop() {
  for (auto& l : loops_) {
    l->work.reset();
    l->io.stop();
  }
  for (auto& l : loops_)
    if (l->thread.joinable()) l->thread.join();
}

}  // namespace samsa::server
