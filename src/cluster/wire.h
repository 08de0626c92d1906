#pragma once
// Private: the varints of the metadata log's envelopes (a batch's version and count, each record's type, version and
// length; a snapshot's header). The records themselves are generated code (records.h). The reader is bounds-checked
// and sticky: after the first failure every read fails and error() tells why.
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
