#include <gtest/gtest.h>

#include "samsa/protocol/wire.h"

namespace samsa::protocol {
namespace {

std::vector<uint8_t> encode_uvarint(uint32_t v) {
  std::vector<uint8_t> out(varint::unsigned_size(v));
  writer w(out.data(), out.size());
  w.write_uvarint(v);
  return out;
}

TEST(Wire, UnsignedVarintKnownEncodings) {
  EXPECT_EQ(encode_uvarint(0), (std::vector<uint8_t>{0x00}));
  EXPECT_EQ(encode_uvarint(127), (std::vector<uint8_t>{0x7f}));
  EXPECT_EQ(encode_uvarint(128), (std::vector<uint8_t>{0x80, 0x01}));
  EXPECT_EQ(encode_uvarint(300), (std::vector<uint8_t>{0xac, 0x02}));
  EXPECT_EQ(encode_uvarint(UINT32_MAX), (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0x0f}));
}

TEST(Wire, UnsignedVarintRoundTripsAtBoundaries) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u, 268435455u, 268435456u, UINT32_MAX}) {
    auto b = encode_uvarint(v);
    reader r(b);
    EXPECT_EQ(r.read_uvarint(), v);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(Wire, OverlongOrOversizedVarintFails) {
  const std::vector<uint8_t> six_bytes = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  reader r1(six_bytes);
  r1.read_uvarint();
  EXPECT_EQ(r1.error(), make_error_code(errc::bad_varint));
  const std::vector<uint8_t> above_u32 = {0xff, 0xff, 0xff, 0xff, 0x1f};
  reader r2(above_u32);
  r2.read_uvarint();
  EXPECT_EQ(r2.error(), make_error_code(errc::bad_varint));
  const std::vector<uint8_t> cut = {0x80, 0x80};
  reader r3(cut);
  r3.read_uvarint();
  EXPECT_EQ(r3.error(), make_error_code(errc::truncated));
}

TEST(Wire, ZigzagMatchesKafka) {
  EXPECT_EQ(varint::zigzag32(0), 0u);
  EXPECT_EQ(varint::zigzag32(-1), 1u);
  EXPECT_EQ(varint::zigzag32(1), 2u);
  EXPECT_EQ(varint::zigzag32(-2), 3u);
  EXPECT_EQ(varint::zigzag64(INT64_MIN), UINT64_MAX);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{12345}, INT64_MAX, INT64_MIN})
    EXPECT_EQ(varint::unzigzag64(varint::zigzag64(v)), v);
}

TEST(Wire, BigEndianIntegers) {
  std::vector<uint8_t> buf(14);
  writer w(buf.data(), buf.size());
  w.write_int<int16_t>(-2);
  w.write_int<int32_t>(0x01020304);
  w.write_int<int64_t>(0x05060708090a0b0cLL);
  EXPECT_EQ(buf, (std::vector<uint8_t>{0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  reader r(buf);
  EXPECT_EQ(r.read_int<int16_t>(), -2);
  EXPECT_EQ(r.read_int<int32_t>(), 0x01020304);
  EXPECT_EQ(r.read_int<int64_t>(), 0x05060708090a0b0cLL);
  EXPECT_TRUE(r.ok());
}

TEST(Wire, ReaderFailureIsStickyAndSafe) {
  const std::vector<uint8_t> two = {1, 2};
  reader r(two);
  EXPECT_EQ(r.read_int<int32_t>(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.read_int<int8_t>(), 0);  // no read past the failure
  EXPECT_EQ(r.error(), make_error_code(errc::truncated));
}

TEST(Wire, LengthsBeyondInputFailBeforeAllocation) {
  const std::vector<uint8_t> str = {0x7f, 0xff, 'a'};  // int16 length 32767 with one byte behind it
  reader r(str);
  EXPECT_EQ(r.read_string_length(false), 0);
  EXPECT_EQ(r.error(), make_error_code(errc::bad_length));
  const std::vector<uint8_t> neg = {0xff, 0xff, 0xff, 0xfe};  // int32 -2
  reader r2(neg);
  r2.read_bytes_length(false);
  EXPECT_EQ(r2.error(), make_error_code(errc::bad_length));
  const std::vector<uint8_t> compact_null = {0x00};
  reader r3(compact_null);
  EXPECT_EQ(r3.read_string_length(true), -1);
  EXPECT_TRUE(r3.ok());
}

}  // namespace
}  // namespace samsa::protocol
