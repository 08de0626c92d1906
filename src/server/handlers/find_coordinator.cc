// FindCoordinator (10), v0-2. The coordinator of a group is the leader of its __consumer_offsets partition
// (partition_for_group, Kafka's mapping) in the metadata image, at that broker's advertised endpoint, whichever
// node is asked. The offsets topic is created on the first lookup (through the controller);
// COORDINATOR_NOT_AVAILABLE until it exists and while the group's partition has no live leader. v1+ key_type 1
// (transactions) is refused until transactions exist.
#include "handlers.h"
#include "samsa/cluster/image.h"
#include "samsa/group/coordinator.h"
#include "samsa/group/errors.h"
#include "samsa/group/offsets_format.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_find_coordinator(request_context& ctx) {
  protocol::FindCoordinatorRequest req;
  if (!ctx.decode(req)) co_return;
  services& b = ctx.s;
  protocol::FindCoordinatorResponse resp;
  resp.node_id = -1;
  resp.host = "";
  resp.port = -1;
  if (req.key_type == 0) {
    co_await b.admin.ensure_offsets_topic();  // the first lookup creates __consumer_offsets (through the controller)
    const cluster::metadata_image& img = b.image();
    const auto* t = img.topic(group::offsets_topic);
    const cluster::partition_state* ps = nullptr;
    if (t != nullptr && !t->partitions.empty()) {
      auto it = t->partitions.find(group::partition_for_group(req.key, static_cast<int32_t>(t->partitions.size())));
      if (it != t->partitions.end()) ps = &it->second;
    }
    const cluster::broker_registration* leader = ps && ps->leader >= 0 ? img.broker(ps->leader) : nullptr;
    if (t == nullptr) {
      resp.error_code = group::err::coordinator_not_available;
      resp.error_message = "the offsets topic __consumer_offsets does not exist yet";
    } else if (leader == nullptr || leader->fenced || leader->endpoints.empty()) {
      resp.error_code = group::err::coordinator_not_available;
      resp.error_message = "the group's partition of __consumer_offsets has no live leader";
    } else {
      // The leader's first client listener, as Metadata lists it.
      resp.node_id = leader->id;
      resp.host = leader->endpoints.front().host;
      resp.port = leader->endpoints.front().port;
    }
  } else if (req.key_type == 1) {
    resp.error_code = group::err::coordinator_not_available;
    resp.error_message = "transactions are not supported by this broker yet";
  } else {
    resp.error_code = group::err::invalid_request;
    resp.error_message = "unknown coordinator key type " + std::to_string(req.key_type);
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
