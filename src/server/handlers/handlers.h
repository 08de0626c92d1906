#pragma once
// One handler per Kafka API, each in its own file; handler_table.cc lists them with their version ranges.
#include <boost/asio/awaitable.hpp>

#include "../admin_client.h"
#include "../group_host.h"
#include "../producer_ids.h"
#include "../request_context.h"
#include "samsa/protocol/messages/all.h"
#include "samsa/replica/partition_manager.h"
#include "samsa/server/kafka_error.h"

namespace samsa::server {


boost::asio::awaitable<void> handle_api_versions(request_context& ctx);
boost::asio::awaitable<void> handle_metadata(request_context& ctx);
boost::asio::awaitable<void> handle_produce(request_context& ctx);
boost::asio::awaitable<void> handle_fetch(request_context& ctx);
boost::asio::awaitable<void> handle_list_offsets(request_context& ctx);
boost::asio::awaitable<void> handle_create_topics(request_context& ctx);
boost::asio::awaitable<void> handle_delete_topics(request_context& ctx);
boost::asio::awaitable<void> handle_create_partitions(request_context& ctx);
boost::asio::awaitable<void> handle_elect_leaders(request_context& ctx);
// Consumer groups (src/group).
boost::asio::awaitable<void> handle_find_coordinator(request_context& ctx);
boost::asio::awaitable<void> handle_join_group(request_context& ctx);
boost::asio::awaitable<void> handle_sync_group(request_context& ctx);
boost::asio::awaitable<void> handle_heartbeat(request_context& ctx);
boost::asio::awaitable<void> handle_leave_group(request_context& ctx);
boost::asio::awaitable<void> handle_offset_commit(request_context& ctx);
boost::asio::awaitable<void> handle_offset_fetch(request_context& ctx);
boost::asio::awaitable<void> handle_describe_groups(request_context& ctx);
boost::asio::awaitable<void> handle_list_groups(request_context& ctx);
boost::asio::awaitable<void> handle_delete_groups(request_context& ctx);
boost::asio::awaitable<void> handle_offset_delete(request_context& ctx);
boost::asio::awaitable<void> handle_init_producer_id(request_context& ctx);
boost::asio::awaitable<void> handle_describe_configs(request_context& ctx);
boost::asio::awaitable<void> handle_alter_configs(request_context& ctx);
boost::asio::awaitable<void> handle_incremental_alter_configs(request_context& ctx);
boost::asio::awaitable<void> handle_delete_records(request_context& ctx);
boost::asio::awaitable<void> handle_describe_cluster(request_context& ctx);
boost::asio::awaitable<void> handle_describe_quorum(request_context& ctx);
boost::asio::awaitable<void> handle_offset_for_leader_epoch(request_context& ctx);
boost::asio::awaitable<void> handle_describe_log_dirs(request_context& ctx);
boost::asio::awaitable<void> handle_alter_partition_reassignments(request_context& ctx);
boost::asio::awaitable<void> handle_list_partition_reassignments(request_context& ctx);

}  // namespace samsa::server
