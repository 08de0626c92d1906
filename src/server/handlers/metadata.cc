// Metadata (3): brokers, cluster id, controller, topics. v0 "empty list = all topics", v1+ "null = all".
// Missing topics are created when the request allows it (always below v4) and auto.create.topics.enable is on.
#include "handlers.h"

namespace samsa::server {
namespace {

void describe_topic(const broker& b, const topic& t, protocol::MetadataResponse::MetadataResponseTopic& out) {
  out.error_code = kafka_error::none;
  out.name = t.name;
  out.is_internal = t.name.starts_with("__");
  for (const auto& p : t.partitions) {
    auto& mp = out.partitions.emplace_back();
    mp.partition_index = p->index;
    mp.leader_id = b.config().node_id;
    mp.leader_epoch = 0;
    mp.replica_nodes = {b.config().node_id};
    mp.isr_nodes = {b.config().node_id};
  }
}

}  // namespace

boost::asio::awaitable<void> handle_metadata(request_context& ctx) {
  protocol::MetadataRequest req;
  if (!ctx.decode(req)) co_return;
  broker& b = ctx.b;
  protocol::MetadataResponse resp;
  const auto& adv = b.advertised();
  auto& br = resp.brokers.emplace_back();
  br.node_id = b.config().node_id;
  br.host = adv.host;
  br.port = adv.port;
  if (!b.config().rack.empty()) br.rack = b.config().rack;
  resp.cluster_id = b.cluster_id();
  resp.controller_id = b.config().node_id;

  const bool all = !req.topics.has_value() || (ctx.version() == 0 && req.topics->empty());
  if (all) {
    for (const auto& [name, t] : b.topics()) describe_topic(b, t, resp.topics.emplace_back());
  } else {
    const bool may_create = ctx.version() < 4 || req.allow_auto_topic_creation;
    for (const auto& rt : *req.topics) {
      const std::string name = rt.name.value_or("");
      auto& out = resp.topics.emplace_back();
      out.name = name;
      const topic* t = b.find_topic(name);
      if (t == nullptr && may_create && b.config().auto_create_topics_enable) {
        if (!valid_topic_name(name)) {
          out.error_code = kafka_error::invalid_topic_exception;
          continue;
        }
        const int16_t err = b.create_topic(name, b.config().num_partitions, false);
        if (err != kafka_error::none && err != kafka_error::topic_already_exists) {
          out.error_code = err;
          continue;
        }
        t = b.find_topic(name);
      }
      if (t == nullptr) {
        out.error_code = valid_topic_name(name) ? kafka_error::unknown_topic_or_partition
                                                : kafka_error::invalid_topic_exception;
        continue;
      }
      describe_topic(b, *t, out);
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
