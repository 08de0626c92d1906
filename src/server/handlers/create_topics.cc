// CreateTopics (19). Single node: replication factor must be 1 (or -1 = default). v1+ validate_only.
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_create_topics(request_context& ctx) {
  protocol::CreateTopicsRequest req;
  if (!ctx.decode(req)) co_return;
  broker& b = ctx.b;
  protocol::CreateTopicsResponse resp;
  for (const auto& t : req.topics) {
    auto& r = resp.topics.emplace_back();
    r.name = t.name;
    const int32_t partitions = t.num_partitions == -1 ? b.config().num_partitions : t.num_partitions;
    const int16_t rf = t.replication_factor == -1 ? b.config().default_replication_factor : t.replication_factor;
    if (!valid_topic_name(t.name)) {
      r.error_code = kafka_error::invalid_topic_exception;
      r.error_message = "topic names are 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'";
    } else if (!t.assignments.empty()) {
      r.error_code = kafka_error::invalid_request;
      r.error_message = "manual replica assignment is not supported yet";
    } else if (partitions <= 0) {
      r.error_code = kafka_error::invalid_partitions;
      r.error_message = "number of partitions must be larger than 0";
    } else if (rf != 1) {
      r.error_code = kafka_error::invalid_replication_factor;
      r.error_message = "replication factor must be 1: this cluster has 1 broker";
    } else {
      config_map configs;
      for (const auto& c : t.configs)
        if (c.value) configs[c.name] = *c.value;
      std::string message;
      r.error_code = b.create_topic(t.name, partitions, req.validate_only, configs, &message);
      if (r.error_code == kafka_error::topic_already_exists)
        r.error_message = "topic '" + t.name + "' already exists";
      else if (!message.empty())
        r.error_message = message;
    }
    if (r.error_code == kafka_error::none) {
      r.num_partitions = partitions;
      r.replication_factor = rf;
    }
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
