#include "samsa/server/broker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "samsa/server/kafka_error.h"
#include "samsa/storage/partition_log.h"

namespace samsa::server {

namespace fs = std::filesystem;

bool valid_topic_name(const std::string& name) noexcept {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

broker::broker(boost::asio::any_io_executor ex, broker_config config, std::string cluster_id)
    : ex_(std::move(ex)), config_(std::move(config)), cluster_id_(std::move(cluster_id)) {}

broker::~broker() { close(); }

const endpoint& broker::advertised() const noexcept {
  return config_.advertised_listeners.empty() ? config_.listeners.front() : config_.advertised_listeners.front();
}

namespace {

// "<topic>-<partition>" → (topic, partition); topic names may themselves contain '-'.
bool parse_partition_dir(const std::string& dir, std::string& topic, int32_t& partition) {
  const auto dash = dir.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == dir.size()) return false;
  const char* first = dir.data() + dash + 1;
  const char* last = dir.data() + dir.size();
  auto [p, ec] = std::from_chars(first, last, partition);
  if (ec != std::errc() || p != last || partition < 0) return false;
  topic = dir.substr(0, dash);
  return valid_topic_name(topic);
}

}  // namespace

std::error_code broker::load_topics() {
  const fs::path root = config_.log_dirs.front();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return ec;
  std::map<std::string, std::map<int32_t, std::shared_ptr<partition>>> found;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    std::string topic_name;
    int32_t index = 0;
    if (!parse_partition_dir(entry.path().filename().string(), topic_name, index)) continue;
    auto log = storage::partition_log::open(entry.path(), config_.log_defaults);
    if (!log) {
      spdlog::error("[{}] cannot open log: {}", entry.path().string(), log.error().message());
      return log.error();
    }
    auto p = std::make_shared<partition>();
    p->topic = topic_name;
    p->index = index;
    p->log = std::shared_ptr<storage::partition_log>(std::move(*log));
    found[topic_name][index] = p;
  }
  if (ec) return ec;
  for (auto& [name, parts] : found) {
    topic t{name, {}};
    // Partitions are dense 0..n-1; a gap means a half-finished creation, so the topic ends before it.
    for (int32_t i = 0; parts.count(i); ++i) t.partitions.push_back(parts[i]);
    spdlog::info("loaded topic {} with {} partition(s)", name, t.partitions.size());
    topics_[name] = std::move(t);
  }
  return {};
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

int16_t broker::create_topic(const std::string& name, int32_t partitions, bool validate_only) {
  if (!valid_topic_name(name)) return kafka_error::invalid_topic_exception;
  if (topics_.count(name)) return kafka_error::topic_already_exists;
  if (partitions <= 0) return kafka_error::invalid_partitions;
  if (validate_only) return kafka_error::none;
  topics_[name] = topic{name, {}};
  const int16_t err = add_partitions(name, partitions);
  if (err != kafka_error::none) topics_.erase(name);
  else spdlog::info("created topic {} with {} partition(s)", name, partitions);
  return err;
}

int16_t broker::add_partitions(const std::string& name, int32_t new_total) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return kafka_error::unknown_topic_or_partition;
  auto& t = it->second;
  if (new_total <= static_cast<int32_t>(t.partitions.size())) return kafka_error::invalid_partitions;
  for (int32_t i = static_cast<int32_t>(t.partitions.size()); i < new_total; ++i) {
    const fs::path dir = config_.log_dirs.front() / (name + "-" + std::to_string(i));
    auto log = storage::partition_log::open(dir, config_.log_defaults);
    if (!log) {
      spdlog::error("[{}-{}] cannot create log: {}", name, i, log.error().message());
      return kafka_error::kafka_storage_error;
    }
    auto p = std::make_shared<partition>();
    p->topic = name;
    p->index = i;
    p->log = std::shared_ptr<storage::partition_log>(std::move(*log));
    t.partitions.push_back(std::move(p));
  }
  return kafka_error::none;
}

int16_t broker::delete_topic(const std::string& name) {
  if (!config_.delete_topic_enable) return kafka_error::topic_deletion_disabled;
  auto it = topics_.find(name);
  if (it == topics_.end()) return kafka_error::unknown_topic_or_partition;
  for (auto& p : it->second.partitions) {
    const fs::path dir = p->log->dir();
    p->log->abandon();
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) spdlog::warn("[{}-{}] could not remove {}: {}", name, p->index, dir.string(), ec.message());
  }
  topics_.erase(it);
  spdlog::info("deleted topic {}", name);
  return kafka_error::none;
}

void broker::housekeeping(int64_t now_ms) {
  for (auto& [name, t] : topics_) {
    for (auto& p : t.partitions) {
      p->log->maybe_flush(now_ms);
      p->log->apply_retention(now_ms);
    }
  }
}

void broker::close() {
  for (auto& [name, t] : topics_)
    for (auto& p : t.partitions) p->log->close();
}

void broker::unpark_fetch(boost::asio::steady_timer* t) {
  fetch_waiters_.erase(std::remove(fetch_waiters_.begin(), fetch_waiters_.end(), t), fetch_waiters_.end());
}

void broker::notify_append() {
  for (auto* t : fetch_waiters_) t->cancel();
}

}  // namespace samsa::server
