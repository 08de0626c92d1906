// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value ~0, final xor ~0.
//
// Accelerated paths (chosen at run time, no global -msse4.2 / -march needed):
//  * x86-64 with SSE4.2: the crc32 instruction, three independent streams interleaved to hide its 3-cycle latency,
//    the streams merged with precomputed "shift by N zero bytes" tables (the method of Mark Adler's crc32c.c).
//  * AArch64 with the CRC extension: the same scheme with __crc32cd.
// Fallback: slicing-by-8 tables.
#include "samsa/base/crc32c.h"

#include <bit>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define SAMSA_CRC32C_X86 1
#include <nmmintrin.h>
#elif defined(__aarch64__)
#define SAMSA_CRC32C_ARM 1
#include <arm_acle.h>
#if defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif
#endif

namespace samsa::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

struct slice_tables {
  uint32_t t[8][256];
};

constexpr slice_tables make_slice_tables() {
  slice_tables s{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    s.t[0][i] = c;
  }
  for (int k = 1; k < 8; ++k)
    for (uint32_t i = 0; i < 256; ++i) s.t[k][i] = (s.t[k - 1][i] >> 8) ^ s.t[0][s.t[k - 1][i] & 0xff];
  return s;
}

constexpr slice_tables kSlice = make_slice_tables();

// Raw register update (no pre/post inversion).
uint32_t raw_portable(uint32_t crc, const uint8_t* p, size_t n) noexcept {
  const auto& t = kSlice.t;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    --n;
  }
  if constexpr (std::endian::native == std::endian::little) {
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      const uint32_t lo = static_cast<uint32_t>(w) ^ crc;
      const uint32_t hi = static_cast<uint32_t>(w >> 32);
      crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
      p += 8;
      n -= 8;
    }
  }
  while (n > 0) {
    crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    --n;
  }
  return crc;
}

#if defined(SAMSA_CRC32C_X86) || defined(SAMSA_CRC32C_ARM)

// Block sizes of the three interleaved streams.
constexpr size_t kLong = 8192;
constexpr size_t kShort = 256;

// Tables applying the linear operator "feed N zero bytes" to a raw CRC register, one byte of the register at a
// time: shift(crc) = z[0][crc & 0xff] ^ z[1][(crc >> 8) & 0xff] ^ z[2][(crc >> 16) & 0xff] ^ z[3][crc >> 24].
struct shift_table {
  uint32_t z[4][256];
};

void make_shift_table(shift_table& st, size_t zeros) noexcept {
  // The operator is linear over GF(2): compute its image of each of the 32 basis vectors, then combine.
  static const uint8_t kZeros[kLong] = {};
  uint32_t basis[32];
  for (int b = 0; b < 32; ++b) basis[b] = raw_portable(uint32_t{1} << b, kZeros, zeros);
  for (int k = 0; k < 4; ++k)
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t v = 0;
      for (int bit = 0; bit < 8; ++bit)
        if (i & (1u << bit)) v ^= basis[8 * k + bit];
      st.z[k][i] = v;
    }
}

inline uint32_t shift(const shift_table& st, uint32_t crc) noexcept {
  return st.z[0][crc & 0xff] ^ st.z[1][(crc >> 8) & 0xff] ^ st.z[2][(crc >> 16) & 0xff] ^ st.z[3][crc >> 24];
}

struct hw_state {
  bool available = false;
  shift_table long_shift;
  shift_table short_shift;
};

bool detect_hardware() noexcept {
#if defined(SAMSA_CRC32C_X86)
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#elif defined(SAMSA_CRC32C_ARM) && defined(__linux__) && defined(HWCAP_CRC32)
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(SAMSA_CRC32C_ARM) && defined(__ARM_FEATURE_CRC32)
  return true;
#else
  return false;
#endif
}

const hw_state& hw() noexcept {
  static const hw_state* s = [] {
    static hw_state st;
    st.available = detect_hardware();
    if (st.available) {
      make_shift_table(st.long_shift, kLong);
      make_shift_table(st.short_shift, kShort);
    }
    return &st;
  }();
  return *s;
}

#if defined(SAMSA_CRC32C_X86)
#define SAMSA_CRC_TARGET __attribute__((target("sse4.2")))
SAMSA_CRC_TARGET inline uint32_t hw_u8(uint32_t crc, uint8_t v) noexcept { return _mm_crc32_u8(crc, v); }
SAMSA_CRC_TARGET inline uint32_t hw_u64(uint32_t crc, uint64_t v) noexcept {
  return static_cast<uint32_t>(_mm_crc32_u64(crc, v));
}
#else
#define SAMSA_CRC_TARGET __attribute__((target("+crc")))
SAMSA_CRC_TARGET inline uint32_t hw_u8(uint32_t crc, uint8_t v) noexcept { return __crc32cb(crc, v); }
SAMSA_CRC_TARGET inline uint32_t hw_u64(uint32_t crc, uint64_t v) noexcept { return __crc32cd(crc, v); }
#endif

inline uint64_t load64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // both targets are little endian
}

SAMSA_CRC_TARGET uint32_t raw_hardware(uint32_t crc0, const uint8_t* p, size_t n, const hw_state& st) noexcept {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc0 = hw_u8(crc0, *p++);
    --n;
  }
  while (n >= 3 * kLong) {
    uint32_t crc1 = 0, crc2 = 0;
    const uint8_t* const end = p + kLong;
    do {
      crc0 = hw_u64(crc0, load64(p));
      crc1 = hw_u64(crc1, load64(p + kLong));
      crc2 = hw_u64(crc2, load64(p + 2 * kLong));
      p += 8;
    } while (p < end);
    crc0 = shift(st.long_shift, crc0) ^ crc1;
    crc0 = shift(st.long_shift, crc0) ^ crc2;
    p += 2 * kLong;
    n -= 3 * kLong;
  }
  while (n >= 3 * kShort) {
    uint32_t crc1 = 0, crc2 = 0;
    const uint8_t* const end = p + kShort;
    do {
      crc0 = hw_u64(crc0, load64(p));
      crc1 = hw_u64(crc1, load64(p + kShort));
      crc2 = hw_u64(crc2, load64(p + 2 * kShort));
      p += 8;
    } while (p < end);
    crc0 = shift(st.short_shift, crc0) ^ crc1;
    crc0 = shift(st.short_shift, crc0) ^ crc2;
    p += 2 * kShort;
    n -= 3 * kShort;
  }
  while (n >= 8) {
    crc0 = hw_u64(crc0, load64(p));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc0 = hw_u8(crc0, *p++);
    --n;
  }
  return crc0;
}

#endif  // accelerated

}  // namespace

uint32_t extend_portable(uint32_t crc, const void* data, size_t size) noexcept {
  if (size == 0) return crc;
  return ~raw_portable(~crc, static_cast<const uint8_t*>(data), size);
}

uint32_t extend(uint32_t crc, const void* data, size_t size) noexcept {
  if (size == 0) return crc;
#if defined(SAMSA_CRC32C_X86) || defined(SAMSA_CRC32C_ARM)
  const hw_state& st = hw();
  if (st.available) return ~raw_hardware(~crc, static_cast<const uint8_t*>(data), size, st);
#endif
  return ~raw_portable(~crc, static_cast<const uint8_t*>(data), size);
}

bool hardware_accelerated() noexcept {
#if defined(SAMSA_CRC32C_X86) || defined(SAMSA_CRC32C_ARM)
  return hw().available;
#else
  return false;
#endif
}

}  // namespace samsa::crc32c
