#include "samsa/records/record_batch.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "samsa/base/crc32c.h"
#include "samsa/base/endian.h"
#include "samsa/base/varint.h"
#include "samsa/records/compression.h"

namespace samsa::records {

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

namespace {

class records_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "samsa.records"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::truncated: return "record batch truncated";
      case errc::bad_length: return "invalid record batch length";
      case errc::bad_magic: return "unsupported record batch magic";
      case errc::bad_crc: return "record batch CRC mismatch";
      case errc::bad_record_count: return "invalid record count";
      case errc::bad_record: return "malformed record";
      case errc::unsupported_compression: return "unsupported compression codec";
      case errc::decompression_failed: return "decompression failed";
      case errc::too_large: return "decompressed data too large";
    }
    return "unknown records error";
  }
};

}  // namespace

const std::error_category& records_category() noexcept {
  static const records_category_impl cat;
  return cat;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), records_category()}; }

std::string_view to_string(compression c) noexcept {
  switch (c) {
    case compression::none: return "none";
    case compression::gzip: return "gzip";
    case compression::snappy: return "snappy";
    case compression::lz4: return "lz4";
    case compression::zstd: return "zstd";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------------------------
// batch_view
// ---------------------------------------------------------------------------------------------------------------

result<size_t> declared_batch_size(std::span<const uint8_t> bytes) noexcept {
  if (bytes.size() < log_overhead) return errc::truncated;
  const int32_t len = be::load<int32_t>(bytes.data() + offset::batch_length);
  if (len < min_batch_length) return errc::bad_length;
  return static_cast<size_t>(len) + log_overhead;
}

result<size_t> next_batch_size(std::span<const uint8_t> bytes) noexcept {
  auto n = declared_batch_size(bytes);
  if (!n) return n;
  if (*n > bytes.size()) return errc::truncated;
  return n;
}

result<batch_view> batch_view::parse(std::span<const uint8_t> bytes) noexcept {
  if (bytes.size() < batch_header_size) {
    // Report an impossible length before "truncated" when we can already see it.
    if (bytes.size() >= log_overhead && be::load<int32_t>(bytes.data() + offset::batch_length) < min_batch_length)
      return errc::bad_length;
    return errc::truncated;
  }
  const uint8_t* p = bytes.data();
  const int32_t len = be::load<int32_t>(p + offset::batch_length);
  if (len < min_batch_length) return errc::bad_length;
  if (static_cast<uint64_t>(len) + log_overhead > bytes.size()) return errc::truncated;
  if (static_cast<int8_t>(p[offset::magic]) != current_magic) return errc::bad_magic;
  if (be::load<int32_t>(p + offset::last_offset_delta) < 0) return errc::bad_record_count;
  if (be::load<int32_t>(p + offset::record_count) < 0) return errc::bad_record_count;
  return batch_view(bytes.first(static_cast<size_t>(len) + log_overhead));
}

uint32_t batch_view::compute_crc() const noexcept {
  return crc32c::value(data_.data() + crc_covered_offset, data_.size() - crc_covered_offset);
}

std::error_code batch_view::verify_crc() const noexcept {
  return compute_crc() == crc() ? std::error_code{} : make_error_code(errc::bad_crc);
}

std::error_code batch_view::validate() const noexcept {
  if (auto ec = verify_crc()) return ec;
  if ((attributes() & attr::compression_mask) > static_cast<int16_t>(compression::zstd))
    return errc::unsupported_compression;
  const int32_t count = record_count();
  if (count > 0 && static_cast<int64_t>(last_offset_delta()) + 1 != count) return errc::bad_record_count;
  return {};
}

int64_t batch_view::base_offset() const noexcept { return be::load<int64_t>(data_.data() + offset::base_offset); }
int32_t batch_view::batch_length() const noexcept { return be::load<int32_t>(data_.data() + offset::batch_length); }
int32_t batch_view::partition_leader_epoch() const noexcept {
  return be::load<int32_t>(data_.data() + offset::partition_leader_epoch);
}
int8_t batch_view::magic() const noexcept { return static_cast<int8_t>(data_[offset::magic]); }
uint32_t batch_view::crc() const noexcept { return be::load<uint32_t>(data_.data() + offset::crc); }
int16_t batch_view::attributes() const noexcept { return be::load<int16_t>(data_.data() + offset::attributes); }
int32_t batch_view::last_offset_delta() const noexcept {
  return be::load<int32_t>(data_.data() + offset::last_offset_delta);
}
int64_t batch_view::base_timestamp() const noexcept {
  return be::load<int64_t>(data_.data() + offset::base_timestamp);
}
int64_t batch_view::max_timestamp() const noexcept { return be::load<int64_t>(data_.data() + offset::max_timestamp); }
int64_t batch_view::producer_id() const noexcept { return be::load<int64_t>(data_.data() + offset::producer_id); }
int16_t batch_view::producer_epoch() const noexcept {
  return be::load<int16_t>(data_.data() + offset::producer_epoch);
}
int32_t batch_view::base_sequence() const noexcept { return be::load<int32_t>(data_.data() + offset::base_sequence); }
int32_t batch_view::record_count() const noexcept { return be::load<int32_t>(data_.data() + offset::record_count); }

// ---------------------------------------------------------------------------------------------------------------
// In-place rewriting
// ---------------------------------------------------------------------------------------------------------------

void set_base_offset(std::span<uint8_t> b, int64_t v) noexcept { be::store(b.data() + offset::base_offset, v); }
void set_partition_leader_epoch(std::span<uint8_t> b, int32_t v) noexcept {
  be::store(b.data() + offset::partition_leader_epoch, v);
}
void set_attributes(std::span<uint8_t> b, int16_t v) noexcept { be::store(b.data() + offset::attributes, v); }
void set_base_timestamp(std::span<uint8_t> b, int64_t v) noexcept { be::store(b.data() + offset::base_timestamp, v); }
void set_max_timestamp(std::span<uint8_t> b, int64_t v) noexcept { be::store(b.data() + offset::max_timestamp, v); }
void set_producer(std::span<uint8_t> b, int64_t producer_id, int16_t producer_epoch, int32_t base_sequence) noexcept {
  be::store(b.data() + offset::producer_id, producer_id);
  be::store(b.data() + offset::producer_epoch, producer_epoch);
  be::store(b.data() + offset::base_sequence, base_sequence);
}

uint32_t recompute_crc(std::span<uint8_t> b) noexcept {
  if (b.size() < batch_header_size) return 0;
  const int32_t len = be::load<int32_t>(b.data() + offset::batch_length);
  size_t end = b.size();
  if (len >= min_batch_length) end = std::min(end, static_cast<size_t>(len) + log_overhead);
  const uint32_t c = crc32c::value(b.data() + crc_covered_offset, end - crc_covered_offset);
  be::store(b.data() + offset::crc, c);
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// batch_iterator
// ---------------------------------------------------------------------------------------------------------------

result<batch_view> batch_iterator::next() noexcept {
  auto b = batch_view::parse(bytes_.subspan(std::min(pos_, bytes_.size())));
  if (b) pos_ += b->size_bytes();
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// Record decoding
// ---------------------------------------------------------------------------------------------------------------

namespace {

inline bool read_varint(const uint8_t*& p, const uint8_t* end, int32_t& out) noexcept {
  if (p < end && *p < 0x80) {  // fast path: one byte
    out = varint::unzigzag32(*p++);
    return true;
  }
  uint64_t u;
  const size_t n = varint::get_unsigned(p, end, varint::max_varint_bytes, u);
  if (n == 0 || u > std::numeric_limits<uint32_t>::max()) return false;
  out = varint::unzigzag32(static_cast<uint32_t>(u));
  p += n;
  return true;
}

inline bool read_varlong(const uint8_t*& p, const uint8_t* end, int64_t& out) noexcept {
  if (p < end && *p < 0x80) {
    out = varint::unzigzag64(*p++);
    return true;
  }
  uint64_t u;
  const size_t n = varint::get_unsigned(p, end, varint::max_varlong_bytes, u);
  if (n == 0) return false;
  out = varint::unzigzag64(u);
  p += n;
  return true;
}

// A length-prefixed byte string (-1 = null when allow_null).
inline bool read_bytes(const uint8_t*& p, const uint8_t* end, bool allow_null,
                       std::optional<std::span<const uint8_t>>& out) noexcept {
  int32_t len;
  if (!read_varint(p, end, len)) return false;
  if (len < 0) {
    if (len != -1 || !allow_null) return false;
    out.reset();
    return true;
  }
  if (static_cast<size_t>(end - p) < static_cast<size_t>(len)) return false;
  out.emplace(p, static_cast<size_t>(len));
  p += len;
  return true;
}

}  // namespace

std::error_code decode_header(const uint8_t*& p, const uint8_t* end, header_view& out) noexcept {
  const uint8_t* q = p;
  std::optional<std::span<const uint8_t>> key;
  if (!read_bytes(q, end, false, key)) return errc::bad_record;
  if (!read_bytes(q, end, true, out.value)) return errc::bad_record;
  out.key = *key;
  p = q;
  return {};
}

std::error_code decode_record(const uint8_t*& p, const uint8_t* end, record_view& out) noexcept {
  const uint8_t* q = p;
  int32_t len;
  if (!read_varint(q, end, len) || len < 0 || static_cast<size_t>(end - q) < static_cast<size_t>(len))
    return errc::bad_record;
  const uint8_t* const rend = q + len;
  if (q == rend) return errc::bad_record;
  out.attributes = static_cast<int8_t>(*q++);
  if (!read_varlong(q, rend, out.timestamp_delta)) return errc::bad_record;
  if (!read_varint(q, rend, out.offset_delta)) return errc::bad_record;
  if (!read_bytes(q, rend, true, out.key)) return errc::bad_record;
  if (!read_bytes(q, rend, true, out.value)) return errc::bad_record;
  int32_t header_count;
  if (!read_varint(q, rend, header_count) || header_count < 0) return errc::bad_record;
  const uint8_t* const headers_begin = q;
  header_view h;
  for (int32_t i = 0; i < header_count; ++i)  // every header takes >= 2 bytes: bounded by the record length
    if (decode_header(q, rend, h)) return errc::bad_record;
  if (q != rend) return errc::bad_record;  // the fields must fill the record exactly
  out.header_count = static_cast<uint32_t>(header_count);
  out.headers_bytes = {headers_begin, q};
  out.raw = {p, rend};
  p = rend;
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// batch_builder
// ---------------------------------------------------------------------------------------------------------------

namespace {

inline size_t zz_size(int64_t v) noexcept { return varint::signed_size(v); }
inline uint8_t* put_zz(uint8_t* p, int64_t v) noexcept { return p + varint::put_unsigned(p, varint::zigzag64(v)); }

inline size_t bytes_size(const std::optional<std::span<const uint8_t>>& b) noexcept {
  return b ? zz_size(static_cast<int64_t>(b->size())) + b->size() : 1;
}
inline uint8_t* put_bytes(uint8_t* p, const std::optional<std::span<const uint8_t>>& b) noexcept {
  if (!b) return put_zz(p, -1);
  p = put_zz(p, static_cast<int64_t>(b->size()));
  if (!b->empty()) std::memcpy(p, b->data(), b->size());
  return p + b->size();
}

}  // namespace

void batch_builder::add(const record_input& r) {
  if (!base_ts_) base_ts_ = opts_.base_timestamp.value_or(r.timestamp);
  const int64_t ts_delta = r.timestamp - *base_ts_;
  const int32_t od = r.offset_delta.value_or(last_offset_delta_ + 1);

  size_t body = 1 + zz_size(ts_delta) + zz_size(od) + bytes_size(r.key) + bytes_size(r.value) +
                zz_size(static_cast<int64_t>(r.headers.size()));
  for (const auto& h : r.headers)
    body += bytes_size(std::optional<std::span<const uint8_t>>(h.key)) + bytes_size(h.value);

  const size_t old = body_.size();
  body_.resize(old + zz_size(static_cast<int64_t>(body)) + body);
  uint8_t* p = body_.data() + old;
  p = put_zz(p, static_cast<int64_t>(body));
  *p++ = static_cast<uint8_t>(r.attributes);
  p = put_zz(p, ts_delta);
  p = put_zz(p, od);
  p = put_bytes(p, r.key);
  p = put_bytes(p, r.value);
  p = put_zz(p, static_cast<int64_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    p = put_bytes(p, std::optional<std::span<const uint8_t>>(h.key));
    p = put_bytes(p, h.value);
  }

  ++count_;
  last_offset_delta_ = std::max(last_offset_delta_, od);
  max_ts_ = count_ == 1 ? r.timestamp : std::max(max_ts_, r.timestamp);
}

void batch_builder::add(int64_t timestamp, std::optional<std::string_view> key, std::optional<std::string_view> value,
                        std::span<const record_header> headers) {
  record_input r;
  r.timestamp = timestamp;
  if (key) r.key = as_bytes(*key);
  if (value) r.value = as_bytes(*value);
  r.headers = headers;
  add(r);
}

void batch_builder::clear() noexcept {
  body_.clear();
  count_ = 0;
  last_offset_delta_ = -1;
  base_ts_.reset();
  max_ts_ = -1;
}

std::error_code batch_builder::append_to(std::vector<uint8_t>& out) const {
  const size_t start = out.size();
  out.resize(start + batch_header_size);
  if (opts_.codec == compression::none) {
    out.insert(out.end(), body_.begin(), body_.end());
  } else if (auto ec = compress_append(opts_.codec, body_, out)) {
    out.resize(start);
    return ec;
  }
  const size_t total = out.size() - start;
  if (total - log_overhead > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    out.resize(start);
    return errc::too_large;
  }

  int16_t attributes = static_cast<int16_t>(opts_.codec);
  if (opts_.log_append_time) attributes |= attr::log_append_time;
  if (opts_.transactional) attributes |= attr::transactional;
  if (opts_.control) attributes |= attr::control;

  uint8_t* h = out.data() + start;
  be::store(h + offset::base_offset, opts_.base_offset);
  be::store(h + offset::batch_length, static_cast<int32_t>(total - log_overhead));
  be::store(h + offset::partition_leader_epoch, opts_.partition_leader_epoch);
  h[offset::magic] = static_cast<uint8_t>(current_magic);
  be::store(h + offset::attributes, attributes);
  be::store(h + offset::last_offset_delta, count_ == 0 ? int32_t{0} : last_offset_delta_);
  be::store(h + offset::base_timestamp, base_ts_.value_or(opts_.base_timestamp.value_or(-1)));
  be::store(h + offset::max_timestamp, opts_.max_timestamp.value_or(max_ts_));
  be::store(h + offset::producer_id, opts_.producer_id);
  be::store(h + offset::producer_epoch, opts_.producer_epoch);
  be::store(h + offset::base_sequence, opts_.base_sequence);
  be::store(h + offset::record_count, count_);
  recompute_crc(std::span<uint8_t>(h, total));
  return {};
}

result<std::vector<uint8_t>> batch_builder::build() const {
  std::vector<uint8_t> out;
  out.reserve(uncompressed_size());
  if (auto ec = append_to(out)) return ec;
  return out;
}

}  // namespace samsa::records
