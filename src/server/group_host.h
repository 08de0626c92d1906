#pragma once
// Hosts the group coordinator (src/group) on the broker: its view of __consumer_offsets (the partitions of the
// replica layer), its durability seam (group commit fsync, then the high watermark, as for acks=all), its timer,
// and the leadership changes of __consumer_offsets partitions it follows.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "samsa/base/ids.h"
#include "samsa/group/coordinator.h"
#include "samsa/server/config.h"

namespace samsa::cluster {
class controller_node;
}
namespace samsa::replica {
class partition_manager;
}

namespace samsa::server {

class admin_client;

class group_host {
 public:
  group_host(boost::asio::any_io_executor ex, const broker_config& config, replica::partition_manager& partitions,
             admin_client& admin, const cluster::controller_node& controller);
  ~group_host();

  group::coordinator& coordinator() noexcept { return *coordinator_; }
  // Loads the __consumer_offsets partitions led here now and starts the coordinator's timer; later leadership
  // changes come through on_leadership.
  void start();
  void stop();
  // The partition manager's leadership hook (ignored before start()).
  void on_leadership(const std::string& topic, samsa::partition_index index, samsa::leader_epoch epoch, bool leader);

 private:
  class backend;
  boost::asio::any_io_executor ex_;
  replica::partition_manager& partitions_;
  std::unique_ptr<backend> backend_;
  std::unique_ptr<group::coordinator> coordinator_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool started_ = false;
};

}  // namespace samsa::server
