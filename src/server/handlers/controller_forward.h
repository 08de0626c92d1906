#pragma once
// Helpers for the handlers of metadata-changing APIs (CreateTopics, DeleteTopics, CreatePartitions, ElectLeaders,
// AlterConfigs, IncrementalAlterConfigs): forwarding to the active controller and mapping controller failures to Kafka errors.
#include <boost/asio/awaitable.hpp>

#include "../request_context.h"
#include "samsa/cluster/controller_node.h"

namespace samsa::server {

// True when the request was forwarded to another node's active controller and its response queued.
boost::asio::awaitable<bool> forwarded_to_controller(request_context& ctx);

// NOT_CONTROLLER or REQUEST_TIMED_OUT with a hint.
cluster::api_error command_failure(cluster::command_error e);

}  // namespace samsa::server
