#include "samsa/storage/file_cache.h"

namespace samsa::storage {

// ---------------------------------------------------------------------------------------------------------------
// file_cache
// ---------------------------------------------------------------------------------------------------------------

std::shared_ptr<file_cache> file_cache::default_instance() {
  static std::shared_ptr<file_cache> c = std::make_shared<file_cache>(0);
  return c;
}

size_t file_cache::max_open() const {
  std::lock_guard lk(mu_);
  return max_;
}

void file_cache::set_max_open(size_t n) {
  std::vector<std::shared_ptr<segment_file>> victims;  // declared first: destroyed (closed) after mu_ is released
  std::lock_guard lk(mu_);
  max_ = n;
  evict_locked(victims);
}

size_t file_cache::open_count() const {
  std::lock_guard lk(mu_);
  return open_;
}

size_t file_cache::pinned_count() const {
  std::lock_guard lk(mu_);
  return pinned_;
}

void file_cache::ring_add_locked(cached_file* e) {
  // Just behind the hand: the last place the CLOCK will look at.
  e->pos_ = ring_.insert(hand_, e);
  e->in_ring_ = true;
  e->referenced_.store(true, std::memory_order_relaxed);
}

void file_cache::ring_remove_locked(cached_file* e) {
  if (!e->in_ring_) return;
  if (hand_ == e->pos_) {
    hand_ = ring_.erase(e->pos_);
  } else {
    ring_.erase(e->pos_);
  }
  e->in_ring_ = false;
}

void file_cache::evict_locked(std::vector<std::shared_ptr<segment_file>>& out) {
  if (max_ == 0) return;
  while (open_ > max_ && !ring_.empty()) {
    if (hand_ == ring_.end()) hand_ = ring_.begin();
    cached_file* e = *hand_;
    if (e->referenced_.exchange(false, std::memory_order_relaxed)) {
      ++hand_;
      continue;
    }
    hand_ = ring_.erase(hand_);
    e->in_ring_ = false;
    {
      std::lock_guard el(e->mu_);
      out.push_back(std::move(e->file_));
      e->file_.reset();
    }
    --open_;
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// cached_file
// ---------------------------------------------------------------------------------------------------------------

cached_file::cached_file(std::shared_ptr<file_cache> cache, std::filesystem::path path)
    : cache_(cache ? std::move(cache) : file_cache::default_instance()), path_(std::move(path)) {}

cached_file::~cached_file() {
  std::shared_ptr<segment_file> f;  // closed after the locks are released
  std::lock_guard lk(cache_->mu_);
  cache_->ring_remove_locked(this);
  std::lock_guard el(mu_);
  if (file_) {
    --cache_->open_;
    if (pinned_) --cache_->pinned_;
    f = std::move(file_);
  }
}

result<std::shared_ptr<segment_file>> cached_file::get() const {
  std::filesystem::path p;
  {
    std::lock_guard el(mu_);
    if (file_) {
      if (!referenced_.load(std::memory_order_relaxed)) referenced_.store(true, std::memory_order_relaxed);
      return file_;
    }
    p = path_;
  }
  auto opened = segment_file::open(p, false);
  if (!opened) return opened.error();
  cache_->opens_.fetch_add(1, std::memory_order_relaxed);
  return adopt(std::move(*opened));
}

std::shared_ptr<segment_file> cached_file::adopt(std::shared_ptr<segment_file> f) const {
  std::vector<std::shared_ptr<segment_file>> victims;  // destroyed last: closes outside the locks
  std::shared_ptr<segment_file> spare;
  std::shared_ptr<segment_file> out;
  {
    std::lock_guard lk(cache_->mu_);
    {
      std::lock_guard el(mu_);
      if (file_) {
        spare = std::move(f);  // someone else opened it meanwhile
        out = file_;
      } else {
        file_ = std::move(f);
        out = file_;
        ++cache_->open_;
        if (pinned_) {
          ++cache_->pinned_;
        }
      }
    }
    if (!spare) {
      if (!pinned_) cache_->ring_add_locked(const_cast<cached_file*>(this));
      cache_->evict_locked(victims);
    }
  }
  return out;
}

void cached_file::install(std::shared_ptr<segment_file> f) {
  std::shared_ptr<segment_file> old;
  {
    std::lock_guard lk(cache_->mu_);
    std::lock_guard el(mu_);
    if (file_) {
      old = std::move(file_);
      file_ = std::move(f);
      return;
    }
  }
  adopt(std::move(f));
}

void cached_file::set_pinned(bool pinned) {
  std::vector<std::shared_ptr<segment_file>> victims;  // closed after the locks are released
  std::lock_guard lk(cache_->mu_);
  if (pinned_ == pinned) return;
  pinned_ = pinned;
  bool open;
  {
    std::lock_guard el(mu_);
    open = static_cast<bool>(file_);
  }
  if (!open) return;  // a pinned file not open yet stays open from its next get() on
  if (pinned) {
    cache_->ring_remove_locked(this);
    ++cache_->pinned_;
  } else {
    --cache_->pinned_;
    cache_->ring_add_locked(this);
    cache_->evict_locked(victims);
  }
}

bool cached_file::pinned() const {
  std::lock_guard lk(cache_->mu_);
  return pinned_;
}

bool cached_file::is_open() const {
  std::lock_guard el(mu_);
  return static_cast<bool>(file_);
}

void cached_file::close() {
  std::shared_ptr<segment_file> f;
  std::lock_guard lk(cache_->mu_);
  cache_->ring_remove_locked(this);
  std::lock_guard el(mu_);
  if (!file_) return;
  --cache_->open_;
  if (pinned_) --cache_->pinned_;
  f = std::move(file_);
  file_.reset();
}

void cached_file::set_path(std::filesystem::path p) {
  std::lock_guard el(mu_);
  path_ = std::move(p);
  if (file_) file_->set_path(path_);
}

std::filesystem::path cached_file::path() const {
  std::lock_guard el(mu_);
  return path_;
}

}  // namespace samsa::storage
