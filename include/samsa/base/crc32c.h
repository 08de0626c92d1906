#pragma once
// CRC-32C (Castagnoli), the checksum of Kafka record batches v2.
// Uses SSE4.2 (x86-64) or the ARMv8 CRC extension when the CPU has it, a table-driven fallback otherwise.
#include <cstddef>
#include <cstdint>

namespace samsa::crc32c {

// Extends `crc` (0 for a fresh checksum) over [data, data + size).
uint32_t extend(uint32_t crc, const void* data, size_t size) noexcept;
inline uint32_t value(const void* data, size_t size) noexcept { return extend(0, data, size); }

// The portable implementation, exposed so tests can compare it with the accelerated one.
uint32_t extend_portable(uint32_t crc, const void* data, size_t size) noexcept;
bool hardware_accelerated() noexcept;

}  // namespace samsa::crc32c
