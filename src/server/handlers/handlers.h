#pragma once
// One handler per Kafka API, each in its own file; handler_table.cc lists them with their version ranges.
#include <boost/asio/awaitable.hpp>

#include "../request_context.h"
#include "samsa/protocol/messages/all.h"
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

}  // namespace samsa::server
