#pragma once
// Kafka's int16 error codes (Errors.java numbering): the one list every subsystem answers with.
#include <cstdint>

namespace samsa::protocol::kafka_error {

inline constexpr int16_t unknown_server_error = -1;
inline constexpr int16_t none = 0;
inline constexpr int16_t offset_out_of_range = 1;
inline constexpr int16_t corrupt_message = 2;
inline constexpr int16_t unknown_topic_or_partition = 3;
inline constexpr int16_t invalid_fetch_size = 4;
inline constexpr int16_t leader_not_available = 5;
inline constexpr int16_t not_leader_or_follower = 6;
inline constexpr int16_t request_timed_out = 7;
inline constexpr int16_t message_too_large = 10;
inline constexpr int16_t offset_metadata_too_large = 12;
inline constexpr int16_t coordinator_load_in_progress = 14;
inline constexpr int16_t coordinator_not_available = 15;
inline constexpr int16_t not_coordinator = 16;
inline constexpr int16_t invalid_topic_exception = 17;
inline constexpr int16_t record_list_too_large = 18;
inline constexpr int16_t not_enough_replicas = 19;
inline constexpr int16_t not_enough_replicas_after_append = 20;
inline constexpr int16_t invalid_required_acks = 21;
inline constexpr int16_t illegal_generation = 22;
inline constexpr int16_t inconsistent_group_protocol = 23;
inline constexpr int16_t invalid_group_id = 24;
inline constexpr int16_t unknown_member_id = 25;
inline constexpr int16_t invalid_session_timeout = 26;
inline constexpr int16_t rebalance_in_progress = 27;
inline constexpr int16_t invalid_commit_offset_size = 28;
inline constexpr int16_t unsupported_version = 35;
inline constexpr int16_t topic_already_exists = 36;
inline constexpr int16_t invalid_partitions = 37;
inline constexpr int16_t invalid_replication_factor = 38;
inline constexpr int16_t invalid_replica_assignment = 39;
inline constexpr int16_t invalid_config = 40;
inline constexpr int16_t not_controller = 41;
inline constexpr int16_t invalid_request = 42;
inline constexpr int16_t out_of_order_sequence_number = 45;
inline constexpr int16_t duplicate_sequence_number = 46;
inline constexpr int16_t invalid_producer_epoch = 47;
inline constexpr int16_t transactional_id_authorization_failed = 53;
inline constexpr int16_t kafka_storage_error = 56;
inline constexpr int16_t unknown_producer_id = 59;
inline constexpr int16_t non_empty_group = 68;
inline constexpr int16_t group_id_not_found = 69;
inline constexpr int16_t topic_deletion_disabled = 73;
inline constexpr int16_t fenced_leader_epoch = 74;
inline constexpr int16_t unknown_leader_epoch = 75;
inline constexpr int16_t unsupported_compression_type = 76;
inline constexpr int16_t stale_broker_epoch = 77;
inline constexpr int16_t member_id_required = 79;
inline constexpr int16_t preferred_leader_not_available = 80;
inline constexpr int16_t group_max_size_reached = 81;
inline constexpr int16_t fenced_instance_id = 82;
inline constexpr int16_t eligible_leaders_not_available = 83;
inline constexpr int16_t election_not_needed = 84;
inline constexpr int16_t no_reassignment_in_progress = 85;
inline constexpr int16_t group_subscribed_to_topic = 86;
inline constexpr int16_t invalid_record = 87;
inline constexpr int16_t producer_fenced = 90;
inline constexpr int16_t invalid_update_version = 95;
inline constexpr int16_t unknown_topic_id = 100;
inline constexpr int16_t duplicate_broker_registration = 101;
inline constexpr int16_t broker_id_not_registered = 102;
inline constexpr int16_t ineligible_replica = 107;

}  // namespace samsa::protocol::kafka_error
