// DescribeCluster (60), v0-1: the live brokers, the cluster id and the controller, from the metadata image.
#include "handlers.h"
#include "samsa/cluster/controller_node.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_describe_cluster(request_context& ctx) {
  protocol::DescribeClusterRequest req;
  if (!ctx.decode(req)) co_return;
  services& b = ctx.s;
  const cluster::metadata_image& img = b.image();
  protocol::DescribeClusterResponse resp;
  if (ctx.version() >= 1 && req.endpoint_type != 1) {  // 1 = brokers; 2 = controllers (KIP-919)
    resp.error_code = kafka_error::invalid_request;  // UNSUPPORTED_ENDPOINT_TYPE (120) is newer than our clients
    resp.error_message = "only the broker endpoint type is supported";
  }
  resp.endpoint_type = req.endpoint_type;
  resp.cluster_id = img.cluster_id();
  resp.controller_id = b.controller.leader_id();
  for (const auto& [id, reg] : img.brokers()) {
    if (reg.fenced || reg.endpoints.empty()) continue;
    auto& br = resp.brokers.emplace_back();
    br.broker_id = id;
    br.host = reg.endpoints.front().host;
    br.port = reg.endpoints.front().port;
    if (reg.rack) br.rack = *reg.rack;
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
