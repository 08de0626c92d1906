// FindCoordinator (10), v0-2. This broker is the coordinator of every group: it must lead every
// __consumer_offsets partition, which holds with one node (with several nodes, coordinators per partition leader
// come with replication). The offsets topic is created on the first lookup. v1+ key_type 1 (transactions)
// is refused until transactions exist.
#include "handlers.h"
#include "samsa/group/coordinator.h"
#include "samsa/group/errors.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_find_coordinator(request_context& ctx) {
  protocol::FindCoordinatorRequest req;
  if (!ctx.decode(req)) co_return;
  broker& b = ctx.b;
  protocol::FindCoordinatorResponse resp;
  if (req.key_type == 0) {
    co_await b.ensure_offsets_topic();  // the first lookup creates __consumer_offsets (through the controller)
    resp.error_code = b.groups().ensure_offsets_topic();
    if (resp.error_code) resp.error_message = "the offsets topic __consumer_offsets could not be created";
  } else if (req.key_type == 1) {
    resp.error_code = group::err::coordinator_not_available;
    resp.error_message = "transactions are not supported by this broker yet";
  } else {
    resp.error_code = group::err::invalid_request;
    resp.error_message = "unknown coordinator key type " + std::to_string(req.key_type);
  }
  if (resp.error_code == 0) {
    const auto& adv = b.advertised();
    resp.node_id = b.config().node_id;
    resp.host = adv.host;
    resp.port = adv.port;
  } else {
    resp.node_id = -1;
    resp.host = "";
    resp.port = -1;
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
