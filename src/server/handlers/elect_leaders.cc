// ElectLeaders (43), v0-2: a preferred (v0: always) or unclean leader election on the active controller
// (forwarded there from any other node), for the partitions listed, or for every partition when the list is null.
// Per-partition errors are Kafka's: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
// ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION. With a null list only the partitions that did not
// answer ELECTION_NOT_NEEDED are reported (as Kafka does). timeout_ms is not used: the answer comes once the new
// leaders are committed to the metadata log (or the controller's own request timeout passes).
#include <map>

#include "controller_forward.h"
#include "handlers.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_elect_leaders(request_context& ctx) {
  protocol::ElectLeadersRequest req;
  if (!ctx.decode(req)) co_return;
  if (co_await forwarded_to_controller(ctx)) co_return;
  protocol::ElectLeadersResponse resp;
  // v0 has no election type: preferred.
  const int8_t type_id = ctx.version() >= 1 ? req.election_type : int8_t{0};
  if (type_id != 0 && type_id != 1) {
    // Kafka rejects an unknown ElectionType as a malformed request; answer it per partition instead of closing.
    resp.error_code = kafka_error::invalid_request;
    if (req.topic_partitions)
      for (const auto& t : *req.topic_partitions) {
        auto& rt = resp.replica_election_results.emplace_back();
        rt.topic = t.topic;
        for (partition_index p : t.partitions) {
          auto& rp = rt.partition_result.emplace_back();
          rp.partition_id = p;
          rp.error_code = kafka_error::invalid_request;
          rp.error_message = "Unknown election type " + std::to_string(type_id);
        }
      }
    ctx.respond(resp);
    co_return;
  }
  const auto type = static_cast<cluster::election_type>(type_id);
  std::optional<std::vector<cluster::topic_partition>> partitions;
  if (req.topic_partitions) {
    partitions.emplace();
    for (const auto& t : *req.topic_partitions)
      for (partition_index p : t.partitions) partitions->push_back({t.topic, p});
  }
  cluster::command<std::vector<cluster::election_result>> r_cmd =
      [&partitions, type](cluster::controller& c, const cluster::metadata_image& img) {
        return c.elect_leaders(img, type, partitions);
      };
  auto r = co_await ctx.s.controller.execute(std::move(r_cmd));
  // Results grouped by topic, in the order topics first appear (request order, or the controller's).
  std::map<std::string, size_t> topic_index;
  auto add = [&](const std::string& topic, partition_index p, const cluster::api_error& e) {
    auto [it, fresh] = topic_index.try_emplace(topic, resp.replica_election_results.size());
    if (fresh) resp.replica_election_results.emplace_back().topic = topic;
    auto& rp = resp.replica_election_results[it->second].partition_result.emplace_back();
    rp.partition_id = p;
    rp.error_code = e.code;
    if (!e.message.empty()) rp.error_message = e.message;
  };
  if (r.error != cluster::command_error::none) {
    const cluster::api_error e = command_failure(r.error);
    resp.error_code = e.code;  // v1+; v0 sees it on every partition
    if (partitions)
      for (const auto& tp : *partitions) add(tp.topic, tp.partition, e);
  } else {
    for (const auto& res : r.response) add(res.tp.topic, res.tp.partition, res.error);
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
