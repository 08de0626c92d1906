// OffsetCommit (8), v0-7. Answered only once the commit records are durable (fsynced) in __consumer_offsets.
// v0 carries no generation/member: a simple commit. v1 per-partition commit timestamp (a set one makes the
// offset expire offsets.retention.minutes after it), v2-4 retention_time_ms (-1 = broker default), v6 leader
// epoch, v7 group instance id. Unknown topics/partitions get UNKNOWN_TOPIC_OR_PARTITION, as in Kafka.
#include "handlers.h"
#include "samsa/group/await.h"
#include "samsa/group/coordinator.h"
#include "samsa/group/errors.h"

namespace samsa::server {

boost::asio::awaitable<void> handle_offset_commit(request_context& ctx) {
  protocol::OffsetCommitRequest req;
  if (!ctx.decode(req)) co_return;
  const int16_t v = ctx.version();
  services& b = ctx.s;
  auto& co = b.groups;
  const int64_t now = co.now();
  const int32_t generation = v >= 1 ? req.generation_id_or_member_epoch : -1;
  const std::string member_id = v >= 1 ? req.member_id : std::string();
  const std::optional<std::string> instance_id = v >= 7 ? req.group_instance_id : std::nullopt;
  std::vector<group::commit_entry> entries;
  for (const auto& t : req.topics)
    for (const auto& p : t.partitions) {
      auto& e = entries.emplace_back();
      e.tp = {t.name, p.partition_index};
      e.offset = p.committed_offset;
      e.leader_epoch = v >= 6 ? p.committed_leader_epoch.value() : -1;
      e.metadata = p.committed_metadata;
      if (v == 1 && p.commit_timestamp != -1) e.expire_timestamp = p.commit_timestamp + co.config().offsets_retention_ms;
      if (v >= 2 && v <= 4 && req.retention_time_ms != -1) e.expire_timestamp = now + req.retention_time_ms;
      if (!b.partition_exists(t.name, p.partition_index)) e.error = group::err::unknown_topic_or_partition;
    }
  const std::string group_id = req.group_id;
  std::vector<protocol::kafka_errc> errors = co_await group::await_callback<std::vector<protocol::kafka_errc>>(
      b.executor, [&](std::function<void(std::vector<protocol::kafka_errc>)> cb) {
        co.commit(group_id, member_id, instance_id, generation, std::move(entries), cb);
      });
  protocol::OffsetCommitResponse resp;
  size_t i = 0;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      rp.error_code = i < errors.size() ? errors[i] : group::err::unknown_server_error;
      ++i;
    }
  }
  ctx.respond(resp);
}

}  // namespace samsa::server
