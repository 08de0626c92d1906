#pragma once
// Helpers shared by the storage tests: temporary directories, batch generation, reading a log back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "samsa/base/endian.h"
#include "samsa/records/record_batch.h"
#include "samsa/storage/partition_log.h"

namespace samsa::storage::testing {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path;
  explicit temp_dir(const fs::path& root = fs::temp_directory_path()) {
    static std::atomic<int> counter{0};
    path = root /
           ("samsa-storage-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A batch of `count` records with values of `value_size` bytes, timestamps base_ts, base_ts+1, ...
inline std::vector<uint8_t> make_batch(int count, size_t value_size, int64_t base_ts, uint64_t seed = 0,
                                       records::compression codec = records::compression::none) {
  records::batch_options o;
  o.codec = codec;
  records::batch_builder b(o);
  std::mt19937_64 rng(seed);
  std::string value(value_size, 'v');
  for (int i = 0; i < count; ++i) {
    for (auto& c : value) c = static_cast<char>('a' + rng() % 26);
    std::string key = "k" + std::to_string(rng() % 1000);
    b.add(base_ts + i, key, value);
  }
  auto r = b.build();
  EXPECT_TRUE(r.has_value());
  return std::move(*r);
}

// Every batch of the log from `from` (whole log by default), as copies.
inline std::vector<std::vector<uint8_t>> read_all(const partition_log& log, int64_t from = -1) {
  std::vector<std::vector<uint8_t>> out;
  int64_t off = from < 0 ? log.log_start_offset() : from;
  while (off < log.log_end_offset()) {
    auto r = log.read(off, 1 << 20, INT64_MAX);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r || r->total_bytes == 0) break;
    auto bytes = r->copy_bytes();
    EXPECT_TRUE(bytes.has_value());
    std::span<const uint8_t> s(*bytes);
    auto ec = records::for_each_batch(s, [&](const records::batch_view& b) {
      EXPECT_FALSE(b.verify_crc());
      out.emplace_back(b.data().begin(), b.data().end());
      off = b.next_offset();
    });
    EXPECT_FALSE(ec) << ec.message();
  }
  return out;
}

inline int64_t base_of(const std::vector<uint8_t>& b) { return be::load<int64_t>(b.data()); }

inline void write_file(const fs::path& p, const std::vector<uint8_t>& data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}
inline std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline log_config small_config() {
  log_config c;
  c.segment_bytes = 64 * 1024;
  c.index_interval_bytes = 1024;
  c.recovery_point_checkpoint_ms = 0;
  return c;
}

struct quiet_logs {
  quiet_logs() { spdlog::set_level(spdlog::level::warn); }
};

}  // namespace samsa::storage::testing
