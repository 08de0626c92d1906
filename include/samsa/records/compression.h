#pragma once
// Compression codecs of Kafka record batches: gzip (zlib, gzip framing), snappy (raw; xerial framing accepted on
// decompress), lz4 (LZ4 frame format), zstd. Decompression is bounded by a caller-supplied max_output: output
// beyond it fails with errc::too_large and is never allocated (decompression bombs are rejected).
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/records/record_batch.h"

namespace samsa::records {

// A sensible default bound for one batch's decompressed records.
constexpr size_t default_max_decompressed = 64u << 20;

// Compresses `input` with `codec` (compression::none copies). Errors: unsupported_compression.
result<std::vector<uint8_t>> compress(compression codec, std::span<const uint8_t> input);
// Appends the compressed form of `input` to `out`.
std::error_code compress_append(compression codec, std::span<const uint8_t> input, std::vector<uint8_t>& out);

// Decompresses `input`. Errors: unsupported_compression, decompression_failed, too_large (output > max_output).
result<std::vector<uint8_t>> decompress(compression codec, std::span<const uint8_t> input, size_t max_output);
// Same, into `out` (cleared first; its capacity is reused). On error `out` holds unspecified contents.
std::error_code decompress_into(compression codec, std::span<const uint8_t> input, size_t max_output,
                                std::vector<uint8_t>& out);

// Records of any batch: uncompressed batches are iterated in place; compressed ones are decompressed into
// `scratch` (at most max_output bytes) first. The record_views handed to f point into the batch or into scratch.
template <typename F>
std::error_code for_each_record(const batch_view& batch, std::vector<uint8_t>& scratch, size_t max_output, F&& f) {
  if (!batch.is_compressed())
    return for_each_record(batch.records_payload(), batch.record_count(), std::forward<F>(f));
  if (auto ec = decompress_into(batch.compression(), batch.records_payload(), max_output, scratch)) return ec;
  return for_each_record(std::span<const uint8_t>(scratch), batch.record_count(), std::forward<F>(f));
}

// Full validation of a producer batch: batch_view::validate() plus decoding every record (decompressing into
// scratch when needed) and checking that offset deltas are 0, 1, ..., recordCount - 1.
std::error_code validate_records(const batch_view& batch, std::vector<uint8_t>& scratch,
                                 size_t max_output = default_max_decompressed);

}  // namespace samsa::records
