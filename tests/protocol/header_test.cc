#include <gtest/gtest.h>

#include "samsa/protocol/header.h"
#include "samsa/protocol/messages/all.h"

namespace samsa::protocol {
namespace {

TEST(Header, VersionsFollowFlexibility) {
  EXPECT_EQ(request_header_version(0, 8), 1);   // Produce v8: classic
  EXPECT_EQ(request_header_version(0, 9), 2);   // Produce v9: flexible
  EXPECT_EQ(response_header_version(0, 9), 1);
  EXPECT_EQ(response_header_version(3, 8), 0);
}

TEST(Header, ApiVersionsResponseHeaderIsAlwaysV0) {
  EXPECT_EQ(request_header_version(api_versions_key, 3), 2);
  EXPECT_EQ(response_header_version(api_versions_key, 3), 0);
  // A version above our max still reads the request header as v2 (KIP-511).
  EXPECT_EQ(request_header_version(api_versions_key, 99), 2);
}

TEST(Header, RequestHeaderRoundTripsWithNullAndTaggedFields) {
  for (int16_t version : {int16_t{1}, int16_t{12}}) {
    request_header h{1, version, 42, std::string_view("client-x"), {}};
    if (version == 12) h.unknown_tagged_fields.push_back(tagged_field{3, {9}});
    const int16_t hv = request_header_version(h.api_key, h.api_version);
    std::vector<uint8_t> buf(request_header_size(h, hv));
    writer w(buf.data(), buf.size());
    encode_request_header(w, h, hv);
    reader r(buf);
    auto back = decode_request_header(r);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, h);
    EXPECT_EQ(r.remaining(), 0u);
  }
  request_header null_client{3, 0, 7, std::nullopt, {}};
  std::vector<uint8_t> buf(request_header_size(null_client, 1));
  writer w(buf.data(), buf.size());
  encode_request_header(w, null_client, 1);
  reader r(buf);
  auto back = decode_request_header(r);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->client_id.has_value());
}

TEST(Header, TruncatedHeaderFails) {
  const std::vector<uint8_t> buf = {0, 3, 0, 1, 0, 0};
  reader r(buf);
  EXPECT_FALSE(decode_request_header(r).has_value());
}

TEST(Header, FrameSizeIsCheckedBeforeReading) {
  EXPECT_FALSE(check_frame_size(100, default_socket_request_max_bytes));
  EXPECT_EQ(check_frame_size(default_socket_request_max_bytes + 1, default_socket_request_max_bytes),
            make_error_code(errc::frame_too_large));
  EXPECT_EQ(check_frame_size(-5, default_socket_request_max_bytes), make_error_code(errc::bad_length));
}

TEST(Header, ResponseFrameHasSizePrefixAndHeader) {
  ApiVersionsResponse resp;
  resp.error_code = kafka_errc::unsupported_version;
  auto frame = encode_response_frame(9, 3, resp);
  reader r(frame);
  EXPECT_EQ(r.read_int<int32_t>(), static_cast<int32_t>(frame.size() - 4));
  EXPECT_EQ(r.read_int<int32_t>(), 9);  // correlation id, no tag section for ApiVersions
  EXPECT_EQ(r.read_int<int16_t>(), 35);
}

TEST(Header, ApiTableMatchesGeneratedMessages) {
  const api_schema* produce = find_api_schema(0);
  ASSERT_NE(produce, nullptr);
  EXPECT_EQ(produce->max_version, ProduceRequest::max_version);
  EXPECT_EQ(produce->first_flexible_version, 9);
  EXPECT_EQ(find_api_schema(12345), nullptr);
}

}  // namespace
}  // namespace samsa::protocol
