#pragma once
// Milliseconds on the monotonic clock: the time base of the replication rules (lag, backoff), which must not jump
// with the wall clock.
#include <chrono>
#include <cstdint>

namespace samsa {

inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace samsa
