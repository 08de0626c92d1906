#include "samsa/replica/follower_session.h"

#include <spdlog/spdlog.h>

#include "samsa/protocol/kafka_error.h"

namespace samsa::replica {

namespace ke = protocol::kafka_error;

namespace {

// The request's entry for `topic`: partitions come in (topic, partition) order, so it is the last one or a new one.
template <typename Topics>
auto& topic_entry(Topics& topics, const std::string& topic) {
  if (topics.empty() || topics.back().topic != topic) topics.emplace_back().topic = topic;
  return topics.back();
}

}  // namespace

void follower_session::assign(std::shared_ptr<partition> p) {
  auto& a = parts_[{p->topic(), p->index()}];
  a.p = std::move(p);
  a.generation = next_generation_++;
  a.truncate = true;
  a.backoff_until_ms = 0;
}

void follower_session::unassign(const std::string& topic, partition_index index) { parts_.erase({topic, index}); }

follower_session::assignment* follower_session::answered(const generations& asked, const std::string& topic,
                                                         partition_index index) {
  auto it = parts_.find({topic, index});
  if (it == parts_.end()) return nullptr;
  auto g = asked.find(it->first);
  if (g == asked.end() || g->second != it->second.generation || it->second.p->is_leader()) return nullptr;
  return &it->second;
}

std::optional<follower_session::epoch_round> follower_session::truncation_request(int64_t now_ms) {
  epoch_round round;
  round.request.replica_id = s_.self;
  for (auto& [key, a] : parts_) {
    if (!a.truncate || a.backoff_until_ms > now_ms) continue;
    const int32_t latest = a.p->log().latest_epoch();
    if (latest < 0 || a.p->log_end_offset() == 0) {
      a.truncate = false;  // nothing of ours to disagree with
      continue;
    }
    auto& rp = topic_entry(round.request.topics, key.first).partitions.emplace_back();
    rp.partition = key.second;
    rp.current_leader_epoch = a.p->leader_epoch();
    rp.leader_epoch = latest;
    round.asked[key] = a.generation;
  }
  if (round.asked.empty()) return std::nullopt;
  return round;
}

void follower_session::on_truncation_response(const epoch_round& round,
                                              const protocol::OffsetForLeaderEpochResponse& resp, int64_t now_ms) {
  for (const auto& t : resp.topics) {
    for (const auto& rp : t.partitions) {
      assignment* a = answered(round.asked, t.topic, rp.partition);
      if (a == nullptr) continue;
      if (rp.error_code != ke::none) {
        a->backoff_until_ms = now_ms + s_.partition_error_backoff_ms;
        continue;
      }
      a->truncate = !a->p->truncate_to_leader(rp.leader_epoch, rp.end_offset);
    }
  }
}

std::optional<follower_session::fetch_round> follower_session::fetch_request(
    int64_t now_ms, const std::function<bool(const partition&)>& hold_back) {
  fetch_round round;
  auto& req = round.request;
  req.replica_id = s_.self;
  req.max_wait_ms = s_.max_wait_ms;
  req.min_bytes = s_.min_bytes;
  req.max_bytes = s_.response_max_bytes;
  req.isolation_level = 0;
  req.session_id = 0;
  req.session_epoch = -1;
  for (auto& [key, a] : parts_) {
    if (a.truncate || a.backoff_until_ms > now_ms) continue;
    if (hold_back && hold_back(*a.p)) continue;
    auto& rp = topic_entry(req.topics, key.first).partitions.emplace_back();
    rp.partition = key.second;
    rp.current_leader_epoch = a.p->leader_epoch();
    rp.fetch_offset = a.p->log_end_offset();
    rp.log_start_offset = a.p->log_start_offset();
    rp.partition_max_bytes = s_.partition_max_bytes;
    round.asked[key] = a.generation;
  }
  if (round.asked.empty()) return std::nullopt;
  return round;
}

void follower_session::on_fetch_response(const fetch_round& round, const protocol::FetchResponse& resp,
                                         int64_t now_ms,
                                         const std::function<void(const partition&, size_t)>& received) {
  for (const auto& t : resp.responses) {
    for (const auto& rp : t.partitions) {
      assignment* a = answered(round.asked, t.topic, rp.partition_index);
      if (a != nullptr) on_partition_fetched(*a, rp, now_ms, received);
    }
  }
}

void follower_session::on_partition_fetched(assignment& a, const protocol::FetchResponse::FetchableTopicResponse::PartitionData& rp,
                                            int64_t now_ms,
                                            const std::function<void(const partition&, size_t)>& received) {
  partition& p = *a.p;
  if (rp.error_code == ke::offset_out_of_range) {
    if (p.log_end_offset() < rp.log_start_offset) {
      spdlog::error("[{}-{}] fell behind the leader's log start {} (our end {}): cannot catch up yet", p.topic(),
                    p.index(), rp.log_start_offset, p.log_end_offset());
      a.backoff_until_ms = now_ms + s_.fetch_backoff_ms;
    } else {
      a.truncate = true;
    }
    return;
  }
  if (rp.error_code != ke::none) {
    a.backoff_until_ms = now_ms + s_.partition_error_backoff_ms;
    return;
  }
  const size_t bytes = rp.records ? rp.records->size() : 0;
  if (bytes > 0 && received) received(p, bytes);
  const auto records = rp.records ? rp.records->span() : std::span<const uint8_t>{};
  if (p.append_fetched(records, rp.high_watermark) == fetched::diverged) a.truncate = true;
}

}  // namespace samsa::replica
