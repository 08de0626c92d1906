#include "samsa/base/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using samsa::crc32c::extend;
using samsa::crc32c::extend_portable;
using samsa::crc32c::value;

// Bit-at-a-time reference.
uint32_t reference(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(extend(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(extend_portable(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(value("", 0), 0u);
  // RFC 3720 (iSCSI) B.4 test vectors.
  std::vector<uint8_t> buf(32, 0);
  EXPECT_EQ(value(buf.data(), buf.size()), 0x8A9136AAu);
  std::fill(buf.begin(), buf.end(), 0xff);
  EXPECT_EQ(value(buf.data(), buf.size()), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(value(buf.data(), buf.size()), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(value(buf.data(), buf.size()), 0x113FDB5Cu);
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(value(fox.data(), fox.size()), 0x22620404u);
}

TEST(Crc32c, ExtendIsIncremental) {
  const std::string s = "hello, samsa record batches";
  const uint32_t whole = value(s.data(), s.size());
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    const uint32_t a = extend(0, s.data(), cut);
    EXPECT_EQ(extend(a, s.data() + cut, s.size() - cut), whole) << cut;
    EXPECT_EQ(extend_portable(extend_portable(0, s.data(), cut), s.data() + cut, s.size() - cut), whole);
  }
}

TEST(Crc32c, HardwareMatchesPortableRandomSizesAndAlignments) {
  std::mt19937_64 rng(42);
  std::vector<uint8_t> buf(200000 + 64);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  std::vector<size_t> sizes = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 255, 256, 257, 767, 768, 769, 1000,
                               3 * 256 * 2 + 5, 8191, 8192, 3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 3 * 8192 * 2 + 777,
                               100000, 200000};
  for (int i = 0; i < 200; ++i) sizes.push_back(rng() % 70000);
  for (size_t n : sizes) {
    for (size_t align = 0; align < 8; ++align) {
      const uint8_t* p = buf.data() + align;
      const uint32_t seed = static_cast<uint32_t>(rng());
      ASSERT_EQ(extend(seed, p, n), extend_portable(seed, p, n)) << "n=" << n << " align=" << align;
    }
  }
}

TEST(Crc32c, MatchesBitwiseReference) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(30000);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t n : {size_t{0}, size_t{1}, size_t{13}, size_t{100}, size_t{4097}, size_t{30000}}) {
    EXPECT_EQ(value(buf.data(), n), reference(buf.data(), n)) << n;
    EXPECT_EQ(extend_portable(0, buf.data(), n), reference(buf.data(), n)) << n;
  }
}

TEST(Crc32c, ReportsAcceleration) {
#if defined(__x86_64__)
  EXPECT_EQ(samsa::crc32c::hardware_accelerated(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
#else
  SUCCEED() << "hardware_accelerated=" << samsa::crc32c::hardware_accelerated();
#endif
}

}  // namespace
