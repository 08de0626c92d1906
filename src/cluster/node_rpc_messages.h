#pragma once
// Private: the node-to-node RPCs' Kafka messages (generated from src/protocol/schema) <-> the controller rules'
// request and response structs (controller.h), and the versions this build speaks.
#include <optional>

#include "samsa/cluster/controller.h"
#include "samsa/cluster/records.h"
#include "samsa/protocol/messages/all.h"

namespace samsa::cluster {

inline constexpr int16_t registration_version = 0;
inline constexpr int16_t heartbeat_version = 0;
inline constexpr int16_t producer_ids_version = 0;
inline constexpr int16_t alter_partition_version = 2;  // topic ids, a plain ISR list
inline constexpr int16_t metadata_fetch_version = 0;

// The error of a response that carries only a code.
api_error error_of(protocol::kafka_errc code);

protocol::BrokerRegistrationRequest to_message(const broker_registration_request& q);
broker_registration_request from_message(const protocol::BrokerRegistrationRequest& m);
protocol::BrokerRegistrationResponse to_message(const broker_registration_response& r);

protocol::BrokerHeartbeatRequest to_message(const broker_heartbeat_request& q);
broker_heartbeat_request from_message(const protocol::BrokerHeartbeatRequest& m);
protocol::BrokerHeartbeatResponse to_message(const broker_heartbeat_response& r);

protocol::AllocateProducerIdsResponse to_message(const producer_ids_response& r);

protocol::AlterPartitionRequest to_message(const alter_partition_request& q);
// nullopt unless the request names exactly one partition of one topic by id (what Samsa's leaders send).
std::optional<alter_partition_request> from_message(const protocol::AlterPartitionRequest& m);
protocol::AlterPartitionResponse to_message(const alter_partition_request& q, const alter_partition_response& r);
alter_partition_response from_message(const protocol::AlterPartitionResponse& m);

}  // namespace samsa::cluster
