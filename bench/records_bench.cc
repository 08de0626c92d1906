#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"

namespace {

using namespace samsa::records;

// A batch of `n` records of ~100 bytes (16-byte key, 84-byte value).
std::vector<uint8_t> make_batch(int n, compression codec) {
  batch_options o;
  o.codec = codec;
  batch_builder b(o);
  const std::string value(84, 'v');
  for (int i = 0; i < n; ++i) {
    std::string key = "key-" + std::to_string(1000000000 + i) + "xx";
    b.add(1700000000000 + i, key, value);
  }
  return b.build().value();
}

void BM_IterateRecords(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto bytes = make_batch(n, compression::none);
  const auto v = batch_view::parse(bytes).value();
  for (auto _ : state) {
    size_t total = 0;
    auto ec = for_each_record(v, [&](const record_view& r) { total += r.value->size(); });
    benchmark::DoNotOptimize(total);
    if (ec) state.SkipWithError("iteration failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes.size()));
}

void BM_ParseValidateIterate(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const auto bytes = make_batch(n, compression::none);
  for (auto _ : state) {
    auto v = batch_view::parse(bytes);
    auto ec = v->validate();
    size_t total = 0;
    if (!ec) ec = for_each_record(*v, [&](const record_view& r) { total += r.value->size(); });
    benchmark::DoNotOptimize(total);
    if (ec) state.SkipWithError("validation failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes.size()));
}

void BM_DecompressIterate(benchmark::State& state) {
  const auto codec = static_cast<compression>(state.range(0));
  const int n = 1000;
  const auto bytes = make_batch(n, codec);
  const auto v = batch_view::parse(bytes).value();
  std::vector<uint8_t> scratch;
  state.SetLabel(std::string(to_string(codec)));
  for (auto _ : state) {
    size_t total = 0;
    auto ec = for_each_record(v, scratch, default_max_decompressed,
                              [&](const record_view& r) { total += r.value->size(); });
    benchmark::DoNotOptimize(total);
    if (ec) state.SkipWithError("decompression failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

void BM_BuildBatch(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string value(84, 'v');
  const std::string key = "key-1000000000xx";
  for (auto _ : state) {
    batch_builder b;
    for (int i = 0; i < n; ++i) b.add(1700000000000 + i, key, value);
    auto out = b.build();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

BENCHMARK(BM_IterateRecords)->Arg(100)->Arg(1000)->Arg(10000);
BENCHMARK(BM_ParseValidateIterate)->Arg(100)->Arg(1000);
BENCHMARK(BM_DecompressIterate)->DenseRange(1, 4);
BENCHMARK(BM_BuildBatch)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
