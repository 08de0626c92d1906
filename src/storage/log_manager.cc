#include "samsa/storage/log_manager.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "samsa/storage/file.h"

namespace samsa::storage {

namespace fs = std::filesystem;

namespace {
int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
bool parse_tp(const std::string& name, topic_partition& out) {
  auto dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) return false;
  int32_t p = 0;
  auto [ptr, ec] = std::from_chars(name.data() + dash + 1, name.data() + name.size(), p);
  if (ec != std::errc() || ptr != name.data() + name.size() || p < 0) return false;
  out.topic = name.substr(0, dash);
  out.partition = p;
  return true;
}
bool valid_topic(const std::string& t) {
  if (t.empty() || t.size() > 249 || t == "." || t == "..") return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}
}  // namespace

log_manager::log_manager(std::vector<fs::path> dirs, log_config defaults, manager_options opts)
    : dirs_(std::move(dirs)),
      defaults_(defaults),
      opts_(std::move(opts)),
      clock_(opts_.clock ? opts_.clock : std::function<int64_t()>(system_now_ms)),
      scheduler_(std::make_shared<flush_scheduler>(opts_.flusher_threads)),
      files_(std::make_shared<file_cache>(opts_.max_open_segment_files)) {
  deleter_ = std::thread([this] { deleter_loop(); });
}

result<std::unique_ptr<log_manager>> log_manager::open(std::vector<fs::path> log_dirs, log_config defaults,
                                                       manager_options opts) {
  if (log_dirs.empty()) return make_error_code(errc::invalid_argument);
  for (const auto& d : log_dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) {
      spdlog::error("storage: cannot create log dir {}: {}", d.string(), ec.message());
      return make_error_code(errc::io_error);
    }
  }
  std::unique_ptr<log_manager> m(new log_manager(std::move(log_dirs), defaults, std::move(opts)));
  if (auto ec = m->load_all()) return ec;
  return m;
}

std::error_code log_manager::load_all() {
  struct job {
    topic_partition tp;
    fs::path dir;
  };
  std::vector<job> jobs;
  std::map<topic_partition, fs::path> seen;
  for (const auto& d : dirs_) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      if (!e.is_directory()) continue;
      std::string name = e.path().filename().string();
      if (name.size() > 7 && name.ends_with("-delete")) {
        enqueue_delete(e.path());
        continue;
      }
      topic_partition tp;
      if (!parse_tp(name, tp)) continue;
      if (seen.count(tp)) {
        spdlog::critical("storage: partition {} found in both {} and {}", name, seen[tp].string(), e.path().string());
        return make_error_code(errc::corrupt);
      }
      seen[tp] = e.path();
      jobs.push_back({tp, e.path()});
    }
    if (ec) return make_error_code(errc::io_error);
  }
  size_t threads = opts_.recovery_threads ? opts_.recovery_threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, std::max<size_t>(jobs.size(), 1));
  std::vector<result<std::unique_ptr<partition_log>>> results;
  results.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) results.emplace_back(make_error_code(errc::closed));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      log_config c = opts_.config_for ? opts_.config_for(jobs[i].tp.topic) : defaults_;
      results[i] = partition_log::open(jobs[i].dir, c, open_options{scheduler_, clock_, files_});
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  std::error_code first;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!results[i]) {
      spdlog::critical("storage: failed to load {}: {}", jobs[i].dir.string(), results[i].error().message());
      if (!first) first = results[i].error();
      continue;
    }
    logs_[jobs[i].tp] = std::shared_ptr<partition_log>(std::move(*results[i]));
    dir_of_[jobs[i].tp] = jobs[i].dir;
  }
  if (first) return first;
  spdlog::info("storage: loaded {} partition(s) from {} log dir(s) with {} thread(s)", logs_.size(), dirs_.size(),
               threads);
  return {};
}

log_manager::~log_manager() {
  stop();
  close();
  {
    std::lock_guard lk(del_mu_);
    del_stop_ = true;
  }
  del_cv_.notify_all();
  deleter_.join();
}

std::shared_ptr<partition_log> log_manager::get(const std::string& topic, partition_index partition) const {
  std::lock_guard lk(mu_);
  auto it = logs_.find({topic, partition});
  return it == logs_.end() ? nullptr : it->second;
}

result<std::shared_ptr<partition_log>> log_manager::get_or_create(const std::string& topic, partition_index partition,
                                                                  const log_config& config) {
  if (!valid_topic(topic) || partition < 0) return make_error_code(errc::invalid_argument);
  std::lock_guard lk(mu_);
  topic_partition tp{topic, partition};
  if (auto it = logs_.find(tp); it != logs_.end()) return it->second;
  // The data directory with the fewest partitions.
  std::vector<size_t> counts(dirs_.size(), 0);
  for (const auto& [k, d] : dir_of_)
    for (size_t i = 0; i < dirs_.size(); ++i)
      if (d.parent_path() == dirs_[i]) ++counts[i];
  size_t best = static_cast<size_t>(std::min_element(counts.begin(), counts.end()) - counts.begin());
  fs::path dir = dirs_[best] / fmt::format("{}-{}", topic, partition);
  auto log = partition_log::open(dir, config, open_options{scheduler_, clock_, files_});
  if (!log) return log.error();
  if (auto ec = fsync_dir(dirs_[best])) return ec;
  std::shared_ptr<partition_log> p(std::move(*log));
  logs_[tp] = p;
  dir_of_[tp] = dir;
  spdlog::info("storage: created log {} in {}", dir.filename().string(), dirs_[best].string());
  return p;
}

std::error_code log_manager::remove(const std::string& topic, partition_index partition) {
  std::shared_ptr<partition_log> log;
  fs::path dir;
  {
    std::lock_guard lk(mu_);
    topic_partition tp{topic, partition};
    auto it = logs_.find(tp);
    if (it == logs_.end()) return make_error_code(errc::not_found);
    log = std::move(it->second);
    logs_.erase(it);
    dir = dir_of_[tp];
    dir_of_.erase(tp);
  }
  log->abandon();
  std::mt19937_64 rng(std::random_device{}());
  fs::path doomed = dir;
  doomed += fmt::format(".{:016x}-delete", rng());
  std::error_code ec;
  fs::rename(dir, doomed, ec);
  if (ec) {
    spdlog::error("storage: cannot rename {} for deletion: {}", dir.string(), ec.message());
    return make_error_code(errc::io_error);
  }
  if (auto e = fsync_dir(dir.parent_path())) spdlog::warn("storage: fsync {} failed: {}", dir.parent_path().string(), e.message());
  spdlog::info("storage: removed {}; deleting {} in the background", log->name(), doomed.filename().string());
  enqueue_delete(std::move(doomed));
  return {};
}

void log_manager::enqueue_delete(fs::path p) {
  {
    std::lock_guard lk(del_mu_);
    del_q_.push_back(std::move(p));
    ++del_pending_;
  }
  del_cv_.notify_all();
}

void log_manager::deleter_loop() {
  for (;;) {
    fs::path p;
    {
      std::unique_lock lk(del_mu_);
      del_cv_.wait(lk, [&] { return del_stop_ || !del_q_.empty(); });
      if (del_q_.empty()) return;
      p = std::move(del_q_.front());
      del_q_.pop_front();
    }
    std::error_code ec;
    fs::remove_all(p, ec);
    if (ec) spdlog::error("storage: deleting {} failed: {}", p.string(), ec.message());
    {
      std::lock_guard lk(del_mu_);
      --del_pending_;
    }
    del_cv_.notify_all();
  }
}

void log_manager::wait_for_deletions() {
  std::unique_lock lk(del_mu_);
  del_cv_.wait(lk, [&] { return del_pending_ == 0; });
}

std::vector<topic_partition> log_manager::list() const {
  std::lock_guard lk(mu_);
  std::vector<topic_partition> out;
  for (const auto& [tp, l] : logs_) out.push_back(tp);
  return out;
}

std::vector<std::shared_ptr<partition_log>> log_manager::logs() const {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<partition_log>> out;
  for (const auto& [tp, l] : logs_) out.push_back(l);
  return out;
}

void log_manager::flush_check(int64_t now_ms) {
  for (const auto& l : logs()) l->maybe_flush(now_ms);
}

size_t log_manager::retention_pass(int64_t now_ms) {
  size_t n = 0;
  for (const auto& l : logs()) {
    auto c = l->config();
    if (c.compact) {
      auto r = l->compact(now_ms);
      if (!r) spdlog::error("[{}] compaction failed: {}", l->name(), r.error().message());
    }
    n += l->apply_retention(now_ms);
  }
  return n;
}

void log_manager::start() {
  std::lock_guard lk(bg_mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  auto loop = [this](int64_t interval, auto fn) {
    std::unique_lock lk(bg_mu_);
    while (!stopping_) {
      bg_cv_.wait_for(lk, std::chrono::milliseconds(std::max<int64_t>(interval, 1)), [&] { return stopping_; });
      if (stopping_) break;
      lk.unlock();
      fn();
      lk.lock();
    }
  };
  flusher_ = std::thread([this, loop] { loop(opts_.flush_check_interval_ms, [this] { flush_check(now()); }); });
  retention_ = std::thread([this, loop] { loop(opts_.retention_check_interval_ms, [this] { retention_pass(now()); }); });
}

void log_manager::stop() {
  {
    std::lock_guard lk(bg_mu_);
    if (!running_) return;
    stopping_ = true;
  }
  bg_cv_.notify_all();
  flusher_.join();
  retention_.join();
  std::lock_guard lk(bg_mu_);
  running_ = false;
}

std::error_code log_manager::close() {
  std::error_code first;
  for (const auto& l : logs())
    if (auto ec = l->close(); ec && !first) first = ec;
  return first;
}

}  // namespace samsa::storage
