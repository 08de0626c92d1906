#pragma once
// Variable-length integers of the Kafka protocol. Two flavours that must never be mixed up:
// unsigned varints (flexible-version lengths, counts, tags) and zigzag varints/varlongs (record bodies).
#include <cstddef>
#include <cstdint>

namespace samsa::varint {

constexpr size_t max_varint_bytes = 5;
constexpr size_t max_varlong_bytes = 10;

inline size_t unsigned_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) { v >>= 7; ++n; }
  return n;
}
inline uint32_t zigzag32(int32_t v) noexcept { return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31); }
inline uint64_t zigzag64(int64_t v) noexcept { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int32_t unzigzag32(uint32_t v) noexcept { return static_cast<int32_t>(v >> 1) ^ -static_cast<int32_t>(v & 1); }
inline int64_t unzigzag64(uint64_t v) noexcept { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
inline size_t signed_size(int64_t v) noexcept { return unsigned_size(zigzag64(v)); }

// Writes v at p (which must have room for unsigned_size(v) bytes); returns the bytes written.
inline size_t put_unsigned(uint8_t* p, uint64_t v) noexcept {
  size_t n = 0;
  while (v >= 0x80) { p[n++] = static_cast<uint8_t>(v | 0x80); v >>= 7; }
  p[n++] = static_cast<uint8_t>(v);
  return n;
}

// Reads an unsigned varint of at most max_bytes bytes from [p, end). Returns the bytes consumed, 0 when the
// input ends first or the encoding is longer than max_bytes (overlong or malicious).
inline size_t get_unsigned(const uint8_t* p, const uint8_t* end, size_t max_bytes, uint64_t& out) noexcept {
  uint64_t v = 0;
  for (size_t i = 0; i < max_bytes; ++i) {
    if (p + i >= end) return 0;
    const uint8_t b = p[i];
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) { out = v; return i + 1; }
  }
  return 0;
}

}  // namespace samsa::varint
