// CreatePartitions (37), v0-1: raises a topic's partition count, on the active controller (forwarded there from
// any other node), with optional replica assignments for the new partitions.
#include "controller_forward.h"
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_create_partitions(request_context& ctx) {
  protocol::CreatePartitionsRequest req;
  if (!ctx.decode(req)) co_return;
  if (co_await forwarded_to_controller(ctx)) co_return;
  std::vector<cluster::create_partitions_request> reqs;
  for (const auto& t : req.topics) {
    auto& q = reqs.emplace_back();
    q.name = t.name;
    q.count = t.count;
    if (t.assignments)
      for (const auto& a : *t.assignments) q.assignments.push_back(a.broker_ids);
  }
  const bool validate_only = req.validate_only;
  cluster::command<std::vector<cluster::topic_result>> r_cmd = [&reqs, validate_only](cluster::controller& c, const cluster::metadata_image& img) {
        return c.create_partitions(img, reqs, validate_only);
      };
  auto r = co_await ctx.s.controller.execute(std::move(r_cmd));
  protocol::CreatePartitionsResponse resp;
  for (size_t i = 0; i < req.topics.size(); ++i) {
    auto& out = resp.results.emplace_back();
    out.name = req.topics[i].name;
    const cluster::api_error e = (r.error != cluster::command_error::none || i >= r.response.size())
                                     ? command_failure(r.error)
                                     : r.response[i].error;
    out.error_code = e.code;
    if (!e.message.empty()) out.error_message = e.message;
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
