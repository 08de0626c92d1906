// Storage engine benchmarks.
//   append/16KiB-batches   partition_log::append of 16 KiB batches of 1 KiB records, no fsync
//   plain_write/16KiB      write(2) of the same bytes to a file on the same filesystem (the ceiling)
//   group_commit/16 threads  16 appenders, each append + flush(wait) per batch (acks=all style)
//   write_fdatasync/1MiB   a 1 MiB write + fdatasync loop (what one fsync per MiB costs)
//   read_lookup / index_floor   random-offset read (index lookup + header scan) and the in-memory index search
// Files go to $SAMSA_BENCH_DIR (default: the system temp directory).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>

#include <spdlog/spdlog.h>

#include "samsa/records/record_batch.h"
#include "samsa/storage/index.h"
#include "samsa/storage/partition_log.h"

namespace fs = std::filesystem;
using namespace samsa;

namespace {

fs::path bench_root() {
  const char* e = std::getenv("SAMSA_BENCH_DIR");
  fs::path p = e ? fs::path(e) : fs::temp_directory_path();
  return p / ("samsa-storage-bench-" + std::to_string(::getpid()));
}

std::vector<uint8_t> batch_16k() {
  records::batch_builder b;
  std::string v(1000, 'x');
  for (int i = 0; i < 16; ++i) b.add(1700000000000 + i, "key-" + std::to_string(i), v);
  return *b.build();
}

storage::log_config bench_config() {
  storage::log_config c;
  c.segment_bytes = 1u << 30;
  return c;
}

void BM_append_16KiB_batches(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);
  auto dir = bench_root() / "append-0";
  fs::remove_all(dir);
  auto log = storage::partition_log::open(dir, bench_config()).value();
  auto batch = batch_16k();
  for (auto _ : state) {
    auto r = log->append(batch, 1);
    if (!r) state.SkipWithError("append failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(state.iterations() * 16), benchmark::Counter::kIsRate);
  log.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_append_16KiB_batches)->Iterations(32768)->UseRealTime();

void BM_plain_write_16KiB(benchmark::State& state) {
  auto dir = bench_root();
  fs::create_directories(dir);
  auto path = dir / "plain.bin";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  auto batch = batch_16k();
  for (auto _ : state) {
    if (::write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size())) state.SkipWithError("write");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(state.iterations() * 16), benchmark::Counter::kIsRate);
  ::close(fd);
  fs::remove(path);
}
BENCHMARK(BM_plain_write_16KiB)->Iterations(32768)->UseRealTime();

std::unique_ptr<storage::partition_log> g_log;
std::atomic<uint64_t> g_rounds0{0};

void BM_group_commit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    spdlog::set_level(spdlog::level::warn);
    auto dir = bench_root() / "group-0";
    fs::remove_all(dir);
    g_log = storage::partition_log::open(dir, bench_config()).value();
    g_rounds0 = g_log->flush_rounds();
  }
  auto batch = batch_16k();
  for (auto _ : state) {
    auto r = g_log->append(batch, 1);
    if (!r) state.SkipWithError("append failed");
    std::promise<std::error_code> p;
    g_log->flush([&p](std::error_code ec) { p.set_value(ec); });
    if (p.get_future().get()) state.SkipWithError("flush failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  if (state.thread_index() == 0) {
    // Every thread has finished its loop (the loop end is a barrier).
    uint64_t rounds = g_log->flush_rounds() - g_rounds0;
    state.counters["fsyncs"] = static_cast<double>(rounds);
    state.counters["acks/fsync"] =
        rounds ? static_cast<double>(state.iterations() * static_cast<uint64_t>(state.threads())) / static_cast<double>(rounds) : 0;
    auto dir = g_log->dir();
    g_log.reset();
    fs::remove_all(dir);
  }
}
BENCHMARK(BM_group_commit)->Threads(16)->MinTime(3)->UseRealTime();
BENCHMARK(BM_group_commit)->Threads(1)->MinTime(2)->UseRealTime();

void BM_write_fdatasync_1MiB(benchmark::State& state) {
  auto dir = bench_root();
  fs::create_directories(dir);
  auto path = dir / "sync.bin";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<uint8_t> buf(1 << 20, 0x5a);
  for (auto _ : state) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) state.SkipWithError("write");
    if (::fdatasync(fd) != 0) state.SkipWithError("fdatasync");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
  ::close(fd);
  fs::remove(path);
}
BENCHMARK(BM_write_fdatasync_1MiB)->MinTime(3)->UseRealTime();

// Random-offset read of one batch from a 256 MiB log (16 KiB batches, index every 4 KiB).
void BM_read_lookup(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);
  auto dir = bench_root() / "lookup-0";
  fs::remove_all(dir);
  auto log = storage::partition_log::open(dir, bench_config()).value();
  auto batch = batch_16k();
  for (int i = 0; i < 16384; ++i) (void)log->append(batch, 1);
  const uint64_t end = static_cast<uint64_t>(log->log_end_offset());
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto r = log->read(static_cast<int64_t>(rng() % end), 1, INT64_MAX);
    benchmark::DoNotOptimize(r);
  }
  state.counters["index_entries"] = static_cast<double>(log->size_bytes() / 16500);
  log.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_read_lookup);

void BM_index_floor(benchmark::State& state) {
  storage::offset_index ix;
  const int n = static_cast<int>(state.range(0));
  for (int i = 0; i < n; ++i) ix.append(i * 4 + 3, static_cast<uint32_t>(i) * 4096 + 1);
  std::mt19937 rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(ix.floor(static_cast<int32_t>(rng() % (static_cast<uint32_t>(n) * 4))));
}
BENCHMARK(BM_index_floor)->Arg(1 << 10)->Arg(1 << 18);

}  // namespace

BENCHMARK_MAIN();
