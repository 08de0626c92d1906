// DescribeCluster (60), v0-1: this broker, the cluster id and the controller (this node).
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_describe_cluster(request_context& ctx) {
  protocol::DescribeClusterRequest req;
  if (!ctx.decode(req)) co_return;
  broker& b = ctx.b;
  protocol::DescribeClusterResponse resp;
  if (ctx.version() >= 1 && req.endpoint_type != 1) {  // 1 = brokers; 2 = controllers (KIP-919)
    resp.error_code = 42;  // UNSUPPORTED_ENDPOINT_TYPE is 120 in newer Kafka; INVALID_REQUEST is understood by all
    resp.error_message = "only the broker endpoint type is supported";
  }
  resp.endpoint_type = req.endpoint_type;
  resp.cluster_id = b.cluster_id();
  resp.controller_id = b.config().node_id;
  auto& br = resp.brokers.emplace_back();
  br.broker_id = b.config().node_id;
  br.host = b.advertised().host;
  br.port = b.advertised().port;
  if (!b.config().rack.empty()) br.rack = b.config().rack;
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
