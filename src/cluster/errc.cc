#include <string>

#include "samsa/cluster/types.h"

namespace samsa::cluster {
namespace {
class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "samsa.cluster"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::truncated: return "metadata record truncated";
      case errc::unknown_record_type: return "unknown metadata record type";
      case errc::unsupported_version: return "unsupported metadata record version";
      case errc::malformed: return "malformed metadata record";
      case errc::inconsistent_record: return "metadata record inconsistent with the image";
    }
    return "unknown cluster error";
  }
};
}  // namespace

const std::error_category& cluster_category() noexcept {
  static const category_impl c;
  return c;
}
std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), cluster_category()}; }

std::string uuid::to_string() const {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  uint8_t b[16];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  std::string out;
  int i = 0;
  for (; i + 3 <= 16; i += 3) {
    const uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8) | b[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const uint32_t v = uint32_t{b[15]} << 16;  // one byte left: two characters, no padding
  out += alphabet[(v >> 18) & 63];
  out += alphabet[(v >> 12) & 63];
  return out;
}

}  // namespace samsa::cluster
