#pragma once
// Private: the primitive encoders of metadata records and snapshots. Integers are zigzag varints (unsigned varints
// for lengths, counts, types, versions), strings are uvarint-length-prefixed bytes, a uuid is 16 raw bytes
// (big-endian hi then lo). The reader is bounds-checked and sticky: after the first failure every read fails and
// error() tells why.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "samsa/base/varint.h"
#include "samsa/cluster/types.h"

namespace samsa::cluster::wire {

inline void put_uvarint(std::string& out, uint64_t v) {
  uint8_t buf[varint::max_varlong_bytes];
  out.append(reinterpret_cast<const char*>(buf), varint::put_unsigned(buf, v));
}
inline void put_varlong(std::string& out, int64_t v) { put_uvarint(out, varint::zigzag64(v)); }
inline void put_string(std::string& out, std::string_view s) {
  put_uvarint(out, s.size());
  out.append(s);
}
inline void put_bool(std::string& out, bool b) { out.push_back(b ? 1 : 0); }
inline void put_uuid(std::string& out, const uuid& u) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(u.hi >> (56 - 8 * i)));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(u.lo >> (56 - 8 * i)));
}
inline void put_opt_string(std::string& out, const std::optional<std::string>& s) {
  put_bool(out, s.has_value());
  if (s) put_string(out, *s);
}

class reader {
 public:
  reader(std::string_view bytes, size_t pos = 0) : b_(bytes), pos_(pos) {}
  size_t pos() const noexcept { return pos_; }
  size_t remaining() const noexcept { return b_.size() - pos_; }
  bool ok() const noexcept { return !err_; }
  std::error_code error() const noexcept { return err_; }
  void fail(errc e) {
    if (!err_) err_ = make_error_code(e);
  }

  uint64_t uvarint() {
    if (err_) return 0;
    uint64_t v = 0;
    const auto* p = reinterpret_cast<const uint8_t*>(b_.data()) + pos_;
    const auto* end = reinterpret_cast<const uint8_t*>(b_.data()) + b_.size();
    const size_t n = varint::get_unsigned(p, end, varint::max_varlong_bytes, v);
    if (n == 0) {
      // Either the input ended inside the varint or it is overlong.
      fail(remaining() < varint::max_varlong_bytes ? errc::truncated : errc::malformed);
      return 0;
    }
    pos_ += n;
    return v;
  }
  int64_t varlong() { return varint::unzigzag64(uvarint()); }
  int32_t varint32() {
    const int64_t v = varlong();
    if (v < INT32_MIN || v > INT32_MAX) fail(errc::malformed);
    return err_ ? 0 : static_cast<int32_t>(v);
  }
  int16_t varint16() {
    const int64_t v = varlong();
    if (v < INT16_MIN || v > INT16_MAX) fail(errc::malformed);
    return err_ ? 0 : static_cast<int16_t>(v);
  }
  // A count of elements, each at least min_bytes long: rejects counts the remaining input cannot hold (so a
  // corrupt count cannot make us allocate gigabytes).
  size_t count(size_t min_bytes = 1) {
    const uint64_t n = uvarint();
    if (err_) return 0;
    if (min_bytes > 0 && n > remaining() / min_bytes) {
      fail(errc::truncated);
      return 0;
    }
    return static_cast<size_t>(n);
  }
  std::string string() {
    const uint64_t n = uvarint();
    if (err_) return {};
    if (n > remaining()) {
      fail(errc::truncated);
      return {};
    }
    std::string s(b_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool boolean() {
    if (err_) return false;
    if (remaining() < 1) {
      fail(errc::truncated);
      return false;
    }
    const auto v = static_cast<uint8_t>(b_[pos_++]);
    if (v > 1) fail(errc::malformed);
    return v == 1;
  }
  uuid read_uuid() {
    if (err_) return {};
    if (remaining() < 16) {
      fail(errc::truncated);
      return {};
    }
    uuid u;
    for (int i = 0; i < 8; ++i) u.hi = (u.hi << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    for (int i = 0; i < 8; ++i) u.lo = (u.lo << 8) | static_cast<uint8_t>(b_[pos_ + 8 + i]);
    pos_ += 16;
    return u;
  }
  std::optional<std::string> opt_string() {
    if (!boolean()) return std::nullopt;
    return string();
  }
  uint8_t u8() {
    if (err_) return 0;
    if (remaining() < 1) {
      fail(errc::truncated);
      return 0;
    }
    return static_cast<uint8_t>(b_[pos_++]);
  }

 private:
  std::string_view b_;
  size_t pos_;
  std::error_code err_{};
};

}  // namespace samsa::cluster::wire
