#include "log_loader.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <spdlog/spdlog.h>

#include "samsa/storage/errc.h"
#include "samsa/storage/file.h"

namespace samsa::storage {

namespace fs = std::filesystem;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

result<loaded_log> log_loader::load() {
  const auto t0 = std::chrono::steady_clock::now();
  auto swaps = remove_incomplete();
  if (!swaps) return swaps.error();
  if (auto ec = complete_swaps(*swaps)) return ec;
  auto bases = list_segments();
  if (!bases) return bases.error();
  if (auto ec = read_checkpoints()) return ec;
  if (auto ec = load_segments(*bases)) return ec;
  if (auto ec = settle_offsets()) return ec;
  if (auto ec = make_durable()) return ec;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("[{}] loaded {} segments{}, log start {} end {} (recovery point was {}) in {} ms", p_.name,
               out_.segments.count(), clean_ ? " after a clean shutdown" : "", out_.log_start, out_.log_end,
               recovery_point_, ms);
  return std::move(out_);
}

// ---------------------------------------------------------------------------------------------------------------
// 1. leftovers of interrupted operations
// ---------------------------------------------------------------------------------------------------------------

// Removes what never became part of the log (`.deleted`: unlinks interrupted; `.cleaned`: compaction output not yet
// committed; `.tmp`: atomic writes not yet renamed). Returns the `.swap` files found.
result<std::vector<fs::path>> log_loader::remove_incomplete() {
  std::vector<fs::path> swaps;
  std::error_code fec;
  for (const auto& e : fs::directory_iterator(p_.dir, fec)) {
    std::string fname = e.path().filename().string();
    if (ends_with(fname, ".deleted") || ends_with(fname, ".cleaned") || ends_with(fname, ".tmp")) {
      spdlog::info("[{}] removing leftover {}", p_.name, fname);
      if (auto ec = remove_file(e.path())) return ec;
      continue;
    }
    if (ends_with(fname, ".swap")) swaps.push_back(e.path());
  }
  return swaps;
}

// A .swap set is finished, fsynced compaction output whose swap-in was interrupted. Complete it: delete the
// segments whose base falls inside the swapped segment's offset range (other than its own base, which the rename
// replaces), then rename the .swap files into place. Swap-end markers are needed only while their .swap exists
// (completed here, or never committed): all are removed.
std::error_code log_loader::complete_swaps(const std::vector<fs::path>& swaps) {
  for (const auto& p : swaps) {
    fs::path target = p;
    target.replace_extension();  // drop ".swap"
    if (target.extension() != ".log") continue;
    auto base = parse_segment_base(target.stem().string());
    if (!base) continue;
    auto end = swap_end(p, *base);
    if (!end) return end.error();
    if (auto ec = remove_replaced(*base, *end)) return ec;
  }
  if (auto ec = rename_swaps(swaps)) return ec;
  std::error_code fec;
  for (const auto& e : fs::directory_iterator(p_.dir, fec))
    if (e.path().extension() == ".swapend")
      if (auto ec = remove_file(e.path())) return ec;
  return {};
}

// The end of the offset range a `.log.swap` replaces.
result<int64_t> log_loader::swap_end(const fs::path& log_swap, int64_t base) {
  auto f = segment_file::open(log_swap, false);
  if (!f) return f.error();
  auto fsz = (*f)->size();
  if (!fsz) return fsz.error();
  int64_t next = base;
  // The output ends where its last kept batch ends, which may be below the end of the segments it replaces (their
  // last records were all superseded, or the output is empty): the compaction recorded that end in
  // `<base>.swapend` before committing.
  if (auto marker = read_small_file(p_.dir / segment_file_name(base, ".swapend"))) {
    int64_t end = 0;
    auto [ptr, perr] = std::from_chars(marker->data(), marker->data() + marker->size(), end);
    if (perr != std::errc()) {
      spdlog::critical("[{}] unreadable swap end marker for segment {}", p_.name, base);
      return make_error_code(errc::corrupt);
    }
    next = std::max(next, end);
  } else if (marker.error() != make_error_code(errc::not_found)) {
    return marker.error();
  }
  header_reader hr(**f, *fsz);
  for (uint64_t pos = 0; pos < *fsz;) {
    auto b = hr.at(pos);
    if (!b || !*b) {
      spdlog::critical("[{}] unreadable swap segment {}", p_.name, log_swap.filename().string());
      return make_error_code(errc::corrupt);
    }
    next = std::max(next, (*b)->last_offset + 1);
    pos += (*b)->size;
  }
  return next;
}

// Removes the segments a swap replaces: those with a base in (base, end).
std::error_code log_loader::remove_replaced(int64_t base, int64_t end) {
  std::error_code fec;
  for (const auto& e : fs::directory_iterator(p_.dir, fec)) {
    if (e.path().extension() != ".log") continue;
    auto b = parse_segment_base(e.path().stem().string());
    if (b && *b > base && *b < end) {
      spdlog::info("[{}] completing swap: removing replaced segment {}", p_.name, *b);
      if (auto ec = remove_segment_files(*b)) return ec;
    }
  }
  return {};
}

std::error_code log_loader::rename_swaps(const std::vector<fs::path>& swaps) {
  if (swaps.empty()) return {};
  // The replaced segments must be gone (durably) before the output takes their place: a directory that kept the
  // renames but lost the unlinks would hold overlapping segments.
  if (auto ec = fsync_dir(p_.dir)) return ec;
  for (const auto& p : swaps) {
    fs::path target = p;
    target.replace_extension();
    // rename_suffix renames the index files before the .log, so a `.swap` index without its `.log.swap` is output
    // whose commit (the rename to .swap) never finished: discard it.
    auto log_swap =
        p_.dir / segment_file_name(parse_segment_base(target.stem().string()).value_or(-1), ".log.swap");
    if (target.extension() != ".log" && std::find(swaps.begin(), swaps.end(), log_swap) == swaps.end()) {
      spdlog::info("[{}] removing uncommitted {}", p_.name, p.filename().string());
      if (auto ec = remove_file(p)) return ec;
      continue;
    }
    spdlog::info("[{}] completing interrupted swap {}", p_.name, p.filename().string());
    if (auto ec = rename_file(p, target)) return ec;
  }
  return fsync_dir(p_.dir);
}

// The base offsets of the segments (sorted); index files without a `.log` are removed.
result<std::vector<int64_t>> log_loader::list_segments() {
  std::vector<int64_t> bases;
  std::error_code fec;
  for (const auto& e : fs::directory_iterator(p_.dir, fec)) {
    const auto& p = e.path();
    if (p.extension() == ".log") {
      auto base = parse_segment_base(p.stem().string());
      if (base) bases.push_back(*base);
    }
  }
  if (fec) return make_error_code(errc::io_error);
  std::sort(bases.begin(), bases.end());
  for (const auto& e : fs::directory_iterator(p_.dir, fec)) {
    const auto& p = e.path();
    if (p.extension() == ".index" || p.extension() == ".timeindex") {
      auto base = parse_segment_base(p.stem().string());
      if (base && !std::binary_search(bases.begin(), bases.end(), *base)) {
        spdlog::info("[{}] removing orphan index {}", p_.name, p.filename().string());
        if (auto ec = remove_file(p)) return ec;
      }
    }
  }
  return bases;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. checkpoints
// ---------------------------------------------------------------------------------------------------------------

std::error_code log_loader::read_checkpoints() {
  auto rp = read_offset_checkpoint(p_.dir / recovery_point_file);
  if (!rp) {
    spdlog::critical("[{}] unreadable {}: {}", p_.name, recovery_point_file, rp.error().message());
    return make_error_code(errc::corrupt);
  }
  auto ls = read_offset_checkpoint(p_.dir / log_start_offset_file);
  if (!ls) {
    spdlog::critical("[{}] unreadable {}: {}", p_.name, log_start_offset_file, ls.error().message());
    return make_error_code(errc::corrupt);
  }
  auto epoch_text = read_small_file(p_.dir / leader_epoch_file);
  if (epoch_text) {
    auto c = leader_epoch_cache::parse(*epoch_text);
    if (!c) {
      spdlog::critical("[{}] unreadable {}", p_.name, leader_epoch_file);
      return make_error_code(errc::corrupt);
    }
    out_.epochs = std::move(*c);
  } else if (epoch_text.error() != make_error_code(errc::not_found)) {
    return epoch_text.error();
  }
  recovery_point_ = rp->value_or(0);
  log_start_checkpoint_ = *ls;
  std::error_code fec;
  clean_ = !p_.config.verify_all_segments_on_open && fs::exists(p_.dir / clean_shutdown_file, fec);
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// 3. segments
// ---------------------------------------------------------------------------------------------------------------

// The index of the first segment to CRC-scan: the one holding the recovery point (segments below it were fsynced
// whole), none after a clean shutdown (everything was fsynced at close: check indexes only), all with
// verify_all_segments_on_open.
size_t log_loader::first_scanned(const std::vector<int64_t>& bases) const {
  if (clean_) return bases.size();
  size_t from = 0;
  if (!p_.config.verify_all_segments_on_open)
    for (size_t i = 0; i < bases.size(); ++i)
      if (bases[i] <= recovery_point_) from = i;
  return from;
}

std::error_code log_loader::load_segments(const std::vector<int64_t>& bases) {
  const size_t scan_from = first_scanned(bases);
  for (size_t i = 0; i < bases.size(); ++i) {
    auto opened = segment::open(p_.dir, bases[i], p_.now_ms, p_.files);
    if (!opened) return opened.error();
    segment_set::ptr s(std::move(*opened));
    // Segments must tile the offset space (compacted logs may leave gaps between them).
    if (prev_next_ >= 0 &&
        (s->base_offset() < prev_next_ || (!p_.config.compact && s->base_offset() != prev_next_)))
      return drop_discontinuous(*s, bases, i);
    const bool last = i + 1 == bases.size();
    if (i < scan_from) {
      if (auto ec = load_trusted(std::move(s), last ? -1 : bases[i + 1])) return ec;
      continue;
    }
    auto torn = scan(std::move(s), last);
    if (!torn) return torn.error();
    if (*torn) {
      for (size_t j = i + 1; j < bases.size(); ++j) {
        spdlog::warn("[{}] removing segment {} after the truncation point", p_.name, bases[j]);
        if (auto ec = remove_segment_files(bases[j])) return ec;
      }
      break;
    }
  }
  return {};
}

// A segment that does not follow the previous one: a crash lost what was between them. Above the recovery point
// that is unsynced data (drop it and every later segment); below it, fsynced data is missing.
std::error_code log_loader::drop_discontinuous(const segment& s, const std::vector<int64_t>& bases, size_t from) {
  if (prev_next_ < recovery_point_) {
    spdlog::critical("[{}] segment {} does not follow the previous one (which ends at {}) below the recovery "
                     "point {}: fsynced data is missing",
                     p_.name, s.base_offset(), prev_next_, recovery_point_);
    return make_error_code(errc::corrupt);
  }
  spdlog::warn("[{}] segment {} does not follow the previous one (ends at {}); dropping it and later ones", p_.name,
               s.base_offset(), prev_next_);
  for (size_t j = from; j < bases.size(); ++j)
    if (auto ec = remove_segment_files(bases[j])) return ec;
  truncated_ = true;
  return {};
}

// A segment below the scanned range: its data was fsynced, so only its indexes are checked; missing or inconsistent
// ones are rebuilt by a CRC scan, which must then cover the whole file.
std::error_code log_loader::load_trusted(segment_set::ptr s, int64_t next_base) {
  const uint32_t interval = p_.config.index_interval_bytes;
  if (auto ec = s->load(next_base, interval)) {
    spdlog::warn("[{}] indexes of segment {} missing or inconsistent ({}); rebuilding", p_.name, s->base_offset(),
                 ec.message());
    uint64_t file_size = s->size();
    auto out = s->recover(interval, std::max<int64_t>(prev_next_, 0), nullptr, p_.config.compact);
    if (out.bad || out.valid_bytes != file_size) {
      spdlog::critical("[{}] segment {} is below the recovery point {} but fails validation at position {} "
                       "(offset {}): {}",
                       p_.name, s->base_offset(), recovery_point_, out.valid_bytes, out.next_offset,
                       out.bad ? out.bad.message() : "size mismatch");
      return make_error_code(errc::corrupt);
    }
    s->on_roll();
    to_sync_.push_back(s);
  }
  prev_next_ = s->next_offset();
  out_.segments.add(std::move(s));
  return {};
}

// A segment at or above the recovery point: CRC-scanned, feeding the epoch cache. Returns whether the scan found a
// torn tail (the segment was truncated there and the caller drops every later one).
result<bool> log_loader::scan(segment_set::ptr s, bool last) {
  const uint64_t file_size = s->size();
  auto out = s->recover(p_.config.index_interval_bytes, std::max<int64_t>(prev_next_, 0), &out_.epochs,
                        p_.config.compact);
  if (out.bad) {
    if (auto ec = truncate_tail(std::move(s), out, file_size)) return ec;
    return true;
  }
  if (!last) s->on_roll();
  to_sync_.push_back(s);
  prev_next_ = s->next_offset();
  out_.segments.add(std::move(s));
  return false;
}

// The scan of `s` stopped at an invalid batch: a torn write to cut off, unless it is below the recovery point.
std::error_code log_loader::truncate_tail(segment_set::ptr s, const segment::scan_outcome& out, uint64_t file_size) {
  const int64_t expected = s->empty() ? std::max(s->base_offset(), prev_next_) : out.next_offset;
  if (expected < recovery_point_) {
    spdlog::critical("[{}] segment {}: invalid batch at position {} (offset {}) below the recovery point {}: {}"
                     " -- refusing to open (fsynced data is damaged)",
                     p_.name, s->base_offset(), out.valid_bytes, expected, recovery_point_, out.bad.message());
    return make_error_code(errc::corrupt);
  }
  spdlog::warn("[{}] segment {}: truncating torn/invalid tail at position {} of {} (offset {}): {}", p_.name,
               s->base_offset(), out.valid_bytes, file_size, expected, out.bad.message());
  auto lf = s->log_file();
  if (!lf) return lf.error();
  if (auto ec = (*lf)->truncate(out.valid_bytes)) return ec;
  truncated_ = true;
  to_sync_.push_back(s);
  // An emptied segment that does not continue the previous one would leave a gap: drop it (unless it is the only
  // one, then it is where the log restarts).
  const bool keep = !(s->empty() && !out_.segments.empty() && s->base_offset() != out.next_offset);
  if (keep || out_.segments.empty())
    out_.segments.add(std::move(s));
  else
    s->remove_files();
  return {};
}

std::error_code log_loader::remove_segment_files(int64_t base) {
  for (auto ext : {".log", ".index", ".timeindex"})
    if (auto ec = remove_file(p_.dir / segment_file_name(base, ext))) return ec;
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// 4. offsets, durability, checkpoints
// ---------------------------------------------------------------------------------------------------------------

std::error_code log_loader::settle_offsets() {
  auto& segments = out_.segments;
  if (segments.empty()) {
    int64_t start = std::max<int64_t>(log_start_checkpoint_.value_or(0), 0);
    auto s = segment::create(p_.dir, start, p_.now_ms, {}, p_.files);
    if (!s) return s.error();
    segments.add(segment_set::ptr(std::move(*s)));
    dir_dirty_ = true;
  }
  segments.active()->set_pinned(true);
  out_.log_end = segments.active()->next_offset();
  if (out_.log_end < recovery_point_) {
    spdlog::critical("[{}] log ends at offset {} but the recovery point is {}: fsynced data is missing", p_.name,
                     out_.log_end, recovery_point_);
    return make_error_code(errc::corrupt);
  }
  const int64_t first_base = segments.first()->base_offset();
  out_.log_start = std::max(log_start_checkpoint_.value_or(first_base), first_base);
  if (out_.log_start > out_.log_end) {
    spdlog::warn("[{}] log start offset {} beyond log end {}; clamping", p_.name, out_.log_start, out_.log_end);
    out_.log_start = out_.log_end;
  }
  out_.epochs.truncate_from_end(out_.log_end);
  out_.epochs.truncate_from_start(out_.log_start);
  return {};
}

// Makes what was accepted durable, then checkpoints it: from here on the recovery point is the log end.
std::error_code log_loader::make_durable() {
  const auto& active = out_.segments.active();
  for (const auto& s : to_sync_) {
    std::error_code ec = s == active ? s->sync_log() : s->sync_all();
    if (ec) return ec;
  }
  if (clean_) {
    // From now on the log may change: the marker must be gone (durably) before the first append.
    if (auto ec = remove_file(p_.dir / clean_shutdown_file)) return ec;
  }
  if (truncated_ || dir_dirty_ || clean_)
    if (auto ec = fsync_dir(p_.dir)) return ec;
  if (auto ec = write_file_atomic(p_.dir / leader_epoch_file, out_.epochs.serialize())) return ec;
  if (auto ec = write_offset_checkpoint(p_.dir / log_start_offset_file, p_.topic, p_.partition, out_.log_start))
    return ec;
  return write_offset_checkpoint(p_.dir / recovery_point_file, p_.topic, p_.partition, out_.log_end);
}

}  // namespace samsa::storage
