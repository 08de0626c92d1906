#pragma once
// splitmix64: a tiny PRNG with a fully specified output sequence (std::uniform_int_distribution is not specified
// across standard libraries, and golden traces must not depend on the toolchain).
#include <cstdint>

namespace samsa::raft {

inline uint64_t splitmix64(uint64_t& state) noexcept {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace samsa::raft
