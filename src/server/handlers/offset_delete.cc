// OffsetDelete (47), v0. Deletes committed offsets of a group: any partition of an Empty group; for an active
// consumer group only topics it does not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC(86) otherwise); an active group
// of another protocol type gets NON_EMPTY_GROUP. Tombstones are fsynced before the answer.
#include "handlers.h"
#include "samsa/group/await.h"
#include "samsa/group/coordinator.h"
#include "samsa/group/errors.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_offset_delete(request_context& ctx) {
  protocol::OffsetDeleteRequest req;
  if (!ctx.decode(req)) co_return;
  auto& co = ctx.s.groups;
  std::vector<group::topic_partition> tps;
  std::vector<protocol::kafka_errc> preset;
  std::vector<size_t> index;  // position in tps, or SIZE_MAX for a preset error
  for (const auto& t : req.topics)
    for (const auto& p : t.partitions) {
      if (!ctx.s.partition_exists(t.name, p.partition_index)) {
        index.push_back(SIZE_MAX);
        preset.push_back(group::err::unknown_topic_or_partition);
      } else {
        index.push_back(tps.size());
        preset.push_back(kafka_error::none);
        tps.push_back({t.name, p.partition_index});
      }
    }
  const std::string group_id = req.group_id;
  using result_t = std::pair<protocol::kafka_errc, std::vector<protocol::kafka_errc>>;
  result_t r = co_await group::await_callback<result_t>(ctx.s.executor, [&](std::function<void(result_t)> cb) {
    co.delete_offsets(group_id, tps, [cb](protocol::kafka_errc top, std::vector<protocol::kafka_errc> e) { cb({top, std::move(e)}); });
  });
  protocol::OffsetDeleteResponse resp;
  resp.error_code = r.first;
  if (r.first == kafka_error::none) {
    size_t i = 0;
    for (const auto& t : req.topics) {
      auto& rt = resp.topics.emplace_back();
      rt.name = t.name;
      for (const auto& p : t.partitions) {
        auto& rp = rt.partitions.emplace_back();
        rp.partition_index = p.partition_index;
        rp.error_code = index[i] == SIZE_MAX ? preset[i] : (index[i] < r.second.size() ? r.second[index[i]] : kafka_error::none);
        ++i;
      }
    }
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
