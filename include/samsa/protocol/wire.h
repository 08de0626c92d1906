#pragma once
// Primitive encoders and decoders of the Kafka wire format, used by the generated message code.
//
// The reader never throws and never reads out of bounds: the first problem makes it "failed" (sticky), every
// later read returns a zero value, and the caller checks ok() once at the end. Lengths and counts are checked
// against the bytes remaining before anything is allocated. The writer writes into a buffer sized beforehand
// with the message's size(version); overrunning it is a bug and aborts.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "samsa/base/endian.h"
#include "samsa/base/varint.h"

namespace samsa::protocol {

enum class errc {
  truncated = 1,       // input ended inside a field
  bad_length,          // a length or count that cannot fit in the bytes remaining, or < -1
  bad_varint,          // overlong or out-of-range unsigned varint
  unexpected_null,     // null where this version does not allow it
  trailing_bytes,      // bytes left after the message
  unsupported_version, // version outside the API's range
  unknown_api,         // api key we do not know
  frame_too_large,     // frame over socket.request.max.bytes
};
const std::error_category& protocol_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), protocol_category()}; }

using bytes = std::vector<uint8_t>;

struct uuid {
  std::array<uint8_t, 16> value{};
  bool is_zero() const noexcept { for (auto b : value) if (b) return false; return true; }
  bool operator==(const uuid&) const = default;
};

// A non-owning view of record-batch bytes (the `records` type), so produce payloads are never copied while
// decoding. The decoded message must not outlive the buffer it was decoded from.
struct records_view {
  const uint8_t* ptr = nullptr;
  size_t len = 0;
  const uint8_t* data() const noexcept { return ptr; }
  size_t size() const noexcept { return len; }
  std::span<const uint8_t> span() const noexcept { return {ptr, len}; }
  bool operator==(const records_view& o) const noexcept {
    return len == o.len && (len == 0 || std::memcmp(ptr, o.ptr, len) == 0);
  }
};

// A tagged field this code does not know: kept so that decoding and re-encoding preserves it.
struct tagged_field {
  uint32_t tag = 0;
  bytes data;
  bool operator==(const tagged_field&) const = default;
};

class reader {
 public:
  explicit reader(std::span<const uint8_t> in) noexcept : p_(in.data()), end_(in.data() + in.size()) {}

  bool ok() const noexcept { return !err_; }
  std::error_code error() const noexcept { return err_ ? make_error_code(err_code_) : std::error_code{}; }
  void fail(errc e) noexcept {
    if (!err_) { err_ = true; err_code_ = e; }
    p_ = end_;
  }
  size_t remaining() const noexcept { return static_cast<size_t>(end_ - p_); }
  const uint8_t* position() const noexcept { return p_; }

  template <typename T>
  T read_int() noexcept {
    if (remaining() < sizeof(T)) { fail(errc::truncated); return T{}; }
    T v = be::load<T>(p_);
    p_ += sizeof(T);
    return v;
  }
  bool read_bool() noexcept { return read_int<uint8_t>() != 0; }
  double read_float64() noexcept {
    uint64_t bits = read_int<uint64_t>();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  uint32_t read_uvarint() noexcept {
    uint64_t v = 0;
    size_t n = varint::get_unsigned(p_, end_, varint::max_varint_bytes, v);
    if (n == 0) { fail(remaining() < varint::max_varint_bytes ? errc::truncated : errc::bad_varint); return 0; }
    if (v > UINT32_MAX) { fail(errc::bad_varint); return 0; }
    p_ += n;
    return static_cast<uint32_t>(v);
  }
  uuid read_uuid() noexcept {
    uuid u;
    auto s = read_raw(16);
    if (s.size() == 16) std::memcpy(u.value.data(), s.data(), 16);
    return u;
  }
  std::span<const uint8_t> read_raw(size_t n) noexcept {
    if (remaining() < n) { fail(errc::truncated); return {}; }
    std::span<const uint8_t> s(p_, n);
    p_ += n;
    return s;
  }
  // Length of a string: -1 = null. Classic: int16; compact: uvarint(len + 1).
  int32_t read_string_length(bool flexible) noexcept {
    int32_t n = flexible ? static_cast<int32_t>(read_compact_length()) : read_int<int16_t>();
    return check_length(n, 1);
  }
  // Length of bytes/records: -1 = null. Classic: int32; compact: uvarint(len + 1).
  int32_t read_bytes_length(bool flexible) noexcept {
    int32_t n = flexible ? static_cast<int32_t>(read_compact_length()) : read_int<int32_t>();
    return check_length(n, 1);
  }
  // Count of an array: -1 = null. Each element takes at least `min_element_size` bytes, which bounds the
  // count by the bytes remaining before the caller allocates.
  int32_t read_array_length(bool flexible, size_t min_element_size) noexcept {
    int32_t n = flexible ? static_cast<int32_t>(read_compact_length()) : read_int<int32_t>();
    return check_length(n, min_element_size == 0 ? 1 : min_element_size);
  }

 private:
  int64_t read_compact_length() noexcept {
    uint32_t v = read_uvarint();
    if (!ok()) return 0;
    if (v > static_cast<uint32_t>(INT32_MAX)) { fail(errc::bad_length); return 0; }
    return static_cast<int64_t>(v) - 1;
  }
  int32_t check_length(int32_t n, size_t unit) noexcept {
    if (!ok()) return 0;
    if (n < -1) { fail(errc::bad_length); return 0; }
    if (n > 0 && static_cast<uint64_t>(n) > remaining() / unit) { fail(errc::bad_length); return 0; }
    return n;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool err_ = false;
  errc err_code_ = errc::truncated;
};

class writer {
 public:
  writer(uint8_t* out, size_t capacity) noexcept : begin_(out), p_(out), end_(out + capacity) {}

  // Records fields given as records_view{nullptr, n} are then not written: their offsets in the output are
  // appended to `holes` and the caller splices the real bytes in (e.g. with sendfile) when sending.
  void set_hole_sink(std::vector<size_t>* holes) noexcept { holes_ = holes; }
  explicit writer(std::span<uint8_t> out) noexcept : writer(out.data(), out.size()) {}

  size_t remaining() const noexcept { return static_cast<size_t>(end_ - p_); }
  uint8_t* position() const noexcept { return p_; }

  template <typename T>
  void write_int(T v) noexcept {
    reserve(sizeof(T));
    be::store<T>(p_, v);
    p_ += sizeof(T);
  }
  void write_bool(bool b) noexcept { write_int<uint8_t>(b ? 1 : 0); }
  void write_float64(double d) noexcept {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    write_int<uint64_t>(bits);
  }
  void write_uvarint(uint32_t v) noexcept {
    reserve(varint::unsigned_size(v));
    p_ += varint::put_unsigned(p_, v);
  }
  void write_uuid(const uuid& u) noexcept { write_raw(u.value.data(), 16); }
  void write_raw(const void* data, size_t n) noexcept {
    if (n == 0) return;
    if (data == nullptr && holes_ != nullptr) {
      // A records field whose bytes are sent separately (zero-copy fetch): note where they belong instead.
      holes_->push_back(static_cast<size_t>(p_ - begin_));
      return;
    }
    reserve(n);
    std::memcpy(p_, data, n);
    p_ += n;
  }
  void write_string_length(int32_t n, bool flexible) noexcept {
    if (flexible) write_uvarint(static_cast<uint32_t>(n + 1));
    else write_int<int16_t>(static_cast<int16_t>(n));
  }
  void write_bytes_length(int32_t n, bool flexible) noexcept {
    if (flexible) write_uvarint(static_cast<uint32_t>(n + 1));
    else write_int<int32_t>(n);
  }
  void write_array_length(int32_t n, bool flexible) noexcept { write_bytes_length(n, flexible); }

  static size_t string_length_size(int32_t n, bool flexible) noexcept {
    return flexible ? varint::unsigned_size(static_cast<uint32_t>(n + 1)) : 2;
  }
  static size_t bytes_length_size(int32_t n, bool flexible) noexcept {
    return flexible ? varint::unsigned_size(static_cast<uint32_t>(n + 1)) : 4;
  }

 private:
  void reserve(size_t n) noexcept {
    if (remaining() < n) std::abort();  // size(version) and encode(version) disagree: a generator bug
  }
  uint8_t* begin_;
  uint8_t* p_;
  uint8_t* end_;
  std::vector<size_t>* holes_ = nullptr;
};

}  // namespace samsa::protocol

template <>
struct std::is_error_code_enum<samsa::protocol::errc> : std::true_type {};
