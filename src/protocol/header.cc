#include "samsa/protocol/header.h"

#include "samsa/protocol/messages/all.h"

namespace samsa::protocol {

int16_t request_header_version(int16_t api_key, int16_t api_version) noexcept {
  const api_schema* api = find_api_schema(api_key);
  if (api_key == api_versions_key && api_version >= 3) return 2;  // also above our max (KIP-511)
  if (api == nullptr) return 1;
  return api->is_flexible(api_version) ? 2 : 1;
}

int16_t response_header_version(int16_t api_key, int16_t api_version) noexcept {
  if (api_key == api_versions_key) return 0;
  const api_schema* api = find_api_schema(api_key);
  return api != nullptr && api->is_flexible(api_version) ? 1 : 0;
}

result<request_header> decode_request_header(reader& r) {
  request_header h;
  h.api_key = r.read_int<int16_t>();
  h.api_version = r.read_int<int16_t>();
  h.correlation_id = r.read_int<int32_t>();
  if (!r.ok()) return r.error();
  const int16_t hv = request_header_version(h.api_key, h.api_version);
  if (hv >= 1) {
    const int32_t len = r.read_string_length(false);  // client_id is never compact
    if (len >= 0) {
      auto raw = r.read_raw(static_cast<size_t>(len));
      h.client_id = std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size());
    }
  }
  if (hv >= 2) {
    const uint32_t count = r.read_uvarint();
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
      const uint32_t tag = r.read_uvarint();
      auto body = r.read_raw(r.read_uvarint());
      if (r.ok()) h.unknown_tagged_fields.push_back(tagged_field{tag, bytes(body.begin(), body.end())});
    }
  }
  if (!r.ok()) return r.error();
  return h;
}

size_t request_header_size(const request_header& h, int16_t hv) noexcept {
  size_t n = 8;
  if (hv >= 1) n += 2 + (h.client_id ? h.client_id->size() : 0);
  if (hv >= 2) {
    n += varint::unsigned_size(h.unknown_tagged_fields.size());
    for (const auto& t : h.unknown_tagged_fields)
      n += varint::unsigned_size(t.tag) + varint::unsigned_size(t.data.size()) + t.data.size();
  }
  return n;
}

void encode_request_header(writer& w, const request_header& h, int16_t hv) noexcept {
  w.write_int<int16_t>(h.api_key);
  w.write_int<int16_t>(h.api_version);
  w.write_int<int32_t>(h.correlation_id);
  if (hv >= 1) {
    if (!h.client_id) {
      w.write_string_length(-1, false);
    } else {
      w.write_string_length(static_cast<int32_t>(h.client_id->size()), false);
      w.write_raw(h.client_id->data(), h.client_id->size());
    }
  }
  if (hv >= 2) {
    w.write_uvarint(static_cast<uint32_t>(h.unknown_tagged_fields.size()));
    for (const auto& t : h.unknown_tagged_fields) {
      w.write_uvarint(t.tag);
      w.write_uvarint(static_cast<uint32_t>(t.data.size()));
      w.write_raw(t.data.data(), t.data.size());
    }
  }
}

size_t response_header_size(int16_t hv) noexcept { return hv >= 1 ? 5 : 4; }

void encode_response_header(writer& w, int32_t correlation_id, int16_t hv) noexcept {
  w.write_int<int32_t>(correlation_id);
  if (hv >= 1) w.write_uvarint(0);
}

result<std::span<const uint8_t>> response_body(std::span<const uint8_t> after_correlation_id,
                                               int16_t header_version) noexcept {
  reader r(after_correlation_id);
  if (header_version >= 1) {
    const uint32_t tags = r.read_uvarint();
    for (uint32_t i = 0; i < tags && r.ok(); ++i) {
      r.read_uvarint();
      r.read_raw(r.read_uvarint());
    }
  }
  if (!r.ok()) return r.error();
  return std::span<const uint8_t>(r.position(), r.remaining());
}

std::error_code check_frame_size(int32_t size, int32_t max_bytes) noexcept {
  if (size < 8) return errc::bad_length;  // smaller than the smallest request header
  if (size > max_bytes) return errc::frame_too_large;
  return {};
}

namespace {
class protocol_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "samsa.protocol"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::truncated: return "input ends inside a field";
      case errc::bad_length: return "length or count does not fit the input";
      case errc::bad_varint: return "malformed unsigned varint";
      case errc::unexpected_null: return "null where this version does not allow it";
      case errc::trailing_bytes: return "bytes left after the message";
      case errc::unsupported_version: return "unsupported API version";
      case errc::unknown_api: return "unknown API key";
      case errc::frame_too_large: return "frame larger than socket.request.max.bytes";
    }
    return "unknown protocol error";
  }
};
}  // namespace

const std::error_category& protocol_category() noexcept {
  static const protocol_category_impl category;
  return category;
}

}  // namespace samsa::protocol
