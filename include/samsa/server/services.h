#pragma once
// What request handlers reach: the broker's configuration and the owners of its state, by reference. Handlers
// talk to these (partitions to the partition manager, groups to the coordinator, metadata changes to the
// controller) and hold no state of their own across requests.
#include <boost/asio/any_io_executor.hpp>
#include <string>

#include "samsa/base/ids.h"
#include "samsa/server/config.h"

namespace samsa::cluster {
class controller_node;
class metadata_image;
}  // namespace samsa::cluster
namespace samsa::group {
class coordinator;
}
namespace samsa::replica {
class partition_manager;
class isr_sender;
}  // namespace samsa::replica

namespace samsa::server {

class admin_client;
class producer_id_allocator;
class group_host;

struct services {
  boost::asio::any_io_executor executor;
  const broker_config& config;
  replica::partition_manager& partitions;
  replica::isr_sender& isr;
  cluster::controller_node& controller;
  group::coordinator& groups;
  group_host& group_hosting;
  admin_client& admin;
  producer_id_allocator& producer_ids;

  // The committed metadata image (the controller node's).
  const cluster::metadata_image& image() const;
  // Whether the partition exists in the cluster (anywhere).
  bool partition_exists(const std::string& topic, partition_index index) const;
};

// Kafka's topic-name rule: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(const std::string& name) noexcept;

}  // namespace samsa::server
