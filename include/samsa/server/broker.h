#pragma once
// The broker's composition root: it builds the replica layer (partition manager, purgatory, replica fetchers,
// ISR-change sender), the group host, the admin client and the producer-id allocator, wires them to the metadata
// quorum (cluster::controller_node), and hands the request handlers their `services`. It has no behaviour of its
// own: each piece of state belongs to one of the parts (see docs/architecture.md).
//
// Everything runs on the network io_context thread; nothing is locked.
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "samsa/server/config.h"
#include "samsa/server/services.h"

namespace samsa::storage {
class log_manager;
}
namespace samsa::replica {
class purgatory;
class replica_fetchers;
}  // namespace samsa::replica

namespace samsa::server {

class broker {
 public:
  broker(boost::asio::any_io_executor ex, broker_config config, storage::log_manager& logs,
         cluster::controller_node& controller);
  ~broker();

  const broker_config& config() const noexcept { return config_; }
  services& context() noexcept { return *services_; }
  cluster::controller_node& controller() noexcept { return controller_; }

  // Subscribes to the controller's images and reconciles with the current one.
  void start_metadata();
  // Removes local partition logs the caught-up image does not assign to this broker. Call once the node has
  // caught up with the metadata log.
  void remove_stray_logs();
  // Loads __consumer_offsets and starts the group coordinator.
  void start_groups();
  // Stops the broker's own timers and fetchers (the log manager flushes and closes the logs).
  void close();

 private:
  boost::asio::any_io_executor ex_;
  broker_config config_;
  cluster::controller_node& controller_;
  std::unique_ptr<replica::purgatory> purgatory_;
  std::unique_ptr<replica::partition_manager> partitions_;
  std::unique_ptr<replica::replica_fetchers> fetchers_;
  std::unique_ptr<replica::isr_sender> isr_;
  std::unique_ptr<admin_client> admin_;
  std::unique_ptr<producer_id_allocator> producer_ids_;
  std::unique_ptr<group_host> groups_;
  std::unique_ptr<services> services_;
};

}  // namespace samsa::server
