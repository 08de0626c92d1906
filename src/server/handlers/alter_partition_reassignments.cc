// AlterPartitionReassignments (45), v0: starts or cancels (null replicas) partition reassignments, on the active
// controller (forwarded there from any other node). See cluster::controller::alter_partition_reassignments.
#include "controller_forward.h"
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_alter_partition_reassignments(request_context& ctx) {
  protocol::AlterPartitionReassignmentsRequest req;
  if (!ctx.decode(req)) co_return;
  if (co_await forwarded_to_controller(ctx)) co_return;
  std::vector<cluster::reassignment_request> reqs;
  for (const auto& t : req.topics)
    for (const auto& p : t.partitions) reqs.push_back({t.name, p.partition_index, p.replicas});
  cluster::command<std::vector<cluster::reassignment_result>> cmd =
      [&reqs](cluster::controller& c, const cluster::metadata_image& img) {
        return c.alter_partition_reassignments(img, reqs);
      };
  auto r = co_await ctx.s.controller.execute(std::move(cmd));
  protocol::AlterPartitionReassignmentsResponse resp;
  if (r.error != cluster::command_error::none) {
    const auto e = command_failure(r.error);
    resp.error_code = e.code;
    resp.error_message = e.message;
  }
  size_t i = 0;
  for (const auto& t : req.topics) {
    auto& rt = resp.responses.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (r.error == cluster::command_error::none && i < r.response.size()) {
        rp.error_code = r.response[i].error.code;
        if (!r.response[i].error.message.empty()) rp.error_message = r.response[i].error.message;
      } else {
        rp.error_code = resp.error_code;
      }
      ++i;
    }
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
