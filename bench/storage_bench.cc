// Storage engine benchmarks.
//   append/16KiB-batches   partition_log::append of 16 KiB batches of 1 KiB records, no fsync
//   plain_write/16KiB      write(2) of the same bytes to a file on the same filesystem (the ceiling)
//   append_vs_write_rounds the two above alternated in 12 rounds (median of the per-round ratios)
//   group_commit/16 threads  16 appenders, each append + flush(wait) per batch (acks=all style)
//   group_commit_pipelined 16 appenders with up to 4 batches each in flight (producer max.in.flight style)
//   write_fdatasync/1MiB   a 1 MiB write + fdatasync loop (what one fsync per MiB costs)
//   read_lookup / index_floor   random-offset read (index lookup + header scan) and the in-memory index search
//   lookup_latency/1GiB    p50/p99 of single lookups of random offsets on a warm 1 GiB segment, through
//                          partition_log::read (the public read path; right after a restart and once every index
//                          entry has been used) and through the segment's offset index alone
// After the runs a summary prints our figure, the reference measured in the same run, and the ratio.
// Files go to $SAMSA_BENCH_DIR (default: the system temp directory). Use a real disk, not tmpfs.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <cstdlib>
#include <map>
#include <string>
#include <filesystem>
#include <future>
#include <random>

#include <spdlog/spdlog.h>

#include "samsa/records/record_batch.h"
#include "samsa/storage/index.h"
#include "samsa/storage/partition_log.h"
#include "samsa/storage/segment.h"

namespace fs = std::filesystem;
using namespace samsa;

namespace {

using bench_clock = std::chrono::steady_clock;
// name -> figure, filled by the benchmarks (the last run of each wins) and printed by main().
std::map<std::string, double> g_fig;
double seconds_since(bench_clock::time_point t) {
  return std::chrono::duration<double>(bench_clock::now() - t).count();
}

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
  const auto t0 = bench_clock::now();
  for (auto _ : state) {
    auto r = log->append(batch, 1);
    if (!r) state.SkipWithError("append failed");
  }
  g_fig["append"] = static_cast<double>(state.iterations() * batch.size()) / seconds_since(t0);
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
  const auto t0 = bench_clock::now();
  for (auto _ : state) {
    if (::write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size())) state.SkipWithError("write");
  }
  g_fig["plain_write"] = static_cast<double>(state.iterations() * batch.size()) / seconds_since(t0);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(state.iterations() * 16), benchmark::Counter::kIsRate);
  ::close(fd);
  fs::remove(path);
}
BENCHMARK(BM_plain_write_16KiB)->Iterations(32768)->UseRealTime();

// The two loops above, alternated in rounds (ABBA order) so that both see the same machine: on a shared 2-core VM
// single back-to-back runs swing by +-30 %. Each round appends 2048 batches (32 MiB) through a fresh log and
// writes the same bytes with write(2) to a fresh file; the summary uses the median of the per-round ratios.
void BM_append_vs_write_rounds(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);
  auto batch = batch_16k();
  constexpr int kBatches = 2048;
  std::vector<double> ratios, ours, refs;
  for (auto _ : state) {
    for (int round = 0; round < 12; ++round) {
      double t_log = 0, t_write = 0;
      for (int half = 0; half < 2; ++half) {
        const bool log_first = (round % 2 == 0) == (half == 0);
        if (log_first) {
          auto dir = bench_root() / ("rounds-" + std::to_string(round));
          fs::remove_all(dir);
          auto log = storage::partition_log::open(dir, bench_config()).value();
          const auto t0 = bench_clock::now();
          for (int i = 0; i < kBatches; ++i)
            if (!log->append(batch, 1)) state.SkipWithError("append failed");
          t_log = seconds_since(t0);
          log.reset();
          fs::remove_all(dir);
        } else {
          fs::create_directories(bench_root());
          auto path = bench_root() / ("rounds-" + std::to_string(round) + ".bin");
          int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
          const auto t0 = bench_clock::now();
          for (int i = 0; i < kBatches; ++i)
            if (::write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size())) state.SkipWithError("write");
          t_write = seconds_since(t0);
          ::close(fd);
          fs::remove(path);
        }
      }
      const double bytes = static_cast<double>(kBatches) * static_cast<double>(batch.size());
      ours.push_back(bytes / t_log);
      refs.push_back(bytes / t_write);
      ratios.push_back(t_write / t_log);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  g_fig["append_rounds"] = median(ours);
  g_fig["plain_write_rounds"] = median(refs);
  g_fig["append_rounds_ratio"] = median(ratios);
  state.counters["median_ratio"] = median(ratios);
  state.counters["min_ratio"] = *std::min_element(ratios.begin(), ratios.end());
  state.counters["max_ratio"] = *std::max_element(ratios.begin(), ratios.end());
}
BENCHMARK(BM_append_vs_write_rounds)->Iterations(1)->UseRealTime();

std::unique_ptr<storage::partition_log> g_log;
std::atomic<uint64_t> g_rounds0{0};
bench_clock::time_point g_gc_t0;

void BM_group_commit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    spdlog::set_level(spdlog::level::warn);
    auto dir = bench_root() / "group-0";
    fs::remove_all(dir);
    g_log = storage::partition_log::open(dir, bench_config()).value();
    g_rounds0 = g_log->flush_rounds();
  }
  auto batch = batch_16k();
  if (state.thread_index() == 0) g_gc_t0 = bench_clock::now();  // set before the start barrier releases
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
    const double secs = seconds_since(g_gc_t0);
    const double total = static_cast<double>(state.iterations() * static_cast<uint64_t>(state.threads()) * batch.size());
    const std::string key = "group_commit_" + std::to_string(state.threads());
    uint64_t rounds = g_log->flush_rounds() - g_rounds0;
    g_fig[key] = total / secs;
    g_fig[key + "_acks_per_fsync"] =
        rounds ? static_cast<double>(state.iterations() * static_cast<uint64_t>(state.threads())) / static_cast<double>(rounds) : 0;
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

// Like BM_group_commit, but each appender keeps up to `depth` batches in flight (appends the next one before the
// previous is acknowledged), as a Kafka producer does with max.in.flight.requests.per.connection (default 5).
// Closed-loop appenders with one batch each cap an fsync at threads x 16 KiB; with depth 4 up to 1 MiB is pending.
struct inflight_gate {
  std::mutex m;
  std::condition_variable cv;
  int n = 0;
  bool failed = false;
};

void BM_group_commit_pipelined(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  if (state.thread_index() == 0) {
    spdlog::set_level(spdlog::level::warn);
    auto dir = bench_root() / "group-pipelined-0";
    fs::remove_all(dir);
    g_log = storage::partition_log::open(dir, bench_config()).value();
    g_rounds0 = g_log->flush_rounds();
  }
  auto batch = batch_16k();
  inflight_gate gate;
  if (state.thread_index() == 0) g_gc_t0 = bench_clock::now();
  for (auto _ : state) {
    {
      std::unique_lock lk(gate.m);
      gate.cv.wait(lk, [&] { return gate.n < depth; });
      ++gate.n;
    }
    auto r = g_log->append(batch, 1);
    if (!r) state.SkipWithError("append failed");
    g_log->flush([&gate](std::error_code ec) {
      std::lock_guard lk(gate.m);
      --gate.n;
      if (ec) gate.failed = true;
      gate.cv.notify_one();
    });
  }
  {
    std::unique_lock lk(gate.m);
    gate.cv.wait(lk, [&] { return gate.n == 0; });
    if (gate.failed) state.SkipWithError("flush failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  if (state.thread_index() == 0) {
    const double secs = seconds_since(g_gc_t0);
    const double total = static_cast<double>(state.iterations() * static_cast<uint64_t>(state.threads()) * batch.size());
    const std::string key = "group_commit_pipelined_" + std::to_string(state.threads());
    uint64_t rounds = g_log->flush_rounds() - g_rounds0;
    g_fig[key] = total / secs;
    g_fig[key + "_acks_per_fsync"] =
        rounds ? static_cast<double>(state.iterations() * static_cast<uint64_t>(state.threads())) / static_cast<double>(rounds) : 0;
    state.counters["fsyncs"] = static_cast<double>(rounds);
    state.counters["acks/fsync"] = g_fig[key + "_acks_per_fsync"];
    auto dir = g_log->dir();
    g_log.reset();
    fs::remove_all(dir);
  }
}
BENCHMARK(BM_group_commit_pipelined)->Arg(4)->Threads(16)->MinTime(3)->UseRealTime();

void BM_write_fdatasync_1MiB(benchmark::State& state) {
  auto dir = bench_root();
  fs::create_directories(dir);
  auto path = dir / "sync.bin";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<uint8_t> buf(1 << 20, 0x5a);
  const auto t0 = bench_clock::now();
  for (auto _ : state) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) state.SkipWithError("write");
    if (::fdatasync(fd) != 0) state.SkipWithError("fdatasync");
  }
  g_fig["write_fdatasync"] = static_cast<double>(state.iterations() * buf.size()) / seconds_since(t0);
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

// A warm 1 GiB segment (65536 batches of 16 KiB, one index entry each), built once.
struct big_log {
  fs::path dir = bench_root() / "lookup1g-0";
  std::unique_ptr<storage::partition_log> log;
  storage::offset_index index;  // the segment's .index file, loaded
  int64_t end = 0;
  big_log() {
    spdlog::set_level(spdlog::level::warn);
    fs::remove_all(dir);
    auto c = bench_config();
    {
      auto w = storage::partition_log::open(dir, c).value();
      auto batch = batch_16k();
      while (w->size_bytes() + batch.size() <= (uint64_t{1} << 30)) (void)w->append(batch, 1);
      (void)w->close();
    }
    log = storage::partition_log::open(dir, c).value();  // clean shutdown: indexes loaded, not rebuilt
    end = log->log_end_offset();
    auto ix = fs::path(dir) / storage::segment_file_name(0, ".index");
    std::vector<uint8_t> bytes(fs::file_size(ix));
    int fd = ::open(ix.c_str(), O_RDONLY);
    if (::pread(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) std::abort();
    ::close(fd);
    if (!index.parse(bytes, INT32_MAX, uint64_t{1} << 31)) std::abort();
    // Warm the page cache: read the whole segment once.
    int lfd = ::open((fs::path(dir) / storage::segment_file_name(0, ".log")).c_str(), O_RDONLY);
    std::vector<uint8_t> buf(1 << 20);
    while (::read(lfd, buf.data(), buf.size()) > 0) {
    }
    ::close(lfd);
  }
  // Warm the in-memory index too: one lookup per index entry (after a restart entries do not know their batch
  // until a read has checked its header; appends fill them in directly).
  void warm_metadata() {
    for (const auto& e : index.entries())
      if (!log->read(e.relative_offset, 1, INT64_MAX)) std::abort();
  }
  // Reopen: page cache still warm, in-memory index as after a restart.
  void reopen() {
    log.reset();
    log = storage::partition_log::open(dir, bench_config()).value();
  }
  ~big_log() {
    log.reset();
    fs::remove_all(dir);
  }
};
big_log& the_big_log() {
  static big_log b;
  return b;
}

template <typename F>
void latency_loop(benchmark::State& state, const std::string& key, F&& op) {
  std::vector<double> ns;
  ns.reserve(static_cast<size_t>(state.max_iterations));
  for (auto _ : state) {
    const auto t = bench_clock::now();
    op();
    ns.push_back(std::chrono::duration<double, std::nano>(bench_clock::now() - t).count());
  }
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) { return ns[std::min(ns.size() - 1, static_cast<size_t>(p * static_cast<double>(ns.size())))]; };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p999_ns"] = pct(0.999);
  g_fig[key + "_p50"] = pct(0.50);
  g_fig[key + "_p99"] = pct(0.99);
}

// Random-offset lookups right after a restart (page cache warm, index entries not yet checked against the log):
// mostly one small pread per lookup.
void BM_lookup_latency_read_cold_1GiB(benchmark::State& state) {
  auto& b = the_big_log();
  b.reopen();
  std::mt19937_64 rng(11);
  latency_loop(state, "lookup_read_cold", [&] {
    auto r = b.log->read(static_cast<int64_t>(rng() % static_cast<uint64_t>(b.end)), 1, INT64_MAX);
    if (!r || r->slices.empty()) std::abort();
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_lookup_latency_read_cold_1GiB)->Iterations(20000);

// One random-offset lookup through the public read path: index lookup (+ header check/scan when the entry does
// not know its batch yet), returning the slice of the batch holding the offset (max_bytes 1: just that batch).
void BM_lookup_latency_read_1GiB(benchmark::State& state) {
  auto& b = the_big_log();
  b.warm_metadata();
  std::mt19937_64 rng(7);
  latency_loop(state, "lookup_read", [&] {
    auto r = b.log->read(static_cast<int64_t>(rng() % static_cast<uint64_t>(b.end)), 1, INT64_MAX);
    if (!r || r->slices.empty()) std::abort();
    benchmark::DoNotOptimize(r);
  });
  state.counters["index_entries"] = static_cast<double>(b.index.size());
}
BENCHMARK(BM_lookup_latency_read_1GiB)->Iterations(200000);

// The same offsets through the segment's offset index alone (binary search of 65536 entries).
void BM_lookup_latency_index_1GiB(benchmark::State& state) {
  auto& b = the_big_log();
  std::mt19937_64 rng(7);
  latency_loop(state, "lookup_index", [&] {
    auto e = b.index.floor(static_cast<int32_t>(rng() % static_cast<uint64_t>(b.end)));
    benchmark::DoNotOptimize(e);
  });
}
BENCHMARK(BM_lookup_latency_index_1GiB)->Iterations(200000);

void print_summary() {
  auto get = [](const char* k) { auto it = g_fig.find(k); return it == g_fig.end() ? 0.0 : it->second; };
  auto mib = [](double bps) { return bps / (1024.0 * 1024.0); };
  std::printf("\n=== storage summary (same run, same filesystem: %s) ===\n", bench_root().parent_path().c_str());
  std::printf("%-52s %14s %14s %8s %8s\n", "measure", "ours", "reference", "ratio", "goal");
  auto row = [&](const char* what, double ours, double ref, const char* unit, const char* goal) {
    std::printf("%-52s %10.1f %s %10.1f %s %7.0f%% %8s\n", what, ours, unit, ref, unit, ref > 0 ? 100.0 * ours / ref : 0.0,
                goal);
  };
  row("append 16KiB batches (no fsync) vs write(2) loop", mib(get("append")), mib(get("plain_write")), "MiB/s", ">=80%");
  row("  same, 12 alternating rounds (median of ratios)", mib(get("append_rounds")), mib(get("plain_write_rounds")),
      "MiB/s", ">=80%");
  std::printf("  median per-round ratio: %.0f%%\n", 100.0 * get("append_rounds_ratio"));
  row("group commit, 16 appenders vs 1MiB write+fdatasync", mib(get("group_commit_16")), mib(get("write_fdatasync")),
      "MiB/s", ">=70%");
  row("group commit, 1 appender vs 1MiB write+fdatasync", mib(get("group_commit_1")), mib(get("write_fdatasync")),
      "MiB/s", "-");
  row("group commit, 16 appenders x 4 in flight vs the same", mib(get("group_commit_pipelined_16")),
      mib(get("write_fdatasync")), "MiB/s", ">=70%");
  std::printf("  acks per fsync: 16 appenders %.1f, 1 appender %.1f, 16 x 4 in flight %.1f\n",
              get("group_commit_16_acks_per_fsync"), get("group_commit_1_acks_per_fsync"),
              get("group_commit_pipelined_16_acks_per_fsync"));
  std::printf("lookup on a warm 1 GiB segment, partition_log::read: p50 %.0f ns, p99 %.0f ns (goal p99 <= 2000 ns)\n",
              get("lookup_read_p50"), get("lookup_read_p99"));
  std::printf("same, right after a restart (entries not yet checked): p50 %.0f ns, p99 %.0f ns\n",
              get("lookup_read_cold_p50"), get("lookup_read_cold_p99"));
  std::printf("lookup on a warm 1 GiB segment, offset index alone: p50 %.0f ns, p99 %.0f ns\n", get("lookup_index_p50"),
              get("lookup_index_p99"));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_summary();
  return 0;
}
