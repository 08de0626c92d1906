// Log compaction (cleanup.policy=compact): keep the latest record per key.
//
// One pass: (1) build key -> last offset over the cleanable segments (inactive, fully fsynced); (2) rewrite them
// in groups of at most segment.bytes into `<base>.log.cleaned` (+ indexes), dropping superseded records and
// tombstones older than delete.retention.ms; (3) fsync the output, record the end of the replaced offset range
// in `<base>.swapend` (atomically and durably: the output may end earlier, or be empty), rename the output to
// `.swap` (the commit point), then under the log lock replace the old segments: the old files of other bases
// become `.deleted`, the `.swap` files are renamed over `<base>.*`, the directory is fsynced, the `.deleted`
// files and the marker are unlinked. Recovery at open deletes `.cleaned` (incomplete) and completes any `.swap`,
// deleting every segment inside [base, swapend) (see log_loader::complete_swaps).
//
// Batches keep their base offset, lastOffsetDelta, producer fields and codec; records keep their offsets and
// timestamps. Control and transactional batches are kept whole (no transaction index here).
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "samsa/base/endian.h"
#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"

namespace samsa::storage {

namespace rec = samsa::records;

namespace {

// Calls f(const batch_view&) for every batch of a segment file (read in 1 MiB windows).
template <typename F>
std::error_code for_each_stored_batch(const segment_file& file, uint64_t size, F&& f) {
  std::vector<uint8_t> buf;
  uint64_t pos = 0;
  while (pos < size) {
    uint8_t hdr[rec::log_overhead];
    auto n = file.pread_full(pos, hdr);
    if (!n) return n.error();
    if (*n != sizeof hdr) return make_error_code(errc::corrupt);
    auto declared = rec::declared_batch_size(hdr);
    if (!declared || *declared > size - pos) return make_error_code(errc::corrupt);
    // Read a window of whole batches.
    size_t want = static_cast<size_t>(std::min<uint64_t>(std::max<size_t>(*declared, 1u << 20), size - pos));
    buf.resize(want);
    auto got = file.pread_full(pos, buf);
    if (!got || *got != want) return make_error_code(errc::io_error);
    std::span<const uint8_t> window(buf);
    size_t used = 0;
    while (used < window.size()) {
      auto sz = rec::next_batch_size(window.subspan(used));
      if (!sz) break;  // partial batch at the window end: next window
      auto bv = rec::batch_view::parse(window.subspan(used, *sz));
      if (!bv) return make_error_code(errc::corrupt);
      if (auto ec = f(*bv)) return ec;
      used += *sz;
    }
    if (used == 0) return make_error_code(errc::corrupt);
    pos += used;
  }
  return {};
}

std::string key_string(std::span<const uint8_t> k) { return {reinterpret_cast<const char*>(k.data()), k.size()}; }

}  // namespace

result<size_t> partition_log::compact(int64_t now_ms) {
  std::lock_guard mt(maint_mu_);
  log_config cfg;
  std::vector<segment_set::ptr> cands;
  {
    std::shared_lock lk(mu_);
    if (closed_ || failed_) return size_t{0};
    cfg = config_;
    if (!cfg.compact) return size_t{0};
    const int64_t durable = commit_.durable();
    auto active = segments_.active();
    for (const auto& [b, s] : segments_) {
      if (s == active || s->next_offset() > durable) break;
      if (std::find(unsynced_.begin(), unsynced_.end(), s) != unsynced_.end()) break;
      cands.push_back(s);
    }
  }
  uint64_t total = 0, dirty = 0;
  for (const auto& s : cands) {
    total += s->size();
    if (s->next_offset() > cleaned_upto_) dirty += s->size();
  }
  if (total == 0 || dirty == 0 || static_cast<double>(dirty) / static_cast<double>(total) < cfg.min_cleanable_dirty_ratio)
    return size_t{0};

  // 1. Offset map.
  std::unordered_map<std::string, int64_t> latest;
  std::vector<uint8_t> scratch;
  for (const auto& s : cands) {
    auto lf = s->log_file();
    if (!lf) {
      spdlog::error("[{}] compaction: cannot open segment {}: {}", name_, s->base_offset(), lf.error().message());
      return lf.error();
    }
    auto ec = for_each_stored_batch(**lf, s->size(), [&](const rec::batch_view& b) -> std::error_code {
      if (b.is_control()) return {};
      return rec::for_each_record(b, scratch, rec::default_max_decompressed, [&](const rec::record_view& r) {
        if (r.key) latest[key_string(*r.key)] = b.base_offset() + r.offset_delta;
      });
    });
    if (ec) {
      spdlog::error("[{}] compaction: cannot read segment {}: {}", name_, s->base_offset(), ec.message());
      return ec;
    }
  }

  // 2. Groups of consecutive segments that fit one output segment.
  std::vector<std::vector<segment_set::ptr>> groups;
  uint64_t gsize = 0;
  for (const auto& s : cands) {
    if (groups.empty() || gsize + s->size() > cfg.segment_bytes ||
        s->next_offset() - 1 - groups.back().front()->base_offset() > std::numeric_limits<int32_t>::max()) {
      groups.emplace_back();
      gsize = 0;
    }
    groups.back().push_back(s);
    gsize += s->size();
  }

  const int64_t horizon = now_ms - cfg.delete_retention_ms;
  size_t rewritten = 0;
  uint64_t bytes_before = 0, bytes_after = 0;
  for (auto& group : groups) {
    const int64_t base = group.front()->base_offset();
    auto created = segment::create(dir_, base, now_ms, ".cleaned", files_);
    if (!created) return created.error();
    segment_set::ptr out(std::move(*created));
    std::error_code werr;
    std::vector<uint8_t> rebuilt;
    auto write_batch = [&](std::span<const uint8_t> bytes) -> std::error_code {
      auto bv = rec::batch_view::parse(bytes);
      batch_info bi{bv->base_offset(), bv->last_offset(), bv->max_timestamp(), static_cast<uint32_t>(bytes.size()),
                    bv->partition_leader_epoch()};
      struct iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
      bool unrec = false;
      return out->append(&iov, 1, std::span<const batch_info>(&bi, 1), cfg.index_interval_bytes, &unrec);
    };
    for (const auto& s : group) {
      bytes_before += s->size();
      auto lf = s->log_file();
      if (!lf) {
        werr = lf.error();
        break;
      }
      auto ec = for_each_stored_batch(**lf, s->size(), [&](const rec::batch_view& b) -> std::error_code {
        if (b.is_control() || b.is_transactional()) return write_batch(b.data());
        // Decide per record.
        int32_t kept = 0, total_records = 0;
        auto keep = [&](const rec::record_view& r) {
          int64_t off = b.base_offset() + r.offset_delta;
          if (r.key) {
            auto it = latest.find(key_string(*r.key));
            if (it != latest.end() && it->second != off) return false;  // superseded
          }
          if (!r.value) {
            int64_t ts = b.timestamp_type_log_append() ? b.max_timestamp() : b.base_timestamp() + r.timestamp_delta;
            if (ts < horizon) return false;  // tombstone past delete.retention.ms
          }
          return true;
        };
        if (auto e = rec::for_each_record(b, scratch, rec::default_max_decompressed, [&](const rec::record_view& r) {
              ++total_records;
              if (keep(r)) ++kept;
            }))
          return e;
        if (kept == total_records) return write_batch(b.data());
        if (kept == 0) return {};
        rec::batch_options o;
        o.base_offset = b.base_offset();
        o.partition_leader_epoch = b.partition_leader_epoch();
        o.producer_id = b.producer_id();
        o.producer_epoch = b.producer_epoch();
        o.base_sequence = b.base_sequence();
        o.codec = b.compression();
        o.log_append_time = b.timestamp_type_log_append();
        o.base_timestamp = b.base_timestamp();
        if (b.timestamp_type_log_append()) o.max_timestamp = b.max_timestamp();
        rec::batch_builder builder(o);
        std::vector<rec::record_header> hdrs;
        if (auto e = rec::for_each_record(b, scratch, rec::default_max_decompressed, [&](const rec::record_view& r) {
              if (!keep(r)) return std::error_code{};
              hdrs.clear();
              if (auto he = rec::for_each_header(r.headers_bytes, r.header_count,
                                                 [&](const rec::header_view& h) { hdrs.push_back({h.key, h.value}); }))
                return he;
              rec::record_input in;
              in.timestamp = b.base_timestamp() + r.timestamp_delta;
              in.key = r.key;
              in.value = r.value;
              in.headers = hdrs;
              in.offset_delta = r.offset_delta;
              in.attributes = r.attributes;
              builder.add(in);
              return std::error_code{};
            }))
          return e;
        rebuilt.clear();
        if (auto e = builder.append_to(rebuilt)) return e;
        // Keep the original offset span so offsets stay contiguous batch to batch.
        be::store<int32_t>(rebuilt.data() + rec::offset::last_offset_delta, b.last_offset_delta());
        rec::recompute_crc(rebuilt);
        return write_batch(rebuilt);
      });
      if (ec) {
        werr = ec;
        break;
      }
    }
    if (!werr) {
      out->on_roll();
      werr = out->sync_all();
    }
    if (!werr) werr = fsync_dir(dir_);
    // The end of the replaced range, for recovery (the output may end earlier, or be empty). Durable before the
    // commit point; removed once the swap is complete.
    const auto swap_end = dir_ / segment_file_name(base, ".swapend");
    if (!werr) werr = write_file_atomic(swap_end, std::to_string(group.back()->next_offset()));
    // Commit point: the output becomes .swap.
    if (!werr) werr = out->rename_suffix(".swap");
    if (!werr) werr = fsync_dir(dir_);
    if (werr) {
      spdlog::error("[{}] compaction of segments from {} failed: {}; keeping the originals", name_, base, werr.message());
      out->remove_files();
      remove_file(swap_end);
      return werr;
    }
    // Swap in.
    std::vector<segment_set::ptr> doomed;
    {
      std::unique_lock lk(mu_);
      for (const auto& s : group) {
        segments_.remove(s->base_offset());
        if (s->base_offset() != base) {
          if (auto e = s->rename_suffix(".deleted"))
            spdlog::warn("[{}] cannot rename segment {} for deletion: {}", name_, s->base_offset(), e.message());
          doomed.push_back(s);
        }
      }
      if (auto e = out->rename_suffix("")) {
        // The .swap files are durable; recovery will finish the swap. Refuse writes until then.
        failed_ = e;
        spdlog::critical("[{}] compaction swap of {} failed: {}", name_, base, e.message());
        return e;
      }
      segments_.add(out);
    }
    out->set_pinned(false);  // fsynced, and never the active segment
    const auto dsync = fsync_dir(dir_);
    if (dsync) spdlog::warn("[{}] fsync of directory failed: {}", name_, dsync.message());
    for (auto& s : doomed) s->remove_files();
    // Only once the swap is durable (else recovery may still need it; it removes leftovers itself).
    if (!dsync)
      if (auto e = remove_file(swap_end))
        spdlog::warn("[{}] cannot remove {}: {}", name_, swap_end.string(), e.message());
    bytes_after += out->size();
    cleaned_upto_ = std::max(cleaned_upto_, group.back()->next_offset());
    rewritten += group.size();
  }
  spdlog::info("[{}] compacted {} segment(s): {} -> {} bytes, {} distinct keys", name_, rewritten, bytes_before,
               bytes_after, latest.size());
  return rewritten;
}

}  // namespace samsa::storage
