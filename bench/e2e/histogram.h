// A small HDR-style log-linear histogram of non-negative 64-bit values (nanoseconds here). Values below 128 have a
// bucket each; above, every power of two is split into 64 linear sub-buckets, so a reported value is within ~1.6 % of
// the recorded one. Fixed storage (3776 counters), no allocation after construction, not thread-safe: keep one per
// thread and merge() at the end.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace samsa::bench {

class log_linear_histogram {
 public:
  static constexpr int kSubBits = 7;                          // 2^7 exact values, then 2^6 sub-buckets per octave
  static constexpr uint64_t kLinear = uint64_t{1} << kSubBits;  // 128
  static constexpr uint64_t kHalf = kLinear / 2;                // 64
  static constexpr size_t kBuckets = (64 - (kSubBits - 1)) * kHalf + kHalf;  // 3776

  void record(uint64_t v) noexcept {
    ++counts_[index(v)];
    ++total_;
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
  }

  void merge(const log_linear_histogram& o) noexcept {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
  }

  uint64_t count() const noexcept { return total_; }
  uint64_t max() const noexcept { return total_ ? max_ : 0; }
  uint64_t min() const noexcept { return total_ ? min_ : 0; }

  // The value at quantile q in [0, 1] (the middle of the bucket holding it, clamped to the recorded max).
  uint64_t quantile(double q) const noexcept {
    if (total_ == 0) return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(midpoint(i), max_);
    }
    return max_;
  }

  static size_t index(uint64_t v) noexcept {
    if (v < kLinear) return static_cast<size_t>(v);
    const int e = 63 - std::countl_zero(v);  // >= kSubBits
    const int shift = e - (kSubBits - 1);
    return static_cast<size_t>(static_cast<uint64_t>(shift) * kHalf + (v >> shift));
  }
  static uint64_t lowest(size_t i) noexcept {
    if (i < kLinear) return i;
    const uint64_t shift = i / kHalf - 1;
    return (i - shift * kHalf) << shift;
  }
  static uint64_t midpoint(size_t i) noexcept {
    if (i < kLinear) return i;
    const uint64_t shift = i / kHalf - 1;
    return lowest(i) + ((uint64_t{1} << shift) >> 1);
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace samsa::bench
