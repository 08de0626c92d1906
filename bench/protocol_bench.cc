// Protocol codec benchmarks: Produce v7 request decode/encode with 1 MiB of record batches, Fetch v11 response
// encode with 16 x 64 KiB of records, Metadata v1 request decode and Metadata v8 response encode (100 topics x
// 16 partitions). Figures are recorded in docs/protocol.md.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "samsa/protocol/header.h"
#include "samsa/protocol/messages/all.h"
#include "samsa/records/record_batch.h"

namespace {

using namespace samsa::protocol;
namespace rec = samsa::records;

constexpr int kPartitions = 16;
constexpr size_t kBatchBytes = 64 * 1024;
constexpr size_t kRecordValue = 1024 - 40;  // ~1 KiB per encoded record including key and framing

// One uncompressed RecordBatch v2 of 1 KiB records, at most 64 KiB in total.
std::vector<uint8_t> make_batch(int64_t base_offset) {
  rec::batch_options o;
  o.base_offset = base_offset;
  rec::batch_builder b(o);
  const std::string value(kRecordValue, 'v');
  for (int i = 0;; ++i) {
    const std::string key = "key-" + std::to_string(1000000 + i);
    if (b.uncompressed_size() + kRecordValue + key.size() + 32 > kBatchBytes) break;
    b.add(1700000000000 + i, key, value);
  }
  return b.build().value();
}

// Owns the batches the records_view fields point into.
struct fixture {
  std::vector<std::vector<uint8_t>> batches;
  fixture() {
    for (int p = 0; p < kPartitions; ++p) batches.push_back(make_batch(p * 1000));
  }
  size_t record_bytes() const {
    size_t n = 0;
    for (const auto& b : batches) n += b.size();
    return n;
  }
};

const fixture& batches() {
  static const fixture f;
  return f;
}

ProduceRequest make_produce() {
  ProduceRequest req;
  req.transactional_id.reset();
  req.acks = -1;
  req.timeout_ms = 30000;
  auto& topic = req.topic_data.emplace_back();
  topic.name = "bench-topic";
  const auto& f = batches();
  for (int p = 0; p < kPartitions; ++p) {
    auto& pd = topic.partition_data.emplace_back();
    pd.index = p;
    pd.records = records_view{f.batches[p].data(), f.batches[p].size()};
  }
  return req;
}

void BM_ProduceV7_Decode(benchmark::State& state) {
  constexpr int16_t v = 7;
  const auto body = encode_message(make_produce(), v);
  for (auto _ : state) {
    auto m = decode_message<ProduceRequest>(body, v);
    if (!m) { state.SkipWithError("decode failed"); break; }
    benchmark::DoNotOptimize(m->topic_data.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(body.size()));
  state.counters["frame_bytes"] = static_cast<double>(body.size());
}

void BM_ProduceV7_Encode(benchmark::State& state) {
  constexpr int16_t v = 7;
  const auto req = make_produce();
  size_t n = 0;
  for (auto _ : state) {
    auto out = encode_message(req, v);
    n = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
  state.counters["frame_bytes"] = static_cast<double>(n);
}

// Decode plus what a broker does next with each partition's records: split the batches and check their CRCs.
// Unlike BM_ProduceV7_Decode (zero-copy: its cost does not depend on the payload size) this touches every byte.
void BM_ProduceV7_DecodeValidate(benchmark::State& state) {
  constexpr int16_t v = 7;
  const auto body = encode_message(make_produce(), v);
  for (auto _ : state) {
    auto m = decode_message<ProduceRequest>(body, v);
    if (!m) { state.SkipWithError("decode failed"); break; }
    std::error_code ec;
    for (const auto& t : m->topic_data)
      for (const auto& pd : t.partition_data)
        if (!ec && pd.records)
          ec = rec::for_each_batch(pd.records->span(), [](const rec::batch_view& b) { return b.validate(); });
    if (ec) { state.SkipWithError("invalid batch"); break; }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(body.size()));
}

// Whole request frame: size prefix + header v1 + body (what a connection handler would produce/consume).
void BM_ProduceV7_DecodeFrame(benchmark::State& state) {
  constexpr int16_t v = 7;
  request_header h;
  h.api_key = ProduceRequest::api_key;
  h.api_version = v;
  h.correlation_id = 42;
  h.client_id = "bench-client";
  const auto frame = encode_request_frame(h, make_produce());
  const std::span<const uint8_t> in(frame.data() + frame_size_prefix, frame.size() - frame_size_prefix);
  for (auto _ : state) {
    reader r(in);
    auto hdr = decode_request_header(r);
    if (!hdr) { state.SkipWithError("header decode failed"); break; }
    auto m = decode_message<ProduceRequest>(in.subspan(in.size() - r.remaining()), hdr->api_version);
    if (!m) { state.SkipWithError("decode failed"); break; }
    benchmark::DoNotOptimize(m->topic_data.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(frame.size()));
}

FetchResponse make_fetch() {
  FetchResponse resp;
  resp.throttle_time_ms = 0;
  resp.error_code = kafka_errc::none;
  resp.session_id = 7;
  auto& t = resp.responses.emplace_back();
  t.topic = "bench-topic";
  const auto& f = batches();
  for (int p = 0; p < kPartitions; ++p) {
    auto& pd = t.partitions.emplace_back();
    pd.partition_index = p;
    pd.high_watermark = 1000000;
    pd.last_stable_offset = 1000000;
    pd.log_start_offset = 0;
    pd.aborted_transactions.emplace();
    pd.records = records_view{f.batches[p].data(), f.batches[p].size()};
  }
  return resp;
}

void BM_FetchV11_EncodeResponse(benchmark::State& state) {
  constexpr int16_t v = 11;
  const auto resp = make_fetch();
  size_t n = 0;
  for (auto _ : state) {
    auto out = encode_response_frame(123, v, resp);
    n = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
  state.counters["frame_bytes"] = static_cast<double>(n);
}

constexpr int kTopics = 100;
constexpr int kTopicPartitions = 16;

std::string topic_name(int i) { return "topic-" + std::to_string(10000 + i); }

void BM_MetadataV1_DecodeRequest(benchmark::State& state) {
  constexpr int16_t v = 1;
  MetadataRequest req;
  auto& topics = req.topics.emplace();
  for (int i = 0; i < kTopics; ++i) topics.emplace_back().name = topic_name(i);
  const auto body = encode_message(req, v);
  for (auto _ : state) {
    auto m = decode_message<MetadataRequest>(body, v);
    if (!m) { state.SkipWithError("decode failed"); break; }
    benchmark::DoNotOptimize(m->topics->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["frame_bytes"] = static_cast<double>(body.size());
}

void BM_MetadataV8_EncodeResponse(benchmark::State& state) {
  constexpr int16_t v = 8;
  MetadataResponse resp;
  for (int b = 0; b < 3; ++b) {
    auto& br = resp.brokers.emplace_back();
    br.node_id = b;
    br.host = "broker-" + std::to_string(b) + ".example.internal";
    br.port = 9092;
    br.rack = "rack-" + std::to_string(b);
  }
  resp.cluster_id = "samsa-bench-cluster";
  resp.controller_id = 0;
  for (int i = 0; i < kTopics; ++i) {
    auto& t = resp.topics.emplace_back();
    t.name = topic_name(i);
    for (int p = 0; p < kTopicPartitions; ++p) {
      auto& pp = t.partitions.emplace_back();
      pp.partition_index = p;
      pp.leader_id = p % 3;
      pp.leader_epoch = 5;
      pp.replica_nodes = {p % 3, (p + 1) % 3, (p + 2) % 3};
      pp.isr_nodes = pp.replica_nodes;
    }
  }
  size_t n = 0;
  for (auto _ : state) {
    auto out = encode_response_frame(9, v, resp);
    n = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["frame_bytes"] = static_cast<double>(n);
}

BENCHMARK(BM_ProduceV7_Decode);
BENCHMARK(BM_ProduceV7_DecodeFrame);
BENCHMARK(BM_ProduceV7_DecodeValidate);
BENCHMARK(BM_ProduceV7_Encode);
BENCHMARK(BM_FetchV11_EncodeResponse);
BENCHMARK(BM_MetadataV1_DecodeRequest);
BENCHMARK(BM_MetadataV8_EncodeResponse);

}  // namespace

BENCHMARK_MAIN();
