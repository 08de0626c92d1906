// Metadata (3): brokers, cluster id, controller, topics — all from the metadata image. v0 "empty list = all
// topics", v1+ "null = all". Missing topics are created (through the active controller) when the request allows
// it (always below v4) and auto.create.topics.enable is on; a topic created that way but not yet in this node's
// image is answered LEADER_NOT_AVAILABLE, which clients retry.
#include "handlers.h"
#include "samsa/cluster/controller_node.h"

namespace samsa::server {
namespace {

void describe_topic(const cluster::topic_image& t, protocol::MetadataResponse::MetadataResponseTopic& out) {
  out.error_code = kafka_error::none;
  out.name = t.name;
  out.is_internal = t.name.starts_with("__");
  for (const auto& [index, p] : t.partitions) {
    auto& mp = out.partitions.emplace_back();
    mp.partition_index = index;
    mp.leader_id = p.leader;
    mp.leader_epoch = p.leader_epoch;
    mp.replica_nodes = p.replicas;
    mp.isr_nodes = p.isr;
    if (p.leader < 0) mp.error_code = kafka_error::leader_not_available;
  }
}

}  // namespace

boost::asio::awaitable<void> handle_metadata(request_context& ctx) {
  protocol::MetadataRequest req;
  if (!ctx.decode(req)) co_return;
  services& b = ctx.s;
  const cluster::metadata_image& img = b.image();
  protocol::MetadataResponse resp;
  // Live (unfenced) brokers, at the client listener of the same name as the one this request came in on (the
  // first client listener: one per node so far).
  for (const auto& [id, reg] : img.brokers()) {
    if (reg.fenced || reg.endpoints.empty()) continue;
    auto& br = resp.brokers.emplace_back();
    br.node_id = id;
    br.host = reg.endpoints.front().host;
    br.port = reg.endpoints.front().port;
    if (reg.rack) br.rack = *reg.rack;
  }
  resp.cluster_id = img.cluster_id();
  // Clients send CreateTopics & co to the controller id: the active controller's node (a broker too, in
  // combined mode); any node would do, since they forward.
  resp.controller_id = b.controller.leader_id();

  const bool all = !req.topics.has_value() || (ctx.version() == 0 && req.topics->empty());
  if (all) {
    for (const auto& [name, id] : img.topic_names())
      if (const auto* t = img.topic(id)) describe_topic(*t, resp.topics.emplace_back());
  } else {
    const bool may_create = ctx.version() < 4 || req.allow_auto_topic_creation;
    std::vector<cluster::create_topic_request> to_create;
    for (const auto& rt : *req.topics) {
      const std::string name = rt.name.value_or("");
      if (img.topic(name) == nullptr && may_create && b.config.auto_create_topics_enable &&
          valid_topic_name(name)) {
        to_create.push_back({name, -1, -1, {}, {}});
      }
    }
    if (!to_create.empty()) (void)co_await b.admin.create_topics(std::move(to_create));
    const cluster::metadata_image& now = b.image();  // creation may have moved it on
    for (const auto& rt : *req.topics) {
      const std::string name = rt.name.value_or("");
      auto& out = resp.topics.emplace_back();
      out.name = name;
      if (const auto* t = now.topic(name)) {
        describe_topic(*t, out);
      } else if (!valid_topic_name(name)) {
        out.error_code = kafka_error::invalid_topic_exception;
      } else {
        out.error_code = may_create && b.config.auto_create_topics_enable ? kafka_error::leader_not_available
                                                                            : kafka_error::unknown_topic_or_partition;
      }
    }
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
