#include "producer_ids.h"

#include <spdlog/spdlog.h>

#include "samsa/cluster/broker_lifecycle.h"
#include "samsa/cluster/controller_node.h"

namespace samsa::server {

boost::asio::awaitable<int64_t> producer_id_allocator::next() {
  if (next_ >= block_end_) {
    auto block = co_await controller_.broker().allocate_producer_ids();
    if (!block.error.ok() || block.count <= 0) {
      spdlog::warn("no producer-id block from the controller: {}", block.error.message);
      co_return -1;
    }
    // Another request may have fetched a block while we waited: the later block simply replaces it.
    next_ = block.first_producer_id;
    block_end_ = block.first_producer_id + block.count;
  }
  co_return next_++;
}

}  // namespace samsa::server
