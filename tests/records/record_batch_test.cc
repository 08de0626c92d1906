#include "samsa/records/record_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "samsa/base/crc32c.h"
#include "samsa/base/endian.h"
#include "samsa/base/varint.h"

namespace samsa::records {
namespace {

std::string str(std::span<const uint8_t> s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }

std::vector<uint8_t> sample_batch(int n = 5, batch_options opts = {}) {
  opts.base_offset = opts.base_offset ? opts.base_offset : 1000;
  batch_builder b(opts);
  const std::string hk = "trace-id";
  const std::string hv = "abc";
  record_header hdrs[2] = {{as_bytes(hk), as_bytes(hv)}, {as_bytes("nullhdr"), std::nullopt}};
  for (int i = 0; i < n; ++i) {
    const std::string k = "key-" + std::to_string(i);
    const std::string v = "value-" + std::to_string(i) + std::string(static_cast<size_t>(i) * 3, 'x');
    if (i == 1) b.add(1700000000000 + i, std::nullopt, v);           // null key
    else if (i == 2) b.add(1700000000000 + i, k, std::nullopt);      // tombstone
    else if (i == 3) b.add(1700000000000 - 50, k, v, hdrs);           // negative delta, headers
    else b.add(1700000000000 + i, k, v);
  }
  auto r = b.build();
  EXPECT_TRUE(r.has_value());
  return std::move(r).value();
}

TEST(RecordBatch, ErrorCategory) {
  std::error_code ec = errc::bad_crc;
  EXPECT_EQ(ec.category().name(), std::string("samsa.records"));
  EXPECT_EQ(ec, errc::bad_crc);
  EXPECT_FALSE(ec.message().empty());
  result<int> r = errc::truncated;
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), errc::truncated);
}

TEST(RecordBatch, HeaderLayout) {
  EXPECT_EQ(batch_header_size, 61u);
  EXPECT_EQ(offset::crc, 17u);
  EXPECT_EQ(offset::attributes, 21u);
  EXPECT_EQ(offset::record_count, 57u);
  batch_options o;
  o.base_offset = 42;
  o.partition_leader_epoch = 7;
  o.producer_id = 12345;
  o.producer_epoch = 3;
  o.base_sequence = 99;
  o.transactional = true;
  batch_builder b(o);
  b.add(100, "k", "v");
  b.add(250, "k2", "v2");
  b.add(200, std::nullopt, "v3");
  auto bytes = b.build().value();
  auto v = batch_view::parse(bytes);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->base_offset(), 42);
  EXPECT_EQ(v->partition_leader_epoch(), 7);
  EXPECT_EQ(v->magic(), 2);
  EXPECT_EQ(v->producer_id(), 12345);
  EXPECT_EQ(v->producer_epoch(), 3);
  EXPECT_EQ(v->base_sequence(), 99);
  EXPECT_TRUE(v->is_transactional());
  EXPECT_FALSE(v->is_control());
  EXPECT_FALSE(v->timestamp_type_log_append());
  EXPECT_EQ(v->compression(), compression::none);
  EXPECT_EQ(v->record_count(), 3);
  EXPECT_EQ(v->last_offset_delta(), 2);
  EXPECT_EQ(v->last_offset(), 44);
  EXPECT_EQ(v->base_timestamp(), 100);
  EXPECT_EQ(v->max_timestamp(), 250);
  EXPECT_EQ(v->size_bytes(), bytes.size());
  EXPECT_EQ(static_cast<size_t>(v->batch_length()) + 12, bytes.size());
  EXPECT_EQ(v->records_payload().size(), bytes.size() - 61);
  // Raw bytes at the documented offsets.
  EXPECT_EQ(be::load<int64_t>(bytes.data() + 0), 42);
  EXPECT_EQ(bytes[16], 2);
  EXPECT_EQ(be::load<int16_t>(bytes.data() + 21), attr::transactional);
  EXPECT_EQ(be::load<uint32_t>(bytes.data() + 17), crc32c::value(bytes.data() + 21, bytes.size() - 21));
  EXPECT_FALSE(v->verify_crc());
  EXPECT_FALSE(v->validate());
}

TEST(RecordBatch, BuildParseIterateRoundTrip) {
  auto bytes = sample_batch(6);
  auto v = batch_view::parse(bytes);
  ASSERT_TRUE(v);
  ASSERT_FALSE(v->validate());
  EXPECT_EQ(v->base_timestamp(), 1700000000000);
  EXPECT_EQ(v->max_timestamp(), 1700000000005);
  int i = 0;
  auto ec = for_each_record(*v, [&](const record_view& r) {
    EXPECT_EQ(r.offset_delta, i);
    EXPECT_EQ(r.attributes, 0);
    const std::string k = "key-" + std::to_string(i);
    const std::string val = "value-" + std::to_string(i) + std::string(static_cast<size_t>(i) * 3, 'x');
    if (i == 1) {
      EXPECT_FALSE(r.key.has_value());
    } else {
      ASSERT_TRUE(r.key.has_value());
      EXPECT_EQ(str(*r.key), k);
    }
    if (i == 2) {
      EXPECT_FALSE(r.value.has_value());
    } else {
      ASSERT_TRUE(r.value.has_value());
      EXPECT_EQ(str(*r.value), val);
    }
    if (i == 3) {
      EXPECT_EQ(r.timestamp_delta, -50);
      EXPECT_EQ(r.header_count, 2u);
      std::vector<std::pair<std::string, std::optional<std::string>>> hs;
      auto hec = for_each_header(r.headers_bytes, r.header_count, [&](const header_view& h) {
        hs.emplace_back(str(h.key), h.value ? std::optional<std::string>(str(*h.value)) : std::nullopt);
      });
      EXPECT_FALSE(hec);
      ASSERT_EQ(hs.size(), 2u);
      EXPECT_EQ(hs[0].first, "trace-id");
      EXPECT_EQ(hs[0].second, std::optional<std::string>("abc"));
      EXPECT_EQ(hs[1].first, "nullhdr");
      EXPECT_FALSE(hs[1].second.has_value());
    } else {
      EXPECT_EQ(r.timestamp_delta, i);
      EXPECT_EQ(r.header_count, 0u);
      EXPECT_TRUE(r.headers_bytes.empty());
    }
    ++i;
  });
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(i, 6);
}

TEST(RecordBatch, PullIteratorAndVisitorStop) {
  auto bytes = sample_batch(4);
  auto v = batch_view::parse(bytes).value();
  record_iterator it(v.records_payload(), v.record_count());
  record_view r;
  int n = 0;
  while (!it.done()) {
    ASSERT_FALSE(it.next(r));
    EXPECT_EQ(r.offset_delta, n++);
    EXPECT_FALSE(r.raw.empty());
  }
  EXPECT_EQ(n, 4);
  EXPECT_FALSE(it.finish());
  // bool visitor stopping early is not an error.
  int seen = 0;
  EXPECT_FALSE(for_each_record(v, [&](const record_view&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
  // error_code visitor propagates.
  EXPECT_EQ(for_each_record(v, [](const record_view&) -> std::error_code { return errc::too_large; }),
            errc::too_large);
}

TEST(RecordBatch, EmptyBatch) {
  batch_builder b;
  auto bytes = b.build().value();
  EXPECT_EQ(bytes.size(), batch_header_size);
  auto v = batch_view::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->record_count(), 0);
  EXPECT_FALSE(v->validate());
  int n = 0;
  EXPECT_FALSE(for_each_record(*v, [&](const record_view&) { ++n; }));
  EXPECT_EQ(n, 0);
}

TEST(RecordBatch, CrcDetectsEveryFlippedByte) {
  auto bytes = sample_batch(5);
  ASSERT_FALSE(batch_view::parse(bytes)->verify_crc());
  for (size_t i = crc_covered_offset; i < bytes.size(); ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      auto copy = bytes;
      copy[i] ^= mask;
      auto v = batch_view::parse(copy);
      if (!v) continue;  // a header field became invalid: also detected
      EXPECT_EQ(v->verify_crc(), errc::bad_crc) << "byte " << i;
      EXPECT_TRUE(v->validate()) << "byte " << i;
    }
  }
  // Flipping the stored CRC itself is detected too.
  for (size_t i = offset::crc; i < offset::crc + 4; ++i) {
    auto copy = bytes;
    copy[i] ^= 0x10;
    EXPECT_EQ(batch_view::parse(copy)->verify_crc(), errc::bad_crc);
  }
}

TEST(RecordBatch, TruncationAtEveryByte) {
  auto bytes = sample_batch(5);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::span<const uint8_t> s(bytes.data(), n);
    auto v = batch_view::parse(s);
    ASSERT_FALSE(v) << n;
    EXPECT_EQ(v.error(), errc::truncated) << n;
    auto sz = next_batch_size(s);
    ASSERT_FALSE(sz);
    EXPECT_EQ(sz.error(), errc::truncated);
    batch_iterator it(s);
    if (n > 0) {
      EXPECT_EQ(it.next().error(), errc::truncated);
    }
    int visited = 0;
    auto ec = for_each_batch(s, [&](const batch_view&) { ++visited; });
    EXPECT_EQ(visited, 0);
    if (n > 0) {
      EXPECT_EQ(ec, errc::truncated);
    } else {
      EXPECT_FALSE(ec);
    }
  }
  // Truncating only the records payload (while fixing batchLength and the CRC) yields record errors, not crashes.
  auto v = batch_view::parse(bytes).value();
  for (size_t n = 0; n < v.records_payload().size(); ++n) {
    auto ec = for_each_record(v.records_payload().first(n), v.record_count(), [](const record_view&) {});
    EXPECT_TRUE(ec == errc::bad_record || ec == errc::bad_record_count) << n << " " << ec.message();
  }
}

TEST(RecordBatch, HeaderChecks) {
  auto bytes = sample_batch(2);
  {
    auto c = bytes;
    c[offset::magic] = 1;
    EXPECT_EQ(batch_view::parse(c).error(), errc::bad_magic);
  }
  {
    auto c = bytes;
    be::store<int32_t>(c.data() + offset::batch_length, 48);
    EXPECT_EQ(batch_view::parse(c).error(), errc::bad_length);
    EXPECT_EQ(next_batch_size(c).error(), errc::bad_length);
    be::store<int32_t>(c.data() + offset::batch_length, -5);
    EXPECT_EQ(batch_view::parse(c).error(), errc::bad_length);
    be::store<int32_t>(c.data() + offset::batch_length, 0x7fffffff);
    EXPECT_EQ(batch_view::parse(c).error(), errc::truncated);
    EXPECT_EQ(declared_batch_size(c).value(), 0x7fffffffu + 12u);
  }
  {
    auto c = bytes;
    be::store<int32_t>(c.data() + offset::record_count, -1);
    EXPECT_EQ(batch_view::parse(c).error(), errc::bad_record_count);
  }
  {
    auto c = bytes;
    be::store<int32_t>(c.data() + offset::last_offset_delta, -1);
    EXPECT_EQ(batch_view::parse(c).error(), errc::bad_record_count);
  }
  {
    // Count inconsistent with lastOffsetDelta: parse ok, validate rejects.
    auto c = bytes;
    be::store<int32_t>(c.data() + offset::record_count, 3);
    recompute_crc(c);
    auto v = batch_view::parse(c).value();
    EXPECT_FALSE(v.verify_crc());
    EXPECT_EQ(v.validate(), errc::bad_record_count);
    EXPECT_EQ(for_each_record(v, [](const record_view&) {}), errc::bad_record_count);
  }
  {
    // Fewer records declared than present: leftover bytes are an error.
    auto c = bytes;
    be::store<int32_t>(c.data() + offset::record_count, 1);
    be::store<int32_t>(c.data() + offset::last_offset_delta, 0);
    recompute_crc(c);
    auto v = batch_view::parse(c).value();
    EXPECT_FALSE(v.validate());
    EXPECT_EQ(for_each_record(v, [](const record_view&) {}), errc::bad_record_count);
  }
  {
    auto c = bytes;
    set_attributes(c, 6);  // unknown codec
    recompute_crc(c);
    EXPECT_EQ(batch_view::parse(c)->validate(), errc::unsupported_compression);
  }
  {
    // Parse covers exactly one batch even with trailing bytes.
    auto c = bytes;
    c.insert(c.end(), {1, 2, 3});
    auto v = batch_view::parse(c).value();
    EXPECT_EQ(v.size_bytes(), bytes.size());
    EXPECT_FALSE(v.validate());
  }
}

TEST(RecordBatch, RewriteHeaderKeepsCrcValid) {
  auto bytes = sample_batch(3);
  const uint32_t crc_before = batch_view::parse(bytes)->crc();
  set_base_offset(bytes, 987654321);
  set_partition_leader_epoch(bytes, 17);
  auto v = batch_view::parse(bytes).value();
  EXPECT_EQ(v.base_offset(), 987654321);
  EXPECT_EQ(v.last_offset(), 987654321 + 2);
  EXPECT_EQ(v.partition_leader_epoch(), 17);
  EXPECT_EQ(v.crc(), crc_before);  // outside the CRC
  EXPECT_FALSE(v.validate());

  // LogAppendTime rewrite: CRC-covered fields need recompute_crc.
  set_max_timestamp(bytes, 1800000000000);
  set_attributes(bytes, static_cast<int16_t>(v.attributes() | attr::log_append_time));
  EXPECT_EQ(batch_view::parse(bytes)->verify_crc(), errc::bad_crc);
  const uint32_t c = recompute_crc(bytes);
  v = batch_view::parse(bytes).value();
  EXPECT_EQ(v.crc(), c);
  EXPECT_FALSE(v.validate());
  EXPECT_TRUE(v.timestamp_type_log_append());
  EXPECT_EQ(v.max_timestamp(), 1800000000000);

  set_producer(bytes, 5, 6, 7);
  recompute_crc(bytes);
  v = batch_view::parse(bytes).value();
  EXPECT_EQ(v.producer_id(), 5);
  EXPECT_EQ(v.producer_epoch(), 6);
  EXPECT_EQ(v.base_sequence(), 7);
  EXPECT_FALSE(v.validate());
}

TEST(RecordBatch, SplitConcatenatedBatches) {
  std::vector<uint8_t> log;
  std::vector<size_t> sizes;
  for (int i = 0; i < 5; ++i) {
    batch_options o;
    o.base_offset = 100 * i + 1;
    batch_builder b(o);
    for (int k = 0; k <= i; ++k) b.add(k, "k", std::string(static_cast<size_t>(k) * 10, 'v'));
    ASSERT_FALSE(b.append_to(log));
    sizes.push_back(log.size());
  }
  int n = 0;
  EXPECT_FALSE(for_each_batch(log, [&](const batch_view& v) {
    EXPECT_EQ(v.base_offset(), 100 * n + 1);
    EXPECT_EQ(v.record_count(), n + 1);
    EXPECT_FALSE(v.validate());
    ++n;
  }));
  EXPECT_EQ(n, 5);
  EXPECT_EQ(next_batch_size(log).value(), sizes[0]);

  // Partial tail: every complete batch is visited, then truncated.
  for (size_t cut = 1; cut < log.size(); cut += 7) {
    std::span<const uint8_t> s(log.data(), cut);
    size_t complete = 0;
    while (complete < sizes.size() && sizes[complete] <= cut) ++complete;
    size_t visited = 0;
    auto ec = for_each_batch(s, [&](const batch_view&) { ++visited; });
    EXPECT_EQ(visited, complete);
    if (complete > 0 && sizes[complete - 1] == cut) {
      EXPECT_FALSE(ec);
    } else {
      EXPECT_EQ(ec, errc::truncated) << cut;
    }
    batch_iterator it(s);
    size_t pos = 0;
    while (!it.done()) {
      auto b = it.next();
      if (!b) {
        EXPECT_EQ(it.position(), pos);  // does not advance on error
        EXPECT_EQ(it.remaining().size(), cut - pos);
        break;
      }
      pos += b->size_bytes();
      EXPECT_EQ(it.position(), pos);
    }
  }
}

// --- Malformed records --------------------------------------------------------------------------------------------

std::vector<uint8_t> zz(std::initializer_list<int64_t> vs) {
  std::vector<uint8_t> out;
  for (int64_t v : vs) {
    uint8_t tmp[10];
    size_t n = varint::put_unsigned(tmp, varint::zigzag64(v));
    out.insert(out.end(), tmp, tmp + n);
  }
  return out;
}

// A record body: attributes, tsDelta, offsetDelta, key len/bytes, value len/bytes, header count.
std::vector<uint8_t> with_length(std::vector<uint8_t> body) {
  auto out = zz({static_cast<int64_t>(body.size())});
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::error_code decode_all(const std::vector<uint8_t>& payload, int32_t count) {
  return for_each_record(payload, count, [](const record_view&) {});
}

TEST(RecordBatch, MalformedRecords) {
  // Good minimal record: attrs 0, ts 0, od 0, key null, value "ab", 0 headers.
  std::vector<uint8_t> body = {0};
  auto f = zz({0, 0, -1, 2});
  body.insert(body.end(), f.begin(), f.end());
  body.push_back('a');
  body.push_back('b');
  body.push_back(0);
  auto good = with_length(body);
  EXPECT_FALSE(decode_all(good, 1));

  // Length longer than the payload.
  {
    auto r = good;
    r[0] = static_cast<uint8_t>(varint::zigzag32(static_cast<int32_t>(body.size() + 1)));
    EXPECT_EQ(decode_all(r, 1), errc::bad_record);
  }
  // Length shorter than the fields: fields would run past the record.
  {
    auto r = good;
    r[0] = static_cast<uint8_t>(varint::zigzag32(static_cast<int32_t>(body.size() - 1)));
    EXPECT_TRUE(decode_all(r, 1));
  }
  // Negative record length.
  EXPECT_EQ(decode_all(zz({-3}), 1), errc::bad_record);
  // Unterminated varint (continuation bits to the end).
  EXPECT_EQ(decode_all({0x80, 0x80, 0x80}, 1), errc::bad_record);
  // Overlong varint (6 bytes) for the record length.
  EXPECT_EQ(decode_all({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 1), errc::bad_record);
  // 5-byte varint exceeding 32 bits.
  EXPECT_EQ(decode_all({0xff, 0xff, 0xff, 0xff, 0x7f}, 1), errc::bad_record);
  // Key length -2.
  {
    std::vector<uint8_t> b = {0};
    auto g = zz({0, 0, -2, -1, 0});
    b.insert(b.end(), g.begin(), g.end());
    EXPECT_EQ(decode_all(with_length(b), 1), errc::bad_record);
  }
  // Key length huge.
  {
    std::vector<uint8_t> b = {0};
    auto g = zz({0, 0, 0x7fffffff, -1, 0});
    b.insert(b.end(), g.begin(), g.end());
    EXPECT_EQ(decode_all(with_length(b), 1), errc::bad_record);
  }
  // Negative header count, huge header count, null header key, header value overflowing.
  for (auto tail : {zz({-1}), zz({0x7fffffff}), zz({1, -1, -1}), zz({1, 1}), zz({1, 0, 5}), zz({1, 0, -2})}) {
    std::vector<uint8_t> b = {0};
    auto g = zz({0, 0, -1, -1});
    b.insert(b.end(), g.begin(), g.end());
    b.insert(b.end(), tail.begin(), tail.end());
    EXPECT_EQ(decode_all(with_length(b), 1), errc::bad_record);
  }
  // Trailing bytes inside the record.
  {
    auto b = body;
    b.push_back(0);
    EXPECT_EQ(decode_all(with_length(b), 1), errc::bad_record);
  }
  // Valid record with one header parses.
  {
    std::vector<uint8_t> b = {0};
    auto g = zz({5, 3, -1, -1, 1, 1});
    b.insert(b.end(), g.begin(), g.end());
    b.push_back('h');
    auto g2 = zz({-1});
    b.insert(b.end(), g2.begin(), g2.end());
    auto rec = with_length(b);
    record_view seen;
    EXPECT_FALSE(for_each_record(rec, 1, [&](const record_view& r) { seen = r; }));
    EXPECT_EQ(seen.timestamp_delta, 5);
    EXPECT_EQ(seen.offset_delta, 3);
    EXPECT_EQ(seen.header_count, 1u);
  }
  // Count mismatches.
  EXPECT_EQ(decode_all(good, 2), errc::bad_record_count);
  EXPECT_EQ(decode_all(good, 0), errc::bad_record_count);
  EXPECT_EQ(decode_all(good, -1), errc::bad_record_count);
  EXPECT_FALSE(decode_all({}, 0));
}

TEST(RecordBatch, RandomGarbageNeverCrashes) {
  std::mt19937_64 rng(1234);
  auto base = sample_batch(8);
  for (int iter = 0; iter < 20000; ++iter) {
    auto c = base;
    const int flips = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < flips; ++k) c[batch_header_size + rng() % (c.size() - batch_header_size)] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) c.resize(batch_header_size + rng() % (c.size() - batch_header_size));
    auto payload = std::span<const uint8_t>(c).subspan(batch_header_size);
    size_t bytes_seen = 0;
    auto ec = for_each_record(payload, 8, [&](const record_view& r) {
      // Every span handed out lies inside the payload.
      const uint8_t* lo = payload.data();
      const uint8_t* hi = payload.data() + payload.size();
      ASSERT_TRUE(r.raw.data() >= lo && r.raw.data() + r.raw.size() <= hi);
      if (r.key) {
        ASSERT_TRUE(r.key->data() >= lo && r.key->data() + r.key->size() <= hi);
      }
      if (r.value) {
        ASSERT_TRUE(r.value->data() >= lo && r.value->data() + r.value->size() <= hi);
      }
      bytes_seen += r.raw.size();
      for_each_header(r.headers_bytes, r.header_count, [&](const header_view& h) {
        ASSERT_TRUE(h.key.data() >= lo && h.key.data() + h.key.size() <= hi);
      });
    });
    EXPECT_LE(bytes_seen, payload.size());
    if (!ec) {
      EXPECT_EQ(bytes_seen, payload.size());
    }
  }
}

}  // namespace
}  // namespace samsa::records
