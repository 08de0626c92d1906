#pragma once
// Idempotent producer ids, unique in the cluster: they come in blocks allocated by the active controller (a
// ProducerIds record in the metadata log); this broker hands them out one by one.
#include <boost/asio/awaitable.hpp>
#include <cstdint>

namespace samsa::cluster {
class controller_node;
}

namespace samsa::server {

class producer_id_allocator {
 public:
  explicit producer_id_allocator(cluster::controller_node& controller) : controller_(controller) {}
  // A new producer id; -1 when no block could be had (no quorum).
  boost::asio::awaitable<int64_t> next();

 private:
  cluster::controller_node& controller_;
  int64_t next_ = 0;
  int64_t block_end_ = 0;
};

}  // namespace samsa::server
