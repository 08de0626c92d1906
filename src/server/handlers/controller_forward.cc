// Admin requests that change metadata run on the active controller. A node that is not it forwards the request to
// the active controller's broker listener (like KIP-590's forwarding, without the envelope) and relays the answer,
// so clients may send them to any broker. A forwarded request is never forwarded again: if leadership moved
// meanwhile, its receiver answers NOT_CONTROLLER and the client retries.
#include "controller_forward.h"

#include "../admin_client.h"
#include "samsa/cluster/controller_node.h"
#include "samsa/server/kafka_error.h"

namespace samsa::server {

boost::asio::awaitable<bool> forwarded_to_controller(request_context& ctx) {
  if (ctx.s.controller.is_active() || ctx.frame == nullptr) co_return false;
  if (ctx.header.client_id && ctx.header.client_id->starts_with(forwarded_client_prefix)) co_return false;
  auto response = co_await ctx.s.admin.forward_to_controller(std::span<const uint8_t>(ctx.frame->data(), ctx.frame->size()));
  if (!response) co_return false;  // no controller answered: the local path reports NOT_CONTROLLER
  ctx.out->parts.emplace_back(std::move(*response));
  co_return true;
}

cluster::api_error command_failure(cluster::command_error e) {
  if (e == cluster::command_error::timed_out)
    return {kafka_error::request_timed_out, "the metadata change was not committed in time (is a quorum up?)"};
  return {kafka_error::not_controller, "no active controller could take the request; retry"};
}

}  // namespace samsa::server
