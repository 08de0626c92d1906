// CreatePartitions (37): raises a topic's partition count.
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_create_partitions(request_context& ctx) {
  protocol::CreatePartitionsRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::CreatePartitionsResponse resp;
  for (const auto& t : req.topics) {
    auto& r = resp.results.emplace_back();
    r.name = t.name;
    if (t.assignments.has_value() && !t.assignments->empty()) {
      r.error_code = kafka_error::invalid_request;
      r.error_message = "manual replica assignment is not supported yet";
    } else if (req.validate_only) {
      const topic* existing = ctx.b.find_topic(t.name);
      r.error_code = existing == nullptr ? kafka_error::unknown_topic_or_partition
                     : t.count <= static_cast<int32_t>(existing->partitions.size()) ? kafka_error::invalid_partitions
                                                                                    : kafka_error::none;
    } else {
      r.error_code = ctx.b.add_partitions(t.name, t.count);
    }
    if (r.error_code == kafka_error::invalid_partitions)
      r.error_message = "the new partition count must be larger than the current one";
  }
  ctx.respond(resp);
  co_return;
}

}  // namespace samsa::server
