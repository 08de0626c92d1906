#pragma once
// Kafka RecordBatch v2 (magic 2): zero-copy parsing, in-place header rewriting, allocation-free record
// iteration, a splitter over concatenated batches, and a builder.
//
// Wire layout (big endian), 61-byte header:
//   baseOffset int64 | batchLength int32 (bytes after this field) | partitionLeaderEpoch int32 | magic int8 (=2)
//   | crc uint32 (CRC-32C of attributes..end) | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64
//   | maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32
//   | records...
// Record (all varints ZIGZAG): length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
//   | keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value | headerCount varint
//   | headers: (keyLength varint (>= 0), key, valueLength varint (-1 = null), value)*
//
// Every decoder here bounds-checks every length against the bytes remaining and returns an error code; none of
// them throws, allocates (except the builder), or reads outside the given span.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "samsa/base/result.h"

namespace samsa::records {

// ---------------------------------------------------------------------------------------------------------------
// Layout constants
// ---------------------------------------------------------------------------------------------------------------

constexpr size_t batch_header_size = 61;
// baseOffset + batchLength: the bytes not counted by batchLength.
constexpr size_t log_overhead = 12;
// The smallest legal batchLength (a batch with no records): 61 - 12.
constexpr int32_t min_batch_length = static_cast<int32_t>(batch_header_size - log_overhead);
constexpr int8_t current_magic = 2;

// Byte offset of each header field from the start of the batch.
namespace offset {
constexpr size_t base_offset = 0;
constexpr size_t batch_length = 8;
constexpr size_t partition_leader_epoch = 12;
constexpr size_t magic = 16;
constexpr size_t crc = 17;
constexpr size_t attributes = 21;  // first byte covered by the CRC
constexpr size_t last_offset_delta = 23;
constexpr size_t base_timestamp = 27;
constexpr size_t max_timestamp = 35;
constexpr size_t producer_id = 43;
constexpr size_t producer_epoch = 51;
constexpr size_t base_sequence = 53;
constexpr size_t record_count = 57;
constexpr size_t records = 61;
}  // namespace offset

constexpr size_t crc_covered_offset = offset::attributes;

// Batch attribute bits.
namespace attr {
constexpr int16_t compression_mask = 0x07;
constexpr int16_t log_append_time = 0x08;
constexpr int16_t transactional = 0x10;
constexpr int16_t control = 0x20;
constexpr int16_t delete_horizon = 0x40;
}  // namespace attr

constexpr int64_t no_producer_id = -1;
constexpr int16_t no_producer_epoch = -1;
constexpr int32_t no_sequence = -1;
constexpr int32_t no_partition_leader_epoch = -1;

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

enum class errc {
  truncated = 1,           // the input ends before the batch (or field) does
  bad_length,              // batchLength < 49 (or otherwise impossible)
  bad_magic,               // magic != 2
  bad_crc,                 // stored CRC does not match the contents
  bad_record_count,        // negative count / lastOffsetDelta, or count inconsistent with offsets or payload
  bad_record,              // a malformed record: bad varint, length out of bounds, trailing bytes...
  unsupported_compression, // codec 5..7, or an operation that needs an uncompressed batch
  decompression_failed,    // the codec rejected the input
  too_large,               // decompressed output would exceed the caller's limit
};

const std::error_category& records_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

enum class compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// "none", "gzip", ... ("unknown" for other values).
std::string_view to_string(compression c) noexcept;

}  // namespace samsa::records

template <>
struct std::is_error_code_enum<samsa::records::errc> : std::true_type {};

namespace samsa::records {

// ---------------------------------------------------------------------------------------------------------------
// batch_view: a non-owning view over exactly one complete batch
// ---------------------------------------------------------------------------------------------------------------

class batch_view {
 public:
  batch_view() = default;

  // Parses the header of the batch at the start of `bytes`. Checks: at least 61 bytes, batchLength >= 49,
  // batchLength + 12 <= bytes.size(), magic == 2, lastOffsetDelta >= 0, recordCount >= 0. Does NOT check the CRC.
  // The view covers exactly batchLength + 12 bytes (trailing bytes of `bytes` are ignored).
  // Errors: truncated, bad_length, bad_magic, bad_record_count.
  static result<batch_view> parse(std::span<const uint8_t> bytes) noexcept;

  // CRC-32C of attributes..end, as stored bytes would have it.
  uint32_t compute_crc() const noexcept;
  // {} or errc::bad_crc.
  std::error_code verify_crc() const noexcept;
  // Producer-side validation: CRC, known codec (else unsupported_compression), and when recordCount > 0,
  // lastOffsetDelta + 1 == recordCount (else bad_record_count). Note: compacted batches legitimately violate the
  // offset/count relation, so use verify_crc() for batches read back from a compacted log.
  std::error_code validate() const noexcept;

  int64_t base_offset() const noexcept;
  int32_t batch_length() const noexcept;
  size_t size_bytes() const noexcept { return data_.size(); }  // batch_length() + 12
  int32_t partition_leader_epoch() const noexcept;
  int8_t magic() const noexcept;
  uint32_t crc() const noexcept;
  int16_t attributes() const noexcept;
  // The raw codec bits; may be an unknown value 5..7 (validate() rejects those).
  records::compression compression() const noexcept {
    return static_cast<records::compression>(attributes() & attr::compression_mask);
  }
  bool is_compressed() const noexcept { return (attributes() & attr::compression_mask) != 0; }
  bool timestamp_type_log_append() const noexcept { return (attributes() & attr::log_append_time) != 0; }
  bool is_transactional() const noexcept { return (attributes() & attr::transactional) != 0; }
  bool is_control() const noexcept { return (attributes() & attr::control) != 0; }
  bool has_delete_horizon() const noexcept { return (attributes() & attr::delete_horizon) != 0; }
  int32_t last_offset_delta() const noexcept;
  int64_t base_timestamp() const noexcept;
  int64_t max_timestamp() const noexcept;
  int64_t producer_id() const noexcept;
  int16_t producer_epoch() const noexcept;
  int32_t base_sequence() const noexcept;
  int32_t record_count() const noexcept;
  int64_t last_offset() const noexcept { return base_offset() + last_offset_delta(); }
  int64_t next_offset() const noexcept { return last_offset() + 1; }

  std::span<const uint8_t> data() const noexcept { return data_; }
  std::span<const uint8_t> records_payload() const noexcept { return data_.subspan(batch_header_size); }

 private:
  explicit batch_view(std::span<const uint8_t> d) noexcept : data_(d) {}
  std::span<const uint8_t> data_;
};

// ---------------------------------------------------------------------------------------------------------------
// In-place header rewriting (no allocation). `batch` must start at a batch and hold at least its 61-byte header;
// the setters do NOT update the CRC — call recompute_crc() after touching CRC-covered fields (attributes and
// later). base offset and partition leader epoch are outside the CRC.
// ---------------------------------------------------------------------------------------------------------------

void set_base_offset(std::span<uint8_t> batch, int64_t base_offset) noexcept;
void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch) noexcept;
void set_attributes(std::span<uint8_t> batch, int16_t attributes) noexcept;
void set_base_timestamp(std::span<uint8_t> batch, int64_t ts) noexcept;
void set_max_timestamp(std::span<uint8_t> batch, int64_t ts) noexcept;
void set_producer(std::span<uint8_t> batch, int64_t producer_id, int16_t producer_epoch,
                  int32_t base_sequence) noexcept;
// Recomputes and stores the CRC over attributes..min(batchLength + 12, batch.size()). Returns the new CRC.
uint32_t recompute_crc(std::span<uint8_t> batch) noexcept;

// ---------------------------------------------------------------------------------------------------------------
// Splitting concatenated batches (a log segment, a produce request's records field)
// ---------------------------------------------------------------------------------------------------------------

// Total size (batchLength + 12) announced by the batch at the start of `bytes`; needs only the first 12 bytes.
// Errors: truncated (< 12 bytes), bad_length (batchLength < 49).
result<size_t> declared_batch_size(std::span<const uint8_t> bytes) noexcept;
// Like declared_batch_size but also returns truncated unless the whole batch is present.
result<size_t> next_batch_size(std::span<const uint8_t> bytes) noexcept;

// Walks concatenated batches, parsing each with batch_view::parse (CRC not checked).
class batch_iterator {
 public:
  batch_iterator() = default;
  explicit batch_iterator(std::span<const uint8_t> bytes) noexcept : bytes_(bytes) {}

  bool done() const noexcept { return pos_ >= bytes_.size(); }
  // The next batch, or an error (truncated when the remaining tail is a partial batch). On error the position
  // does not move. Precondition: !done().
  result<batch_view> next() noexcept;
  // Bytes consumed so far == offset of the next batch within the input.
  size_t position() const noexcept { return pos_; }
  std::span<const uint8_t> remaining() const noexcept { return bytes_.subspan(pos_); }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

namespace detail {
// Visitors may return void (continue), bool (false stops, not an error) or std::error_code (non-zero stops and
// is returned). `stop` is set when iteration must end; the returned code is the error to report ({} if none).
template <typename F, typename... A>
inline std::error_code invoke_visitor(F& f, bool& stop, A&&... a) {
  using R = std::invoke_result_t<F&, A...>;
  if constexpr (std::is_void_v<R>) {
    f(std::forward<A>(a)...);
    return {};
  } else if constexpr (std::is_same_v<R, bool>) {
    if (!f(std::forward<A>(a)...)) stop = true;
    return {};
  } else {
    static_assert(std::is_same_v<R, std::error_code>, "visitor must return void, bool or std::error_code");
    std::error_code ec = f(std::forward<A>(a)...);
    if (ec) stop = true;
    return ec;
  }
}
}  // namespace detail

// Calls f(const batch_view&) for each batch. Returns {} after a clean end, or the first error (a partial tail
// gives errc::truncated after visiting every complete batch before it).
template <typename F>
std::error_code for_each_batch(std::span<const uint8_t> bytes, F&& f) {
  batch_iterator it(bytes);
  while (!it.done()) {
    auto b = it.next();
    if (!b) return b.error();
    bool stop = false;
    std::error_code ec = detail::invoke_visitor(f, stop, static_cast<const batch_view&>(*b));
    if (stop) return ec;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------------------------

struct record_view {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::span<const uint8_t>> key;    // nullopt == null key
  std::optional<std::span<const uint8_t>> value;  // nullopt == null value (a tombstone)
  uint32_t header_count = 0;
  std::span<const uint8_t> headers_bytes;  // the encoded headers (already validated against header_count)
  std::span<const uint8_t> raw;            // the whole record, including its length prefix
};

struct header_view {
  std::span<const uint8_t> key;
  std::optional<std::span<const uint8_t>> value;  // nullopt == null value
};

// Decodes the record at [p, end). On success advances p past it. Errors: bad_record.
// Enforces: length >= 0 and within bounds, every varint well formed and inside the record, keyLength/valueLength
// >= -1, headerCount >= 0, header keyLength >= 0, and that the fields consume exactly `length` bytes.
std::error_code decode_record(const uint8_t*& p, const uint8_t* end, record_view& out) noexcept;

// Decodes one header at [p, end), advancing p. Errors: bad_record.
std::error_code decode_header(const uint8_t*& p, const uint8_t* end, header_view& out) noexcept;

// Pull-style iteration over a records payload holding `count` records.
class record_iterator {
 public:
  record_iterator() = default;
  record_iterator(std::span<const uint8_t> payload, int32_t count) noexcept
      : p_(payload.data()), end_(payload.data() + payload.size()), remaining_(count < 0 ? 0 : count),
        bad_count_(count < 0) {}

  // True once `count` records were returned.
  bool done() const noexcept { return remaining_ == 0; }
  int32_t remaining() const noexcept { return remaining_; }
  // Decodes the next record into `out`. Precondition: !done().
  std::error_code next(record_view& out) noexcept {
    if (bad_count_) return make_error_code(errc::bad_record_count);
    if (p_ == end_) return make_error_code(errc::bad_record_count);  // fewer records than declared
    if (auto ec = decode_record(p_, end_, out)) return ec;
    --remaining_;
    return {};
  }
  // After done(): {} if the payload was consumed exactly, bad_record_count if bytes remain.
  std::error_code finish() const noexcept {
    if (bad_count_) return make_error_code(errc::bad_record_count);
    return p_ == end_ ? std::error_code{} : make_error_code(errc::bad_record_count);
  }

 private:
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  int32_t remaining_ = 0;
  bool bad_count_ = false;
};

// Calls f(const record_view&) for each of the `count` records of an UNCOMPRESSED records payload. Returns {} when
// exactly `count` records fill the payload, else the first error (bad_record, bad_record_count) or the visitor's.
template <typename F>
std::error_code for_each_record(std::span<const uint8_t> records_payload, int32_t count, F&& f) {
  record_iterator it(records_payload, count);
  record_view r;
  while (!it.done()) {
    if (auto ec = it.next(r)) return ec;
    bool stop = false;
    std::error_code ec = detail::invoke_visitor(f, stop, static_cast<const record_view&>(r));
    if (stop) return ec;
  }
  return it.finish();
}

// Records of an uncompressed batch; errc::unsupported_compression for a compressed one (see compression.h for
// the overload that decompresses).
template <typename F>
std::error_code for_each_record(const batch_view& batch, F&& f) {
  if (batch.is_compressed()) return make_error_code(errc::unsupported_compression);
  return for_each_record(batch.records_payload(), batch.record_count(), std::forward<F>(f));
}

// Calls f(const header_view&) for each of `count` headers in `headers_bytes` (a record_view's headers_bytes and
// header_count).
template <typename F>
std::error_code for_each_header(std::span<const uint8_t> headers_bytes, uint32_t count, F&& f) {
  const uint8_t* p = headers_bytes.data();
  const uint8_t* end = p + headers_bytes.size();
  header_view h;
  for (uint32_t i = 0; i < count; ++i) {
    if (auto ec = decode_header(p, end, h)) return ec;
    bool stop = false;
    std::error_code ec = detail::invoke_visitor(f, stop, static_cast<const header_view&>(h));
    if (stop) return ec;
  }
  return p == end ? std::error_code{} : make_error_code(errc::bad_record);
}

// ---------------------------------------------------------------------------------------------------------------
// Building batches
// ---------------------------------------------------------------------------------------------------------------

struct record_header {
  std::span<const uint8_t> key;
  std::optional<std::span<const uint8_t>> value;
};

struct record_input {
  int64_t timestamp = 0;  // absolute, ms
  std::optional<std::span<const uint8_t>> key;
  std::optional<std::span<const uint8_t>> value;
  std::span<const record_header> headers;
  std::optional<int32_t> offset_delta;  // default: the previous record's offset delta + 1 (0 for the first)
  int8_t attributes = 0;
};

struct batch_options {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = no_partition_leader_epoch;
  int64_t producer_id = no_producer_id;
  int16_t producer_epoch = no_producer_epoch;
  int32_t base_sequence = no_sequence;
  compression codec = compression::none;
  bool transactional = false;
  bool control = false;
  bool log_append_time = false;
  // Base timestamp; default: the first record's timestamp (or -1 for an empty batch).
  std::optional<int64_t> base_timestamp;
  // maxTimestamp override (e.g. the log append time); default: the largest record timestamp.
  std::optional<int64_t> max_timestamp;
};

inline std::span<const uint8_t> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Accumulates encoded records, then emits a v2 batch with a valid CRC.
class batch_builder {
 public:
  explicit batch_builder(batch_options opts = {}) : opts_(std::move(opts)) {}

  batch_options& options() noexcept { return opts_; }
  const batch_options& options() const noexcept { return opts_; }

  void add(const record_input& r);
  // Convenience: nullopt means a null key / value.
  void add(int64_t timestamp, std::optional<std::string_view> key, std::optional<std::string_view> value,
           std::span<const record_header> headers = {});

  int32_t record_count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // Uncompressed size of the batch that build() would produce.
  size_t uncompressed_size() const noexcept { return batch_header_size + body_.size(); }

  // The finished batch (compressing the records with options().codec). Errors only from the codec.
  result<std::vector<uint8_t>> build() const;
  // Appends the finished batch to `out`.
  std::error_code append_to(std::vector<uint8_t>& out) const;
  // Forgets the records (keeps the options).
  void clear() noexcept;

 private:
  batch_options opts_;
  std::vector<uint8_t> body_;
  int32_t count_ = 0;
  int32_t last_offset_delta_ = -1;
  std::optional<int64_t> base_ts_;  // fixed by the first add()
  int64_t max_ts_ = -1;
};

}  // namespace samsa::records
