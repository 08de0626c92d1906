// Every message of every API at every version: random instances encode to exactly size() bytes, decode back to
// an equal object (tagged fields, nulls and unknown tags included) and re-encode byte for byte. Truncated
// encodings must fail cleanly.
#include <gtest/gtest.h>

#include "samsa/protocol/header.h"
#include "samsa/protocol/messages/all.h"
#include "samsa/protocol/messages/testing/all.h"
#include "samsa/protocol/metadata/all.h"
#include "samsa/protocol/metadata/testing/all.h"

namespace samsa::protocol {
namespace {

constexpr int kInstancesPerVersion = 25;

size_t total_encoded_bytes = 0;

template <typename Message>
std::string_view name_of() {
  if constexpr (requires { Message::api_name; }) return Message::api_name;
  else return Message::record_name;
}

template <typename Message>
void roundtrip_all_versions(testing::random_source& rnd) {
  for (int16_t v = Message::min_version; v <= Message::max_version; ++v) {
    for (int i = 0; i < kInstancesPerVersion; ++i) {
      Message m;
      testing::randomize(m, v, rnd, 0);
      const auto encoded = encode_message(m, v);
      ASSERT_EQ(encoded.size(), m.size(v)) << name_of<Message>() << " v" << v;
      total_encoded_bytes += encoded.size();
      auto decoded = decode_message<Message>(encoded, v);
      ASSERT_TRUE(decoded.has_value()) << name_of<Message>() << " v" << v << ": " << decoded.error().message();
      ASSERT_TRUE(*decoded == m) << name_of<Message>() << " v" << v << " instance " << i;
      ASSERT_EQ(encode_message(*decoded, v), encoded) << name_of<Message>() << " v" << v;
      if (i == 0 && !encoded.empty()) {
        // Every strict prefix is an error, never a crash or an out-of-bounds read.
        for (size_t cut = 0; cut < encoded.size(); ++cut) {
          auto partial = decode_message<Message>(std::span(encoded.data(), cut), v);
          EXPECT_FALSE(partial.has_value()) << name_of<Message>() << " v" << v << " cut at " << cut;
        }
      }
    }
  }
}

TEST(Roundtrip, EveryRequestAndResponseAtEveryVersion) {
  testing::random_source rnd(20261125);
  size_t apis = 0;
  for_each_api([&]<typename Req, typename Resp>() {
    roundtrip_all_versions<Req>(rnd);
    roundtrip_all_versions<Resp>(rnd);
    ++apis;
  });
  EXPECT_EQ(apis, all_api_schemas.size());
  // The random instances are not trivially empty: nested arrays, strings and tags get exercised.
  EXPECT_GT(total_encoded_bytes, 500000u);
}

// The metadata log's records (schema/metadata) go through the same generated codec.
TEST(Roundtrip, EveryMetadataRecordAtEveryVersion) {
  testing::random_source rnd(7);
  int types = 0;
  for_each_record_type([&]<typename Record>() {
    ++types;
    roundtrip_all_versions<Record>(rnd);
  });
  EXPECT_EQ(types, 10);
}

TEST(Roundtrip, NullAndEmptyStringsAreDistinct) {
  ProduceRequest null_txn;
  null_txn.transactional_id = std::nullopt;
  ProduceRequest empty_txn;
  empty_txn.transactional_id = std::string();
  for (int16_t v : {3, 9}) {
    auto a = decode_message<ProduceRequest>(encode_message(null_txn, v), v);
    auto b = decode_message<ProduceRequest>(encode_message(empty_txn, v), v);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(a->transactional_id.has_value());
    ASSERT_TRUE(b->transactional_id.has_value());
    EXPECT_TRUE(b->transactional_id->empty());
  }
}

TEST(Roundtrip, NullWhereNotNullableIsRejected) {
  // Produce v3 topic name is not nullable: a -1 length must be an error.
  const std::vector<uint8_t> body = {0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x03, 0xe8,
                                     0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
  auto m = decode_message<ProduceRequest>(body, 3);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error(), make_error_code(errc::unexpected_null));
}

TEST(Roundtrip, TaggedFieldIsWrittenOnlyWhenNotDefault) {
  FetchRequest req;
  req.cluster_id = std::nullopt;  // default: not written
  const auto without = encode_message(req, 12);
  req.cluster_id = "cluster-1";
  const auto with = encode_message(req, 12);
  EXPECT_GT(with.size(), without.size());
  auto back = decode_message<FetchRequest>(with, 12);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cluster_id, std::optional<std::string>("cluster-1"));
  // Below the flexible versions the tagged field does not exist at all.
  auto old = decode_message<FetchRequest>(encode_message(req, 11), 11);
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->cluster_id.has_value());
}

TEST(Roundtrip, UnknownTaggedFieldsSurviveReencoding) {
  ApiVersionsRequest req;
  req.client_software_name = "librdkafka";
  req.client_software_version = "2.0.2";
  req.unknown_tagged_fields.push_back(tagged_field{7, {1, 2, 3}});
  const auto encoded = encode_message(req, 3);
  auto back = decode_message<ApiVersionsRequest>(encoded, 3);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(back->unknown_tagged_fields[0].tag, 7u);
  EXPECT_EQ(encode_message(*back, 3), encoded);
}

TEST(Roundtrip, HugeArrayCountIsRejectedBeforeAllocating) {
  // Metadata v1: topics array claiming 2^31-1 entries with 4 bytes behind it.
  const std::vector<uint8_t> body = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x01, 'a', 0x00};
  auto m = decode_message<MetadataRequest>(body, 1);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error(), make_error_code(errc::bad_length));
}

TEST(Roundtrip, VersionOutsideRangeIsRejected) {
  auto m = decode_message<ProduceRequest>(std::vector<uint8_t>{}, ProduceRequest::max_version + 1);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error(), make_error_code(errc::unsupported_version));
}

}  // namespace
}  // namespace samsa::protocol
