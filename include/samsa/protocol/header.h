#pragma once
// Kafka request/response headers and framing.
//
// Request header v0: api_key, api_version, correlation_id. v1 adds client_id (int16-length nullable string,
// never compact). v2 adds a tagged-field section. Response header v0: correlation_id; v1 adds a tagged-field
// section. Flexible API versions use request header v2 / response header v1 — except ApiVersions, whose
// response header is always v0 so that a client can parse it before it knows our versions.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "samsa/base/result.h"
#include "samsa/protocol/wire.h"

namespace samsa::protocol {

inline constexpr int16_t api_versions_key = 18;
inline constexpr size_t frame_size_prefix = 4;
inline constexpr int32_t default_socket_request_max_bytes = 104857600;

struct request_header {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;  // a view into the frame it was decoded from
  std::vector<tagged_field> unknown_tagged_fields;
  bool operator==(const request_header&) const = default;
};

// Header versions for an API version. Unknown keys are given header v1 (no flexible form can be assumed).
int16_t request_header_version(int16_t api_key, int16_t api_version) noexcept;
int16_t response_header_version(int16_t api_key, int16_t api_version) noexcept;

// Decodes a request header from the start of a frame (the bytes after the size prefix). The header version is
// chosen from the key and version it contains; ApiVersions above our max is read as v2 (KIP-511).
// On success the reader is positioned at the request body.
result<request_header> decode_request_header(reader& r);
size_t request_header_size(const request_header& h, int16_t header_version) noexcept;
void encode_request_header(writer& w, const request_header& h, int16_t header_version) noexcept;

size_t response_header_size(int16_t header_version) noexcept;
void encode_response_header(writer& w, int32_t correlation_id, int16_t header_version) noexcept;

// The body of a response after its correlation id: skips the tagged fields of a v1 response header.
result<std::span<const uint8_t>> response_body(std::span<const uint8_t> after_correlation_id,
                                               int16_t header_version) noexcept;

// Validates a frame's size prefix before anything is read or allocated for the frame.
std::error_code check_frame_size(int32_t size, int32_t max_bytes) noexcept;

// Encodes a whole response frame: size prefix, response header, body.
template <typename Response>
std::vector<uint8_t> encode_response_frame(int32_t correlation_id, int16_t api_version, const Response& body) {
  const int16_t hv = response_header_version(Response::api_key, api_version);
  const size_t n = response_header_size(hv) + body.size(api_version);
  std::vector<uint8_t> out(frame_size_prefix + n);
  writer w(out.data(), out.size());
  w.write_int<int32_t>(static_cast<int32_t>(n));
  encode_response_header(w, correlation_id, hv);
  body.encode(w, api_version);
  return out;
}

// Encodes a whole request frame: size prefix, request header, body.
template <typename Request>
std::vector<uint8_t> encode_request_frame(const request_header& h, const Request& body) {
  const int16_t hv = request_header_version(h.api_key, h.api_version);
  const size_t n = request_header_size(h, hv) + body.size(h.api_version);
  std::vector<uint8_t> out(frame_size_prefix + n);
  writer w(out.data(), out.size());
  w.write_int<int32_t>(static_cast<int32_t>(n));
  encode_request_header(w, h, hv);
  body.encode(w, h.api_version);
  return out;
}

// Decodes a message body that must fill `in` exactly.
template <typename Message>
result<Message> decode_message(std::span<const uint8_t> in, int16_t version) {
  if (version < Message::min_version || version > Message::max_version) return errc::unsupported_version;
  reader r(in);
  Message m;
  m.decode(r, version);
  if (!r.ok()) return r.error();
  if (r.remaining() != 0) return errc::trailing_bytes;
  return m;
}

// Encodes a message body into a new buffer.
template <typename Message>
std::vector<uint8_t> encode_message(const Message& m, int16_t version) {
  std::vector<uint8_t> out(m.size(version));
  writer w(out.data(), out.size());
  m.encode(w, version);
  return out;
}

}  // namespace samsa::protocol
