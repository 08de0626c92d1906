// CreateTopics (19), v0-4 (v1+ validate_only). Runs on the active controller (forwarded there from any other
// node): the controller validates names, counts, replication factor against live brokers and configs, and places
// replicas. The response is sent once the topics are committed to the metadata log.
#include "controller_forward.h"
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_create_topics(request_context& ctx) {
  protocol::CreateTopicsRequest req;
  if (!ctx.decode(req)) co_return;
  if (co_await forwarded_to_controller(ctx)) co_return;
  std::vector<cluster::create_topic_request> reqs;
  for (const auto& t : req.topics) {
    auto& q = reqs.emplace_back();
    q.name = t.name;
    q.num_partitions = t.num_partitions;
    q.replication_factor = t.replication_factor;
    for (const auto& a : t.assignments) q.assignments[a.partition_index] = a.broker_ids;
    for (const auto& c : t.configs) q.configs.emplace_back(c.name, c.value);
  }
  const bool validate_only = req.validate_only;
  cluster::command<std::vector<cluster::create_topic_result>> r_cmd = [&reqs, validate_only](cluster::controller& c, const cluster::metadata_image& img) {
        return c.create_topics(img, reqs, validate_only);
      };
  auto r = co_await ctx.s.controller.execute(std::move(r_cmd));
  protocol::CreateTopicsResponse resp;
  for (size_t i = 0; i < req.topics.size(); ++i) {
    auto& out = resp.topics.emplace_back();
    out.name = req.topics[i].name;
    if (r.error != cluster::command_error::none || i >= r.response.size()) {
      const auto e = command_failure(r.error);
      out.error_code = e.code;
      out.error_message = e.message;
      continue;
    }
    const auto& res = r.response[i];
    out.error_code = res.error.code;
    if (!res.error.message.empty()) out.error_message = res.error.message;
    if (res.error.ok()) {
      out.num_partitions = res.num_partitions;
      out.replication_factor = res.replication_factor;
    }
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
