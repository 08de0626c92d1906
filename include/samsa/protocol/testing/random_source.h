#pragma once
// Random values for generated test messages (round-trip tests, benchmarks, fuzz seeds). Not for production use.
#include <cstdint>
#include <deque>
#include <random>
#include <string>

#include "samsa/protocol/wire.h"

namespace samsa::protocol::testing {

class random_source {
 public:
  explicit random_source(uint64_t seed) : rng_(seed) {}

  uint64_t next() { return rng_(); }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(uint64_t one_in) { return below(one_in) == 0; }

  std::string some_string() {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
    std::string s(below(12), 'x');
    for (auto& c : s) c = alphabet[below(sizeof alphabet - 1)];
    return s;
  }
  bytes some_bytes() {
    bytes b(below(20));
    for (auto& x : b) x = static_cast<uint8_t>(rng_());
    return b;
  }
  uuid some_uuid() {
    uuid u;
    for (auto& x : u.value) x = static_cast<uint8_t>(rng_());
    return u;
  }
  // Records are views: their bytes live in this source, which must outlive the message.
  records_view some_records() {
    auto& b = arena_.emplace_back(some_bytes());
    return records_view{b.data(), b.size()};
  }

 private:
  std::mt19937_64 rng_;
  std::deque<bytes> arena_;
};

}  // namespace samsa::protocol::testing
