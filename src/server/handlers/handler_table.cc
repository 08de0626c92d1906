#include "handlers.h"

namespace samsa::server {
namespace {

// Version ranges: ../docs/protocol.md and COMPAT §4. Every version listed here is implemented completely.
constexpr api_handler kHandlers[] = {
    {0, 3, 9, handle_produce},            // Produce: 3 (magic 2) .. 7 (zstd), 8 (record_errors), 9 (flexible)
    {1, 4, 11, handle_fetch},             // Fetch: 4 .. 11
    {2, 1, 5, handle_list_offsets},       // ListOffsets
    {3, 0, 8, handle_metadata},           // Metadata
    {8, 0, 7, handle_offset_commit},      // OffsetCommit (durable before answered)
    {9, 0, 5, handle_offset_fetch},       // OffsetFetch
    {10, 0, 2, handle_find_coordinator},  // FindCoordinator: 0 must be in range for librdkafka
    {11, 0, 5, handle_join_group},        // JoinGroup: v4+ MEMBER_ID_REQUIRED, v5 static members
    {12, 0, 3, handle_heartbeat},         // Heartbeat
    {13, 0, 3, handle_leave_group},       // LeaveGroup: v3 batched
    {14, 0, 3, handle_sync_group},        // SyncGroup
    {15, 0, 4, handle_describe_groups},   // DescribeGroups
    {16, 0, 2, handle_list_groups},       // ListGroups
    {18, 0, 3, handle_api_versions},      // ApiVersions
    {19, 0, 4, handle_create_topics},     // CreateTopics
    {20, 0, 3, handle_delete_topics},     // DeleteTopics
    {21, 0, 1, handle_delete_records},    // DeleteRecords
    {22, 0, 4, handle_init_producer_id},  // InitProducerId: idempotence (0 must be in range for librdkafka)
    {23, 0, 4, handle_offset_for_leader_epoch},  // OffsetForLeaderEpoch
    {32, 0, 2, handle_describe_configs},  // DescribeConfigs: v1+ sources and synonyms
    {33, 0, 1, handle_alter_configs},     // AlterConfigs (replaces a topic's overrides)
    {35, 0, 4, handle_describe_log_dirs}, // DescribeLogDirs
    {37, 0, 1, handle_create_partitions}, // CreatePartitions
    {42, 0, 1, handle_delete_groups},     // DeleteGroups
    {43, 0, 2, handle_elect_leaders},     // ElectLeaders: preferred (v0) or unclean, on the active controller
    {44, 0, 1, handle_incremental_alter_configs},  // IncrementalAlterConfigs
    {45, 0, 0, handle_alter_partition_reassignments},  // AlterPartitionReassignments (on the active controller)
    {46, 0, 0, handle_list_partition_reassignments},   // ListPartitionReassignments (from the image)
    {47, 0, 0, handle_offset_delete},     // OffsetDelete
    {55, 0, 1, handle_describe_quorum},   // DescribeQuorum: the metadata quorum (samsactl cluster quorum)
    {60, 0, 1, handle_describe_cluster},  // DescribeCluster
};

}  // namespace

std::span<const api_handler> api_handlers() noexcept { return kHandlers; }

const api_handler* find_handler(int16_t key) noexcept {
  for (const auto& h : kHandlers)
    if (h.key == key) return &h;
  return nullptr;
}

}  // namespace samsa::server
