// InitProducerId (22), v0-4, for idempotent producers. Transactions are not implemented yet, so a request with a
// transactional id is refused. v3+ may carry the current id and epoch to bump the epoch after an error (KIP-360):
// the same id comes back with epoch + 1, or a fresh id once the epoch is exhausted.
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_init_producer_id(request_context& ctx) {
  protocol::InitProducerIdRequest req;
  if (!ctx.decode(req)) co_return;
  protocol::InitProducerIdResponse resp;
  if (req.transactional_id.has_value()) {
    resp.error_code = kafka_error::transactional_id_authorization_failed;
  } else if (req.producer_id >= 0 && req.producer_epoch >= 0 && req.producer_epoch < INT16_MAX - 1) {
    resp.producer_id = req.producer_id;
    resp.producer_epoch = static_cast<int16_t>(req.producer_epoch + 1);
  } else {
    resp.producer_id = co_await ctx.s.producer_ids.next();
    resp.producer_epoch = 0;
    // No block from the controller (no quorum): retriable, the client asks again.
    if (resp.producer_id < 0) resp.error_code = kafka_error::coordinator_not_available;
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
