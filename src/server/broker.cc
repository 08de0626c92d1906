#include "samsa/server/broker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fmt/ranges.h>

#include "samsa/cluster/controller_node.h"
#include "samsa/cluster/local_changes.h"
#include "samsa/protocol/messages/all.h"
#include "samsa/protocol/header.h"
#include "samsa/records/record_batch.h"
#include "samsa/server/kafka_error.h"
#include "samsa/group/coordinator.h"
#include "samsa/group/offsets_format.h"
#include "samsa/storage/file.h"
#include "samsa/storage/log_manager.h"
#include "samsa/storage/partition_log.h"
#include "replica_fetcher.h"

namespace samsa::server {

namespace fs = std::filesystem;

namespace {

// __consumer_offsets as Kafka creates it: compacted, offsets.topic.* partitions, replicas and segment size. The
// replication factor is capped at the number of unfenced registered brokers (Kafka refuses to create the topic
// until offsets.topic.replication.factor brokers are alive; Samsa creates it with fewer replicas, so the default
// of 3 works on a single node).
cluster::create_topic_request offsets_topic_request(const broker_config& c, const cluster::metadata_image& img) {
  cluster::create_topic_request req;
  req.name = group::offsets_topic;
  req.num_partitions = c.group.offsets_topic_num_partitions;
  const auto live = std::count_if(img.brokers().begin(), img.brokers().end(),
                                  [](const auto& b) { return !b.second.fenced; });
  req.replication_factor = static_cast<int16_t>(
      std::max<int64_t>(1, std::min<int64_t>(c.group.offsets_topic_replication_factor, live)));
  req.configs = {{"cleanup.policy", std::optional<std::string>("compact")},
                 {"segment.bytes", std::optional<std::string>(std::to_string(c.group.offsets_topic_segment_bytes))}};
  return req;
}

// The group coordinator's view of __consumer_offsets.
boost::asio::awaitable<void> replicated_then(broker& b, std::shared_ptr<partition> part, int32_t epoch, int64_t end,
                                             std::chrono::steady_clock::time_point deadline,
                                             std::function<void(int16_t)> done) {
  const int16_t e = co_await b.await_high_watermark(part, epoch, end, deadline);
  done(e);
}

class offsets_backend_impl : public group::offsets_backend {
 public:
  explicit offsets_backend_impl(broker& b) : b_(b) {}
  int32_t offsets_partition_count() override {
    const auto* t = b_.image().topic(group::offsets_topic);
    return t ? static_cast<int32_t>(t->partitions.size()) : 0;
  }
  std::shared_ptr<storage::partition_log> offsets_partition(int32_t p) override {
    auto part = b_.find_partition(group::offsets_topic, p);
    return part ? part->log : nullptr;
  }
  void create_offsets_topic(int32_t) override {
    // Asynchronous (through the controller, see broker::ensure_offsets_topic): the coordinator answers
    // COORDINATOR_NOT_AVAILABLE meanwhile and learns the partitions it leads from broker::on_metadata.
    b_.request_topic_creation(offsets_topic_request(b_.config(), b_.image()));
  }
  void post(std::function<void()> fn) override { boost::asio::post(b_.executor(), std::move(fn)); }
  // The durability seam of the group coordinator (offset commits, group and offset tombstones): the local log's
  // group-commit fsync, then the high watermark (every in-sync replica has the records), as for acks=all, within
  // offsets.commit.timeout.ms.
  void when_committed(int32_t p, int64_t end_offset, std::function<void(int16_t)> done) override {
    auto part = b_.find_partition(group::offsets_topic, p);
    if (!part || !part->is_leader) {
      boost::asio::post(b_.executor(), [done = std::move(done)] { done(kafka_error::not_leader_or_follower); });
      return;
    }
    // The coordinator appended to the log itself: let the leader state and waiting followers know.
    b_.on_leader_append(*part);
    b_.notify_append();
    const int32_t epoch = part->leader_epoch;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(b_.config().group.offsets_commit_timeout_ms);
    broker* b = &b_;
    part->log->flush([b, part, epoch, end_offset, deadline, done = std::move(done)](std::error_code ec) mutable {
      // On a flusher thread: hop back to the network thread.
      boost::asio::post(b->executor(), [b, part, epoch, end_offset, deadline, ec, done = std::move(done)]() mutable {
        if (ec) {
          done(kafka_error::kafka_storage_error);
          return;
        }
        boost::asio::co_spawn(b->executor(), replicated_then(*b, part, epoch, end_offset, deadline, std::move(done)),
                              boost::asio::detached);
      });
    });
  }

 private:
  broker& b_;
};

boost::asio::awaitable<void> group_ticker(group::coordinator& c, boost::asio::steady_timer& t) {
  for (;;) {
    t.expires_after(std::chrono::milliseconds(100));
    auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
    c.tick();
  }
}

}  // namespace

bool valid_topic_name(const std::string& name) noexcept {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

broker::broker(boost::asio::any_io_executor ex, broker_config config, storage::log_manager& logs,
               cluster::controller_node& controller)
    : ex_(std::move(ex)), config_(std::move(config)), logs_(logs), controller_(controller) {
  groups_backend_ = std::make_unique<offsets_backend_impl>(*this);
  groups_ = std::make_unique<group::coordinator>(config_.group, *groups_backend_);
  fetchers_ = std::make_unique<replica_fetchers>(*this);
  leader_quota_ = replication_quota(config_.replication.leader_throttled_rate);
  follower_quota_ = replication_quota(config_.replication.follower_throttled_rate);
}

broker::~broker() { close(); }

const endpoint& broker::advertised() const noexcept {
  return config_.advertised_listeners.empty() ? config_.listeners.front() : config_.advertised_listeners.front();
}

void broker::rebuild_producer_state(partition& p) {
  p.producers.clear();
  int64_t offset = p.log->log_start_offset();
  const int64_t end = p.log->log_end_offset();
  while (offset < end) {
    auto r = p.log->read(offset, 4u << 20, end);
    if (!r || r->total_bytes == 0) break;
    auto bytes = r->copy_bytes();
    if (!bytes) break;
    std::span<const uint8_t> rest(*bytes);
    int64_t next = offset;
    while (!rest.empty()) {
      auto b = records::batch_view::parse(rest);
      if (!b) break;
      if (b->producer_id() >= 0 && b->base_sequence() >= 0) {
        const int64_t last = static_cast<int64_t>(b->base_sequence()) + b->last_offset_delta();
        p.producers.on_append({b->producer_id(), b->producer_epoch(), b->base_sequence(),
                               static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last)},
                              b->base_offset(), b->last_offset());
      }
      next = b->last_offset() + 1;
      rest = rest.subspan(b->size_bytes());
    }
    if (next <= offset) break;  // no progress: stop rather than loop
    offset = next;
  }
}

boost::asio::awaitable<int64_t> broker::allocate_producer_id() {
  if (next_producer_id_ >= producer_id_block_end_) {
    auto block = co_await controller_.allocate_producer_ids();
    if (!block.error.ok() || block.count <= 0) {
      spdlog::warn("no producer-id block from the controller: {}", block.error.message);
      co_return -1;
    }
    // Another request may have fetched a block while we waited: the later block simply replaces it.
    next_producer_id_ = block.first_producer_id;
    producer_id_block_end_ = block.first_producer_id + block.count;
  }
  co_return next_producer_id_++;
}

const std::string& broker::cluster_id() const noexcept { return controller_.image().cluster_id(); }
const cluster::metadata_image& broker::image() const noexcept { return controller_.image(); }

config_map broker::topic_configs(const std::string& name) const {
  const auto* c = image().configs(cluster::resource_type::topic, name);
  return c ? *c : config_map{};
}

void broker::start_metadata() {
  start_isr_checks();
  controller_.on_image([this](const cluster::metadata_image& before, const cluster::metadata_image& after) {
    on_metadata(before, after);
  });
  on_metadata(cluster::metadata_image{}, controller_.image());
}

void broker::remove_stray_logs() {
  const auto& img = image();
  for (const auto& tp : logs_.list()) {
    const auto* t = img.topic(tp.topic);
    const cluster::partition_state* p = nullptr;
    if (t != nullptr) {
      auto it = t->partitions.find(tp.partition);
      if (it != t->partitions.end()) p = &it->second;
    }
    if (p != nullptr && std::find(p->replicas.begin(), p->replicas.end(), config_.node_id) != p->replicas.end()) {
      continue;
    }
    spdlog::warn("[{}-{}] not assigned to this broker in the metadata log (deleted while it was down?): removing",
                 tp.topic, tp.partition);
    if (auto ec = logs_.remove(tp.topic, tp.partition))
      spdlog::warn("[{}-{}] could not remove the log: {}", tp.topic, tp.partition, ec.message());
  }
}

void broker::apply_topic_configs(const std::string& name, const config_map& overrides) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return;
  const auto log_cfg = effective_log_config(config_, overrides);
  for (auto& p : it->second.partitions)
    if (p) p->log->set_config(log_cfg);
  it->second.max_message_bytes = effective_max_message_bytes(config_, overrides);
  it->second.min_insync_replicas = effective_min_insync_replicas(config_, overrides);
}

void broker::on_metadata(const cluster::metadata_image& before, const cluster::metadata_image& after) {
  const int32_t self = config_.node_id;
  const auto changes = cluster::local_changes(before, after, self);
  for (const auto& ch : changes) {
    using kind = cluster::local_replica_change::kind;
    if (ch.what == kind::remove) {
      fetchers_->unfollow(ch.topic, ch.partition);  // a follower must not append to a log being deleted
      auto it = topics_.find(ch.topic);
      if (it != topics_.end() && static_cast<size_t>(ch.partition) < it->second.partitions.size()) {
        auto& slot = it->second.partitions[static_cast<size_t>(ch.partition)];
        if (slot) {
          slot->is_leader = false;  // produce requests waiting on it answer NOT_LEADER_OR_FOLLOWER
          slot->leader_state.reset();
        }
        slot.reset();
        notify_append();
      }
      // The directory is renamed now and deleted by the log manager's background thread (off the hot path).
      if (auto ec = logs_.remove(ch.topic, ch.partition)) {
        spdlog::warn("[{}-{}] could not remove the log: {}", ch.topic, ch.partition, ec.message());
      }
      if (it != topics_.end() &&
          std::none_of(it->second.partitions.begin(), it->second.partitions.end(), [](auto& p) { return !!p; })) {
        topics_.erase(it);
        spdlog::info("deleted topic {}", ch.topic);
      }
      continue;
    }
    topic& t = topics_[ch.topic];
    t.name = ch.topic;
    const auto* tp = after.topic(ch.topic);
    const size_t count = tp ? tp->partitions.size() : 0;
    if (t.partitions.size() < count) t.partitions.resize(count);
    auto& slot = t.partitions[static_cast<size_t>(ch.partition)];
    if (!slot) {
      const config_map overrides = topic_configs(ch.topic);
      auto log = logs_.get_or_create(ch.topic, ch.partition, effective_log_config(config_, overrides));
      if (!log) {
        spdlog::error("[{}-{}] cannot create the log: {}", ch.topic, ch.partition, log.error().message());
        continue;
      }
      auto p = std::make_shared<partition>();
      p->topic = ch.topic;
      p->index = ch.partition;
      p->log = std::move(*log);
      rebuild_producer_state(*p);
      slot = std::move(p);
      t.max_message_bytes = effective_max_message_bytes(config_, overrides);
      t.min_insync_replicas = effective_min_insync_replicas(config_, overrides);
    }
    slot->topic_id = ch.topic_id;
    spdlog::info("[{}-{}] {} at leader epoch {} (leader {}, isr {})", ch.topic, ch.partition,
                 ch.what == kind::become_leader ? "leader" : "follower", ch.state.leader_epoch, ch.state.leader,
                 fmt::join(ch.state.isr, ","));
    update_replication(slot, ch.state, true);
  }
  // ISR changes of partitions led here (local_changes reports only leadership changes).
  if (before.topics_identity() != after.topics_identity()) {
    for (auto& [name, t] : topics_) {
      for (auto& p : t.partitions) {
        if (!p || !p->leader_state) continue;
        const auto* s = after.partition(p->topic_id, p->index);
        if (s != nullptr && s->leader == self && s->leader_epoch == p->leader_epoch &&
            s->partition_epoch > p->leader_state->state().partition_epoch)
          update_replication(p, *s, false);
      }
    }
  }
  // Topic configs: re-apply where the explicit set changed.
  if (before.configs_identity() != after.configs_identity()) {
    for (auto& [name, t] : topics_) {
      const auto* a = after.configs(cluster::resource_type::topic, name);
      const auto* b = before.configs(cluster::resource_type::topic, name);
      if ((a == nullptr) != (b == nullptr) || (a && *a != *b)) apply_topic_configs(name, a ? *a : config_map{});
    }
  }
  // The group coordinator follows the leadership of __consumer_offsets partitions (before start_groups, the
  // partitions led at that point are loaded by it).
  if (!groups_started_) return;
  for (const auto& ch : changes) {
    if (ch.topic != group::offsets_topic) continue;
    if (ch.what == cluster::local_replica_change::kind::become_leader)
      groups_->become_leader(ch.partition, ch.state.leader_epoch);
    else
      groups_->resign(ch.partition);  // become_follower, remove
  }
}

const topic* broker::find_topic(const std::string& name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

std::shared_ptr<partition> broker::find_partition(const std::string& topic_name, int32_t index) const {
  const topic* t = find_topic(topic_name);
  if (t == nullptr || index < 0 || static_cast<size_t>(index) >= t->partitions.size()) return nullptr;
  return t->partitions[static_cast<size_t>(index)];
}

bool broker::partition_exists(const std::string& topic_name, int32_t index) const {
  const auto* t = image().topic(topic_name);
  return t != nullptr && t->partitions.count(index) > 0;
}

std::shared_ptr<partition> broker::leader_partition(const std::string& topic_name, int32_t index,
                                                    int16_t& error) const {
  auto p = find_partition(topic_name, index);
  // A broker whose controller session may have expired no longer serves as leader (see broker_lease_valid).
  if (p && p->is_leader && controller_.broker_lease_valid()) return p;
  const auto* t = image().topic(topic_name);
  error = (t != nullptr && t->partitions.count(index)) ? kafka_error::not_leader_or_follower
                                                       : kafka_error::unknown_topic_or_partition;
  return nullptr;
}

boost::asio::awaitable<std::vector<cluster::create_topic_result>> broker::create_topics(
    std::vector<cluster::create_topic_request> reqs) {
  std::vector<cluster::create_topic_result> out;
  if (controller_.is_active()) {
    cluster::command<std::vector<cluster::create_topic_result>> r_cmd = [reqs](cluster::controller& c, const cluster::metadata_image& img) { return c.create_topics(img, reqs); };
    auto r = co_await controller_.execute(std::move(r_cmd));
    if (r.error == cluster::command_error::none) co_return r.response;
  } else {
    // Forward a CreateTopics v4 request (the fields we need, header v1) to the active controller.
    protocol::CreateTopicsRequest req;
    req.timeout_ms = 30000;
    for (const auto& q : reqs) {
      auto& t = req.topics.emplace_back();
      t.name = q.name;
      t.num_partitions = q.num_partitions;
      t.replication_factor = q.replication_factor;
      for (const auto& [k, v] : q.configs) {
        auto& c = t.configs.emplace_back();
        c.name = k;
        c.value = v;
      }
    }
    protocol::request_header h;
    h.api_key = protocol::CreateTopicsRequest::api_key;
    h.api_version = 4;
    h.client_id = "samsad-" + std::to_string(config_.node_id);
    auto frame = protocol::encode_request_frame(h, req);
    frame.erase(frame.begin(), frame.begin() + protocol::frame_size_prefix);
    auto resp_frame = co_await forward_to_controller(frame);
    if (resp_frame && resp_frame->size() >= protocol::frame_size_prefix + 4) {
      std::span<const uint8_t> body(resp_frame->data() + protocol::frame_size_prefix + 4,
                                    resp_frame->size() - protocol::frame_size_prefix - 4);
      if (auto resp = protocol::decode_message<protocol::CreateTopicsResponse>(body, 4)) {
        for (const auto& t : resp->topics) {
          auto& r = out.emplace_back();
          r.name = t.name;
          r.error = {t.error_code, t.error_message.value_or("")};
        }
        co_return out;
      }
    }
  }
  for (const auto& q : reqs) out.push_back({q.name, {kafka_error::not_controller, "no active controller"}});
  co_return out;
}

namespace {
boost::asio::awaitable<void> create_in_background(broker& b, cluster::create_topic_request req) {
  std::vector<cluster::create_topic_request> reqs;
  reqs.push_back(std::move(req));
  auto r = co_await b.create_topics(std::move(reqs));
  for (const auto& t : r) {
    if (!t.error.ok() && t.error.code != kafka_error::topic_already_exists) {
      spdlog::warn("creating topic {} failed: {}", t.name, t.error.message);
    }
  }
}
}  // namespace

boost::asio::awaitable<void> broker::ensure_offsets_topic() {
  if (image().topic(group::offsets_topic) != nullptr) co_return;
  std::vector<cluster::create_topic_request> reqs;
  reqs.push_back(offsets_topic_request(config_, image()));
  auto r = co_await create_topics(std::move(reqs));
  for (const auto& t : r) {
    if (!t.error.ok() && t.error.code != kafka_error::topic_already_exists)
      spdlog::warn("creating {} failed: {}", t.name, t.error.message);
  }
}

void broker::request_topic_creation(cluster::create_topic_request req) {
  boost::asio::co_spawn(ex_, create_in_background(*this, std::move(req)), boost::asio::detached);
}

boost::asio::awaitable<std::optional<std::vector<uint8_t>>> broker::forward_to_controller(
    const std::vector<uint8_t>& frame) {
  auto r = co_await controller_.forward(std::string(frame.begin(), frame.end()));
  if (!r) co_return std::nullopt;
  co_return std::vector<uint8_t>(r->begin(), r->end());
}

void broker::start_groups() {
  groups_started_ = true;
  // The __consumer_offsets partitions this broker leads now: load them (later changes come through on_metadata).
  if (const topic* t = find_topic(group::offsets_topic)) {
    for (const auto& p : t->partitions)
      if (p && p->is_leader) groups_->become_leader(p->index, p->leader_epoch);
  }
  groups_timer_ = std::make_unique<boost::asio::steady_timer>(ex_);
  boost::asio::co_spawn(ex_, group_ticker(*groups_, *groups_timer_), boost::asio::detached);
}

void broker::close() {
  if (groups_timer_) groups_timer_->cancel();
  if (isr_timer_) isr_timer_->cancel();
  if (fetchers_) fetchers_->stop();
}

void broker::unpark_fetch(boost::asio::steady_timer* t) {
  fetch_waiters_.erase(std::remove(fetch_waiters_.begin(), fetch_waiters_.end(), t), fetch_waiters_.end());
}

void broker::notify_append() {
  for (auto* t : fetch_waiters_) t->cancel();
}

}  // namespace samsa::server
