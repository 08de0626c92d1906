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

#include "samsa/records/record_batch.h"
#include "samsa/server/kafka_error.h"
#include "samsa/group/coordinator.h"
#include "samsa/group/offsets_format.h"
#include "samsa/storage/file.h"
#include "samsa/storage/log_manager.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {

namespace fs = std::filesystem;

namespace {

// The group coordinator's view of __consumer_offsets.
class offsets_backend_impl : public group::offsets_backend {
 public:
  explicit offsets_backend_impl(broker& b) : b_(b) {}
  std::vector<std::shared_ptr<storage::partition_log>> offsets_partitions() override {
    std::vector<std::shared_ptr<storage::partition_log>> out;
    if (const topic* t = b_.find_topic(group::offsets_topic))
      for (const auto& p : t->partitions) out.push_back(p->log);
    return out;
  }
  bool create_offsets_topic(int32_t partitions) override {
    // Compacted like Kafka's: only the latest commit per (group, topic, partition) key needs keeping.
    return b_.create_topic(group::offsets_topic, partitions, false, {{"cleanup.policy", "compact"}}) ==
           kafka_error::none;
  }
  void post(std::function<void()> fn) override { boost::asio::post(b_.executor(), std::move(fn)); }

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

broker::broker(boost::asio::any_io_executor ex, broker_config config, std::string cluster_id,
               storage::log_manager& logs)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      cluster_id_(std::move(cluster_id)),
      logs_(logs),
      configs_(config_.log_dirs.front() / "topic-configs") {
  groups_backend_ = std::make_unique<offsets_backend_impl>(*this);
  groups_ = std::make_unique<group::coordinator>(config_.group, *groups_backend_);
}

broker::~broker() { close(); }

const endpoint& broker::advertised() const noexcept {
  return config_.advertised_listeners.empty() ? config_.listeners.front() : config_.advertised_listeners.front();
}

namespace {

// Replays the batch headers of the whole log into the partition's producer state.
void rebuild_producer_state(partition& p) {
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

}  // namespace

int64_t broker::allocate_producer_id() {
  if (next_producer_id_ >= producer_id_block_end_) {
    const fs::path file = config_.log_dirs.front() / "producer-id-block";
    if (producer_id_block_end_ == 0) {
      auto text = storage::read_small_file(file);
      if (text) producer_id_block_end_ = std::strtoll(text->c_str(), nullptr, 10);
      next_producer_id_ = producer_id_block_end_;
    }
    constexpr int64_t block = 1000;
    if (auto ec = storage::write_file_atomic(file, std::to_string(next_producer_id_ + block) + "\n")) {
      spdlog::error("cannot reserve producer ids in {}: {}", file.string(), ec.message());
      return -1;
    }
    producer_id_block_end_ = next_producer_id_ + block;
  }
  return next_producer_id_++;
}

void broker::load_topics() {
  if (auto ec = configs_.load()) spdlog::error("cannot read topic configs: {}", ec.message());
  std::map<std::string, std::map<int32_t, std::shared_ptr<partition>>> found;
  for (const auto& tp : logs_.list()) {
    auto p = std::make_shared<partition>();
    p->topic = tp.topic;
    p->index = tp.partition;
    p->log = logs_.get(tp.topic, tp.partition);
    if (p->log) found[tp.topic][tp.partition] = p;
  }
  for (auto& [name, parts] : found) {
    topic t{name, {}};
    const auto& overrides = configs_.get(name);
    t.max_message_bytes = effective_max_message_bytes(config_, overrides);
    const auto log_cfg = effective_log_config(config_, overrides);
    // Partitions are dense 0..n-1; a gap means a half-finished creation, so the topic ends before it.
    for (int32_t i = 0; parts.count(i); ++i) {
      if (!overrides.empty()) parts[i]->log->set_config(log_cfg);
      rebuild_producer_state(*parts[i]);
      t.partitions.push_back(parts[i]);
    }
    spdlog::info("loaded topic {} with {} partition(s)", name, t.partitions.size());
    topics_[name] = std::move(t);
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

int16_t broker::create_topic(const std::string& name, int32_t partitions, bool validate_only,
                             const config_map& configs, std::string* error_message) {
  if (!valid_topic_name(name)) return kafka_error::invalid_topic_exception;
  if (topics_.count(name)) return kafka_error::topic_already_exists;
  if (partitions <= 0) return kafka_error::invalid_partitions;
  for (const auto& [k, v] : configs) {
    if (auto err = validate_topic_config(k, v)) {
      if (error_message) *error_message = *err;
      return kafka_error::invalid_config;
    }
  }
  if (validate_only) return kafka_error::none;
  // Overrides are durable before any partition exists, so a crash never leaves a topic with lost configs.
  if (!configs.empty()) {
    if (auto ec = configs_.set(name, configs)) {
      if (error_message) *error_message = "cannot store topic configs: " + ec.message();
      return kafka_error::kafka_storage_error;
    }
  }
  topics_[name] = topic{name, {}, effective_max_message_bytes(config_, configs)};
  const int16_t err = add_partitions(name, partitions);
  if (err != kafka_error::none) {
    topics_.erase(name);
    configs_.remove(name);
  }
  else spdlog::info("created topic {} with {} partition(s)", name, partitions);
  return err;
}

int16_t broker::add_partitions(const std::string& name, int32_t new_total) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return kafka_error::unknown_topic_or_partition;
  auto& t = it->second;
  if (new_total <= static_cast<int32_t>(t.partitions.size())) return kafka_error::invalid_partitions;
  for (int32_t i = static_cast<int32_t>(t.partitions.size()); i < new_total; ++i) {
    auto log = logs_.get_or_create(name, i, effective_log_config(config_, configs_.get(name)));
    if (!log) {
      spdlog::error("[{}-{}] cannot create log: {}", name, i, log.error().message());
      return kafka_error::kafka_storage_error;
    }
    auto p = std::make_shared<partition>();
    p->topic = name;
    p->index = i;
    p->log = std::move(*log);
    t.partitions.push_back(std::move(p));
  }
  return kafka_error::none;
}

int16_t broker::delete_topic(const std::string& name) {
  if (!config_.delete_topic_enable) return kafka_error::topic_deletion_disabled;
  auto it = topics_.find(name);
  if (it == topics_.end()) return kafka_error::unknown_topic_or_partition;
  for (auto& p : it->second.partitions) {
    // The directory is renamed now and deleted by the log manager's background thread (off the hot path).
    if (auto ec = logs_.remove(name, p->index))
      spdlog::warn("[{}-{}] could not remove the log: {}", name, p->index, ec.message());
  }
  topics_.erase(it);
  configs_.remove(name);
  spdlog::info("deleted topic {}", name);
  return kafka_error::none;
}

int16_t broker::set_topic_configs(const std::string& name, const config_map& overrides, bool validate_only,
                                  std::string& error_message) {
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    error_message = "topic '" + name + "' does not exist";
    return kafka_error::unknown_topic_or_partition;
  }
  for (const auto& [k, v] : overrides) {
    if (auto err = validate_topic_config(k, v)) {
      error_message = *err;
      return kafka_error::invalid_config;
    }
  }
  if (validate_only) return kafka_error::none;
  if (auto ec = configs_.set(name, overrides)) {
    error_message = "cannot store topic configs: " + ec.message();
    return kafka_error::kafka_storage_error;
  }
  const auto log_cfg = effective_log_config(config_, overrides);
  for (auto& p : it->second.partitions) p->log->set_config(log_cfg);
  it->second.max_message_bytes = effective_max_message_bytes(config_, overrides);
  spdlog::info("topic {}: configs now {}", name, overrides.size());
  return kafka_error::none;
}

void broker::start_groups() {
  groups_->start();
  groups_timer_ = std::make_unique<boost::asio::steady_timer>(ex_);
  boost::asio::co_spawn(ex_, group_ticker(*groups_, *groups_timer_), boost::asio::detached);
}

void broker::close() {
  if (groups_timer_) groups_timer_->cancel();
}

void broker::unpark_fetch(boost::asio::steady_timer* t) {
  fetch_waiters_.erase(std::remove(fetch_waiters_.begin(), fetch_waiters_.end(), t), fetch_waiters_.end());
}

void broker::notify_append() {
  for (auto* t : fetch_waiters_) t->cancel();
}

}  // namespace samsa::server
