#include "samsa/records/compression.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "samsa/base/endian.h"

namespace samsa::records {
namespace {

constexpr compression kCodecs[] = {compression::none, compression::gzip, compression::snappy, compression::lz4,
                                   compression::zstd};

std::vector<uint8_t> sample_data(size_t n, uint64_t seed = 1) {
  // Compressible but not trivial (every codec, including snappy, must shrink it): random words.
  static const char* const kWords[] = {"kafka", "samsa", "record", "batch", "offset", "topic", "partition",
                                       "leader", "epoch", "producer", "consumer", "gregor", "the", "of", "and"};
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v;
  v.reserve(n + 16);
  while (v.size() < n) {
    const char* w = kWords[rng() % std::size(kWords)];
    v.insert(v.end(), w, w + std::strlen(w));
    v.push_back(rng() % 8 == 0 ? '\n' : ' ');
  }
  v.resize(n);
  return v;
}

class CodecTest : public ::testing::TestWithParam<compression> {};

TEST_P(CodecTest, RoundTrip) {
  const compression c = GetParam();
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{65535}, size_t{65536}, size_t{300000}}) {
    auto in = sample_data(n, n);
    auto z = compress(c, in);
    ASSERT_TRUE(z) << to_string(c) << " " << z.error().message();
    if (c != compression::none && n >= 65536) {
      EXPECT_LT(z->size(), n);
    }
    auto out = decompress(c, *z, n + 10);
    ASSERT_TRUE(out) << to_string(c) << " n=" << n << " " << out.error().message();
    EXPECT_EQ(*out, in) << to_string(c) << " n=" << n;
    // Exactly enough room is enough.
    auto exact = decompress(c, *z, n);
    ASSERT_TRUE(exact) << to_string(c) << " n=" << n << " " << exact.error().message();
    EXPECT_EQ(*exact, in);
    // One byte less is too large.
    if (n > 0) {
      auto small = decompress(c, *z, n - 1);
      ASSERT_FALSE(small) << to_string(c) << " n=" << n;
      EXPECT_EQ(small.error(), errc::too_large);
    }
  }
}

TEST_P(CodecTest, BatchRoundTripAndIteration) {
  const compression c = GetParam();
  batch_options o;
  o.codec = c;
  o.base_offset = 77;
  o.producer_id = 9;
  o.producer_epoch = 1;
  o.base_sequence = 0;
  batch_builder b(o);
  for (int i = 0; i < 500; ++i)
    b.add(1000 + i, "key-" + std::to_string(i), std::string(100, static_cast<char>('a' + i % 26)));
  auto bytes = b.build();
  ASSERT_TRUE(bytes);
  auto v = batch_view::parse(*bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->compression(), c);
  EXPECT_EQ(v->is_compressed(), c != compression::none);
  EXPECT_EQ(v->record_count(), 500);
  EXPECT_EQ(v->last_offset_delta(), 499);
  EXPECT_FALSE(v->validate());
  if (c != compression::none) {
    EXPECT_LT(bytes->size(), b.uncompressed_size());
    EXPECT_EQ(for_each_record(*v, [](const record_view&) {}), errc::unsupported_compression);
  }
  std::vector<uint8_t> scratch;
  int n = 0;
  auto ec = for_each_record(*v, scratch, default_max_decompressed, [&](const record_view& r) {
    EXPECT_EQ(r.offset_delta, n);
    EXPECT_EQ(r.timestamp_delta, n);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.key->data()), r.key->size()), "key-" + std::to_string(n));
    EXPECT_EQ(r.value->size(), 100u);
    EXPECT_EQ((*r.value)[0], static_cast<uint8_t>('a' + n % 26));
    ++n;
  });
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(n, 500);
  EXPECT_FALSE(validate_records(*v, scratch));
  // Bounded output on the batch path too.
  if (c != compression::none) {
    EXPECT_EQ(for_each_record(*v, scratch, 1000, [](const record_view&) {}), errc::too_large);
  }
}

TEST_P(CodecTest, CorruptInputFailsCleanly) {
  const compression c = GetParam();
  auto in = sample_data(20000, 3);
  if (c == compression::none) {  // "decompressing" copies, bounded all the same
    EXPECT_EQ(decompress(c, in, in.size() - 1).error(), errc::too_large);
    EXPECT_EQ(decompress(c, in, in.size()).value(), in);
    return;
  }
  auto z = compress(c, in).value();
  // Truncations.
  for (size_t cut = 0; cut < z.size(); cut += std::max<size_t>(1, z.size() / 97)) {
    auto out = decompress(c, std::span<const uint8_t>(z).first(cut), 1 << 20);
    if (out) {
      EXPECT_NE(*out, in) << "cut=" << cut;  // a prefix can never decode to the whole input
    } else {
      EXPECT_TRUE(out.error() == errc::decompression_failed || out.error() == errc::too_large) << cut;
    }
  }
  // Random corruption: must not crash, output bounded.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 300; ++i) {
    auto bad = z;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
    auto out = decompress(c, bad, 50000);
    if (out) {
      EXPECT_LE(out->size(), 50000u);
    }
  }
  // Garbage.
  std::vector<uint8_t> garbage(1000);
  for (auto& g : garbage) g = static_cast<uint8_t>(rng());
  auto out = decompress(c, garbage, 1 << 20);
  if (out) {
    EXPECT_LE(out->size(), size_t{1} << 20);
  }
}

TEST_P(CodecTest, DecompressionBombRejected) {
  const compression c = GetParam();
  // 64 MiB of zeros compresses to a tiny payload.
  std::vector<uint8_t> zeros(64u << 20, 0);
  auto z = compress(c, zeros).value();
  if (c != compression::none) {
    EXPECT_LT(z.size(), zeros.size() / 20);  // snappy tops out around 21:1
  }
  auto out = decompress(c, z, 1u << 20);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error(), errc::too_large);
  std::vector<uint8_t> scratch;
  EXPECT_EQ(decompress_into(c, z, 1u << 20, scratch), errc::too_large);
  EXPECT_LE(scratch.capacity(), size_t{1} << 20);  // never allocated beyond the limit
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest, ::testing::ValuesIn(kCodecs),
                         [](const ::testing::TestParamInfo<compression>& i) { return std::string(to_string(i.param)); });

std::vector<uint8_t> xerial_frame(const std::vector<std::vector<uint8_t>>& chunks) {
  std::vector<uint8_t> out = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  for (const auto& c : chunks) {
    std::string z;
    snappy::Compress(reinterpret_cast<const char*>(c.data()), c.size(), &z);
    uint8_t len[4];
    be::store<int32_t>(len, static_cast<int32_t>(z.size()));
    out.insert(out.end(), len, len + 4);
    out.insert(out.end(), z.begin(), z.end());
  }
  return out;
}

TEST(Snappy, XerialFramingDecodes) {
  auto a = sample_data(32768, 1);
  auto b = sample_data(32768, 2);
  auto c = sample_data(1000, 3);
  auto framed = xerial_frame({a, b, c});
  auto out = decompress(compression::snappy, framed, 1 << 20);
  ASSERT_TRUE(out) << out.error().message();
  std::vector<uint8_t> expect = a;
  expect.insert(expect.end(), b.begin(), b.end());
  expect.insert(expect.end(), c.begin(), c.end());
  EXPECT_EQ(*out, expect);
  // Bounded.
  EXPECT_EQ(decompress(compression::snappy, framed, 40000).error(), errc::too_large);
  // Header only: empty output.
  auto empty = xerial_frame({});
  auto e = decompress(compression::snappy, empty, 100);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
  // Block length beyond the input.
  auto bad = framed;
  be::store<int32_t>(bad.data() + 16, 0x7fffffff);
  EXPECT_EQ(decompress(compression::snappy, bad, 1 << 20).error(), errc::decompression_failed);
  be::store<int32_t>(bad.data() + 16, -1);
  EXPECT_EQ(decompress(compression::snappy, bad, 1 << 20).error(), errc::decompression_failed);
  // Truncated block header.
  auto trunc = framed;
  trunc.resize(18);
  EXPECT_EQ(decompress(compression::snappy, trunc, 1 << 20).error(), errc::decompression_failed);
}

TEST(Snappy, XerialBatchIterates) {
  // A batch as the Java client (snappy-java) writes it.
  batch_builder plain;
  for (int i = 0; i < 50; ++i) plain.add(i, "k", "v" + std::to_string(i));
  auto raw = plain.build().value();
  std::vector<uint8_t> body(raw.begin() + batch_header_size, raw.end());
  auto framed = xerial_frame({body});
  std::vector<uint8_t> batch(raw.begin(), raw.begin() + batch_header_size);
  batch.insert(batch.end(), framed.begin(), framed.end());
  be::store<int32_t>(batch.data() + offset::batch_length, static_cast<int32_t>(batch.size() - log_overhead));
  set_attributes(batch, static_cast<int16_t>(compression::snappy));
  recompute_crc(batch);
  auto v = batch_view::parse(batch).value();
  std::vector<uint8_t> scratch;
  EXPECT_FALSE(validate_records(v, scratch));
  int n = 0;
  EXPECT_FALSE(for_each_record(v, scratch, 1 << 20, [&](const record_view& r) { EXPECT_EQ(r.offset_delta, n++); }));
  EXPECT_EQ(n, 50);
}

TEST(Snappy, RawBombRejectedBeforeAllocation) {
  // A raw snappy stream whose preamble claims ~4 GiB: rejected from the header alone.
  std::vector<uint8_t> bomb = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
  std::vector<uint8_t> out;
  EXPECT_EQ(decompress_into(compression::snappy, bomb, 1 << 20, out), errc::too_large);
  EXPECT_EQ(out.capacity(), 0u);
}

TEST(Gzip, ConcatenatedMembers) {
  auto a = sample_data(5000, 8);
  auto b = sample_data(7000, 9);
  auto za = compress(compression::gzip, a).value();
  auto zb = compress(compression::gzip, b).value();
  za.insert(za.end(), zb.begin(), zb.end());
  auto out = decompress(compression::gzip, za, 1 << 20);
  ASSERT_TRUE(out);
  std::vector<uint8_t> expect = a;
  expect.insert(expect.end(), b.begin(), b.end());
  EXPECT_EQ(*out, expect);
  // gzip framing: magic 1f 8b.
  EXPECT_EQ(zb[0], 0x1f);
  EXPECT_EQ(zb[1], 0x8b);
}

TEST(Zstd, StreamingFrameWithoutContentSizeIsBounded) {
  // A frame produced by the streaming API carries no content size: the bound must still hold.
  std::vector<uint8_t> zeros(16u << 20, 0);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::vector<uint8_t> z(ZSTD_compressBound(zeros.size()));
  ZSTD_outBuffer ob{z.data(), z.size(), 0};
  ZSTD_inBuffer ib{zeros.data(), zeros.size(), 0};
  while (ib.pos < ib.size) ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_continue)));
  ZSTD_inBuffer none{nullptr, 0, 0};
  size_t r;
  do {
    r = ZSTD_compressStream2(cctx, &ob, &none, ZSTD_e_end);
    ASSERT_FALSE(ZSTD_isError(r));
  } while (r != 0);
  ZSTD_freeCCtx(cctx);
  z.resize(ob.pos);
  EXPECT_EQ(ZSTD_getFrameContentSize(z.data(), z.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  std::vector<uint8_t> out;
  EXPECT_EQ(decompress_into(compression::zstd, z, 1u << 20, out), errc::too_large);
  EXPECT_LE(out.capacity(), 1u << 20);
  EXPECT_FALSE(decompress_into(compression::zstd, z, zeros.size(), out));
  EXPECT_EQ(out, zeros);
}

TEST(Compression, UnknownCodec) {
  std::vector<uint8_t> in = {1, 2, 3};
  EXPECT_EQ(compress(static_cast<compression>(6), in).error(), errc::unsupported_compression);
  EXPECT_EQ(decompress(static_cast<compression>(7), in, 100).error(), errc::unsupported_compression);
  EXPECT_EQ(to_string(static_cast<compression>(5)), "unknown");
}

}  // namespace
}  // namespace samsa::records
