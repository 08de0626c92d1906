#pragma once
// Kafka's error codes (Errors.java numbering): the one enum every subsystem answers with. Generated messages type
// their `error_code` fields with it, so an error cannot be confused with another integer; `kafka_error::x` names
// the same values for brevity (kafka_error::none is kafka_errc::none).
#include <cstdint>
#include <ostream>

namespace samsa::protocol {

enum class kafka_errc : int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  invalid_fetch_size = 4,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  message_too_large = 10,
  offset_metadata_too_large = 12,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  not_enough_replicas = 19,
  not_enough_replicas_after_append = 20,
  invalid_required_acks = 21,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_commit_offset_size = 28,
  invalid_timestamp = 32,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_replica_assignment = 39,
  invalid_config = 40,
  not_controller = 41,
  invalid_request = 42,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  transactional_id_authorization_failed = 53,
  kafka_storage_error = 56,
  unknown_producer_id = 59,
  non_empty_group = 68,
  group_id_not_found = 69,
  topic_deletion_disabled = 73,
  fenced_leader_epoch = 74,
  unknown_leader_epoch = 75,
  unsupported_compression_type = 76,
  stale_broker_epoch = 77,
  member_id_required = 79,
  preferred_leader_not_available = 80,
  group_max_size_reached = 81,
  fenced_instance_id = 82,
  eligible_leaders_not_available = 83,
  election_not_needed = 84,
  no_reassignment_in_progress = 85,
  group_subscribed_to_topic = 86,
  invalid_record = 87,
  producer_fenced = 90,
  invalid_update_version = 95,
  unknown_topic_id = 100,
  duplicate_broker_registration = 101,
  broker_id_not_registered = 102,
  ineligible_replica = 107,
};

// The code as it goes on the wire (and in logs).
constexpr int16_t wire_code(kafka_errc e) noexcept { return static_cast<int16_t>(e); }
inline std::ostream& operator<<(std::ostream& os, kafka_errc e) { return os << wire_code(e); }

namespace kafka_error {

inline constexpr kafka_errc unknown_server_error = kafka_errc::unknown_server_error;
inline constexpr kafka_errc none = kafka_errc::none;
inline constexpr kafka_errc offset_out_of_range = kafka_errc::offset_out_of_range;
inline constexpr kafka_errc corrupt_message = kafka_errc::corrupt_message;
inline constexpr kafka_errc unknown_topic_or_partition = kafka_errc::unknown_topic_or_partition;
inline constexpr kafka_errc invalid_fetch_size = kafka_errc::invalid_fetch_size;
inline constexpr kafka_errc leader_not_available = kafka_errc::leader_not_available;
inline constexpr kafka_errc not_leader_or_follower = kafka_errc::not_leader_or_follower;
inline constexpr kafka_errc request_timed_out = kafka_errc::request_timed_out;
inline constexpr kafka_errc message_too_large = kafka_errc::message_too_large;
inline constexpr kafka_errc offset_metadata_too_large = kafka_errc::offset_metadata_too_large;
inline constexpr kafka_errc coordinator_load_in_progress = kafka_errc::coordinator_load_in_progress;
inline constexpr kafka_errc coordinator_not_available = kafka_errc::coordinator_not_available;
inline constexpr kafka_errc not_coordinator = kafka_errc::not_coordinator;
inline constexpr kafka_errc invalid_topic_exception = kafka_errc::invalid_topic_exception;
inline constexpr kafka_errc record_list_too_large = kafka_errc::record_list_too_large;
inline constexpr kafka_errc not_enough_replicas = kafka_errc::not_enough_replicas;
inline constexpr kafka_errc not_enough_replicas_after_append = kafka_errc::not_enough_replicas_after_append;
inline constexpr kafka_errc invalid_required_acks = kafka_errc::invalid_required_acks;
inline constexpr kafka_errc illegal_generation = kafka_errc::illegal_generation;
inline constexpr kafka_errc inconsistent_group_protocol = kafka_errc::inconsistent_group_protocol;
inline constexpr kafka_errc invalid_group_id = kafka_errc::invalid_group_id;
inline constexpr kafka_errc unknown_member_id = kafka_errc::unknown_member_id;
inline constexpr kafka_errc invalid_session_timeout = kafka_errc::invalid_session_timeout;
inline constexpr kafka_errc rebalance_in_progress = kafka_errc::rebalance_in_progress;
inline constexpr kafka_errc invalid_commit_offset_size = kafka_errc::invalid_commit_offset_size;
inline constexpr kafka_errc invalid_timestamp = kafka_errc::invalid_timestamp;
inline constexpr kafka_errc unsupported_version = kafka_errc::unsupported_version;
inline constexpr kafka_errc topic_already_exists = kafka_errc::topic_already_exists;
inline constexpr kafka_errc invalid_partitions = kafka_errc::invalid_partitions;
inline constexpr kafka_errc invalid_replication_factor = kafka_errc::invalid_replication_factor;
inline constexpr kafka_errc invalid_replica_assignment = kafka_errc::invalid_replica_assignment;
inline constexpr kafka_errc invalid_config = kafka_errc::invalid_config;
inline constexpr kafka_errc not_controller = kafka_errc::not_controller;
inline constexpr kafka_errc invalid_request = kafka_errc::invalid_request;
inline constexpr kafka_errc out_of_order_sequence_number = kafka_errc::out_of_order_sequence_number;
inline constexpr kafka_errc duplicate_sequence_number = kafka_errc::duplicate_sequence_number;
inline constexpr kafka_errc invalid_producer_epoch = kafka_errc::invalid_producer_epoch;
inline constexpr kafka_errc transactional_id_authorization_failed = kafka_errc::transactional_id_authorization_failed;
inline constexpr kafka_errc kafka_storage_error = kafka_errc::kafka_storage_error;
inline constexpr kafka_errc unknown_producer_id = kafka_errc::unknown_producer_id;
inline constexpr kafka_errc non_empty_group = kafka_errc::non_empty_group;
inline constexpr kafka_errc group_id_not_found = kafka_errc::group_id_not_found;
inline constexpr kafka_errc topic_deletion_disabled = kafka_errc::topic_deletion_disabled;
inline constexpr kafka_errc fenced_leader_epoch = kafka_errc::fenced_leader_epoch;
inline constexpr kafka_errc unknown_leader_epoch = kafka_errc::unknown_leader_epoch;
inline constexpr kafka_errc unsupported_compression_type = kafka_errc::unsupported_compression_type;
inline constexpr kafka_errc stale_broker_epoch = kafka_errc::stale_broker_epoch;
inline constexpr kafka_errc member_id_required = kafka_errc::member_id_required;
inline constexpr kafka_errc preferred_leader_not_available = kafka_errc::preferred_leader_not_available;
inline constexpr kafka_errc group_max_size_reached = kafka_errc::group_max_size_reached;
inline constexpr kafka_errc fenced_instance_id = kafka_errc::fenced_instance_id;
inline constexpr kafka_errc eligible_leaders_not_available = kafka_errc::eligible_leaders_not_available;
inline constexpr kafka_errc election_not_needed = kafka_errc::election_not_needed;
inline constexpr kafka_errc no_reassignment_in_progress = kafka_errc::no_reassignment_in_progress;
inline constexpr kafka_errc group_subscribed_to_topic = kafka_errc::group_subscribed_to_topic;
inline constexpr kafka_errc invalid_record = kafka_errc::invalid_record;
inline constexpr kafka_errc producer_fenced = kafka_errc::producer_fenced;
inline constexpr kafka_errc invalid_update_version = kafka_errc::invalid_update_version;
inline constexpr kafka_errc unknown_topic_id = kafka_errc::unknown_topic_id;
inline constexpr kafka_errc duplicate_broker_registration = kafka_errc::duplicate_broker_registration;
inline constexpr kafka_errc broker_id_not_registered = kafka_errc::broker_id_not_registered;
inline constexpr kafka_errc ineligible_replica = kafka_errc::ineligible_replica;

}  // namespace kafka_error

}  // namespace samsa::protocol

#if __has_include(<fmt/format.h>)
#include <fmt/format.h>
// Logs show the number, as Kafka's do.
template <>
struct fmt::formatter<samsa::protocol::kafka_errc> : fmt::formatter<int16_t> {
  template <typename Ctx>
  auto format(samsa::protocol::kafka_errc e, Ctx& ctx) const {
    return fmt::formatter<int16_t>::format(samsa::protocol::wire_code(e), ctx);
  }
};
#endif
