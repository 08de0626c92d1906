#include "samsa/raft/disk_log.h"

#include "samsa/base/crc32c.h"
#include "samsa/base/endian.h"
#include "samsa/raft/codec.h"
#include "samsa/storage/file.h"

namespace samsa::raft {
namespace {

namespace fs = std::filesystem;

std::string with_crc(const std::string& payload) {
  uint8_t b[4];
  be::store(b, crc32c::value(payload.data(), payload.size()));
  return std::string(reinterpret_cast<const char*>(b), 4) + payload;
}

// A small file written atomically: absent is fine (empty default), a bad CRC is corruption (it cannot be torn).
result<std::string> read_checked(const fs::path& p, bool& present) {
  auto r = storage::read_small_file(p);
  present = false;
  if (!r) return r.error() == storage::errc::not_found ? result<std::string>(std::string()) : r.error();
  present = true;
  const std::string& s = *r;
  if (s.size() < 4) return errc::corrupt;
  const std::string payload = s.substr(4);
  if (be::load<uint32_t>(reinterpret_cast<const uint8_t*>(s.data())) != crc32c::value(payload.data(), payload.size())) {
    return errc::corrupt;
  }
  return payload;
}

std::string record(const entry& e) {
  std::string payload;
  codec::append_entry(payload, e);
  std::string out(8, '\0');
  be::store(reinterpret_cast<uint8_t*>(out.data()), static_cast<uint32_t>(payload.size()));
  be::store(reinterpret_cast<uint8_t*>(out.data()) + 4, crc32c::value(payload.data(), payload.size()));
  return out + payload;
}

}  // namespace

result<disk_log::opened> disk_log::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return ec;
  opened out;
  bool present = false;
  auto snap_bytes = read_checked(dir / "snapshot", present);
  if (!snap_bytes) return snap_bytes.error();
  if (present) {
    auto s = codec::decode_snapshot(*snap_bytes);
    if (!s) return s.error();
    out.state.snap = std::move(*s);
  }
  auto hs_bytes = read_checked(dir / "hard_state", present);
  if (!hs_bytes) return hs_bytes.error();
  if (present) {
    auto hs = codec::decode_hard_state(*hs_bytes);
    if (!hs) return hs.error();
    out.state.hard = *hs;
  }

  auto f = storage::segment_file::open(dir / "log", true);
  if (!f) return f.error();
  std::unique_ptr<disk_log> log(new disk_log(dir, *f));
  auto bytes = storage::read_small_file(dir / "log");
  if (!bytes) return bytes.error();
  const std::string_view all = *bytes;
  // Scan records; the first incomplete or corrupt one is a torn tail.
  uint64_t pos = 0;
  bool below_snapshot = false;
  while (all.size() - pos >= 8) {
    const auto* p = reinterpret_cast<const uint8_t*>(all.data() + pos);
    const uint32_t len = be::load<uint32_t>(p);
    if (all.size() - pos - 8 < len) break;
    const std::string_view payload = all.substr(pos + 8, len);
    if (be::load<uint32_t>(p + 4) != crc32c::value(payload.data(), payload.size())) break;
    size_t epos = 0;
    auto e = codec::read_entry(payload, epos);
    if (!e || epos != payload.size()) break;
    if (log->offsets_.empty()) log->first_index_ = e->index;
    if (e->index != log->first_index_ + log->offsets_.size()) return errc::corrupt;  // a gap is not a torn tail
    log->offsets_.push_back(pos);
    if (e->index <= out.state.snap.index) {
      below_snapshot = true;  // a crash between writing the snapshot and dropping the prefix
    } else {
      out.state.entries.push_back(std::move(*e));
    }
    pos += 8 + len;
  }
  log->size_ = pos;
  if (pos != all.size()) {
    if (auto ec2 = log->log_->truncate(pos)) return ec2;
    if (auto ec2 = log->log_->datasync()) return ec2;
  }
  if (below_snapshot) {
    if (auto ec2 = log->drop_prefix(out.state.snap.index)) return ec2;
  }
  if (!out.state.entries.empty() && out.state.entries.front().index != out.state.snap.index + 1) return errc::corrupt;
  if (out.state.entries.empty()) log->first_index_ = out.state.snap.index + 1;
  out.log = std::move(log);
  return out;
}

std::error_code disk_log::truncate_from(index_t i) {
  if (i > last_index()) return {};
  if (i <= first_index_) {
    offsets_.clear();
    size_ = 0;
  } else {
    size_ = offsets_[i - first_index_];
    offsets_.resize(i - first_index_);
  }
  return log_->truncate(size_);
}

std::error_code disk_log::drop_prefix(index_t index) {
  std::string keep;
  std::vector<uint64_t> offsets;
  if (index < last_index()) {
    const uint64_t from = index < first_index_ ? 0 : offsets_[index + 1 - first_index_];
    keep.resize(size_ - from);
    auto n = log_->pread_full(from, std::span<uint8_t>(reinterpret_cast<uint8_t*>(keep.data()), keep.size()));
    if (!n) return n.error();
    for (index_t i = std::max(index + 1, first_index_); i <= last_index(); ++i) offsets.push_back(offsets_[i - first_index_] - from);
  }
  if (auto ec = storage::write_file_atomic(dir_ / "log", keep)) return ec;
  auto f = storage::segment_file::open(dir_ / "log", false);
  if (!f) return f.error();
  log_ = *f;
  size_ = keep.size();
  first_index_ = std::max(index + 1, first_index_);
  offsets_ = std::move(offsets);
  return {};
}

std::error_code disk_log::write_snapshot(const snapshot& s) {
  if (auto ec = storage::write_file_atomic(dir_ / "snapshot", with_crc(codec::encode(s)))) return ec;
  if (s.index >= last_index()) {
    // Nothing in the log survives: start an empty log after the snapshot.
    if (auto ec = drop_prefix(last_index())) return ec;
    first_index_ = s.index + 1;
    return {};
  }
  return drop_prefix(s.index);
}

std::error_code disk_log::append(const std::vector<entry>& es) {
  if (es.empty()) return {};
  if (offsets_.empty()) first_index_ = es.front().index;
  if (es.front().index != last_index() + 1) return errc::corrupt;
  std::string buf;
  for (const auto& e : es) {
    offsets_.push_back(size_ + buf.size());
    buf += record(e);
  }
  if (auto ec = log_->pwrite_full(size_, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()))) {
    return ec;
  }
  size_ += buf.size();
  return {};
}

std::error_code disk_log::persist(const ready_batch& rd) {
  bool log_dirty = false;
  if (rd.truncate_from && *rd.truncate_from <= last_index()) {
    if (auto ec = truncate_from(*rd.truncate_from)) return ec;
    log_dirty = true;
  }
  if (rd.snapshot) {
    if (log_dirty) {  // the cut must be durable before the snapshot can vouch for what follows it
      if (auto ec = log_->datasync()) return ec;
      log_dirty = false;
    }
    if (auto ec = write_snapshot(*rd.snapshot)) return ec;
  }
  if (!rd.entries.empty()) {
    if (auto ec = append(rd.entries)) return ec;
    log_dirty = true;
  }
  if (log_dirty) {
    if (auto ec = log_->datasync()) return ec;
  }
  if (rd.hard) {
    if (auto ec = storage::write_file_atomic(dir_ / "hard_state", with_crc(codec::encode(*rd.hard)))) return ec;
  }
  return {};
}

}  // namespace samsa::raft
