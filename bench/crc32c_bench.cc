#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "samsa/base/crc32c.h"

namespace {

std::vector<uint8_t> make_buffer(size_t n) {
  std::vector<uint8_t> v(n);
  std::mt19937_64 rng(1);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

void BM_Crc32cHardware(benchmark::State& state) {
  const auto buf = make_buffer(static_cast<size_t>(state.range(0)));
  if (!samsa::crc32c::hardware_accelerated()) state.SetLabel("no hardware crc32c: dispatching to portable");
  uint32_t c = 0;
  for (auto _ : state) {
    c = samsa::crc32c::extend(c, buf.data(), buf.size());
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Crc32cPortable(benchmark::State& state) {
  const auto buf = make_buffer(static_cast<size_t>(state.range(0)));
  uint32_t c = 0;
  for (auto _ : state) {
    c = samsa::crc32c::extend_portable(c, buf.data(), buf.size());
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_Crc32cHardware)->Arg(64)->Arg(1024)->Arg(16 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32cPortable)->Arg(64)->Arg(1024)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
