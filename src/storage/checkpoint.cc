#include "samsa/storage/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "samsa/storage/errc.h"
#include "samsa/storage/file.h"

namespace samsa::storage {

namespace {
std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}
std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}
template <typename T>
bool parse_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

std::error_code write_offset_checkpoint(const std::filesystem::path& file, const std::string& topic,
                                        int32_t partition, int64_t offset) {
  return write_file_atomic(file, fmt::format("0\n1\n{} {} {}\n", topic, partition, offset));
}

result<std::optional<int64_t>> read_offset_checkpoint(const std::filesystem::path& file) {
  auto text = read_small_file(file);
  if (!text) {
    if (text.error() == make_error_code(errc::not_found)) return std::optional<int64_t>{};
    return text.error();
  }
  auto lines = split_lines(*text);
  int version = -1;
  size_t n = 0;
  if (lines.size() < 2 || !parse_num(lines[0], version) || version != 0 || !parse_num(lines[1], n) ||
      lines.size() < 2 + n)
    return make_error_code(errc::corrupt);
  std::optional<int64_t> out;
  for (size_t i = 0; i < n; ++i) {
    auto f = split_ws(lines[2 + i]);
    int64_t off = 0;
    if (f.size() != 3 || !parse_num(f[2], off)) return make_error_code(errc::corrupt);
    out = off;
  }
  for (size_t i = 2 + n; i < lines.size(); ++i)
    if (!lines[i].empty()) return make_error_code(errc::corrupt);
  return out;
}

std::optional<epoch_entry> leader_epoch_cache::latest() const noexcept {
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

bool leader_epoch_cache::assign(int32_t epoch, int64_t offset) {
  if (epoch < 0) return false;
  if (!entries_.empty() && entries_.back().epoch >= epoch) return false;
  bool changed = false;
  // Kafka: entries that would break offset monotonicity are removed.
  while (!entries_.empty() && entries_.back().start_offset >= offset) {
    entries_.pop_back();
    changed = true;
  }
  entries_.push_back({epoch, offset});
  (void)changed;
  return true;
}

bool leader_epoch_cache::truncate_from_end(int64_t end_offset) {
  bool changed = false;
  while (!entries_.empty() && entries_.back().start_offset >= end_offset) {
    entries_.pop_back();
    changed = true;
  }
  return changed;
}

bool leader_epoch_cache::truncate_from_start(int64_t start_offset) {
  size_t below = 0;
  while (below < entries_.size() && entries_[below].start_offset < start_offset) ++below;
  if (below == 0) return false;
  // Keep the last entry that starts below start_offset, moved up to start_offset (unless the next one already
  // starts exactly there).
  epoch_entry keep = entries_[below - 1];
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(below));
  if (entries_.empty() || entries_.front().start_offset != start_offset)
    entries_.insert(entries_.begin(), {keep.epoch, start_offset});
  return true;
}

std::pair<int32_t, int64_t> leader_epoch_cache::end_offset_for(int32_t epoch, int64_t log_end_offset) const {
  if (entries_.empty()) return {-1, -1};
  if (epoch == entries_.back().epoch) return {epoch, log_end_offset};
  // The largest epoch <= requested, ending where the next epoch starts.
  auto it = std::upper_bound(entries_.begin(), entries_.end(), epoch,
                             [](int32_t e, const epoch_entry& x) { return e < x.epoch; });
  // Below every known epoch (Kafka's answer): that epoch "ends" where the earliest known one starts, so a follower
  // asking about it truncates everything from there.
  if (it == entries_.begin()) return {epoch < 0 ? -1 : epoch, epoch < 0 ? -1 : entries_.front().start_offset};
  auto prev = std::prev(it);
  if (it == entries_.end()) return {prev->epoch, log_end_offset};
  return {prev->epoch, it->start_offset};
}

std::string leader_epoch_cache::serialize() const {
  std::string out = fmt::format("0\n{}\n", entries_.size());
  for (const auto& e : entries_) out += fmt::format("{} {}\n", e.epoch, e.start_offset);
  return out;
}

result<leader_epoch_cache> leader_epoch_cache::parse(const std::string& text) {
  auto lines = split_lines(text);
  int version = -1;
  size_t n = 0;
  if (lines.size() < 2 || !parse_num(lines[0], version) || version != 0 || !parse_num(lines[1], n) ||
      lines.size() < 2 + n)
    return make_error_code(errc::corrupt);
  leader_epoch_cache c;
  for (size_t i = 0; i < n; ++i) {
    auto f = split_ws(lines[2 + i]);
    epoch_entry e{};
    if (f.size() != 2 || !parse_num(f[0], e.epoch) || !parse_num(f[1], e.start_offset))
      return make_error_code(errc::corrupt);
    if (!c.entries_.empty() &&
        (e.epoch <= c.entries_.back().epoch || e.start_offset < c.entries_.back().start_offset))
      return make_error_code(errc::corrupt);
    c.entries_.push_back(e);
  }
  return c;
}

}  // namespace samsa::storage
