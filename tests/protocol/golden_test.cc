// Frames captured from the real clients (tests/protocol/testdata, see its README): each decodes, matches what
// the manifest says the client sent, and re-encodes byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "samsa/protocol/header.h"
#include "samsa/protocol/messages/all.h"

namespace samsa::protocol {
namespace {

const std::filesystem::path kTestdata = SAMSA_PROTOCOL_TESTDATA_DIR;

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct manifest_entry {
  std::string file;
  int16_t key;
  int16_t version;
  int32_t correlation_id;
  std::string client_id;
};

std::vector<manifest_entry> read_manifest() {
  std::vector<manifest_entry> out;
  std::ifstream in(kTestdata / "MANIFEST.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    manifest_entry e;
    ls >> e.file >> e.key >> e.version >> e.correlation_id >> e.client_id;
    out.push_back(e);
  }
  return out;
}

// Decodes header + body of a captured frame and re-encodes both.
struct decoded_frame {
  request_header header;
  std::vector<uint8_t> reencoded;
  std::error_code error;
};

decoded_frame decode_and_reencode(const std::vector<uint8_t>& frame) {
  decoded_frame out;
  reader r(frame);
  auto h = decode_request_header(r);
  if (!h) { out.error = h.error(); return out; }
  out.header = *h;
  const size_t header_bytes = frame.size() - r.remaining();
  std::span<const uint8_t> body(frame.data() + header_bytes, r.remaining());
  bool known = visit_api(h->api_key, [&]<typename Req, typename Resp>() {
    auto msg = decode_message<Req>(body, h->api_version);
    if (!msg) { out.error = msg.error(); return; }
    const int16_t hv = request_header_version(h->api_key, h->api_version);
    out.reencoded.resize(request_header_size(*h, hv) + msg->size(h->api_version));
    writer w(out.reencoded.data(), out.reencoded.size());
    encode_request_header(w, *h, hv);
    msg->encode(w, h->api_version);
  });
  if (!known) out.error = make_error_code(errc::unknown_api);
  return out;
}

TEST(Golden, EveryCapturedFrameDecodesAndReencodesByteForByte) {
  const auto manifest = read_manifest();
  ASSERT_GE(manifest.size(), 16u) << "missing golden frames in " << kTestdata;
  for (const auto& e : manifest) {
    SCOPED_TRACE(e.file);
    const auto frame = read_file(kTestdata / e.file);
    ASSERT_FALSE(frame.empty());
    auto d = decode_and_reencode(frame);
    ASSERT_FALSE(d.error) << d.error.message();
    EXPECT_EQ(d.header.api_key, e.key);
    EXPECT_EQ(d.header.api_version, e.version);
    EXPECT_EQ(d.header.correlation_id, e.correlation_id);
    EXPECT_EQ(std::string(d.header.client_id.value_or("-")), e.client_id);
    EXPECT_EQ(d.reencoded, frame);
  }
}

template <typename Req>
Req decode_body(const std::string& file) {
  const auto frame = read_file(kTestdata / file);
  reader r(frame);
  auto h = decode_request_header(r);
  EXPECT_TRUE(h);
  std::span<const uint8_t> body(frame.data() + (frame.size() - r.remaining()), r.remaining());
  auto m = decode_message<Req>(body, h->api_version);
  EXPECT_TRUE(m) << file;
  return m ? *m : Req{};
}

bool contains(std::span<const uint8_t> hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST(Golden, LibrdkafkaApiVersionsV3CarriesSoftwareName) {
  auto m = decode_body<ApiVersionsRequest>("kcat_api_versions_v3.bin");
  EXPECT_EQ(m.client_software_name, "librdkafka");
  EXPECT_EQ(m.client_software_version, "2.0.2");
}

TEST(Golden, ProduceFramesCarryTheRecordBatch) {
  for (const char* file : {"kcat_produce_v7.bin", "confluent_kafka_produce_v7.bin", "kafka_python_produce_v7.bin",
                           "kafkajs_produce_v7.bin"}) {
    SCOPED_TRACE(file);
    auto m = decode_body<ProduceRequest>(file);
    EXPECT_FALSE(m.transactional_id.has_value());
    ASSERT_EQ(m.topic_data.size(), 1u);
    EXPECT_EQ(m.topic_data[0].name, "golden");
    ASSERT_EQ(m.topic_data[0].partition_data.size(), 1u);
    const auto& p = m.topic_data[0].partition_data[0];
    EXPECT_EQ(p.index, 0);
    ASSERT_TRUE(p.records.has_value());
    ASSERT_GE(p.records->size(), 61u);
    EXPECT_EQ(p.records->data()[16], 2);  // magic
    EXPECT_TRUE(contains(p.records->span(), "hello golden"));
  }
  EXPECT_EQ(decode_body<ProduceRequest>("kafka_python_produce_v7.bin").acks, 1);
  EXPECT_EQ(decode_body<ProduceRequest>("kcat_produce_v7.bin").acks, -1);
}

TEST(Golden, FetchFramesAskForTopicGoldenFromOffsetZero) {
  auto rd = decode_body<FetchRequest>("kcat_fetch_v11.bin");
  EXPECT_EQ(rd.replica_id, -1);
  EXPECT_EQ(rd.max_wait_ms, 500);
  EXPECT_EQ(rd.isolation_level, 1);
  EXPECT_EQ(rd.max_bytes, 52428800);
  ASSERT_EQ(rd.topics.size(), 1u);
  EXPECT_EQ(rd.topics[0].topic, "golden");
  ASSERT_EQ(rd.topics[0].partitions.size(), 1u);
  EXPECT_EQ(rd.topics[0].partitions[0].fetch_offset, 0);
  EXPECT_EQ(rd.topics[0].partitions[0].partition_max_bytes, 1048576);
  auto kp = decode_body<FetchRequest>("kafka_python_fetch_v4.bin");
  EXPECT_EQ(kp.isolation_level, 0);
  auto js = decode_body<FetchRequest>("kafkajs_fetch_v11.bin");
  EXPECT_EQ(js.max_bytes, 10485760);
}

TEST(Golden, MetadataDistinguishesEmptyFromNullTopics) {
  auto v0 = decode_body<MetadataRequest>("kafka_python_metadata_v0.bin");
  ASSERT_TRUE(v0.topics.has_value());  // v0: empty list = all topics
  EXPECT_TRUE(v0.topics->empty());
  auto v1 = decode_body<MetadataRequest>("kafka_python_metadata_v1.bin");
  EXPECT_FALSE(v1.topics.has_value());  // v1+: null = all topics
  auto v4 = decode_body<MetadataRequest>("kcat_metadata_v4.bin");
  ASSERT_TRUE(v4.topics.has_value());
  ASSERT_EQ(v4.topics->size(), 1u);
  EXPECT_EQ((*v4.topics)[0].name, std::optional<std::string>("golden"));
  EXPECT_TRUE(v4.allow_auto_topic_creation);
  EXPECT_FALSE(decode_body<MetadataRequest>("kafkajs_metadata_v6.bin").allow_auto_topic_creation);
}

TEST(Golden, JoinGroupCarriesProtocols) {
  auto m = decode_body<JoinGroupRequest>("confluent_kafka_join_group_v5.bin");
  EXPECT_EQ(m.group_id, "golden-group");
  EXPECT_EQ(m.protocol_type, "consumer");
  ASSERT_EQ(m.protocols.size(), 2u);
  EXPECT_EQ(m.protocols[0].name, "range");
  EXPECT_EQ(m.protocols[1].name, "roundrobin");
}

}  // namespace
}  // namespace samsa::protocol
