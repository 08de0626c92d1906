#include "samsa/records/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "samsa/base/endian.h"

namespace samsa::records {
namespace {

// Resizes `out` to n (<= max_output) with geometric growth, never letting the capacity exceed max_output
// (std::vector::resize alone may double the capacity past it).
void resize_bounded(std::vector<uint8_t>& out, size_t n, size_t max_output) {
  if (n > out.capacity()) out.reserve(std::min(std::max(n, out.capacity() * 2), std::max(n, max_output)));
  out.resize(n);
}

// Output growth for streaming decoders: makes room after `produced` without ever exceeding max_output.
// Returns false when the output is full (produced == max_output).
bool ensure_space(std::vector<uint8_t>& out, size_t produced, size_t max_output, size_t hint) {
  if (produced < out.size()) return true;
  if (produced >= max_output) return false;
  const size_t want = std::max({produced * 2, hint, size_t{4096}});
  resize_bounded(out, std::min(want, max_output), max_output);
  return true;
}

size_t initial_hint(size_t input_size) { return std::min<size_t>(input_size * 4, size_t{1} << 20); }

// --- gzip ---------------------------------------------------------------------------------------------------------

std::error_code gzip_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  if (in.size() > std::numeric_limits<uInt>::max()) return errc::too_large;
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return errc::unsupported_compression;
  const size_t start = out.size();
  const size_t bound = deflateBound(&zs, static_cast<uLong>(in.size())) + 32;
  out.resize(start + bound);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data() + start;
  zs.avail_out = static_cast<uInt>(bound);
  const int r = deflate(&zs, Z_FINISH);
  const size_t written = bound - zs.avail_out;
  deflateEnd(&zs);
  if (r != Z_STREAM_END) {
    out.resize(start);
    return errc::decompression_failed;
  }
  out.resize(start + written);
  return {};
}

std::error_code gzip_decompress(std::span<const uint8_t> in, size_t max_output, std::vector<uint8_t>& out) {
  if (in.size() > std::numeric_limits<uInt>::max()) return errc::too_large;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return errc::decompression_failed;
  struct guard {
    z_stream* z;
    ~guard() { inflateEnd(z); }
  } g{&zs};
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  size_t produced = 0;
  const size_t hint = initial_hint(in.size());
  for (;;) {
    uint8_t probe[1];
    const bool room = ensure_space(out, produced, max_output, hint);
    uint8_t* dst = room ? out.data() + produced : probe;
    const size_t window =
        room ? std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max()) : sizeof probe;
    zs.next_out = dst;
    zs.avail_out = static_cast<uInt>(window);
    const int r = inflate(&zs, Z_NO_FLUSH);
    const size_t got = window - zs.avail_out;
    if (!room && got > 0) return errc::too_large;
    produced += got;
    if (r == Z_STREAM_END) {
      // Concatenated gzip members are one stream (as java.util.zip.GZIPInputStream reads them); anything else
      // after a member is ignored, as Java does.
      if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        if (inflateReset(&zs) != Z_OK) return errc::decompression_failed;
        continue;
      }
      break;
    }
    if (r != Z_OK) return errc::decompression_failed;  // Z_BUF_ERROR here means the input is truncated
  }
  out.resize(produced);
  return {};
}

// --- snappy -------------------------------------------------------------------------------------------------------

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeader = 16;  // magic + version int32 + compatible version int32

std::error_code snappy_raw_append(std::span<const uint8_t> in, size_t max_output, std::vector<uint8_t>& out) {
  size_t n = 0;
  const char* src = reinterpret_cast<const char*>(in.data());
  if (!snappy::GetUncompressedLength(src, in.size(), &n)) return errc::decompression_failed;
  if (n > max_output - out.size()) return errc::too_large;
  const size_t start = out.size();
  resize_bounded(out, start + n, max_output);
  if (!snappy::RawUncompress(src, in.size(), reinterpret_cast<char*>(out.data() + start)))
    return errc::decompression_failed;
  return {};
}

std::error_code snappy_decompress(std::span<const uint8_t> in, size_t max_output, std::vector<uint8_t>& out) {
  out.clear();
  if (in.size() >= kXerialHeader && std::memcmp(in.data(), kXerialMagic, sizeof kXerialMagic) == 0) {
    // xerial snappy-java framing: header, then blocks of int32 length + raw snappy.
    size_t pos = kXerialHeader;
    while (pos < in.size()) {
      if (in.size() - pos < 4) return errc::decompression_failed;
      const int32_t len = be::load<int32_t>(in.data() + pos);
      pos += 4;
      if (len < 0 || static_cast<size_t>(len) > in.size() - pos) return errc::decompression_failed;
      if (auto ec = snappy_raw_append(in.subspan(pos, static_cast<size_t>(len)), max_output, out)) return ec;
      pos += static_cast<size_t>(len);
    }
    return {};
  }
  return snappy_raw_append(in, max_output, out);
}

std::error_code snappy_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  out.resize(start + snappy::MaxCompressedLength(in.size()));
  size_t n = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(), reinterpret_cast<char*>(out.data() + start),
                      &n);
  out.resize(start + n);
  return {};
}

// --- lz4 (frame format) -------------------------------------------------------------------------------------------

LZ4F_preferences_t lz4_prefs() {
  // What Kafka's Java client writes: 64 KiB independent blocks, no checksums, no content size.
  LZ4F_preferences_t p;
  std::memset(&p, 0, sizeof p);
  p.frameInfo.blockSizeID = LZ4F_max64KB;
  p.frameInfo.blockMode = LZ4F_blockIndependent;
  p.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  p.frameInfo.frameType = LZ4F_frame;
  p.compressionLevel = 0;
  return p;
}

std::error_code lz4_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const LZ4F_preferences_t prefs = lz4_prefs();
  const size_t start = out.size();
  const size_t bound = LZ4F_compressFrameBound(in.size(), &prefs);
  out.resize(start + bound);
  const size_t n = LZ4F_compressFrame(out.data() + start, bound, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(start);
    return errc::decompression_failed;
  }
  out.resize(start + n);
  return {};
}

std::error_code lz4_decompress(std::span<const uint8_t> in, size_t max_output, std::vector<uint8_t>& out) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return errc::decompression_failed;
  struct guard {
    LZ4F_dctx* c;
    ~guard() { LZ4F_freeDecompressionContext(c); }
  } g{ctx};
  size_t pos = 0, produced = 0;
  size_t hint_ret = 1;  // 0 once a frame is complete
  const size_t hint = initial_hint(in.size());
  for (;;) {
    if (pos == in.size() && hint_ret == 0) break;
    uint8_t probe[1];
    const bool room = ensure_space(out, produced, max_output, hint);
    uint8_t* dst = room ? out.data() + produced : probe;
    size_t dst_size = room ? out.size() - produced : sizeof probe;
    size_t src_size = in.size() - pos;
    hint_ret = LZ4F_decompress(ctx, dst, &dst_size, in.data() + pos, &src_size, nullptr);
    if (LZ4F_isError(hint_ret)) return errc::decompression_failed;
    if (!room && dst_size > 0) return errc::too_large;
    pos += src_size;
    produced += dst_size;
    if (src_size == 0 && dst_size == 0) {
      if (hint_ret == 0 && pos == in.size()) break;
      return errc::decompression_failed;  // truncated frame
    }
  }
  out.resize(produced);
  return {};
}

// --- zstd ---------------------------------------------------------------------------------------------------------

std::error_code zstd_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  const size_t bound = ZSTD_compressBound(in.size());
  out.resize(start + bound);
  const size_t n = ZSTD_compress(out.data() + start, bound, in.data(), in.size(), ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError(n)) {
    out.resize(start);
    return errc::decompression_failed;
  }
  out.resize(start + n);
  return {};
}

std::error_code zstd_decompress(std::span<const uint8_t> in, size_t max_output, std::vector<uint8_t>& out) {
  size_t hint = initial_hint(in.size());
  const unsigned long long content = ZSTD_getFrameContentSize(in.data(), in.size());
  if (content != ZSTD_CONTENTSIZE_ERROR && content != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (content > max_output) return errc::too_large;
    hint = static_cast<size_t>(content);
  }
  ZSTD_DCtx* ds = ZSTD_createDCtx();
  if (!ds) return errc::decompression_failed;
  struct guard {
    ZSTD_DCtx* d;
    ~guard() { ZSTD_freeDCtx(d); }
  } g{ds};
  // Bound the decoder's window memory too (8 MiB .. 128 MiB, following max_output).
  int wlog = 23;
  while (wlog < 27 && (size_t{1} << wlog) < max_output) ++wlog;
  ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, wlog);

  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t produced = 0;
  size_t ret = 1;  // 0 once a frame is complete and flushed
  for (;;) {
    if (src.pos == src.size && ret == 0) break;
    uint8_t probe[1];
    const bool room = ensure_space(out, produced, max_output, hint);
    ZSTD_outBuffer dst = room ? ZSTD_outBuffer{out.data() + produced, out.size() - produced, 0}
                              : ZSTD_outBuffer{probe, sizeof probe, 0};
    const size_t in_before = src.pos;
    ret = ZSTD_decompressStream(ds, &dst, &src);
    if (ZSTD_isError(ret)) return errc::decompression_failed;
    if (!room && dst.pos > 0) return errc::too_large;
    produced += dst.pos;
    if (dst.pos == 0 && src.pos == in_before) {
      if (ret == 0 && src.pos == src.size) break;
      return errc::decompression_failed;  // truncated frame
    }
  }
  out.resize(produced);
  return {};
}

}  // namespace

std::error_code compress_append(compression codec, std::span<const uint8_t> input, std::vector<uint8_t>& out) {
  switch (codec) {
    case compression::none: out.insert(out.end(), input.begin(), input.end()); return {};
    case compression::gzip: return gzip_compress(input, out);
    case compression::snappy: return snappy_compress(input, out);
    case compression::lz4: return lz4_compress(input, out);
    case compression::zstd: return zstd_compress(input, out);
  }
  return errc::unsupported_compression;
}

result<std::vector<uint8_t>> compress(compression codec, std::span<const uint8_t> input) {
  std::vector<uint8_t> out;
  if (auto ec = compress_append(codec, input, out)) return ec;
  return out;
}

std::error_code decompress_into(compression codec, std::span<const uint8_t> input, size_t max_output,
                                std::vector<uint8_t>& out) {
  out.clear();
  switch (codec) {
    case compression::none:
      if (input.size() > max_output) return errc::too_large;
      out.assign(input.begin(), input.end());
      return {};
    case compression::gzip: return gzip_decompress(input, max_output, out);
    case compression::snappy: return snappy_decompress(input, max_output, out);
    case compression::lz4: return lz4_decompress(input, max_output, out);
    case compression::zstd: return zstd_decompress(input, max_output, out);
  }
  return errc::unsupported_compression;
}

result<std::vector<uint8_t>> decompress(compression codec, std::span<const uint8_t> input, size_t max_output) {
  std::vector<uint8_t> out;
  if (auto ec = decompress_into(codec, input, max_output, out)) return ec;
  return out;
}

std::error_code validate_records(const batch_view& batch, std::vector<uint8_t>& scratch, size_t max_output) {
  if (auto ec = batch.validate()) return ec;
  int32_t expected = 0;
  return for_each_record(batch, scratch, max_output, [&](const record_view& r) -> std::error_code {
    if (r.offset_delta != expected) return errc::bad_record;
    ++expected;
    return {};
  });
}

}  // namespace samsa::records
